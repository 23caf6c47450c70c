import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { asJanusError, invalidArgument, isJanusError } from '../core/errors.ts';
import type { EventSink } from '../core/events.ts';
import type { Registry } from '../core/registry.ts';
import type { ImageService } from '../engine/image-service.ts';
import { ImageEngine } from '../engine/image-engine.ts';
import { VolumeEngine } from '../engine/volume-engine.ts';
import { ContainerEngine } from '../engine/container-engine.ts';
import { WorkloadSnapshots } from '../engine/workload-snapshots.ts';
import { findOnPath } from '../util/find-on-path.ts';
import { ContainerFiles } from '../engine/container-files.ts';
import { DockerfileBuilder } from '../builder/dockerfile-builder.ts';
import type { ContainerRecord } from '../engine/container-record.ts';
import { JsonDirStore } from '../state/json-dir-store.ts';
import { BenchService } from '../engine/bench-service.ts';
import type { BenchResults } from '../core/bench-results.ts';
import { NetworkEngine, type NetworkRecord } from '../engine/network-engine.ts';
import { parseProcNetRoute } from '../engine/network-ipam.ts';
import { BridgeNetworkDriver } from '../network/bridge/bridge-network-driver.ts';
import { EmbeddedNameServer } from '../network/dns/embedded-name-server.ts';
import { resolvConfNameservers } from '../network/dns/resolv-conf-nameservers.ts';
import type { AttachStdin } from '../runtimes/oci/oci-task.ts';
import { attachStdin, defaultAttachHelper } from '../runtimes/oci/attach-socket.ts';
import { QemuRuntime } from '../runtimes/qemu/qemu-runtime.ts';
import { QemuStackRuntime } from '../runtimes/qemu/stack-runtime.ts';
import { VM_STACK_RUNTIME } from '../core/vm-stack.ts';
import { containerHostFacts, probeRuntimes, type RuntimeProbeReport } from './container-host.ts';
import { LocalVolumeDriver } from '../volumes/local/local-volume-driver.ts';
import { LocalContentStore } from '../content/local/local-content-store.ts';
import { FileImageStore } from '../images/file-image-store.ts';
import { TarLayerApplier } from '../images/tar-layer-applier.ts';
import { OverlaySnapshotter } from '../snapshots/overlay/overlay-snapshotter.ts';
import { HttpRegistry } from '../registry/http-registry.ts';
import { HostProbe, type HostFacts } from '../host/host-probe.ts';
import { createApiServer } from '../api/docker/server.ts';
import type { DashboardStatus } from '../api/docker/dashboard-routes.ts';
import { originOf, parseListenAddress, type ListenAddress } from '../api/dashboard/dashboard-access.ts';
import { createDashboardServer, type DashboardServer } from '../api/dashboard/dashboard-server.ts';
import { readOrCreateToken } from '../api/dashboard/dashboard-token.ts';
import { StatsSampler } from '../api/dashboard/stats-sampler.ts';
import type { Exec } from '../util/exec.ts';
import { NodeExec } from '../util/exec.ts';
import type { LogLevel, Logger } from '../util/logger.ts';
import { JsonLogger } from '../util/logger.ts';
import { DaemonSystemService } from './daemon-system-service.ts';
import { WorkloadAdvisor } from '../advisor/workload-advisor.ts';
import { readOrCreateEngineId } from './engine-id.ts';
import { MemoryEventBus } from './event-bus.ts';
import { PidLock } from './pid-lock.ts';
import { prepareSocketPath } from './unix-socket.ts';

/** The repository (for package.json and the source commit). */
const REPO = resolve(import.meta.dirname, '../..');
const DEFAULT_ROOT = '/var/lib/janus';
const DEFAULT_HOST = 'unix:///run/janus/janus.sock';
const DEFAULT_DASHBOARD = '127.0.0.1:2380';
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
/** In-flight requests get this long to finish after their operations were aborted. */
const DRAIN_MS = 10_000;

/** What the engine factory is given. */
export interface EngineDeps {
  root: string;
  exec: Exec;
  events: EventSink;
  registry: Registry;
  logger: Logger;
  /** Shared with the container engine: image layers are the parents of container layers. */
  snapshotter: OverlaySnapshotter;
  /** Containers by image ID, so `rmi` and pruning spare images in use. */
  imageUsers: () => ReadonlyMap<string, readonly string[]>;
}

/** Options of `startDaemon`. */
export interface StartDaemonOptions {
  /** Storage root; created when missing. */
  root: string;
  /** The unix socket to serve the API on. */
  socketPath: string;
  insecureRegistries?: string[];
  logger?: Logger;
  /** Reported as `Debug` in `/info`. */
  debug?: boolean;
  exec?: Exec;
  /**
   * Builds the image service. Default: the real stores (content, names,
   * overlay snapshots, layer applier) under `root`, cleaned up, behind an
   * ImageEngine. Tests pass a fake.
   */
  createImageService?: (deps: EngineDeps) => Promise<ImageService>;
  /** The host probe; default HostProbe on `exec`. */
  hostProbe?: { probe(): Promise<HostFacts> };
  /** Connects to conmon's attach sockets (container stdin); without it `-i` is refused as unavailable. */
  attach?: AttachStdin;
  /**
   * The web dashboard: where it listens, and whether failing to listen there
   * fails the start (an address asked for) or is only logged (the default
   * address, which another daemon may hold). Absent: no dashboard.
   */
  dashboard?: { address: ListenAddress; required: boolean };
}

/** A running daemon. */
export interface RunningDaemon {
  root: string;
  socketPath: string;
  /**
   * Stops accepting connections, aborts in-flight operations, waits for
   * their responses (up to 10 s), then removes the socket and the pid file.
   * Idempotent: every call returns the same promise.
   */
  stop(): Promise<void>;
}

/** The parsed command line of `janus daemon`. */
export interface DaemonArgs {
  root: string;
  socketPath: string;
  insecureRegistries: string[];
  logLevel: LogLevel;
  /** undefined: `--dashboard off`. */
  dashboard?: { address: ListenAddress; required: boolean };
  help: boolean;
}

/**
 * Starts the daemon: takes the root's lock, prepares the socket, builds
 * every implementation, cleans up what an earlier crash left, and serves
 * the Docker API. Rejects (Conflict) when another daemon uses the root or
 * the socket; on any failure everything already taken is released.
 */
export async function startDaemon(options: StartDaemonOptions): Promise<RunningDaemon> {
  const root = resolve(options.root);
  const socketPath = resolve(options.socketPath);
  const logger = options.logger ?? new JsonLogger();
  const exec = options.exec ?? new NodeExec();
  const insecureRegistries = options.insecureRegistries ?? [];

  await mkdir(root, { recursive: true, mode: 0o711 });
  const lock = await PidLock.acquire(join(root, 'janus.pid'), { root });
  let server: Server | undefined;
  try {
    await prepareSocketPath(socketPath);
    const version = await readVersion();
    logger.info('starting', { version, root, socket: socketPath, pid: process.pid, insecureRegistries });

    const events = new MemoryEventBus({ logger: logger.child({ component: 'events' }) });
    const registry = new HttpRegistry({ insecureRegistries, logger: logger.child({ component: 'registry' }) });
    // Short path on purpose: overlay mount options are limited to one page.
    const snapshotter = new OverlaySnapshotter({ root: join(root, 'overlay') });
    let containers: ContainerEngine | undefined;
    let runtimeReport: RuntimeProbeReport | undefined;
    let vmAccelerator: { accel: 'kvm' | 'tcg'; reason: string } | undefined;
    const deps: EngineDeps = {
      root, exec, events, registry, logger: logger.child({ component: 'engine' }), snapshotter,
      imageUsers: () => containers?.imageUsers() ?? new Map(),
    };
    const images = await (options.createImageService ?? createImageEngine)(deps);
    const volumes = new VolumeEngine({ drivers: [new LocalVolumeDriver({ root: join(root, 'volumes'), exec })], events });

    const probe = options.hostProbe ?? new HostProbe({ exec });
    const source = await sourceInfo(exec);
    const system = new DaemonSystemService({
      probe,
      registry,
      id: await readOrCreateEngineId(root),
      root,
      version,
      ...source,
      insecureRegistries,
      debug: options.debug ?? false,
      levels: () => runtimeReport && { levels: runtimeReport.set.levels, unavailable: runtimeReport.set.unavailable, refused: runtimeReport.refused, ...(vmAccelerator ? { vmAccelerator } : {}) },
      containers: () => containers?.counts(),
      kernels: async () => {
        const qemu = runtimeReport?.set.byName.get('qemu');
        return qemu instanceof QemuRuntime ? qemu.kernels() : [];
      },
    });
    const facts = await system.hostFacts();
    logger.info('host probed', {
      kernel: facts.kernelVersion,
      cgroups: facts.cgroupLayout,
      runtimes: facts.ociRuntimes.map((r) => `${r.name} ${r.version}`.trim()),
      conmon: facts.conmon?.version,
      qemu: facts.qemu.map((q) => `${q.name} ${q.version}`.trim()),
      accelerators: facts.accelerators.map((a) => `${a.name}: ${a.status}`),
    });

    const runtimes = await probeRuntimes(facts, { root, exec, logger: logger.child({ component: 'runtime' }), attach: options.attach ?? attachStdin({ helper: defaultAttachHelper() }) });
    runtimeReport = runtimes;
    const qemu = runtimes.set.byName.get('qemu');
    if (qemu instanceof QemuRuntime) {
      // KVM is decided by booting a guest, in the background: start-up does not wait for it, the first VM does.
      void qemu.accelerator().then((a) => {
        vmAccelerator = a;
        logger.info('vm accelerator', a);
      }, (err: unknown) => logger.warn('vm accelerator probe failed', { error: err }));
    }
    if (qemu instanceof QemuRuntime) {
      // The hybrid model (docs/vm-stack.md): services that run inside the VM of another, running container.
      const byName = new Map(runtimes.set.byName);
      byName.set(VM_STACK_RUNTIME, new QemuStackRuntime({
        stateDir: join(root, 'runtimes', VM_STACK_RUNTIME), exec, logger: logger.child({ component: 'runtime' }), host: (ref) => containers?.liveTask(ref),
      }));
      runtimes.set = { ...runtimes.set, byName };
    }
    const hostFacts = await containerHostFacts(facts);
    // Sandboxes (network namespace files) live on /run's tmpfs, private to this root, so a reboot clears them.
    const netDriver = new BridgeNetworkDriver({
      exec,
      netnsDir: join('/run/janus', `netns-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`),
    });
    const names = new EmbeddedNameServer({ upstreams: resolvConfNameservers(hostFacts.resolvConf), logger: logger.child({ component: 'dns' }) });
    const networks = new NetworkEngine({
      store: new JsonDirStore<NetworkRecord>({
        dir: join(root, 'state', 'networks'),
        onCorrupt: (id, error) => logger.error('network record unreadable; set aside as .corrupt', { id, error }),
      }),
      driver: netDriver,
      names,
      hostRoutes: async () => parseProcNetRoute(await readFile('/proc/net/route', 'utf8').catch(() => '')),
      events,
      logger: logger.child({ component: 'engine' }),
    });
    await networks.init();
    const store = new JsonDirStore<ContainerRecord>({
      dir: join(root, 'state', 'containers'),
      onCorrupt: (id, error) => logger.error('container record unreadable; set aside as .corrupt', { id, error }),
    });
    await store.cleanup();
    containers = new ContainerEngine({
      dir: join(root, 'containers'),
      store,
      images,
      snapshotter,
      volumes,
      networks,
      runtimes: runtimes.set,
      host: hostFacts,
      exec,
      events,
      logger: logger.child({ component: 'engine' }),
      snapshots: new WorkloadSnapshots({ dir: join(root, 'workload-snapshots'), exec, logger: logger.child({ component: 'snapshots' }) }),
      adviser: () => advisor,
    });
    networks.bindContainers(containers);
    const advisor = new WorkloadAdvisor({
      images,
      containers,
      os: 'linux',
      architecture: hostFacts.arch,
      host: async () => {
        const meminfo = await readFile('/proc/meminfo', 'utf8').catch(() => '');
        const kib = (key: string): number | undefined => { const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(meminfo); return m ? Number(m[1]) * 1024 : undefined; };
        const level = (l: 'container' | 'sandbox' | 'vm') => (runtimes.set.levels[l] ? { works: true } : { works: false, why: runtimes.set.unavailable[l] ?? 'no runtime for it was found' });
        const memAvailable = kib('MemAvailable');
        const memTotal = kib('MemTotal');
        return {
          levels: { container: level('container'), sandbox: level('sandbox'), vm: level('vm') },
          ...(vmAccelerator ? { accelerator: vmAccelerator.accel } : {}),
          ...(memAvailable !== undefined ? { memAvailable } : {}),
          ...(memTotal !== undefined ? { memTotal } : {}),
        };
      },
    });
    await containers.init();
    logger.info('runtimes', { levels: runtimes.set.levels, refused: runtimes.refused });

    const builds = new DockerfileBuilder({
      images, containers, snapshotter, exec, logger: logger.child({ component: 'builder' }), dir: join(root, 'builder'),
      files: new ContainerFiles({ exec, tmpDir: join(root, 'builder', '.views'), images }),
    });
    await builds.cleanup();

    const shutdown = new AbortController();
    let dashboardStatus: DashboardStatus = { state: 'off' };
    const srv = createApiServer({
      images, volumes, containers, snapshots: containers, networks, system, events, builds, logger: logger.child({ component: 'api' }), shutdown: shutdown.signal,
      dashboard: () => dashboardStatus,
      adviser: advisor,
      bench: new BenchService({ store: new JsonDirStore<BenchResults>({ dir: join(root, 'bench'), onCorrupt: (id, error) => logger.error('bench results unreadable; set aside as .corrupt', { id, error }) }) }),
    });
    server = srv;
    await listen(srv, socketPath);
    logger.info('listening', { socket: socketPath });

    let dashboard: DashboardServer | undefined;
    if (options.dashboard) {
      const { address, required } = options.dashboard;
      const tokenFile = join(root, 'dashboard-token');
      const { token, created } = await readOrCreateToken(tokenFile);
      const engine = containers;
      dashboard = createDashboardServer({
        containers: engine,
        // The page's Engine API calls are served in process by the same API server as the socket's.
        api: (req, res) => srv.emit('request', req, res),
        sampler: new StatsSampler({ cpus: hostFacts.cpuCount }),
        events,
        assetsDir: join(REPO, 'build', 'dashboard'),
        token,
        address,
        logger: logger.child({ component: 'dashboard' }),
      });
      try {
        await listenTcp(dashboard.server, address);
        const url = `${originOf(address)}/?token=${token}`;
        dashboardStatus = { state: 'listening', url, token };
        logger.info('dashboard listening', { address: originOf(address) });
        // Printed once, when made; `janus dashboard` prints it again for whoever may use the API socket.
        if (created) process.stderr.write(`janus daemon: dashboard token created (kept in ${tokenFile}, mode 0600): ${url}\n`);
      } catch (err) {
        await dashboard.close();
        dashboard = undefined;
        const reason = `cannot listen on ${originOf(address)}: ${(err as Error).message}`;
        if (required) throw asJanusError(err, `dashboard: ${reason}`);
        dashboardStatus = { state: 'failed', reason };
        logger.warn('dashboard not started', { reason });
      }
    }

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        logger.info('stopping');
        await dashboard?.close();
        containers?.close();
        await networks.close();
        await netDriver.close();
        const closed = new Promise<void>((done) => srv.close(() => done()));
        shutdown.abort();
        srv.closeIdleConnections();
        let timer: NodeJS.Timeout | undefined;
        const drained = await Promise.race([
          closed.then(() => true),
          new Promise<boolean>((done) => { timer = setTimeout(() => done(false), DRAIN_MS); }),
        ]);
        clearTimeout(timer);
        if (!drained) {
          logger.warn('requests still open after shutdown; closing their connections', { afterMs: DRAIN_MS });
          srv.closeAllConnections();
          await closed;
        }
        await rm(socketPath, { force: true });
        await lock.release();
        logger.info('stopped');
      })();
      return stopping;
    };
    return { root, socketPath, stop };
  } catch (err) {
    server?.close();
    await lock.release();
    throw err;
  }
}

/** The real image service: every store under `root`, cleaned of crash leftovers, behind an ImageEngine. */
async function createImageEngine(deps: EngineDeps): Promise<ImageService> {
  const content = new LocalContentStore({ root: join(deps.root, 'content') });
  const images = new FileImageStore({ path: join(deps.root, 'images.json') });
  const snapshotter = deps.snapshotter;
  const applier = new TarLayerApplier({ exec: deps.exec });
  await content.cleanup();
  const removed = await snapshotter.cleanup();
  if (removed.length > 0) deps.logger.info('removed unfinished snapshots', { keys: removed });
  return new ImageEngine({
    content,
    images,
    snapshotter,
    applier,
    registry: deps.registry,
    exec: deps.exec,
    events: deps.events,
    logger: deps.logger,
    root: deps.root,
    imageUsers: deps.imageUsers,
  });
}

/** Listens on a TCP address. */
function listenTcp(server: Server, address: ListenAddress): Promise<void> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(address.port, address.host, () => {
      server.removeListener('error', fail);
      done();
    });
  });
}

/** Listens on a unix socket that only root and its group can use (mode 0660 from the first moment). */
function listen(server: Server, socketPath: string): Promise<void> {
  return new Promise((done, fail) => {
    // The umask covers the window between bind and chmod, when the socket would otherwise be world-writable.
    const old = process.umask(0o117);
    const onError = (err: Error) => { process.umask(old); fail(asJanusError(err, `cannot listen on ${socketPath}`)); };
    server.once('error', onError);
    server.listen(socketPath, () => {
      process.umask(old);
      server.removeListener('error', onError);
      chmod(socketPath, 0o660).then(() => done(), fail);
    });
  });
}

async function readVersion(): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The source commit and its time, when the daemon runs from a git checkout. */
async function sourceInfo(exec: Exec): Promise<{ gitCommit?: string; buildTime?: string }> {
  try {
    const r = await exec.run('git', ['-C', REPO, 'log', '-1', '--format=%H %cI'], { check: false, signal: AbortSignal.timeout(3000) });
    const [gitCommit, buildTime] = r.code === 0 ? r.stdout.trim().split(' ') : [];
    return gitCommit ? { gitCommit: gitCommit.slice(0, 12), ...(buildTime ? { buildTime } : {}) } : {};
  } catch {
    return {};
  }
}

const USAGE = `Usage: janus daemon [OPTIONS]

Runs the Janus engine in the foreground, serving the Docker Engine API.

Options:
  --root DIR                 storage root (default ${DEFAULT_ROOT})
  -H, --host unix:///PATH    socket to listen on (default ${DEFAULT_HOST})
  --insecure-registry HOST   allow plain http to HOST[:PORT] (repeatable)
  --log-level LEVEL          debug, info, warn or error (default info)
  --dashboard IP:PORT|off    where the web dashboard listens (default ${DEFAULT_DASHBOARD});
                             its data always needs the token that \`janus dashboard\` prints
  -h, --help                 print this help
`;

/** Parses `janus daemon` arguments. InvalidArgument for unknown flags or bad values. Pure. */
export function parseDaemonArgs(argv: string[]): DaemonArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        root: { type: 'string' },
        host: { type: 'string', short: 'H' },
        'insecure-registry': { type: 'string', multiple: true },
        'log-level': { type: 'string' },
        dashboard: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw invalidArgument((err as Error).message);
  }
  const host = values.host ?? DEFAULT_HOST;
  if (!host.startsWith('unix://') || host.length <= 'unix://'.length) {
    throw invalidArgument(`invalid --host ${JSON.stringify(host)}: only unix:///PATH is supported`);
  }
  const logLevel = (values['log-level'] ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw invalidArgument(`invalid --log-level ${JSON.stringify(values['log-level'])}: want ${LOG_LEVELS.join(', ')}`);
  }
  const insecureRegistries = values['insecure-registry'] ?? [];
  for (const r of insecureRegistries) {
    if (!/^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9a-fA-F:]+\](:\d+)?$/.test(r)) {
      throw invalidArgument(`invalid --insecure-registry ${JSON.stringify(r)}: want HOST[:PORT]`);
    }
  }
  const dashboardText = values.dashboard ?? DEFAULT_DASHBOARD;
  const dashboard = dashboardText === 'off' ? undefined : { address: parseListenAddress(dashboardText), required: values.dashboard !== undefined };
  return {
    root: resolve(values.root ?? DEFAULT_ROOT),
    socketPath: resolve(host.slice('unix://'.length)),
    insecureRegistries,
    logLevel,
    ...(dashboard ? { dashboard } : {}),
    help: values.help ?? false,
  };
}

/**
 * `janus daemon ARGS`: runs until SIGTERM or SIGINT, then shuts down cleanly
 * and exits 0. A usage error exits 125, a start-up failure 1, each with a
 * one-line message on stderr (and a structured log line).
 */
export async function runDaemon(argv: string[]): Promise<void> {
  let args: DaemonArgs;
  try {
    args = parseDaemonArgs(argv);
  } catch (err) {
    process.stderr.write(`janus daemon: ${(err as Error).message}\n${USAGE}`);
    process.exitCode = 125;
    return;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  const logger = new JsonLogger({ level: args.logLevel });
  let daemon: RunningDaemon;
  try {
    daemon = await startDaemon({
      root: args.root,
      socketPath: args.socketPath,
      insecureRegistries: args.insecureRegistries,
      logger,
      debug: args.logLevel === 'debug',
      ...(args.dashboard ? { dashboard: args.dashboard } : {}),
    });
  } catch (err) {
    const e = asJanusError(err);
    logger.error('cannot start', { error: e });
    if (!isJanusError(err)) process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.stderr.write(`janus daemon: ${e.message}\n`);
    process.exitCode = 1;
    return;
  }
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info('signal received', { signal });
    daemon.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('unclean shutdown', { error: asJanusError(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

if (import.meta.main) {
  await runDaemon(process.argv.slice(2));
}
