import { homedir } from 'node:os';
import { join } from 'node:path';
import { DockerClient, DEFAULT_HOST } from '../api/client/docker-client.ts';
import { DaemonError } from '../api/client/daemon-error.ts';
import { isJanusError } from '../core/errors.ts';
import { formatHelp, parseArgs, type CommandSpec } from './args.ts';
import type { CliContext, CliIo, Command } from './command.ts';
import type { CredentialStore } from './credential-store.ts';
import { exitCodeFor } from './exit-codes.ts';
import { StatusError } from './exit-status.ts';
import { PartialFailure } from './partial-failure.ts';
import { UsageError } from './usage-error.ts';
import { readVersion } from './read-version.ts';
import type { SignalSource } from './signal-source.ts';

/** A command as the index knows it before its module is loaded. */
interface IndexEntry {
  /** One line for `janus --help`. */
  summary: string;
  load: () => Promise<Command>;
  /** Listed under "Commands" (false: only reachable as an alias). */
  listed?: boolean;
}

// Each loader imports one module: start-up costs one command's code, not all.
const TOP: Readonly<Record<string, IndexEntry>> = {
  run: { summary: 'Create and run a new container from an image', load: async () => (await import('./commands/run.ts')).runCommand('run') },
  exec: { summary: 'Execute a command in a running container', load: async () => (await import('./commands/exec.ts')).execCommand('exec') },
  ps: { summary: 'List containers', load: async () => (await import('./commands/ps.ts')).psCommand('ps') },
  create: { summary: 'Create a new container', load: async () => (await import('./commands/create.ts')).createCommand('create') },
  start: { summary: 'Start one or more stopped containers', load: async () => (await import('./commands/start.ts')).startCommand('start') },
  stop: { summary: 'Stop one or more running containers', load: async () => (await import('./commands/stop.ts')).stopCommand('stop', 'stop') },
  restart: { summary: 'Restart one or more containers', load: async () => (await import('./commands/restart.ts')).restartCommand('restart') },
  kill: { summary: 'Kill one or more running containers', load: async () => (await import('./commands/kill.ts')).killCommand('kill') },
  rm: { summary: 'Remove one or more containers', load: async () => (await import('./commands/rm.ts')).rmCommand('rm') },
  logs: { summary: 'Fetch the logs of a container', load: async () => (await import('./commands/logs.ts')).logsCommand('logs') },
  attach: { summary: 'Attach local standard input, output, and error streams to a running container', load: async () => (await import('./commands/attach.ts')).attachCommand('attach') },
  wait: { summary: 'Block until one or more containers stop, then print their exit codes', load: async () => (await import('./commands/wait.ts')).waitCommand('wait') },
  top: { summary: 'Display the running processes of a container', load: async () => (await import('./commands/top.ts')).topCommand('top') },
  stats: { summary: 'Display a live stream of container(s) resource usage statistics', load: async () => (await import('./commands/stats.ts')).statsCommand('stats') },
  cp: { summary: 'Copy files/folders between a container and the local filesystem', load: async () => (await import('./commands/cp.ts')).cpCommand('cp') },
  commit: { summary: "Create a new image from a container's changes", load: async () => (await import('./commands/commit.ts')).commitCommand('commit') },
  diff: { summary: "Inspect changes to files or directories on a container's filesystem", load: async () => (await import('./commands/diff.ts')).diffCommand('diff') },
  pause: { summary: 'Pause all processes within one or more containers', load: async () => (await import('./commands/pause.ts')).pauseCommand('pause', 'pause') },
  unpause: { summary: 'Unpause all processes within one or more containers', load: async () => (await import('./commands/unpause.ts')).unpauseCommand('unpause') },
  rename: { summary: 'Rename a container', load: async () => (await import('./commands/rename.ts')).renameCommand('rename') },
  port: { summary: 'List port mappings or a specific mapping for the container', load: async () => (await import('./commands/port.ts')).portCommand('port') },
  update: { summary: 'Update configuration of one or more containers', load: async () => (await import('./commands/update.ts')).updateCommand('update') },
  export: { summary: "Export a container's filesystem as a tar archive", load: async () => (await import('./commands/export.ts')).exportCommand('export') },
  build: { summary: 'Build an image from a Dockerfile', load: async () => (await import('./commands/build.ts')).buildCommand('build') },
  images: { summary: 'List images', load: async () => (await import('./commands/images.ts')).imagesCommand('images') },
  pull: { summary: 'Download an image from a registry', load: async () => (await import('./commands/pull.ts')).pullCommand('pull') },
  push: { summary: 'Upload an image to a registry', load: async () => (await import('./commands/push.ts')).pushCommand('push') },
  tag: { summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', load: async () => (await import('./commands/tag.ts')).tagCommand('tag') },
  rmi: { summary: 'Remove one or more images', load: async () => (await import('./commands/rmi.ts')).rmiCommand('rmi') },
  inspect: { summary: 'Return low-level information on Janus objects', load: async () => (await import('./commands/inspect.ts')).inspectCommand('inspect') },
  history: { summary: 'Show the history of an image', load: async () => (await import('./commands/history.ts')).historyCommand('history') },
  save: { summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)', load: async () => (await import('./commands/save.ts')).saveCommand('save') },
  load: { summary: 'Load an image from a tar archive or STDIN', load: async () => (await import('./commands/load.ts')).loadCommand('load') },
  import: { summary: 'Import the contents from a tarball to create a filesystem image', load: async () => (await import('./commands/import.ts')).importCommand('import') },
  login: { summary: 'Authenticate to a registry', load: async () => (await import('./commands/login.ts')).loginCommand },
  logout: { summary: 'Log out from a registry', load: async () => (await import('./commands/logout.ts')).logoutCommand },
  info: { summary: 'Display system-wide information', load: async () => (await import('./commands/info.ts')).infoCommand },
  events: { summary: 'Get real time events from the server', load: async () => (await import('./commands/events.ts')).eventsCommand('events') },
  compose: { summary: 'Define and run multi-container applications (docker compose)', load: async () => (await import('./commands/compose.ts')).composeCommand },
  advise: { summary: 'Recommend an isolation level for each workload, with reasons and measured trade-offs', load: async () => (await import('./commands/advise.ts')).adviseCommand },
  bench: { summary: 'Measure start time, memory, density and throughput at each isolation level on this host', load: async () => (await import('./commands/bench.ts')).benchCommand },
  version: { summary: 'Show the Janus version information', load: async () => (await import('./commands/version.ts')).versionCommand },
  dashboard: { summary: 'Print the web dashboard\'s link and open it in a browser', load: async () => (await import('./commands/dashboard.ts')).dashboardCommand },
};

const IMAGE: Readonly<Record<string, IndexEntry>> = {
  bootstrap: { summary: 'Build a base image (busybox, debian:bookworm) from host tools, offline', load: async () => (await import('./commands/bootstrap.ts')).bootstrapCommand },
  build: { summary: 'Build an image from a Dockerfile', load: async () => (await import('./commands/build.ts')).buildCommand('image build') },
  history: { summary: 'Show the history of an image', load: async () => (await import('./commands/history.ts')).historyCommand('image history') },
  import: { summary: 'Import the contents from a tarball to create a filesystem image', load: async () => (await import('./commands/import.ts')).importCommand('image import') },
  inspect: { summary: 'Display detailed information on one or more images', load: async () => (await import('./commands/inspect.ts')).inspectCommand('image inspect') },
  load: { summary: 'Load an image from a tar archive or STDIN', load: async () => (await import('./commands/load.ts')).loadCommand('image load') },
  ls: { summary: 'List images', load: async () => (await import('./commands/images.ts')).imagesCommand('image ls') },
  list: { summary: 'List images', listed: false, load: async () => (await import('./commands/images.ts')).imagesCommand('image ls') },
  prune: { summary: 'Remove unused images', load: async () => (await import('./commands/prune.ts')).pruneCommand },
  pull: { summary: 'Download an image from a registry', load: async () => (await import('./commands/pull.ts')).pullCommand('image pull') },
  push: { summary: 'Upload an image to a registry', load: async () => (await import('./commands/push.ts')).pushCommand('image push') },
  rm: { summary: 'Remove one or more images', load: async () => (await import('./commands/rmi.ts')).rmiCommand('image rm') },
  remove: { summary: 'Remove one or more images', listed: false, load: async () => (await import('./commands/rmi.ts')).rmiCommand('image rm') },
  save: { summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)', load: async () => (await import('./commands/save.ts')).saveCommand('image save') },
  tag: { summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', load: async () => (await import('./commands/tag.ts')).tagCommand('image tag') },
};

const VOLUME: Readonly<Record<string, IndexEntry>> = {
  create: { summary: 'Create a volume', load: async () => (await import('./commands/volume.ts')).volumeCreateCommand },
  inspect: { summary: 'Display detailed information on one or more volumes', load: async () => (await import('./commands/volume.ts')).volumeInspectCommand },
  ls: { summary: 'List volumes', load: async () => (await import('./commands/volume.ts')).volumeLsCommand },
  list: { summary: 'List volumes', listed: false, load: async () => (await import('./commands/volume.ts')).volumeLsCommand },
  prune: { summary: 'Remove unused local volumes', load: async () => (await import('./commands/volume.ts')).volumePruneCommand },
  rm: { summary: 'Remove one or more volumes', load: async () => (await import('./commands/volume.ts')).volumeRmCommand },
  remove: { summary: 'Remove one or more volumes', listed: false, load: async () => (await import('./commands/volume.ts')).volumeRmCommand },
};

const NETWORK: Readonly<Record<string, IndexEntry>> = {
  connect: { summary: 'Connect a container to a network', load: async () => (await import('./commands/network.ts')).networkConnectCommand },
  create: { summary: 'Create a network', load: async () => (await import('./commands/network.ts')).networkCreateCommand },
  disconnect: { summary: 'Disconnect a container from a network', load: async () => (await import('./commands/network.ts')).networkDisconnectCommand },
  inspect: { summary: 'Display detailed information on one or more networks', load: async () => (await import('./commands/network.ts')).networkInspectCommand },
  ls: { summary: 'List networks', load: async () => (await import('./commands/network.ts')).networkLsCommand },
  list: { summary: 'List networks', listed: false, load: async () => (await import('./commands/network.ts')).networkLsCommand },
  prune: { summary: 'Remove all unused networks', load: async () => (await import('./commands/network.ts')).networkPruneCommand },
  rm: { summary: 'Remove one or more networks', load: async () => (await import('./commands/network.ts')).networkRmCommand },
  remove: { summary: 'Remove one or more networks', listed: false, load: async () => (await import('./commands/network.ts')).networkRmCommand },
};

const KERNEL: Readonly<Record<string, IndexEntry>> = {
  ls: { summary: 'List the guest kernels microVMs can boot', load: async () => (await import('./commands/kernel.ts')).kernelLsCommand },
  list: { summary: 'List the guest kernels microVMs can boot', listed: false, load: async () => (await import('./commands/kernel.ts')).kernelLsCommand },
};

const SNAPSHOT: Readonly<Record<string, IndexEntry>> = {
  create: { summary: "Take a snapshot of a container's writable layer (a VM's disk)", load: async () => (await import('./commands/snapshot.ts')).snapshotCreateCommand },
  ls: { summary: 'List snapshots', load: async () => (await import('./commands/snapshot.ts')).snapshotLsCommand },
  list: { summary: 'List snapshots', listed: false, load: async () => (await import('./commands/snapshot.ts')).snapshotLsCommand },
  restore: { summary: 'Restore a stopped container from a snapshot', load: async () => (await import('./commands/snapshot.ts')).snapshotRestoreCommand },
  rm: { summary: 'Remove snapshots of a container', load: async () => (await import('./commands/snapshot.ts')).snapshotRmCommand },
  remove: { summary: 'Remove snapshots of a container', listed: false, load: async () => (await import('./commands/snapshot.ts')).snapshotRmCommand },
};

const SYSTEM: Readonly<Record<string, IndexEntry>> = {
  df: { summary: 'Show Janus disk usage', load: async () => (await import('./commands/system-df.ts')).systemDfCommand },
  events: { summary: 'Get real time events from the server', load: async () => (await import('./commands/events.ts')).eventsCommand('system events') },
  info: { summary: 'Display system-wide information', load: async () => (await import('./commands/info.ts')).infoCommand },
};

const CONTAINER: Readonly<Record<string, IndexEntry>> = {
  attach: { summary: 'Attach local standard input, output, and error streams to a running container', load: async () => (await import('./commands/attach.ts')).attachCommand('container attach') },
  commit: { summary: "Create a new image from a container's changes", load: async () => (await import('./commands/commit.ts')).commitCommand('container commit') },
  cp: { summary: 'Copy files/folders between a container and the local filesystem', load: async () => (await import('./commands/cp.ts')).cpCommand('container cp') },
  create: { summary: 'Create a new container', load: async () => (await import('./commands/create.ts')).createCommand('container create') },
  diff: { summary: "Inspect changes to files or directories on a container's filesystem", load: async () => (await import('./commands/diff.ts')).diffCommand('container diff') },
  exec: { summary: 'Execute a command in a running container', load: async () => (await import('./commands/exec.ts')).execCommand('container exec') },
  export: { summary: "Export a container's filesystem as a tar archive", load: async () => (await import('./commands/export.ts')).exportCommand('container export') },
  inspect: { summary: 'Display detailed information on one or more containers', load: async () => (await import('./commands/inspect.ts')).inspectCommand('container inspect') },
  kill: { summary: 'Kill one or more running containers', load: async () => (await import('./commands/kill.ts')).killCommand('container kill') },
  logs: { summary: 'Fetch the logs of a container', load: async () => (await import('./commands/logs.ts')).logsCommand('container logs') },
  ls: { summary: 'List containers', load: async () => (await import('./commands/ps.ts')).psCommand('container ls') },
  list: { summary: 'List containers', listed: false, load: async () => (await import('./commands/ps.ts')).psCommand('container ls') },
  ps: { summary: 'List containers', listed: false, load: async () => (await import('./commands/ps.ts')).psCommand('container ls') },
  pause: { summary: 'Pause all processes within one or more containers', load: async () => (await import('./commands/pause.ts')).pauseCommand('container pause', 'pause') },
  port: { summary: 'List port mappings or a specific mapping for the container', load: async () => (await import('./commands/port.ts')).portCommand('container port') },
  prune: { summary: 'Remove all stopped containers', load: async () => (await import('./commands/container-prune.ts')).containerPruneCommand },
  rename: { summary: 'Rename a container', load: async () => (await import('./commands/rename.ts')).renameCommand('container rename') },
  restart: { summary: 'Restart one or more containers', load: async () => (await import('./commands/restart.ts')).restartCommand('container restart') },
  rm: { summary: 'Remove one or more containers', load: async () => (await import('./commands/rm.ts')).rmCommand('container rm') },
  remove: { summary: 'Remove one or more containers', listed: false, load: async () => (await import('./commands/rm.ts')).rmCommand('container rm') },
  run: { summary: 'Create and run a new container from an image', load: async () => (await import('./commands/run.ts')).runCommand('container run') },
  start: { summary: 'Start one or more stopped containers', load: async () => (await import('./commands/start.ts')).startCommand('container start') },
  stats: { summary: 'Display a live stream of container(s) resource usage statistics', load: async () => (await import('./commands/stats.ts')).statsCommand('container stats') },
  stop: { summary: 'Stop one or more running containers', load: async () => (await import('./commands/stop.ts')).stopCommand('container stop', 'stop') },
  top: { summary: 'Display the running processes of a container', load: async () => (await import('./commands/top.ts')).topCommand('container top') },
  unpause: { summary: 'Unpause all processes within one or more containers', load: async () => (await import('./commands/unpause.ts')).unpauseCommand('container unpause') },
  update: { summary: 'Update configuration of one or more containers', load: async () => (await import('./commands/update.ts')).updateCommand('container update') },
  wait: { summary: 'Block until one or more containers stop, then print their exit codes', load: async () => (await import('./commands/wait.ts')).waitCommand('container wait') },
};

const BUILDER: Readonly<Record<string, IndexEntry>> = {
  build: { summary: 'Build an image from a Dockerfile', load: async () => (await import('./commands/build.ts')).buildCommand('builder build') },
  prune: { summary: 'Remove build cache', load: async () => (await import('./commands/builder-prune.ts')).builderPruneCommand },
};

/** Management commands (`janus image …`, `janus system …`) and their subcommands. */
const GROUPS: Readonly<Record<string, { summary: string; commands: Readonly<Record<string, IndexEntry>> }>> = {
  builder: { summary: 'Manage builds', commands: BUILDER },
  container: { summary: 'Manage containers', commands: CONTAINER },
  image: { summary: 'Manage images', commands: IMAGE },
  kernel: { summary: 'Manage the guest kernels of microVMs', commands: KERNEL },
  network: { summary: 'Manage networks', commands: NETWORK },
  snapshot: { summary: 'Manage snapshots of containers and VMs', commands: SNAPSHOT },
  system: { summary: 'Manage Janus', commands: SYSTEM },
  volume: { summary: 'Manage volumes', commands: VOLUME },
};

const GLOBAL_SPEC: CommandSpec = {
  name: '',
  usage: '[OPTIONS] COMMAND',
  description: 'Run OCI images at the isolation level each workload needs, behind one Docker-compatible interface.',
  flags: [
    { name: 'config', type: 'string', valueName: 'string', description: 'Location of client config files (default "~/.janus"; env JANUS_CONFIG)' },
    { name: 'host', short: 'H', type: 'string', valueName: 'string', description: `Daemon socket to connect to (default "${DEFAULT_HOST}"; env JANUS_HOST)` },
    { name: 'version', short: 'v', type: 'bool', description: 'Print version information and quit' },
  ],
  args: { min: 0 },
};

/** Options of `runCli`. */
export interface RunCliOptions {
  /** Aborted when the process is told to stop. */
  signal?: AbortSignal;
  /** The process's signals, for commands that forward them to a container; without it they forward none. */
  signals?: SignalSource;
}

/**
 * Runs one CLI invocation: `argv` are the words after the program name.
 * Never throws: errors are printed docker style on stderr (`Error response
 * from daemon: …` for the daemon's refusals, `Error: …` otherwise, usage
 * errors with a pointer to `--help`) and the exit status is returned (see
 * exit-codes.ts).
 */
export async function runCli(argv: readonly string[], io: CliIo, options: RunCliOptions = {}): Promise<number> {
  let commandName: string | undefined;
  try {
    const { globals, rest } = splitGlobals(argv);
    if (globals.help) {
      io.stdout.write(rootHelp());
      return 0;
    }
    if (globals.version) {
      io.stdout.write(`Janus version ${await readVersion()}\n`);
      return 0;
    }
    if (rest.length === 0) {
      io.stdout.write(rootHelp());
      return 0;
    }
    const [first, ...afterFirst] = rest;
    let entry: IndexEntry | undefined;
    let words: string[];
    if (Object.hasOwn(GROUPS, first)) {
      const group = GROUPS[first]!;
      const sub = afterFirst[0];
      if (sub === undefined || sub === '--help' || sub === '-h') {
        io.stdout.write(groupHelp(first));
        return 0;
      }
      entry = Object.hasOwn(group.commands, sub) ? group.commands[sub] : undefined;
      if (!entry) throw new UsageError(`unknown command: "janus ${first} ${sub}"`, { command: first });
      words = afterFirst.slice(1);
    } else if (first === 'help') {
      io.stdout.write(rootHelp());
      return 0;
    } else {
      entry = Object.hasOwn(TOP, first) ? TOP[first] : undefined;
      if (!entry) throw new UsageError(`unknown command: "janus ${first}"`);
      words = afterFirst;
    }
    const command = await entry.load();
    commandName = command.spec.name;
    const args = parseArgs(command.spec, words);
    if (args.help) {
      io.stdout.write(formatHelp(command.spec));
      return 0;
    }
    const host = globals.host ?? nonEmpty(io.env.JANUS_HOST) ?? DEFAULT_HOST;
    const configDir = globals.config ?? nonEmpty(io.env.JANUS_CONFIG) ?? join(io.env.HOME ?? homedir(), '.janus');
    let client: DockerClient | undefined;
    let credentials: Promise<CredentialStore> | undefined;
    const ctx: CliContext = {
      ...io,
      host,
      configDir,
      client: () => (client ??= new DockerClient({ host, userAgent: 'janus-cli' })),
      // Loaded on demand: the store pulls in node:crypto (atomic writes), ~10 ms of every start-up otherwise.
      credentials: () => (credentials ??= import('./credential-store.ts').then((m) => new m.CredentialStore({ configDir }))),
      signal: options.signal ?? new AbortController().signal,
      ...(options.signals ? { signals: options.signals } : {}),
    };
    await command.run(ctx, args);
    return 0;
  } catch (err) {
    io.stderr.write(describeError(err, commandName));
    return exitCodeFor(err);
  }
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/** Global flags come before the command, as in docker. */
function splitGlobals(argv: readonly string[]): { globals: { host?: string; config?: string; help: boolean; version: boolean }; rest: string[] } {
  let i = 0;
  while (i < argv.length && argv[i].startsWith('-') && argv[i] !== '-' && argv[i] !== '--') {
    const word = argv[i];
    const takesValue = /^(-H|--host|--config)$/.test(word);
    i += takesValue ? 2 : 1;
  }
  const head = argv.slice(0, Math.min(i, argv.length));
  if (argv[i] === '--') i++;
  const parsed = parseArgs(GLOBAL_SPEC, head);
  return {
    globals: { host: parsed.string('host'), config: parsed.string('config'), help: parsed.help, version: parsed.bool('version') },
    rest: argv.slice(i),
  };
}

function describeError(err: unknown, command: string | undefined): string {
  if (err instanceof StatusError) return err.cause === undefined ? '' : describeError(err.cause, command);
  if (err instanceof UsageError) {
    const name = err.command ?? command;
    const see = name === undefined ? "See 'janus --help'." : `See 'janus ${name} --help'.`;
    return `Error: ${err.message}\n${see}\n`;
  }
  if (err instanceof PartialFailure) return `${err.message}\n`;
  if (err instanceof DaemonError && !err.inStream) return `Error response from daemon: ${err.message}\n`;
  if (isJanusError(err)) return `Error: ${err.message}\n`;
  const e = err as Error;
  return `Error: internal error: ${e?.stack ?? String(err)}\n`;
}

function rootHelp(): string {
  const lines = [formatHelp(GLOBAL_SPEC).replace('Usage:  janus  ', 'Usage:  janus '), 'Management Commands:'];
  for (const [name, g] of Object.entries(GROUPS)) lines.push(`  ${name.padEnd(12)}${g.summary}`);
  lines.push('', 'Commands:');
  for (const [name, e] of Object.entries(TOP)) lines.push(`  ${name.padEnd(12)}${e.summary}`);
  lines.push('', "Run 'janus COMMAND --help' for more information on a command.", '');
  return lines.join('\n');
}

function groupHelp(group: string): string {
  const { summary, commands } = GROUPS[group]!;
  const lines = [`Usage:  janus ${group} COMMAND`, '', summary, '', 'Commands:'];
  for (const [name, e] of Object.entries(commands)) if (e.listed !== false) lines.push(`  ${name.padEnd(12)}${e.summary}`);
  lines.push('', `Run 'janus ${group} COMMAND --help' for more information on a command.`, '');
  return lines.join('\n');
}
