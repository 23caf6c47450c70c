import type { ContainerDefaults } from '../core/oci.ts';
import { applyChanges } from '../images/import/apply-changes.ts';
import { mergeConfigEnv } from '../runtimes/oci/spec/container-env.ts';
import type { ContainerRecord } from './container-record.ts';

/**
 * The image defaults `docker commit` records: the container's own
 * configuration — its Cmd, Entrypoint, Env (as given to it, over the
 * image's; not the HOSTNAME/PATH/TERM the runtime adds), User, WorkingDir,
 * Labels, exposed ports, volumes, stop signal and healthcheck — with what
 * only the image carries (Shell, OnBuild) kept from `image`, then the
 * Dockerfile instructions of `changes` applied (see applyChanges, which
 * throws InvalidArgument for a bad one). Pure.
 */
export function commitDefaults(
  container: Pick<ContainerRecord, 'config' | 'request'>,
  image: ContainerDefaults,
  changes: readonly string[],
): ContainerDefaults {
  const c = container.config;
  const run = container.request.run;
  const out: ContainerDefaults = {};
  if (c.user) out.User = c.user;
  const ports = c.exposedPorts.map((p) => (p.includes('/') ? p : `${p}/tcp`));
  if (ports.length > 0) out.ExposedPorts = Object.fromEntries(ports.sort().map((p) => [p, {}]));
  const env = mergeConfigEnv(image.Env, run.env);
  if (env.length > 0) out.Env = env;
  out.Entrypoint = c.entrypoint && c.entrypoint.length > 0 ? [...c.entrypoint] : null;
  out.Cmd = c.cmd.length > 0 ? [...c.cmd] : null;
  if (c.volumes.length > 0) out.Volumes = Object.fromEntries([...c.volumes].sort().map((v) => [v, {}]));
  if (c.workingDir) out.WorkingDir = c.workingDir;
  if (Object.keys(c.labels).length > 0) out.Labels = { ...c.labels };
  const stopSignal = run.stopSignal || image.StopSignal;
  if (stopSignal) out.StopSignal = stopSignal;
  const healthcheck = container.request.healthcheck ?? image.Healthcheck;
  if (healthcheck) out.Healthcheck = healthcheck;
  if (image.Shell) out.Shell = [...image.Shell];
  if (image.OnBuild && image.OnBuild.length > 0) out.OnBuild = [...image.OnBuild];
  return applyChanges(out, [...changes]);
}
