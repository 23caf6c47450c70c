import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { ContainerSummary, ExecCreateBody } from '../../api/client/types.ts';
import { ComposeEngine, labelOf, nameOf } from '../../compose/compose-engine.ts';
import { COMPOSE_LABELS } from '../../compose/labels.ts';
import { LogPrinter } from '../../compose/log-printer.ts';
import type { ComposeProject, ServiceConfig } from '../../compose/model.ts';
import { serviceOrder } from '../../compose/service-order.ts';
import { vmStackProject } from '../../compose/vm-stack-project.ts';
import { conflict, invalidArgument, isJanusError, notFound } from '../../core/errors.ts';
import type { CommandSpec, FlagSpec, ParsedArgs } from '../args.ts';
import { attachSession } from '../attach-session.ts';
import { packContext } from '../build-context.ts';
import type { CliContext } from '../command.ts';
import { collectEnv } from '../container-config.ts';
import { StatusError } from '../exit-status.ts';
import { humanSize } from '../human-size.ts';
import { formatList } from '../list-formatter.ts';
import { parsePublish, type ParsedPorts } from '../port-specs.ts';
import { readVersion } from '../read-version.ts';
import { readLine } from '../prompt.ts';
import { registryAuthFor } from '../registry-auth.ts';
import { holdStreams } from '../stream-io.ts';
import { UsageError } from '../usage-error.ts';
import { containerRows, displayablePorts } from './ps.ts';
import { alignTop } from './top.ts';
import { portLines } from './port.ts';
import { composeSnapshotVerb } from './compose-snapshot.ts';

/** What a verb runs with besides its own flags: the global flags and the project they name (loaded on demand). */
export interface ComposeSession {
  globals: ParsedArgs;
  project(): Promise<ComposeProject>;
  projectName(): Promise<string>;
}

/** One `janus compose` verb. */
export interface ComposeVerb {
  spec: CommandSpec;
  /** True when the verb cannot work from `-p NAME` alone. */
  needsFiles: boolean;
  run(ctx: CliContext, args: ParsedArgs, session: ComposeSession): Promise<void>;
}

const SERVICES = '[SERVICE...]';
const f = (name: string, type: FlagSpec['type'], description: string, short?: string): FlagSpec => ({ name, type, description, ...(short ? { short } : {}) });

/** `--isolation vm-stack` of up and run: the whole project in one microVM (docs/vm-stack.md). */
const ISOLATION_FLAG: FlagSpec = { name: 'isolation', type: 'string', valueName: 'string', description: 'vm-stack: run every service inside one microVM, each in its own namespaces (docs/vm-stack.md)' };

/** The project as `--isolation` asks for it; only vm-stack is a project-wide level (a service's own is x-janus: {isolation}). */
function withIsolation(project: ComposeProject, args: ParsedArgs, verb: string): ComposeProject {
  const isolation = args.string('isolation');
  if (isolation === undefined || isolation === '') return project;
  if (isolation !== 'vm-stack') throw new UsageError(`--isolation ${JSON.stringify(isolation)} is not supported: the one project-wide level is vm-stack (give a service its own level with x-janus: {isolation})`, { command: `compose ${verb}` });
  return vmStackProject(project);
}
const spec = (verb: string, usage: string, description: string, flags: FlagSpec[], args: CommandSpec['args'] = { min: 0 }, interspersed = true): CommandSpec =>
  ({ name: `compose ${verb}`, usage, description, flags, args, interspersed });

async function engineFor(ctx: CliContext): Promise<ComposeEngine> {
  const { configHash } = await import('../../compose/config-hash.ts');
  return new ComposeEngine({
    client: ctx.client(),
    version: await readVersion(),
    configHash,
    progress: (line) => ctx.stderr.write(`${line}\n`),
    packContext: (dir, dockerfile) => packContext(dir, dockerfile ? { dockerfile: isAbsolute(dockerfile) ? dockerfile : resolve(dir, dockerfile) } : {}),
    authFor: (image) => registryAuthFor(ctx, image),
  });
}

/** The services of a project by name (disabled ones too, which `run` and named verbs may use). */
function serviceOf(project: ComposeProject, name: string): ServiceConfig {
  const s = project.services[name] ?? project.disabledServices[name];
  if (!s) throw invalidArgument(`no such service: ${name}`);
  return s;
}

function checkServices(project: ComposeProject, names: readonly string[]): void {
  if (Object.keys(project.services).length === 0 && Object.keys(project.disabledServices).length === 0) return;
  for (const n of names) serviceOf(project, n);
}

/** A simple verb acting on each of the project's containers of the named services. */
function eachContainer(verb: string, description: string, flags: FlagSpec[], opts: { all: boolean; act: (ctx: CliContext, c: ContainerSummary, args: ParsedArgs) => Promise<string | undefined> }): ComposeVerb {
  return {
    spec: spec(verb, `[OPTIONS] ${SERVICES}`, description, flags),
    needsFiles: false,
    async run(ctx, args, session) {
      const project = await session.project();
      checkServices(project, args.positionals);
      const engine = await engineFor(ctx);
      const list = await engine.containers(project.name, { all: opts.all, services: args.positionals }, ctx.signal);
      await Promise.all(list.map(async (c) => {
        const done = await opts.act(ctx, c, args);
        if (done) ctx.stderr.write(` Container ${nameOf(c)}  ${done}\n`);
      }));
    },
  };
}

const up: ComposeVerb = {
  spec: spec('up', `[OPTIONS] ${SERVICES}`, 'Create and start containers', [
    f('detach', 'bool', 'Detached mode: Run containers in the background', 'd'),
    f('build', 'bool', 'Build images before starting containers'),
    f('force-recreate', 'bool', "Recreate containers even if their configuration and image haven't changed"),
    f('no-deps', 'bool', "Don't start linked services"),
    { name: 'scale', type: 'list', valueName: 'scale', description: 'Scale SERVICE to NUM instances. Overrides the `scale` setting in the Compose file if present.' },
    f('wait', 'bool', 'Wait for services to be running|healthy. Implies detached mode.'),
    f('remove-orphans', 'bool', "Remove containers for services not defined in the Compose file"),
    f('no-start', 'bool', "Don't start the services after creating them"),
    f('no-color', 'bool', 'Produce monochrome output'),
    ISOLATION_FLAG,
  ]),
  needsFiles: true,
  async run(ctx, args, session) {
    const scale: Record<string, number> = {};
    for (const s of args.list('scale')) {
      const m = /^([^=]+)=(\d+)$/.exec(s);
      if (!m) throw new UsageError(`invalid --scale ${JSON.stringify(s)}: want SERVICE=NUM`, { command: 'compose up' });
      scale[m[1]!] = Number(m[2]);
    }
    const project = withIsolation(await session.project(), args, 'up');
    const engine = await engineFor(ctx);
    const since = (Date.now() / 1000).toFixed(3);
    await engine.up(project, {
      services: args.positionals, noDeps: args.bool('no-deps'), forceRecreate: args.bool('force-recreate'), build: args.bool('build'),
      scale, removeOrphans: args.bool('remove-orphans'), noStart: args.bool('no-start'), wait: args.bool('wait'), signal: ctx.signal,
    });
    if (args.bool('detach') || args.bool('wait') || args.bool('no-start')) return;
    // Attached: every service's output until all containers end; an interrupt stops them, as docker compose does.
    const services = serviceOrder(project, args.positionals, !args.bool('no-deps'));
    const list = await engine.containers(project.name, { all: true, services }, ctx.signal);
    const onAbort = (): void => { ctx.stderr.write('Gracefully stopping... (press Ctrl+C again to force)\n'); };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await followLogs(ctx, list, { follow: true, since, colour: !args.bool('no-color'), timestamps: false, tail: undefined, exits: true });
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
    if (ctx.signal.aborted) {
      await Promise.all(list.map((c) => ctx.client().containerStop(c.Id).then(() => ctx.stderr.write(` Container ${nameOf(c)}  Stopped\n`), () => {})));
    }
  },
};

/** Prints containers' logs with coloured prefixes; with `exits`, says how each ended. */
async function followLogs(ctx: CliContext, list: ContainerSummary[], o: { follow: boolean; since?: string; colour: boolean; timestamps: boolean; tail: string | undefined; exits: boolean; prefix?: boolean }): Promise<void> {
  const names = list.map(nameOf);
  const colour = o.colour && ctx.stdout.isTTY === true;
  const printer = new LogPrinter(ctx.stdout, { colour, names });
  const client = ctx.client();
  await Promise.all(list.map(async (c) => {
    const name = nameOf(c);
    try {
      for await (const chunk of client.containerLogs(c.Id, { follow: o.follow, timestamps: o.timestamps, ...(o.since ? { since: o.since } : {}), ...(o.tail ? { tail: o.tail } : {}), signal: ctx.signal })) {
        if (o.prefix === false) ctx.stdout.write(chunk.data);
        else printer.write(name, chunk);
      }
    } catch (err) {
      if (ctx.signal.aborted || isJanusError(err, 'NotFound')) return;
      throw err;
    } finally {
      printer.flush(name);
    }
    if (o.exits && !ctx.signal.aborted) {
      const info = await client.containerInspect(c.Id).catch(() => undefined);
      if (info && !info.State.Running) ctx.stdout.write(`${name} exited with code ${info.State.ExitCode}\n`);
    }
  }));
}

const down: ComposeVerb = {
  spec: spec('down', '[OPTIONS] [SERVICES]', 'Stop and remove containers, networks', [
    f('volumes', 'bool', 'Remove named volumes declared in the "volumes" section of the Compose file and anonymous volumes attached to containers', 'v'),
    { name: 'rmi', type: 'string', valueName: 'string', description: 'Remove images used by services. "local" remove only images that don\'t have a custom tag ("local"|"all")' },
    f('remove-orphans', 'bool', 'Remove containers for services not defined in the Compose file'),
    { name: 'timeout', short: 't', type: 'string', valueName: 'int', description: 'Specify a shutdown timeout in seconds' },
  ], { min: 0, max: 0 }),
  needsFiles: false,
  async run(ctx, args, session) {
    const rmi = args.string('rmi');
    if (rmi !== undefined && rmi !== 'local' && rmi !== 'all') throw new UsageError(`invalid --rmi ${JSON.stringify(rmi)}: want local or all`, { command: 'compose down' });
    const t = args.string('timeout');
    if (t !== undefined && !/^\d+$/.test(t)) throw new UsageError(`invalid --timeout ${JSON.stringify(t)}: want whole seconds`, { command: 'compose down' });
    const engine = await engineFor(ctx);
    await engine.down(await session.project(), {
      volumes: args.bool('volumes'), removeOrphans: args.bool('remove-orphans'), signal: ctx.signal,
      ...(rmi ? { rmi } : {}), ...(t !== undefined ? { timeout: Number(t) } : {}),
    });
  },
};

const PS_HEADERS = { Name: 'NAME', Image: 'IMAGE', Command: 'COMMAND', Service: 'SERVICE', RunningFor: 'CREATED', Status: 'STATUS', Ports: 'PORTS', ID: 'CONTAINER ID', State: 'STATE', Project: 'PROJECT' };

const ps: ComposeVerb = {
  spec: spec('ps', `[OPTIONS] ${SERVICES}`, 'List containers', [
    f('all', 'bool', 'Show all stopped containers (including those created by the run command)', 'a'),
    f('quiet', 'bool', 'Only display IDs', 'q'),
    f('services', 'bool', 'Display services'),
    { name: 'format', type: 'string', valueName: 'string', description: 'Format output using a custom template: \'table\' (default), \'table TEMPLATE\', \'json\', \'TEMPLATE\'' },
  ]),
  needsFiles: false,
  async run(ctx, args, session) {
    const project = await session.project();
    checkServices(project, args.positionals);
    const engine = await engineFor(ctx);
    const list = await engine.containers(project.name, { all: args.bool('all'), services: args.positionals, oneoff: args.bool('all') ? 'include' : 'exclude' }, ctx.signal);
    if (args.bool('quiet')) {
      for (const c of list) ctx.stdout.write(`${c.Id}\n`);
      return;
    }
    if (args.bool('services')) {
      for (const s of [...new Set(list.map((c) => labelOf(c, COMPOSE_LABELS.service)))]) ctx.stdout.write(`${s}\n`);
      return;
    }
    const rows = containerRows(list, { noTrunc: true }).map((r, i) => ({
      ...r, Name: nameOf(list[i]!), Service: labelOf(list[i]!, COMPOSE_LABELS.service), Project: project.name,
      Ports: displayablePorts(list[i]!.Ports),
    }));
    ctx.stdout.write(formatList(rows, { format: args.string('format'), defaultTable: '{{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}', headers: PS_HEADERS }));
  },
};

const logs: ComposeVerb = {
  spec: spec('logs', `[OPTIONS] ${SERVICES}`, 'View output from containers', [
    f('follow', 'bool', 'Follow log output', 'f'),
    { name: 'tail', short: 'n', type: 'string', valueName: 'string', description: 'Number of lines to show from the end of the logs for each container', default: 'all' },
    f('timestamps', 'bool', 'Show timestamps', 't'),
    f('no-color', 'bool', 'Produce monochrome output'),
    f('no-log-prefix', 'bool', "Don't print prefix in logs"),
  ]),
  needsFiles: false,
  async run(ctx, args, session) {
    const project = await session.project();
    checkServices(project, args.positionals);
    const engine = await engineFor(ctx);
    const list = await engine.containers(project.name, { all: true, services: args.positionals }, ctx.signal);
    await followLogs(ctx, list, { follow: args.bool('follow'), colour: !args.bool('no-color'), timestamps: args.bool('timestamps'), tail: args.string('tail'), exits: false, prefix: !args.bool('no-log-prefix') });
  },
};

/** The container of replica `index` of `service` (running ones only when `running`). */
async function replica(ctx: CliContext, project: ComposeProject, service: string, index: number): Promise<ContainerSummary> {
  const engine = await engineFor(ctx);
  const list = await engine.containers(project.name, { all: true, services: [service] }, ctx.signal);
  const c = list.find((x) => Number(labelOf(x, COMPOSE_LABELS.containerNumber)) === index);
  if (!c) throw notFound(`service "${service}" is not running${index !== 1 ? ` (no container number ${index})` : ''}`);
  return c;
}

function indexFlag(args: ParsedArgs, command: string): number {
  const raw = args.string('index') ?? '1';
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new UsageError(`invalid --index ${JSON.stringify(raw)}: want a replica number from 1`, { command });
  return Number(raw);
}

const exec: ComposeVerb = {
  spec: spec('exec', '[OPTIONS] SERVICE COMMAND [ARGS...]', 'Execute a command in a running container', [
    f('detach', 'bool', 'Detached mode: Run command in the background', 'd'),
    f('no-TTY', 'bool', 'Disable pseudo-TTY allocation. By default `janus compose exec` allocates a TTY when its input is a terminal.', 'T'),
    { name: 'user', short: 'u', type: 'string', valueName: 'string', description: 'Run the command as this user' },
    { name: 'workdir', short: 'w', type: 'string', valueName: 'string', description: 'Path to workdir directory for this command' },
    { name: 'env', short: 'e', type: 'list', valueName: 'stringArray', description: 'Set environment variables' },
    { name: 'index', type: 'string', valueName: 'int', description: 'Index of the container if service has multiple replicas', default: '1' },
    f('privileged', 'bool', 'Give extended privileges to the process'),
  ], { min: 2 }, false),
  needsFiles: false,
  async run(ctx, args, session) {
    const [service, ...cmd] = args.positionals as [string, ...string[]];
    const project = await session.project();
    checkServices(project, [service]);
    const c = await replica(ctx, project, service, indexFlag(args, 'compose exec'));
    if (c.State !== 'running') throw conflict(`service "${service}" is not running: container ${nameOf(c)} is ${c.State}`);
    const detach = args.bool('detach');
    const tty = !args.bool('no-TTY') && ctx.stdin.isTTY === true && !detach;
    const env = await collectEnv('compose exec', args, { env: ctx.env, cwd: process.cwd(), readFile: (p) => readFile(p) });
    const body: ExecCreateBody = {
      Cmd: cmd, AttachStdin: !detach, AttachStdout: !detach, AttachStderr: !detach, Tty: tty,
      ...(env.length > 0 ? { Env: env } : {}),
      ...(args.string('workdir') ? { WorkingDir: args.string('workdir') } : {}),
      ...(args.string('user') ? { User: args.string('user') } : {}),
      ...(args.bool('privileged') ? { Privileged: true } : {}),
    };
    const client = ctx.client();
    const { Id } = await client.execCreate(c.Id, body, { signal: ctx.signal });
    if (detach) {
      await client.execStartDetached(Id, { tty, signal: ctx.signal });
      return;
    }
    const stream = await client.execStart(Id, { tty, signal: ctx.signal });
    await holdStreams(ctx, stream, { tty, sendStdin: true, detachKeys: Buffer.from([16, 17]), signal: ctx.signal });
    let info = await client.execInspect(Id, { signal: ctx.signal });
    for (let i = 0; info.Running && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 20 * Math.min(i + 1, 5)));
      info = await client.execInspect(Id, { signal: ctx.signal });
    }
    if ((info.ExitCode ?? 0) !== 0) throw new StatusError(info.ExitCode ?? 1);
  },
};

const run: ComposeVerb = {
  spec: spec('run', '[OPTIONS] SERVICE [COMMAND] [ARGS...]', 'Run a one-off command on a service', [
    f('detach', 'bool', 'Run container in background and print container ID', 'd'),
    f('rm', 'bool', 'Automatically remove the container when it exits'),
    { name: 'env', short: 'e', type: 'list', valueName: 'stringArray', description: 'Set environment variables' },
    { name: 'entrypoint', type: 'string', valueName: 'string', description: 'Override the entrypoint of the image' },
    f('no-deps', 'bool', "Don't start linked services"),
    f('no-TTY', 'bool', 'Disable pseudo-TTY allocation (default: auto-detected)', 'T'),
    { name: 'name', type: 'string', valueName: 'string', description: 'Assign a name to the container' },
    { name: 'volume', short: 'v', type: 'list', valueName: 'stringArray', description: 'Bind mount a volume' },
    { name: 'publish', short: 'p', type: 'list', valueName: 'stringArray', description: "Publish a container's port(s) to the host" },
    f('service-ports', 'bool', "Run command with all service's ports enabled and mapped to the host"),
    { name: 'user', short: 'u', type: 'string', valueName: 'string', description: 'Run as specified username or uid' },
    { name: 'workdir', short: 'w', type: 'string', valueName: 'string', description: 'Working directory inside the container' },
    ISOLATION_FLAG,
  ], { min: 1 }, false),
  needsFiles: true,
  async run(ctx, args, session) {
    const [serviceName, ...cmd] = args.positionals as [string, ...string[]];
    const project = withIsolation(await session.project(), args, 'run');
    const service = serviceOf(project, serviceName);
    const engine = await engineFor(ctx);
    const detach = args.bool('detach');
    if (detach && args.bool('rm')) throw new UsageError('--detach and --rm cannot be combined', { command: 'compose run' });
    const deps = serviceOrder(project, [serviceName], true).filter((n) => n !== serviceName);
    if (!args.bool('no-deps') && deps.length > 0) {
      await engine.up(project, { services: deps, signal: ctx.signal });
      await engine.waitDependencies(project, service, ctx.signal);
    }
    await engine.prepare(project, [serviceName], ctx.signal);
    const env = await collectEnv('compose run', args, { env: ctx.env, cwd: process.cwd(), readFile: (p) => readFile(p) });
    const ports: ParsedPorts = { exposed: [], bindings: {} };
    for (const p of args.list('publish')) {
      try {
        parsePublish([p], ports);
      } catch (err) {
        throw new UsageError(`invalid argument ${JSON.stringify(p)} for "-p, --publish" flag: ${(err as Error).message}`, { command: 'compose run' });
      }
    }
    const tty = !args.bool('no-TTY') && ctx.stdin.isTTY === true && !detach;
    const { id } = await engine.createOneOff(project, service, {
      publishPorts: args.bool('service-ports'),
      ...(args.string('name') ? { name: args.string('name') } : {}),
      signal: ctx.signal,
      patch: (body) => {
        const hc = (body.HostConfig ??= {});
        if (cmd.length > 0) body.Cmd = cmd;
        if (args.changed('entrypoint')) body.Entrypoint = [args.string('entrypoint') ?? ''];
        if (env.length > 0) body.Env = [...(body.Env ?? []), ...env];
        if (args.string('user')) body.User = args.string('user');
        if (args.string('workdir')) body.WorkingDir = args.string('workdir');
        for (const v of args.list('volume')) {
          const parts = v.split(':');
          if (parts.length < 2 || parts.some((x) => x === '')) throw new UsageError(`invalid argument ${JSON.stringify(v)} for "-v, --volume" flag: want SOURCE:TARGET[:ro]`, { command: 'compose run' });
          if (parts[0]!.startsWith('.')) parts[0] = resolve(process.cwd(), parts[0]!);
          (hc.Binds ??= []).push(parts.join(':'));
        }
        if (Object.keys(ports.bindings).length > 0) {
          hc.PortBindings = { ...hc.PortBindings, ...ports.bindings };
          body.ExposedPorts = { ...body.ExposedPorts, ...Object.fromEntries(ports.exposed.map((k) => [k, {}])) };
        }
        if (args.bool('rm')) hc.AutoRemove = true;
        body.Tty = tty;
        if (!detach) {
          body.OpenStdin = true;
          body.StdinOnce = true;
          body.AttachStdin = true;
          body.AttachStdout = true;
          body.AttachStderr = true;
        }
      },
    });
    const client = ctx.client();
    if (detach) {
      await client.containerStart(id, { signal: ctx.signal });
      ctx.stdout.write(`${id}\n`);
      return;
    }
    const info = await client.containerInspect(id, { signal: ctx.signal });
    await attachSession(ctx, info, { stdin: true, sigProxy: true, start: true, command: 'compose run' });
  },
};

const start = eachContainer('start', 'Start services', [], { all: true, act: async (ctx, c) => ((await ctx.client().containerStart(c.Id, { signal: ctx.signal })) ? 'Started' : undefined) });
const timeoutFlag: FlagSpec = { name: 'timeout', short: 't', type: 'string', valueName: 'int', description: 'Specify a shutdown timeout in seconds' };
const seconds = (args: ParsedArgs): number | undefined => {
  const t = args.string('timeout');
  if (t === undefined) return undefined;
  if (!/^\d+$/.test(t)) throw new UsageError(`invalid --timeout ${JSON.stringify(t)}: want whole seconds`, { command: 'compose' });
  return Number(t);
};
const stop = eachContainer('stop', 'Stop services', [timeoutFlag], { all: false, act: async (ctx, c, args) => { await ctx.client().containerStop(c.Id, { timeout: seconds(args), signal: ctx.signal }); return 'Stopped'; } });
const restart = eachContainer('restart', 'Restart service containers', [timeoutFlag], { all: true, act: async (ctx, c, args) => { await ctx.client().containerRestart(c.Id, { timeout: seconds(args), signal: ctx.signal }); return 'Restarted'; } });
const pause = eachContainer('pause', 'Pause services', [], { all: false, act: async (ctx, c) => { await ctx.client().containerPause(c.Id, { signal: ctx.signal }); return 'Paused'; } });
const unpause = eachContainer('unpause', 'Unpause services', [], { all: false, act: async (ctx, c) => { await ctx.client().containerUnpause(c.Id, { signal: ctx.signal }); return 'Unpaused'; } });
const kill = eachContainer('kill', 'Force stop service containers', [{ name: 'signal', short: 's', type: 'string', valueName: 'string', description: 'SIGNAL to send to the container', default: 'SIGKILL' }], {
  all: false, act: async (ctx, c, args) => { await ctx.client().containerKill(c.Id, { killSignal: args.string('signal'), signal: ctx.signal }); return 'Killed'; },
});

const rm: ComposeVerb = {
  spec: spec('rm', `[OPTIONS] ${SERVICES}`, 'Removes stopped service containers', [
    f('force', 'bool', "Don't ask to confirm removal", 'f'),
    f('stop', 'bool', 'Stop the containers, if required, before removing', 's'),
    f('volumes', 'bool', 'Remove any anonymous volumes attached to containers', 'v'),
  ]),
  needsFiles: false,
  async run(ctx, args, session) {
    const project = await session.project();
    checkServices(project, args.positionals);
    const engine = await engineFor(ctx);
    const client = ctx.client();
    let list = await engine.containers(project.name, { all: true, services: args.positionals }, ctx.signal);
    if (args.bool('stop')) {
      await Promise.all(list.filter((c) => c.State === 'running').map((c) => client.containerStop(c.Id, { signal: ctx.signal })));
      list = await engine.containers(project.name, { all: true, services: args.positionals }, ctx.signal);
    }
    const stopped = list.filter((c) => c.State !== 'running' && c.State !== 'paused' && c.State !== 'restarting');
    if (stopped.length === 0) {
      ctx.stderr.write('No stopped containers\n');
      return;
    }
    if (!args.bool('force')) {
      ctx.stdout.write(`Going to remove ${stopped.map(nameOf).join(', ')}\nAre you sure? [yN] `);
      const answer = await readLine(ctx);
      if (!/^y(es)?$/i.test(answer?.trim() ?? '')) return;
    }
    for (const c of stopped) {
      await client.containerRemove(c.Id, { volumes: args.bool('volumes'), signal: ctx.signal });
      ctx.stderr.write(` Container ${nameOf(c)}  Removed\n`);
    }
  },
};

/** A verb over the services' images (pull, push, build). */
function imageVerb(verb: 'pull' | 'push' | 'build', description: string): ComposeVerb {
  return {
    spec: spec(verb, `[OPTIONS] ${SERVICES}`, description, verb === 'pull' ? [f('ignore-pull-failures', 'bool', 'Pull what it can and ignores images with pull failures'), f('quiet', 'bool', 'Pull without printing progress information', 'q')] : verb === 'build' ? [f('quiet', 'bool', "Don't print anything to STDOUT", 'q')] : [f('ignore-push-failures', 'bool', 'Push what it can and ignores images with push failures')]),
    needsFiles: true,
    async run(ctx, args, session) {
      const project = await session.project();
      const names = args.positionals.length > 0 ? args.positionals : Object.keys(project.services);
      const engine = await engineFor(ctx);
      for (const n of names) {
        const s = serviceOf(project, n);
        try {
          if (verb === 'pull') {
            if (!s.image) continue;
            await engine.pullService(project, s, ctx.signal);
          } else if (verb === 'push') {
            if (!s.build || !s.image) continue;
            await engine.pushService(project, s, ctx.signal);
          } else {
            if (!s.build) continue;
            await engine.buildService(project, s, ctx.signal, args.bool('quiet') ? undefined : (text) => ctx.stdout.write(text));
          }
        } catch (err) {
          if (args.bool(`ignore-${verb}-failures`) && isJanusError(err) && !ctx.signal.aborted) {
            ctx.stderr.write(`WARN ${n}: ${err.message}\n`);
            continue;
          }
          throw err;
        }
      }
    },
  };
}

const config: ComposeVerb = {
  spec: spec('config', '[OPTIONS] [SERVICE...]', 'Parse, resolve and render compose file in canonical format', [
    f('services', 'bool', 'Print the service names, one per line.'),
    f('volumes', 'bool', 'Print the volume names, one per line.'),
    f('quiet', 'bool', 'Only validate the configuration, don\'t print anything', 'q'),
  ]),
  needsFiles: true,
  async run(ctx, args, session) {
    const project = await session.project();
    checkServices(project, args.positionals);
    if (args.bool('quiet')) return;
    if (args.bool('services')) {
      for (const s of Object.keys(project.services)) ctx.stdout.write(`${s}\n`);
      return;
    }
    if (args.bool('volumes')) {
      for (const v of Object.keys(project.volumes)) ctx.stdout.write(`${v}\n`);
      return;
    }
    const { formatConfig } = await import('../../compose/format-config.ts');
    ctx.stdout.write(formatConfig(project));
  },
};

const top: ComposeVerb = {
  spec: spec('top', SERVICES, 'Display the running processes', []),
  needsFiles: false,
  async run(ctx, args, session) {
    const project = await session.project();
    checkServices(project, args.positionals);
    const engine = await engineFor(ctx);
    const list = await engine.containers(project.name, { services: args.positionals }, ctx.signal);
    for (const c of list) {
      const t = await ctx.client().containerTop(c.Id, { signal: ctx.signal });
      ctx.stdout.write(`${nameOf(c)}\n${alignTop([t.Titles ?? [], ...(t.Processes ?? [])])}\n`);
    }
  },
};

const images: ComposeVerb = {
  spec: spec('images', `[OPTIONS] ${SERVICES}`, 'List images used by the created containers', [f('quiet', 'bool', 'Only display IDs', 'q')]),
  needsFiles: false,
  async run(ctx, args, session) {
    const project = await session.project();
    checkServices(project, args.positionals);
    const engine = await engineFor(ctx);
    const list = await engine.containers(project.name, { all: true, services: args.positionals }, ctx.signal);
    const rows: string[][] = [['CONTAINER', 'REPOSITORY', 'TAG', 'IMAGE ID', 'SIZE']];
    for (const c of list) {
      const img = await ctx.client().inspectImage(c.ImageID || c.Image, { signal: ctx.signal }).catch(() => undefined);
      if (args.bool('quiet')) {
        if (img) ctx.stdout.write(`${img.Id}\n`);
        continue;
      }
      const ref = c.Image.includes('@') ? c.Image.split('@')[0]! : c.Image;
      const colon = ref.lastIndexOf(':');
      const [repo, tag] = colon > ref.lastIndexOf('/') ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
      rows.push([nameOf(c), repo, tag, (img?.Id ?? c.ImageID).replace(/^sha256:/, '').slice(0, 12), img ? humanSize(img.Size) : '']);
    }
    if (!args.bool('quiet')) ctx.stdout.write(alignTop(rows).replace(/ +$/gm, ''));
  },
};

const port: ComposeVerb = {
  spec: spec('port', '[OPTIONS] SERVICE PRIVATE_PORT', 'Print the public port for a port binding', [
    { name: 'protocol', type: 'string', valueName: 'string', description: 'tcp or udp', default: 'tcp' },
    { name: 'index', type: 'string', valueName: 'int', description: 'Index of the container if service has multiple replicas', default: '1' },
  ], { min: 2, max: 2 }),
  needsFiles: false,
  async run(ctx, args, session) {
    const [service, privatePort] = args.positionals as [string, string];
    const project = await session.project();
    checkServices(project, [service]);
    const c = await replica(ctx, project, service, indexFlag(args, 'compose port'));
    const info = await ctx.client().containerInspect(c.Id, { signal: ctx.signal });
    const lines = portLines(info.NetworkSettings?.Ports, `${privatePort}/${args.string('protocol') ?? 'tcp'}`);
    if (lines.length === 0) throw notFound(`no port ${privatePort}/${args.string('protocol') ?? 'tcp'} for container ${nameOf(c)}`);
    ctx.stdout.write(`${lines[0]}\n`);
  },
};

const ls: ComposeVerb = {
  spec: spec('ls', '[OPTIONS]', 'List running compose projects', [
    f('all', 'bool', 'Show all stopped Compose projects', 'a'),
    f('quiet', 'bool', 'Only display IDs', 'q'),
    { name: 'format', type: 'string', valueName: 'string', description: 'Format the output. Values: [table | json]', default: 'table' },
  ], { min: 0, max: 0 }),
  needsFiles: false,
  async run(ctx, args) {
    const list = await ctx.client().containerList({ all: true, filters: { label: [COMPOSE_LABELS.project] } , signal: ctx.signal });
    const projects = new Map<string, { states: Map<string, number>; files: string }>();
    for (const c of list) {
      const name = labelOf(c, COMPOSE_LABELS.project);
      const p = projects.get(name) ?? { states: new Map(), files: labelOf(c, COMPOSE_LABELS.configFiles) };
      p.states.set(c.State, (p.states.get(c.State) ?? 0) + 1);
      projects.set(name, p);
    }
    const rows = [...projects].filter(([, p]) => args.bool('all') || p.states.has('running')).sort((a, b) => a[0].localeCompare(b[0]))
      .map(([name, p]) => ({ Name: name, Status: [...p.states].sort().map(([s, n]) => `${s}(${n})`).join(', '), ConfigFiles: p.files }));
    if (args.bool('quiet')) {
      for (const r of rows) ctx.stdout.write(`${r.Name}\n`);
      return;
    }
    const format = args.string('format') ?? 'table';
    if (format === 'json') {
      ctx.stdout.write(`${JSON.stringify(rows)}\n`);
      return;
    }
    if (format !== 'table') throw new UsageError(`invalid --format ${JSON.stringify(format)}: want table or json`, { command: 'compose ls' });
    ctx.stdout.write(formatList(rows, { format: 'table', defaultTable: '{{.Name}}\t{{.Status}}\t{{.ConfigFiles}}', headers: { Name: 'NAME', Status: 'STATUS', ConfigFiles: 'CONFIG FILES' } }));
  },
};

const version: ComposeVerb = {
  spec: spec('version', '[OPTIONS]', 'Show the Janus Compose version information', [f('short', 'bool', "Shows only Compose's version number")], { min: 0, max: 0 }),
  needsFiles: false,
  async run(ctx, args) {
    const v = await readVersion();
    ctx.stdout.write(args.bool('short') ? `${v}\n` : `Janus Compose version ${v}\n`);
  },
};

/** Every verb of `janus compose`, by name. */
export const COMPOSE_VERBS: Readonly<Record<string, ComposeVerb>> = {
  build: imageVerb('build', 'Build or rebuild services'),
  config,
  down,
  exec,
  images,
  kill,
  logs,
  ls,
  pause,
  port,
  ps,
  pull: imageVerb('pull', 'Pull service images'),
  push: imageVerb('push', 'Push service images'),
  restart,
  rm,
  run,
  snapshot: composeSnapshotVerb,
  start,
  stop,
  top,
  unpause,
  up,
  version,
};

