/**
 * The labels docker compose puts on what it creates, so compose-aware tools
 * (docker compose itself, dashboards, `docker ps --filter`) recognise a Janus
 * project, and so Janus finds a project's objects again without any state of
 * its own: the daemon's labels are the only record of a project.
 */
export const COMPOSE_LABELS = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  containerNumber: 'com.docker.compose.container-number',
  configHash: 'com.docker.compose.config-hash',
  oneoff: 'com.docker.compose.oneoff',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  dependsOn: 'com.docker.compose.depends_on',
  version: 'com.docker.compose.version',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
  image: 'com.docker.compose.image',
} as const;

/** The filter (`{label: [...]}`) that selects every object of project `name`, optionally of one service. */
export function projectFilter(name: string, service?: string): Record<string, string[]> {
  const label = [`${COMPOSE_LABELS.project}=${name}`];
  if (service !== undefined) label.push(`${COMPOSE_LABELS.service}=${service}`);
  return { label };
}
