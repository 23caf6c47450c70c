import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { conflict, internal, invalidArgument, isJanusError, notFound, notImplemented, unavailable } from '../core/errors.ts';
import type { IsolationAdviser, IsolationChoice } from './isolation-advice.ts';
import type { EventSink } from '../core/events.ts';
import type { OciDevice, OciMount, OciProcess, OciRuntimeSpec } from '../core/oci-runtime-spec.ts';
import type { RunMount } from '../core/run-options.ts';
import type { Exit, ExecProcess, Runtime, Task, TaskCheckpoint } from '../core/runtime.ts';
import type { Digest } from '../core/digest.ts';
import type { Mount, Snapshotter } from '../core/snapshotter.ts';
import type { StateStore } from '../core/state-store.ts';
import { ProcessStartError } from '../runtimes/oci/process-start-error.ts';
import { buildOciSpec } from '../runtimes/oci/spec/build-oci-spec.ts';
import { resolveUser } from '../runtimes/oci/spec/resolve-user.ts';
import { validateRunOptions } from '../runtimes/oci/spec/run-options.ts';
import type { Exec } from '../util/exec.ts';
import type { Logger } from '../util/logger.ts';
import { containerHostsFile, containerResolvConf } from './container-etc-files.ts';
import { ContainerFiles, containerFsOf, type ContainerFs } from './container-files.ts';
import { copyImageContent, readUserDb } from './image-content.ts';
import { overlayLayersOf } from './container-files-mount.ts';
import { writableLayerSize } from './writable-layer-size.ts';
import { matchesContainerFilters } from './container-filters.ts';
import { readContainerLog } from './container-log.ts';
import { ContainerLogKeeper } from './container-log-keeper.ts';
import { isValidContainerName, randomContainerName } from './container-names.ts';
import { viewOf, type ContainerRecord, type ContainerRunState } from './container-record.ts';
import type {
  AttachOptions, ChangeEntry, ContainerCreateRequest, ContainerFilters, ContainerService, ContainerStatsSample, ContainerView,
  ExecCreateRequest, ExecView, IsolationLevel, LogConfig, LogEntry, LogsOptions, MountView, PathStat, ResourceUpdate,
  RestartPolicy, StreamSession,
} from './container-service.ts';
import type { ImageService } from './image-service.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import { parseDetachKeys, DetachKeyFilter } from './detach-keys.ts';
import type { VolumeService } from './volume-service.ts';
import { checkMemorySnapshotFits, checkSnapshotFits, checkSnapshotName, checkSnapshotSpace, memorySnapshotRefusal, parseSnapshotRef, type SnapshotTarget } from './snapshot-rules.ts';
import type { SnapshotCreateOptions, SnapshotService, SnapshotView } from './snapshot-service.ts';
import type { MemorySnapshotMachine, SnapshotRecord, WorkloadSnapshots } from './workload-snapshots.ts';
import type { ContainerNetworking, JoinedEndpoint, NetworkEngine, PortRequest } from './network-engine.ts';
import type { EndpointRequest } from './network-service.ts';
import { VM_STACK_LABEL, VM_STACK_RUNTIME } from '../core/vm-stack.ts';

/** What the engine needs to know about the host to build specs (from the host probe). */
export interface ContainerHostFacts {
  /** Hard rlimits by `--ulimit` name. */
  rlimitHardLimits: Record<string, number>;
  cgroupV2: boolean;
  /** GOARCH spelling (amd64, arm64). */
  arch: string;
  kernelRelease: string;
  cpuCount: number;
  hostname: string;
  swapLimit?: boolean;
  /** catatonit or tini, for `--init`. */
  initBinary?: string;
  capabilities?: readonly string[];
  hostDevices?: readonly OciDevice[];
  /** The host's /etc/resolv.conf and /etc/hosts, copied into containers. */
  resolvConf: string;
  hosts: string;
}

/** The runtimes that work on this host and which one serves each isolation level. */
export interface RuntimeSet {
  /** By name (`runc`, `crun`, `runsc`). */
  byName: ReadonlyMap<string, Runtime>;
  /** The runtime of each level, when the level works here. */
  levels: Partial<Record<IsolationLevel, string>>;
  /** Why a level does not work here (shown when it is asked for). */
  unavailable: Partial<Record<IsolationLevel, string>>;
}

/** Options of `ContainerEngine`. */
export interface ContainerEngineOptions {
  /** `<root>/containers`: one directory per container (log, hosts, resolv.conf). */
  dir: string;
  store: StateStore<ContainerRecord>;
  images: ImageService;
  snapshotter: Snapshotter;
  volumes: VolumeService;
  /** Bridge networks: the default `bridge` and user-defined ones. */
  networks: NetworkEngine;
  runtimes: RuntimeSet;
  host: ContainerHostFacts;
  /** Resolves `--isolation auto` (the advisor; late-bound because it reads containers too). Absent: `auto` is Unavailable. */
  adviser?: () => IsolationAdviser | undefined;
  exec: Exec;
  events: EventSink;
  logger: Logger;
  /** Workload snapshots (`snapshot create|ls|restore|rm`, `--from-snapshot`). */
  snapshots: WorkloadSnapshots;
}

/** The annotation that gives a VM its persistent disk (the qemu runtime reads it; runc ignores it). */
const VM_DISK_ANNOTATION = 'org.janus.vm.disk';

/** What one container's snapshot copies: its writable layer or VM disk, and volumes. */
interface SnapshotSources {
  layer?: string;
  disk?: string;
  volumes: { name: string; path: string }[];
}

/** docker compose's project label: `compose snapshot` takes every container that has it. */
const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';

const DEFAULT_STOP_TIMEOUT = 10;
const SNAPSHOT_LABEL = 'janus.container';
const MAX_BACKOFF_MS = 60_000;

interface ExecSession {
  id: string;
  containerId: string;
  request: ExecCreateRequest;
  process?: ExecProcess;
  running: boolean;
  exitCode?: number;
  started: boolean;
}

interface Waiter {
  condition: 'next-exit' | 'removed';
  resolve: (r: { statusCode: number; error?: string }) => void;
}

/**
 * The container use cases over the image service, the snapshotter, the
 * volume service and the OCI runtimes. The state store is the source of
 * truth; an in-memory copy serves reads. Every mutation of one container
 * runs under its lock, and is durable before the call returns. Tasks are
 * supervised by conmon, not by this process: `init` re-adopts them after a
 * daemon restart and records the exits that happened meanwhile.
 */
export class ContainerEngine implements ContainerService, ContainerNetworking, SnapshotService {
  readonly #o: ContainerEngineOptions;
  readonly #log: Logger;
  readonly #records = new Map<string, ContainerRecord>();
  readonly #tasks = new Map<string, Task>();
  readonly #locks = new KeyedMutex();
  readonly #execs = new Map<string, ExecSession>();
  readonly #waiters = new Map<string, Waiter[]>();
  /** Resolved when the exit of the current run has been recorded. */
  readonly #exited = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  readonly #restartTimers = new Map<string, NodeJS.Timeout>();
  readonly #backoff = new Map<string, number>();
  readonly #files: ContainerFiles;
  /** Rotated-log keepers of running containers with `max-file` above 1. */
  readonly #logKeepers = new Map<string, ContainerLogKeeper>();
  #closing = false;

  constructor(options: ContainerEngineOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'containers' });
    this.#files = new ContainerFiles({ exec: options.exec, tmpDir: join(options.dir, '.views'), images: options.images });
  }

  // ------------------------------------------------------------ start-up

  /**
   * Loads every container and reconciles it with the host: running tasks
   * are re-adopted (their logs never stopped: conmon writes them), exits
   * that happened while no daemon ran are recorded with their real exit
   * codes, and restart policies apply. Leftovers no record knows (tasks,
   * snapshots, directories) are removed. Call once, before serving.
   */
  async init(): Promise<void> {
    await mkdir(this.#o.dir, { recursive: true, mode: 0o711 });
    await this.#files.cleanup();
    for (const rec of await this.#o.store.list()) this.#records.set(rec.id, rec);
    await this.#removeLeftovers();
    await this.#o.snapshots.init(new Set(this.#records.keys()));
    for (const rec of this.#records.values()) await this.#sweepRestores(rec).catch((err: unknown) => this.#log.warn('cannot clean up after an interrupted restore', { id: rec.id, error: err }));
    for (const rec of this.#records.values()) {
      for (const v of rec.volumes) {
        await this.#o.volumes.acquire(v, rec.id).catch((err: unknown) => this.#log.warn('volume of a container is gone', { id: rec.id, volume: v, error: err }));
      }
      await this.#locks.run(rec.id, () => this.#readopt(rec)).catch((err: unknown) => this.#log.error('cannot re-adopt container', { id: rec.id, error: err }));
    }
    await this.#o.networks.removeLeftovers([...this.#tasks.keys()]);
  }

  async #removeLeftovers(): Promise<void> {
    for (const [name, runtime] of this.#o.runtimes.byName) {
      for (const id of await runtime.list().catch(() => [] as string[])) {
        if (this.#records.has(id)) continue;
        this.#log.info('removing a task no container owns', { runtime: name, id });
        await this.#deleteTask(runtime, id);
      }
    }
    for await (const snap of this.#o.snapshotter.walk()) {
      const owner = snap.labels[SNAPSHOT_LABEL];
      if (owner && !this.#records.has(owner)) {
        this.#log.info('removing a snapshot no container owns', { key: snap.key });
        await this.#o.snapshotter.remove(snap.key).catch((err: unknown) => this.#log.warn('cannot remove snapshot', { key: snap.key, error: err }));
      }
    }
    for (const name of await readdir(this.#o.dir).catch(() => [] as string[])) {
      // `.views` holds ContainerFiles' temporary mounts (unmounted by its cleanup, never deleted through).
      if (!name.startsWith('.') && !this.#records.has(name)) await rm(join(this.#o.dir, name), { recursive: true, force: true });
    }
  }

  async #readopt(rec: ContainerRecord): Promise<void> {
    const s = rec.state;
    if (s.status === 'removing') {
      await this.#removeNow(rec, { volumes: rec.autoRemove });
      return;
    }
    const wasUp = s.status === 'running' || s.status === 'paused' || s.status === 'restarting';
    if (!wasUp) {
      if (this.#restartsOnDaemonStart(rec)) this.#scheduleRestart(rec, 0);
      return;
    }
    const runtime = this.#o.runtimes.byName.get(rec.runtime);
    let task: Task | undefined;
    if (runtime) {
      try {
        task = await runtime.load(rec.id);
      } catch (err) {
        if (!isJanusError(err, 'NotFound')) throw err;
      }
    }
    if (!task) {
      await this.#networkDown(rec);
      await this.#recordExit(rec, { code: 255, exitedAt: new Date(), oomKilled: false }, 'the container was gone when the daemon restarted');
      if (this.#restartsOnDaemonStart(rec)) this.#scheduleRestart(rec, 0);
      return;
    }
    const status = await task.status();
    if (status === 'running' || status === 'paused') {
      if (this.#joinsNetworks(rec)) {
        // The sandbox and veths outlived the daemon; this re-takes the port reservations and DNS names.
        await this.#o.networks.up(rec.id, rec.state.ports ?? [])
          .catch((err: unknown) => this.#log.error('cannot restore the network of a re-adopted container', { id: rec.id, error: err }));
      }
      this.#tasks.set(rec.id, task);
      await this.#keepLog(rec);
      if (s.status !== status) {
        s.status = status;
        await this.#save(rec);
      }
      this.#watch(rec.id, task);
      this.#startHealth(rec, task);
      this.#log.info('re-adopted running container', { id: rec.id, pid: task.pid });
    } else {
      this.#tasks.set(rec.id, task);
      this.#watch(rec.id, task);
    }
  }

  /**
   * Runs the container's HEALTHCHECK as docker does: every `interval`
   * (`startInterval` during the start period), each probe an exec bounded by
   * `timeout`; `retries` consecutive failures after the start period make it
   * unhealthy, one success healthy. Stops by itself when the task ends.
   */
  #startHealth(rec: ContainerRecord, task: Task): void {
    const hc = rec.config.healthcheck;
    if (!hc?.Test || hc.Test.length === 0 || hc.Test[0] === 'NONE') return;
    const cmd = hc.Test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', hc.Test.slice(1).join(' ')] : hc.Test[0] === 'CMD' ? hc.Test.slice(1) : hc.Test;
    const ns = (v: number | undefined, dflt: number): number => (v && v > 0 ? v / 1e6 : dflt);
    const interval = ns(hc.Interval, 30_000);
    const timeout = ns(hc.Timeout, 30_000);
    const startPeriod = ns(hc.StartPeriod, 0);
    const startInterval = ns(hc.StartInterval, 5_000);
    const retries = hc.Retries && hc.Retries > 0 ? hc.Retries : 3;
    const startedAt = Date.now();
    const tick = async (): Promise<void> => {
      if (this.#tasks.get(rec.id) !== task || this.#closing) return;
      const cur = this.#records.get(rec.id);
      if (!cur || cur.state.status !== 'running') {
        if (cur?.state.status === 'paused') schedule(interval);
        return;
      }
      const start = new Date();
      let exitCode = -1;
      let output = '';
      try {
        const proc = await task.exec(`health-${randomBytes(8).toString('hex')}`, { ...cur.spec.process!, terminal: false, args: cmd }, { tty: false, stdin: false });
        let timer: NodeJS.Timeout | undefined;
        const exit = await Promise.race([proc.wait(), new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), timeout); })]);
        clearTimeout(timer);
        if (exit) {
          exitCode = exit.code;
        } else {
          await proc.kill('SIGKILL').catch(() => {});
          output = `Health check exceeded timeout (${timeout / 1000}s)`;
        }
        if (!output) {
          for await (const e of readContainerLog(proc.logPath)) output += e.data.toString('utf8');
          output = output.slice(-4096);
        }
        if (exit) await proc.delete().catch(() => {});
      } catch (err) {
        output = (err as Error).message;
      }
      await this.#locks.run(rec.id, async () => {
        const r = this.#records.get(rec.id);
        if (!r || this.#tasks.get(rec.id) !== task || !r.state.health) return;
        const h = r.state.health;
        const before = h.status;
        const inStartPeriod = Date.now() - startedAt < startPeriod;
        if (exitCode === 0) {
          h.status = 'healthy';
          h.failingStreak = 0;
        } else if (!inStartPeriod || h.status !== 'starting') {
          h.failingStreak++;
          if (h.failingStreak >= retries) h.status = 'unhealthy';
        }
        h.log = [...h.log, { start: start.toISOString(), end: new Date().toISOString(), exitCode, output }].slice(-5);
        await this.#save(r);
        if (h.status !== before) this.#event(r, `health_status: ${h.status}`);
      }).catch((err: unknown) => this.#log.warn('recording a health probe failed', { id: rec.id, error: err }));
      const cur2 = this.#records.get(rec.id);
      schedule(cur2?.state.health?.status === 'starting' && Date.now() - startedAt < startPeriod ? startInterval : interval);
    };
    const schedule = (ms: number): void => {
      setTimeout(() => { void tick(); }, ms).unref();
    };
    schedule(startPeriod > 0 ? Math.min(startInterval, interval) : interval);
  }

  #restartsOnDaemonStart(rec: ContainerRecord): boolean {
    const p = rec.restartPolicy.name;
    return !rec.state.manuallyStopped && rec.state.startedAt !== undefined && (p === 'always' || p === 'unless-stopped');
  }

  /** Stops restart timers; running containers keep running (conmon supervises them). */
  close(): void {
    this.#closing = true;
    for (const t of this.#restartTimers.values()) clearTimeout(t);
    this.#restartTimers.clear();
    for (const k of this.#logKeepers.values()) void k.stop();
    this.#logKeepers.clear();
  }

  // ------------------------------------------------------------ create

  async create(request: ContainerCreateRequest, options: { signal?: AbortSignal } = {}): Promise<{ id: string; warnings: string[] }> {
    validateRunOptions(request.run);
    let isolationChoice: IsolationChoice | undefined;
    if (request.isolation === 'auto') {
      const adviser = this.#o.adviser?.();
      if (!adviser) throw unavailable('--isolation auto needs the advisor, which this daemon was started without');
      const advice = await adviser.advise(request, { name: request.name, signal: options.signal });
      isolationChoice = { requested: 'auto', level: advice.level, reasons: advice.reasons, unevaluated: advice.unevaluated };
      request = { ...request, isolation: advice.level };
    }
    const { isolation, runtime } = this.#chooseRuntime(request);
    if (runtime === 'runsc' && (request.run.pidsLimit ?? 0) > 0) {
      // The limit would cap the host cgroup of the whole gVisor sandbox, whose own threads count against it.
      throw notImplemented('--pids-limit is not supported at the sandbox level: gVisor\'s own threads would count against it (the sandbox fails to start or dies)');
    }
    if (request.vmKernel !== undefined) {
      if (isolation !== 'vm') throw invalidArgument(`--kernel applies to the vm isolation level only, not ${isolation}`);
      if (!(await stat(request.vmKernel).then((s) => s.isFile(), () => false))) throw invalidArgument(`--kernel ${request.vmKernel}: no such file on the daemon's host`);
    }
    if (runtime === 'qemu' && (request.run.pidsLimit ?? 0) > 0) {
      throw notImplemented('--pids-limit is not supported at the vm level yet: the guest agent does not limit processes inside the VM');
    }
    const network = await this.#network(request, runtime);
    const publishes = (request.publish?.length ?? 0) > 0 || !!request.publishAll;
    if (publishes && (network.mode === 'none' || network.mode === 'container')) {
      throw invalidArgument(`conflicting options: port publishing and the ${network.mode === 'none' ? 'none' : 'container type'} network mode`);
    }
    const extraWarnings: string[] = [];
    if (publishes && network.mode === 'host') extraWarnings.push('Published ports are discarded when using host network mode');
    const logConfig = logConfigOf(request.logConfig);
    const restartPolicy = request.restartPolicy ?? { name: 'no', maximumRetryCount: 0 };
    if (request.autoRemove && restartPolicy.name !== 'no') {
      throw invalidArgument('conflicting options: cannot combine --restart and --rm');
    }
    const image = await this.#o.images.inspect(request.image);
    const portRequests = network.mode === 'network' ? portRequestsOf(request, image.config.ExposedPorts) : [];
    const from = request.fromSnapshot ? await this.#cloneSource(request.fromSnapshot, { imageId: image.id, isolation, vmKernel: request.vmKernel ?? '', kernelRelease: '' }) : undefined;
    options.signal?.throwIfAborted();

    const id = randomBytes(32).toString('hex');
    const name = await this.#claimName(request.name, id);
    const dir = join(this.#o.dir, id);
    const snapshotKey = `container-${id}`;
    const acquired: string[] = [];
    const madeVolumes: string[] = [];
    let snapshot: Mount[] | undefined;
    let endpoints: JoinedEndpoint[] = [];
    try {
      await mkdir(dir, { mode: 0o700 });
      if (network.mode === 'network') endpoints = await this.#joinAll(id, name, network.name, request.endpoints ?? {});
      const top = image.chainIds.at(-1);
      snapshot = await this.#o.snapshotter.prepare(snapshotKey, top, { labels: { [SNAPSHOT_LABEL]: id } });
      if (from) await this.#cloneInto(from, snapshot, join(dir, 'root.qcow2'));
      const imageRoot = await this.#files.imageView(image.layerDirs);
      const { passwd, group } = await readUserDb(imageRoot);

      // Volumes: those asked for, then the image's VOLUMEs no mount covers (anonymous).
      const mounts: MountView[] = [];
      const runMounts: RunMount[] = [];
      const taken = new Set([...(request.run.mounts ?? []).map((m) => clean(m.destination)), ...Object.keys(request.run.tmpfs ?? {}).map(clean)]);
      const wanted = [...(request.volumes ?? [])];
      for (const v of wanted) taken.add(clean(v.destination));
      for (const path of Object.keys(image.config.Volumes ?? {})) {
        if (!taken.has(clean(path))) wanted.push({ destination: path });
      }
      for (const v of wanted) {
        let volName = v.name;
        let fresh = false;
        if (!volName) {
          const made = await this.#o.volumes.create(undefined, { driver: v.driver, labels: v.labels, driverOptions: v.driverOptions });
          volName = made.name;
          madeVolumes.push(volName);
          fresh = true;
        } else {
          try {
            await this.#o.volumes.inspect(volName);
          } catch (err) {
            if (!isJanusError(err, 'NotFound')) throw err;
            await this.#o.volumes.create(volName, { driver: v.driver, labels: v.labels, driverOptions: v.driverOptions });
            fresh = true;
          }
        }
        const path = await this.#o.volumes.acquire(volName, id);
        acquired.push(volName);
        if (fresh && !v.noCopy) await copyImageContent(imageRoot, v.destination, path);
        runMounts.push({ type: 'bind', source: path, destination: v.destination, readOnly: v.readOnly });
        mounts.push({ type: 'volume', name: volName, source: path, destination: v.destination, driver: v.driver ?? 'local', mode: v.readOnly ? 'ro' : '', rw: !v.readOnly, propagation: '' });
      }
      for (const m of request.run.mounts ?? []) {
        if (m.type === 'bind') {
          await stat(m.source).catch(() => {
            throw invalidArgument(`invalid mount config for type "bind": bind source path does not exist: ${m.source}`);
          });
          mounts.push({ type: 'bind', source: m.source, destination: m.destination, mode: m.readOnly ? 'ro' : '', rw: !m.readOnly, propagation: m.propagation ?? 'rprivate' });
        } else if (m.type === 'tmpfs') {
          mounts.push({ type: 'tmpfs', source: '', destination: m.destination, mode: '', rw: !m.readOnly, propagation: '' });
        } else {
          mounts.push({ type: 'volume', source: m.source, destination: m.destination, mode: m.readOnly ? 'ro' : '', rw: !m.readOnly, propagation: '' });
        }
      }

      // /etc/hostname, /etc/hosts, /etc/resolv.conf, unless the user mounts their own.
      const host = this.#o.host;
      const hostname = request.run.hostname || (network.mode === 'host' ? host.hostname : id.slice(0, 12));
      const primary = endpoints[0];
      // On a user-defined network the network's DNS server answers (container names, then the host's resolvers).
      const dns = request.dns?.length ? request.dns : resolversFor(primary, host.resolvConf);
      // docker's host-gateway: the default bridge's gateway, an address of the host every container can reach.
      const hostGateway = this.#o.networks.resolve('bridge').bridge?.gateway;
      const files: { path: string; dest: string; data: string }[] = [
        { path: join(dir, 'hostname'), dest: '/etc/hostname', data: `${hostname}\n` },
        {
          path: join(dir, 'hosts'),
          dest: '/etc/hosts',
          data: network.mode === 'host' ? host.hosts + containerHostsFile({ extraHosts: request.extraHosts, hostGateway }).split('\n').slice(6).join('\n') : containerHostsFile({ extraHosts: request.extraHosts, hostGateway, ...(primary ? { ip: primary.ip, hostname } : {}) }),
        },
        { path: join(dir, 'resolv.conf'), dest: '/etc/resolv.conf', data: containerResolvConf(host.resolvConf, { dns, dnsSearch: request.dnsSearch, dnsOptions: request.dnsOptions }) },
      ];
      const extraMounts = [];
      for (const f of files) {
        if (taken.has(f.dest)) continue;
        await writeFile(f.path, f.data, { mode: 0o644 });
        extraMounts.push({ destination: f.dest, type: 'bind', source: f.path, options: ['rbind', 'rprivate', ...(request.run.readOnly ? ['ro'] : [])] });
      }

      const run = { ...request.run, hostname, mounts: [...runMounts, ...(request.run.mounts ?? [])] };
      const { spec, warnings } = buildOciSpec(image.config, run, {
        containerId: id,
        cgroupsPath: `/janus/${id}`,
        rlimitHardLimits: host.rlimitHardLimits,
        passwd,
        group,
        cgroupV2: host.cgroupV2,
        arch: host.arch,
        kernelRelease: host.kernelRelease,
        capabilities: host.capabilities,
        hostDevices: host.hostDevices,
        init: host.initBinary ? { hostPath: host.initBinary } : undefined,
        networkNamespacePath: network.mode === 'container' ? network.path : undefined,
        networkNamespaceShared: network.mode === 'container',
        hostNetwork: network.mode === 'host' ? { hostname: host.hostname } : undefined,
        extraMounts,
        cpuCount: host.cpuCount,
        swapLimit: host.swapLimit,
      });
      // The runtime reads the guest kernel from the spec (runc ignores annotations it does not know).
      if (request.vmKernel) spec.annotations = { ...spec.annotations, 'org.janus.vm.kernel': request.vmKernel };
      // A VM's disk is the container's, kept across stops like a writable layer (and snapshotted as one).
      if (isolation === 'vm') spec.annotations = { ...spec.annotations, [VM_DISK_ANNOTATION]: join(dir, 'root.qcow2') };
      // The stack runtime finds the stack VM by this annotation.
      if (runtime === VM_STACK_RUNTIME) spec.annotations = { ...spec.annotations, [VM_STACK_LABEL]: request.run.labels?.[VM_STACK_LABEL] ?? '' };
      const args = spec.process?.args ?? [];
      const userArgs = request.run.init ? args.slice(2) : args;
      const entrypoint = request.run.entrypoint !== undefined ? (request.run.entrypoint.length === 0 || (request.run.entrypoint.length === 1 && request.run.entrypoint[0] === '') ? null : request.run.entrypoint) : (image.config.Entrypoint ?? null);
      const cmd = request.run.cmd && request.run.cmd.length > 0 ? request.run.cmd : (request.run.entrypoint !== undefined && request.run.entrypoint.length > 0 && request.run.entrypoint[0] !== '' ? [] : (image.config.Cmd ?? []));
      const exposed = [...new Set([...Object.keys(image.config.ExposedPorts ?? {}), ...(request.exposedPorts ?? [])])];
      const healthcheck = request.healthcheck ?? image.config.Healthcheck;
      const rec: ContainerRecord = {
        id,
        name,
        created: new Date().toISOString(),
        image: request.image,
        imageId: image.id,
        request,
        config: {
          hostname,
          domainname: request.run.domainname ?? '',
          user: request.run.user ?? image.config.User ?? '',
          env: spec.process?.env ?? [],
          cmd,
          entrypoint,
          workingDir: request.run.workingDir || image.config.WorkingDir || '',
          labels: { ...(image.config.Labels ?? {}), ...(request.run.labels ?? {}) },
          tty: !!request.run.tty,
          openStdin: !!request.run.openStdin,
          stdinOnce: !!request.stdinOnce,
          attachStdin: !!request.attachStdin,
          attachStdout: request.attachStdout ?? true,
          attachStderr: request.attachStderr ?? true,
          stopSignal: request.run.stopSignal || image.config.StopSignal || 'SIGTERM',
          ...(request.run.stopTimeout !== undefined ? { stopTimeout: request.run.stopTimeout } : {}),
          exposedPorts: exposed,
          volumes: [...new Set([...Object.keys(image.config.Volumes ?? {}), ...(request.volumes ?? []).filter((v) => !v.name).map((v) => v.destination)])],
          // docker keeps a disabled check as {Test: ["NONE"]} (what --no-healthcheck shows and commit keeps).
          ...(healthcheck ? { healthcheck } : {}),
        },
        path: userArgs[0] ?? '',
        args: userArgs.slice(1),
        isolation,
        ...(isolationChoice ? { isolationChoice } : {}),
        runtime,
        restartPolicy,
        autoRemove: !!request.autoRemove,
        logConfig,
        logPath: logConfig.type === 'none' ? '' : join(dir, 'container.log'),
        hostnamePath: taken.has('/etc/hostname') ? '' : files[0].path,
        hostsPath: taken.has('/etc/hosts') ? '' : files[1].path,
        resolvConfPath: taken.has('/etc/resolv.conf') ? '' : files[2].path,
        mounts: mounts.sort((a, b) => a.destination.localeCompare(b.destination)),
        volumes: acquired,
        anonymousVolumes: madeVolumes,
        snapshotKey,
        graphDriver: { name: 'overlay2', data: graphData(snapshot) },
        networkMode: network.mode === 'container' ? `container:${network.container}` : network.mode === 'network' ? network.name : network.mode,
        ...(portRequests.length > 0 ? { portRequests } : {}),
        spec,
        warnings: [...extraWarnings, ...warnings],
        state: { status: 'created', pid: 0, exitCode: 0, error: '', oomKilled: false, restartCount: 0, manuallyStopped: false },
      };
      await this.#o.store.put(id, rec);
      this.#records.set(id, rec);
      this.#event(rec, 'create');
      return { id, warnings: rec.warnings };
    } catch (err) {
      this.#releaseName(name, id);
      for (const e of endpoints) await this.#o.networks.leave(e.networkId, id).catch(() => {});
      for (const v of acquired) await this.#o.volumes.release(v, id).catch(() => {});
      for (const v of madeVolumes) await this.#o.volumes.remove(v, { force: true }).catch(() => {});
      if (snapshot) await this.#o.snapshotter.remove(snapshotKey).catch(() => {});
      await rm(dir, { recursive: true, force: true });
      throw err;
    } finally {
      this.#pendingNames.delete(name);
    }
  }

  readonly #pendingNames = new Map<string, string>();

  async #claimName(wanted: string | undefined, id: string): Promise<string> {
    const taken = (n: string): string | undefined => {
      for (const r of this.#records.values()) if (r.name === n) return r.id;
      return this.#pendingNames.get(n);
    };
    if (wanted !== undefined && wanted !== '') {
      if (!isValidContainerName(wanted)) {
        throw invalidArgument(`Invalid container name (${wanted}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
      }
      const name = wanted.replace(/^\//, '');
      const owner = taken(name);
      if (owner) {
        throw conflict(`Conflict. The container name "/${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`);
      }
      this.#pendingNames.set(name, id);
      return name;
    }
    for (let attempt = 0; ; attempt++) {
      const name = randomContainerName(attempt);
      if (!taken(name)) {
        this.#pendingNames.set(name, id);
        return name;
      }
    }
  }

  #releaseName(name: string, id: string): void {
    if (this.#pendingNames.get(name) === id) this.#pendingNames.delete(name);
  }

  #chooseRuntime(request: ContainerCreateRequest): { isolation: IsolationLevel; runtime: string } {
    const rts = this.#o.runtimes;
    if (request.runtime) {
      const rt = request.runtime;
      if (!rts.byName.has(rt)) {
        throw invalidArgument(`unknown or unusable runtime ${JSON.stringify(rt)} (usable here: ${[...rts.byName.keys()].join(', ') || 'none'})`);
      }
      const level: IsolationLevel = rt === 'runsc' ? 'sandbox' : rt === 'qemu' || rt === VM_STACK_RUNTIME ? 'vm' : 'container';
      if (request.isolation && request.isolation !== level) {
        throw invalidArgument(`--runtime ${rt} runs the ${level} isolation level, not ${request.isolation}`);
      }
      return { isolation: level, runtime: rt };
    }
    if (request.isolation === 'auto') throw internal('--isolation auto reached the runtime choice unresolved');
    // A vm-level service of a stack VM runs inside that VM (docs/vm-stack.md), not in a VM of its own.
    if (request.isolation === 'vm' && request.run.labels?.[VM_STACK_LABEL] && rts.levels.vm && rts.byName.has(VM_STACK_RUNTIME)) return { isolation: 'vm', runtime: VM_STACK_RUNTIME };
    const isolation = request.isolation ?? 'container';
    const rt = rts.levels[isolation];
    if (!rt) throw unavailable(`the ${isolation} isolation level does not work on this host: ${rts.unavailable[isolation] ?? 'no runtime for it was found'}`);
    return { isolation, runtime: rt };
  }

  async #network(request: ContainerCreateRequest, runtime: string): Promise<{ mode: 'none' | 'host' } | { mode: 'container'; path: string; container: string } | { mode: 'network'; name: string }> {
    // docker's default is the `bridge` network. A sandbox joins networks only when asked (--network): there gVisor uses
    // its host networking, which costs memory snapshots (runsc cannot checkpoint it), so by default a sandbox has none.
    // gVisor takes over the interfaces of the namespace it runs in, so it cannot share the host's or another container's.
    const n = request.network ?? (runtime === 'runsc' ? { mode: 'none' as const } : { mode: 'network' as const, name: 'bridge' });
    if (runtime === 'runsc' && (n.mode === 'host' || n.mode === 'container')) {
      throw notImplemented(`--network ${n.mode === 'host' ? 'host' : `container:${n.container}`} is not available at the sandbox level: gVisor's network stack takes over the interfaces of the namespace it runs in, so a sandbox has a namespace of its own (use a network, or --network none)`);
    }
    if (n.mode === 'none' || n.mode === 'host') return { mode: n.mode };
    if (n.mode === 'container') {
      const other = this.#resolve(n.container);
      if (other.state.status !== 'running' && other.state.status !== 'paused') {
        throw conflict(`cannot join the network namespace of container ${other.name}: it is not running`);
      }
      return { mode: 'container', path: `/proc/${other.state.pid}/ns/net`, container: other.name };
    }
    const name = n.name === 'default' ? 'bridge' : n.name;
    const net = this.#o.networks.resolve(name);
    if (net.driver === 'host' || net.driver === 'null') return { mode: net.driver === 'host' ? 'host' : 'none' };
    for (const other of Object.keys(request.endpoints ?? {})) this.#o.networks.resolve(other);
    return { mode: 'network', name: net.name };
  }

  /** Joins a new container to its primary network, then to the other networks of its request, in order. */
  async #joinAll(id: string, name: string, primary: string, requested: Record<string, EndpointRequest>): Promise<JoinedEndpoint[]> {
    const joined: JoinedEndpoint[] = [];
    try {
      const order = [primary, ...Object.keys(requested).filter((n) => this.#o.networks.resolve(n).name !== primary)];
      for (const net of order) {
        const req = requested[net] ?? Object.entries(requested).find(([k]) => this.#o.networks.resolve(k).name === net)?.[1] ?? {};
        joined.push(await this.#o.networks.join(net, { id, name }, { ...req, ifIndex: joined.length }));
      }
      return joined;
    } catch (err) {
      for (const e of joined) await this.#o.networks.leave(e.networkId, id).catch(() => {});
      throw err;
    }
  }

  #joinsNetworks(rec: ContainerRecord): boolean {
    return this.#o.networks.endpointsOf(rec.id).length > 0;
  }

  /** Starts keeping rotated log files for a running container with `max-file` above 1. */
  async #keepLog(rec: ContainerRecord): Promise<void> {
    if (rec.logConfig.maxFiles <= 1 || !rec.logPath || this.#logKeepers.has(rec.id)) return;
    const keeper = new ContainerLogKeeper(rec.logPath, rec.logConfig.maxFiles, this.#log);
    this.#logKeepers.set(rec.id, keeper);
    await keeper.start().catch((err: unknown) => this.#log.warn('cannot keep the rotated logs of a container', { id: rec.id, error: err }));
  }

  /** Undoes the network of a run that ended (idempotent); the addresses stay with the container. */
  async #networkDown(rec: ContainerRecord): Promise<void> {
    if (!this.#joinsNetworks(rec)) return;
    await this.#o.networks.down(rec.id).catch((err: unknown) => this.#log.warn('cannot tear down the network of a container', { id: rec.id, error: err }));
  }

  // ------------------------------------------------------------ lifecycle

  async start(ref: string, _options: { signal?: AbortSignal } = {}): Promise<{ started: boolean }> {
    const id = this.#resolve(ref).id;
    return this.#locks.run(id, async () => {
      const rec = this.#get(id);
      const s = rec.state.status;
      if (s === 'running') return { started: false };
      if (s === 'paused') throw conflict(`cannot start a paused container ${rec.name}, try unpause instead`);
      if (s === 'removing' || s === 'dead') throw conflict(`container ${rec.name} is marked for removal and cannot be started`);
      this.#cancelRestart(id);
      rec.state.manuallyStopped = false;
      await this.#startTask(rec);
      return { started: true };
    });
  }

  /** Creates and starts the task of `rec` (under its lock). Records a failed start as an exit, as docker does. */
  async #startTask(rec: ContainerRecord, options: { restoreFrom?: string } = {}): Promise<void> {
    const runtime = this.#o.runtimes.byName.get(rec.runtime);
    if (!runtime) throw unavailable(`runtime ${rec.runtime} of container ${rec.name} is not usable on this host any more`);
    for (const m of rec.mounts) {
      if (m.type === 'bind') {
        await stat(m.source).catch(() => {
          throw invalidArgument(`invalid mount config for type "bind": bind source path does not exist: ${m.source}`);
        });
      }
    }
    // A task left from an earlier run (daemon killed between exit and cleanup) would make create fail.
    await this.#deleteTask(runtime, rec.id);
    const rootfs = await this.#o.snapshotter.mounts(rec.snapshotKey);
    let task: Task | undefined;
    let oci = rec.spec;
    try {
      if (this.#joinsNetworks(rec)) {
        const net = await this.#o.networks.up(rec.id, rec.portRequests ?? []);
        rec.state.ports = net.ports;
        oci = withNetworkNamespace(rec.spec, net.sandbox);
      }
      task = await runtime.create(rec.id, {
        oci,
        rootfs,
        io: {
          tty: rec.config.tty,
          stdin: rec.config.openStdin,
          stdinOnce: rec.config.stdinOnce,
          logPath: rec.logPath || '/dev/null',
          logMaxSize: rec.logConfig.maxSize,
          logMaxFiles: rec.logConfig.maxFiles,
        },
      }, options.restoreFrom ? { restoreFrom: options.restoreFrom } : {});
      await task.start();
    } catch (err) {
      if (task) await task.delete({ force: true }).catch(() => {});
      await this.#networkDown(rec);
      delete rec.state.ports;
      const code = err instanceof ProcessStartError ? err.exitCode : 128;
      rec.state = { ...rec.state, status: rec.state.startedAt ? 'exited' : 'created', exitCode: code, error: (err as Error).message, pid: 0 };
      if (err instanceof ProcessStartError) rec.state.status = 'exited';
      rec.state.finishedAt = new Date().toISOString();
      await this.#save(rec);
      this.#notify(rec.id, 'next-exit', { statusCode: code, error: rec.state.error });
      // docker removes an auto-remove container whose start failed; its waiters learn of it.
      if (rec.autoRemove) await this.#removeNow(rec, { volumes: true });
      throw err;
    }
    const exited = Promise.withResolvers<void>();
    this.#exited.set(rec.id, exited);
    rec.state = { ...rec.state, status: 'running', pid: task.pid, exitCode: 0, error: '', oomKilled: false, startedAt: new Date().toISOString(), ...(task.vm ? { vm: task.vm } : {}) };
    delete rec.state.finishedAt;
    if (hasHealthcheck(rec)) rec.state.health = { status: 'starting', failingStreak: 0, log: [] };
    await this.#save(rec);
    this.#tasks.set(rec.id, task);
    await this.#keepLog(rec);
    this.#event(rec, 'start');
    this.#watch(rec.id, task);
    this.#startHealth(rec, task);
  }

  /**
   * Ends a task `#startTask` just started, under the container's lock (so
   * not through `stop`, which waits for the exit recorded under it), and
   * puts the container's state back to `before`: its exit is not one.
   */
  async #undoStart(rec: ContainerRecord, before: ContainerRecord['state']): Promise<void> {
    const task = this.#tasks.get(rec.id);
    this.#tasks.delete(rec.id);
    this.#exited.get(rec.id)?.resolve();
    this.#exited.delete(rec.id);
    await task?.kill('SIGKILL').catch(() => {});
    await task?.delete({ force: true }).catch((err: unknown) => this.#log.warn('cannot remove a task a failed restore started', { id: rec.id, error: err }));
    await this.#logKeepers.get(rec.id)?.stop();
    this.#logKeepers.delete(rec.id);
    await this.#networkDown(rec);
    rec.state = before;
    await this.#save(rec);
  }

  #watch(id: string, task: Task): void {
    if (!this.#exited.has(id)) this.#exited.set(id, Promise.withResolvers<void>());
    task.wait().then(
      (exit) => this.#locks.run(id, () => this.#onExit(id, task, exit)),
      (err: unknown) => this.#log.error('waiting for a container failed', { id, error: err }),
    ).catch((err: unknown) => this.#log.error('recording an exit failed', { id, error: err }));
  }

  async #onExit(id: string, task: Task, exit: Exit): Promise<void> {
    const rec = this.#records.get(id);
    if (!rec || this.#tasks.get(id) !== task) return;
    this.#tasks.delete(id);
    const ranMs = rec.state.startedAt ? Date.now() - Date.parse(rec.state.startedAt) : 0;
    // The exit is durable and told first (`wait`, `run` return at once); the
    // clean-up below still runs under the container's lock, so nothing can
    // start or remove it meanwhile.
    await this.#recordExit(rec, exit, '');
    if (exit.oomKilled) this.#event(rec, 'oom');
    this.#event(rec, 'die', { exitCode: String(exit.code) });
    const done = this.#exited.get(id);
    this.#exited.delete(id);
    done?.resolve();
    this.#notify(id, 'next-exit', { statusCode: exit.code });
    await task.delete({ force: true }).catch((err: unknown) => this.#log.warn('cleaning up an exited task failed', { id, error: err }));
    await this.#logKeepers.get(id)?.stop();
    this.#logKeepers.delete(id);
    await this.#networkDown(rec);

    if (this.#shouldRestart(rec, exit)) {
      // docker's back-off: 100 ms doubling up to a minute, reset after 10 s of running.
      const prev = ranMs >= 10_000 ? 0 : (this.#backoff.get(id) ?? 0);
      const delay = prev === 0 ? 100 : Math.min(prev * 2, MAX_BACKOFF_MS);
      this.#backoff.set(id, delay);
      rec.state.status = 'restarting';
      await this.#save(rec);
      this.#scheduleRestart(rec, delay);
    } else if (rec.autoRemove) {
      await this.#removeNow(rec, { volumes: true });
    }
  }

  async #recordExit(rec: ContainerRecord, exit: Exit, error: string): Promise<void> {
    delete rec.state.ports;
    rec.state = {
      ...rec.state,
      status: 'exited',
      pid: 0,
      exitCode: exit.code,
      error,
      oomKilled: exit.oomKilled,
      finishedAt: exit.exitedAt.toISOString(),
    };
    if (rec.state.health) rec.state.health = { ...rec.state.health, status: 'unhealthy' };
    await this.#save(rec);
  }

  #shouldRestart(rec: ContainerRecord, exit: Exit): boolean {
    if (this.#closing || rec.state.manuallyStopped) return false;
    const p = rec.restartPolicy;
    if (p.name === 'always' || p.name === 'unless-stopped') return true;
    if (p.name === 'on-failure') return exit.code !== 0 && (p.maximumRetryCount === 0 || rec.state.restartCount < p.maximumRetryCount);
    return false;
  }

  #scheduleRestart(rec: ContainerRecord, delayMs: number): void {
    this.#cancelRestart(rec.id);
    const timer = setTimeout(() => {
      this.#restartTimers.delete(rec.id);
      void this.#locks.run(rec.id, async () => {
        const cur = this.#records.get(rec.id);
        if (!cur || cur.state.manuallyStopped || this.#closing) return;
        if (cur.state.status !== 'restarting' && cur.state.status !== 'exited') return;
        cur.state.restartCount++;
        try {
          await this.#startTask(cur);
          this.#event(cur, 'restart');
        } catch (err) {
          this.#log.warn('restart failed', { id: cur.id, error: err });
          if (this.#shouldRestart(cur, { code: cur.state.exitCode, exitedAt: new Date(), oomKilled: false })) {
            const delay = Math.min((this.#backoff.get(cur.id) ?? 100) * 2, MAX_BACKOFF_MS);
            this.#backoff.set(cur.id, delay);
            cur.state.status = 'restarting';
            await this.#save(cur);
            this.#scheduleRestart(cur, delay);
          }
        }
      });
    }, delayMs);
    timer.unref();
    this.#restartTimers.set(rec.id, timer);
  }

  #cancelRestart(id: string): void {
    const t = this.#restartTimers.get(id);
    if (t) clearTimeout(t);
    this.#restartTimers.delete(id);
  }

  async stop(ref: string, options: { timeout?: number; signal?: string } = {}): Promise<{ stopped: boolean }> {
    const id = this.#resolve(ref).id;
    const prepared = await this.#locks.run(id, async () => {
      const rec = this.#get(id);
      if (rec.state.status === 'restarting') {
        this.#cancelRestart(id);
        rec.state.manuallyStopped = true;
        rec.state.status = 'exited';
        await this.#save(rec);
        return undefined;
      }
      if (rec.state.status !== 'running' && rec.state.status !== 'paused') return undefined;
      rec.state.manuallyStopped = true;
      await this.#save(rec);
      return rec;
    });
    if (!prepared) return { stopped: false };
    const timeout = options.timeout ?? prepared.config.stopTimeout ?? DEFAULT_STOP_TIMEOUT;
    await this.#terminate(prepared, options.signal || prepared.config.stopSignal, timeout);
    this.#event(prepared, 'stop');
    return { stopped: true };
  }

  /** Sends `signal`, gives the process `timeout` seconds (-1: forever), then SIGKILLs it; resolves once the exit is recorded. */
  async #terminate(rec: ContainerRecord, signal: string, timeout: number): Promise<void> {
    const task = this.#tasks.get(rec.id);
    const exited = this.#exited.get(rec.id)?.promise;
    if (!task || !exited) return;
    const paused = rec.state.status === 'paused';
    const trySignal = async (sig: string, all = false): Promise<void> => {
      try {
        await task.kill(sig, { all });
      } catch (err) {
        if (!isJanusError(err, 'Conflict')) throw err;
      }
    };
    await trySignal(signal);
    if (paused && timeout !== 0) {
      // docker: the stop signal is queued in the frozen cgroup, then the container is thawed to act on it.
      await task.resume().catch(() => {});
      await this.#locks.run(rec.id, async () => {
        if (rec.state.status === 'paused') {
          rec.state.status = 'running';
          await this.#save(rec);
          this.#event(rec, 'unpause');
        }
      });
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = timeout === 0
      ? true
      : timeout < 0
        ? await exited.then(() => false)
        : await Promise.race([exited.then(() => false), new Promise<boolean>((r) => { timer = setTimeout(() => r(true), timeout * 1000); })]);
    clearTimeout(timer);
    if (timedOut) {
      await trySignal('SIGKILL', true);
      // A frozen cgroup holds the SIGKILL until it is thawed.
      if (paused && timeout === 0) await task.resume().catch(() => {});
      await exited;
    }
  }

  async restart(ref: string, options: { timeout?: number; signal?: string } = {}): Promise<void> {
    await this.stop(ref, options);
    const id = this.#resolve(ref).id;
    await this.#locks.run(id, async () => {
      const rec = this.#get(id);
      if (rec.state.status === 'running') return;
      this.#cancelRestart(id);
      rec.state.manuallyStopped = false;
      await this.#startTask(rec);
      this.#event(rec, 'restart');
    });
  }

  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    const rec = this.#resolve(ref);
    const task = this.#tasks.get(rec.id);
    if (!task || (rec.state.status !== 'running' && rec.state.status !== 'paused')) {
      throw conflict(`Cannot kill container: ${rec.name}: Container ${rec.id} is not running`);
    }
    // As docker: SIGKILL or the stop signal ends the container for good (no restart); other signals are just signals.
    if (isKill(signal) || sameSignal(signal, rec.config.stopSignal)) {
      await this.#locks.run(rec.id, async () => {
        rec.state.manuallyStopped = true;
        await this.#save(rec);
      });
    }
    await task.kill(signal, { all: isKill(signal) });
    this.#event(rec, 'kill', { signal: signal.replace(/^SIG/i, '').toUpperCase() });
  }

  async remove(ref: string, options: { force?: boolean; volumes?: boolean; snapshots?: boolean } = {}): Promise<void> {
    const rec = this.#resolve(ref);
    const up = rec.state.status === 'running' || rec.state.status === 'paused';
    if (up && !options.force) {
      throw conflict(`cannot remove container "/${rec.name}": container is ${rec.state.status}: stop the container before removing or force remove`);
    }
    const snaps = await this.#o.snapshots.list(rec.id);
    if (snaps.length > 0 && !options.snapshots) {
      throw conflict(`cannot remove container "/${rec.name}": it has ${snaps.length} snapshot${snaps.length === 1 ? '' : 's'} (${snaps.map((x) => x.name).join(', ')}): remove them first (snapshot rm) or remove them with it (rm --snapshots)`);
    }
    if (up) {
      await this.#locks.run(rec.id, async () => {
        rec.state.manuallyStopped = true;
        await this.#save(rec);
      });
      await this.#terminate(rec, 'SIGKILL', 0);
    }
    await this.#locks.run(rec.id, async () => {
      if (!this.#records.has(rec.id)) return;
      await this.#removeNow(rec, options);
    });
  }

  async #removeNow(rec: ContainerRecord, options: { volumes?: boolean }): Promise<void> {
    this.#cancelRestart(rec.id);
    rec.state.status = 'removing';
    await this.#save(rec);
    const runtime = this.#o.runtimes.byName.get(rec.runtime);
    if (runtime) await this.#deleteTask(runtime, rec.id);
    this.#tasks.delete(rec.id);
    await this.#networkDown(rec);
    for (const e of this.#o.networks.endpointsOf(rec.id)) await this.#o.networks.leave(e.networkId, rec.id);
    for (const e of this.#execs.values()) if (e.containerId === rec.id) this.#execs.delete(e.id);
    try {
      await this.#o.snapshotter.remove(rec.snapshotKey);
    } catch (err) {
      if (!isJanusError(err, 'NotFound')) throw err;
    }
    for (const v of rec.volumes) await this.#o.volumes.release(v, rec.id);
    if (options.volumes) {
      for (const v of rec.anonymousVolumes) {
        await this.#o.volumes.remove(v).catch((err: unknown) => {
          if (!isJanusError(err, 'NotFound') && !isJanusError(err, 'Conflict')) throw err;
        });
      }
    }
    await this.#o.snapshots.removeAll(rec.id);
    await rm(join(this.#o.dir, rec.id), { recursive: true, force: true });
    await this.#o.store.delete(rec.id);
    this.#records.delete(rec.id);
    this.#backoff.delete(rec.id);
    this.#event(rec, 'destroy');
    this.#notify(rec.id, 'removed', { statusCode: rec.state.exitCode });
    this.#notify(rec.id, 'next-exit', { statusCode: rec.state.exitCode });
  }

  async #deleteTask(runtime: Runtime, id: string): Promise<void> {
    try {
      const task = await runtime.load(id);
      await task.delete({ force: true });
    } catch (err) {
      if (!isJanusError(err, 'NotFound')) this.#log.warn('removing a task failed', { id, error: err });
      // A half-created task `load` refuses still has to go.
      const withRemove = runtime as Runtime & { remove?: (id: string) => Promise<void> };
      await withRemove.remove?.(id).catch(() => {});
    }
  }

  async wait(ref: string, options: { condition?: 'not-running' | 'next-exit' | 'removed'; signal?: AbortSignal } = {}): Promise<{ statusCode: number; error?: string }> {
    const rec = this.#resolve(ref);
    const condition = options.condition ?? 'not-running';
    const up = rec.state.status === 'running' || rec.state.status === 'paused' || rec.state.status === 'restarting';
    if (condition === 'not-running' && !up) return { statusCode: rec.state.exitCode, ...(rec.state.error ? { error: rec.state.error } : {}) };
    return new Promise((resolve, reject) => {
      const list = this.#waiters.get(rec.id) ?? [];
      const waiter: Waiter = { condition: condition === 'removed' ? 'removed' : 'next-exit', resolve: (r) => { cleanup(); resolve(r); } };
      const onAbort = (): void => {
        cleanup();
        reject(options.signal?.reason ?? new Error('aborted'));
      };
      const cleanup = (): void => {
        options.signal?.removeEventListener('abort', onAbort);
        const l = this.#waiters.get(rec.id);
        if (l) {
          const i = l.indexOf(waiter);
          if (i >= 0) l.splice(i, 1);
          if (l.length === 0) this.#waiters.delete(rec.id);
        }
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      list.push(waiter);
      this.#waiters.set(rec.id, list);
    });
  }

  #notify(id: string, condition: Waiter['condition'], result: { statusCode: number; error?: string }): void {
    for (const w of [...(this.#waiters.get(id) ?? [])]) if (w.condition === condition) w.resolve(result);
  }

  async pause(ref: string): Promise<void> {
    const rec = this.#resolve(ref);
    await this.#locks.run(rec.id, async () => {
      const task = this.#tasks.get(rec.id);
      if (rec.state.status === 'paused') throw conflict(`Container ${rec.id} is already paused`);
      if (!task || rec.state.status !== 'running') throw conflict(`Container ${rec.id} is not running`);
      await task.pause();
      rec.state.status = 'paused';
      await this.#save(rec);
      this.#event(rec, 'pause');
    });
  }

  async unpause(ref: string): Promise<void> {
    const rec = this.#resolve(ref);
    await this.#locks.run(rec.id, async () => {
      const task = this.#tasks.get(rec.id);
      if (!task || rec.state.status !== 'paused') throw conflict(`Container ${rec.id} is not paused`);
      await task.resume();
      rec.state.status = 'running';
      await this.#save(rec);
      this.#event(rec, 'unpause');
    });
  }

  async rename(ref: string, name: string): Promise<void> {
    const rec = this.#resolve(ref);
    if (!name) throw invalidArgument('Neither old nor new names may be empty');
    if (name.replace(/^\//, '') === rec.name) throw invalidArgument('Renaming a container with the same name as its current name');
    const newName = await this.#claimName(name, rec.id);
    try {
      await this.#locks.run(rec.id, async () => {
        const old = rec.name;
        rec.name = newName;
        await this.#save(rec);
        await this.#o.networks.renamed(rec.id, newName);
        this.#event(rec, 'rename', { oldName: `/${old}` });
      });
    } finally {
      this.#releaseName(newName, rec.id);
    }
  }

  // ------------------------------------------------------------ reads

  async list(options: { all?: boolean; limit?: number; size?: boolean; filters?: ContainerFilters } = {}): Promise<ContainerView[]> {
    const f = options.filters ?? {};
    const resolved: { before?: Date; since?: Date; ancestorIds?: Set<string> } = {};
    if (f.before) resolved.before = new Date(this.#resolve(f.before).created);
    if (f.since) resolved.since = new Date(this.#resolve(f.since).created);
    if (f.ancestor && f.ancestor.length > 0) {
      resolved.ancestorIds = new Set();
      for (const a of f.ancestor) {
        try {
          resolved.ancestorIds.add((await this.#o.images.inspect(a)).id);
        } catch (err) {
          if (!isJanusError(err, 'NotFound')) throw err;
        }
      }
    }
    const all = options.all || (options.limit ?? 0) > 0 || (f.status?.length ?? 0) > 0 || (f.exited?.length ?? 0) > 0;
    let views = [...this.#records.values()]
      .filter((r) => all || r.state.status === 'running' || r.state.status === 'paused' || r.state.status === 'restarting')
      .map((r) => this.#view(r))
      .filter((v) => matchesContainerFilters(v, f, resolved))
      .sort((a, b) => b.created.getTime() - a.created.getTime());
    if ((options.limit ?? 0) > 0) views = views.slice(0, options.limit);
    if (options.size) for (const v of views) Object.assign(v, await this.#sizes(v.id));
    return views;
  }

  async inspect(ref: string, options: { size?: boolean } = {}): Promise<ContainerView> {
    const rec = this.#resolve(ref);
    const view = this.#view(rec);
    if (options.size) Object.assign(view, await this.#sizes(rec.id));
    return view;
  }

  async #sizes(id: string): Promise<{ sizeRw: number; sizeRootFs: number }> {
    const rec = this.#get(id);
    // docker's SizeRw: bytes of the files in the writable layer (not the blocks the snapshotter's usage counts).
    const rw = await writableLayerSize(rec.graphDriver.data.UpperDir ?? '').catch(() => 0);
    const image = await this.#o.images.inspect(rec.imageId).then((i) => i.size, () => 0);
    return { sizeRw: rw, sizeRootFs: rw + image };
  }

  #view(rec: ContainerRecord): ContainerView {
    const execIds = [...this.#execs.values()].filter((e) => e.containerId === rec.id).map((e) => e.id);
    return viewOf(rec, execIds, { endpoints: this.#o.networks.viewEndpoints(rec.id, rec.networkMode), sandbox: this.#o.networks.sandboxOf(rec.id)?.sandbox });
  }

  logs(ref: string, options: LogsOptions = {}): AsyncIterable<LogEntry> {
    const rec = this.#resolve(ref);
    if (rec.logConfig.type === 'none') {
      throw invalidArgument(`configured logging driver does not support reading: container ${rec.name} logs with driver "none"`);
    }
    const follow = !!options.follow && (rec.state.status === 'running' || rec.state.status === 'paused' || rec.state.status === 'restarting');
    return readContainerLog(rec.logPath, {
      rotated: rec.logConfig.maxFiles - 1,
      stdout: options.stdout,
      stderr: options.stderr,
      since: options.since,
      until: options.until,
      tail: options.tail,
      follow,
      done: follow ? this.#untilStopped(rec.id) : undefined,
      signal: options.signal,
      // A line conmon cut across its reads is one line with one timestamp, as docker and podman show it.
      joinLines: true,
    });
  }

  /** Resolves when the container is neither running nor about to restart (or is removed). */
  #untilStopped(id: string): Promise<void> {
    return (async () => {
      for (;;) {
        const rec = this.#records.get(id);
        if (!rec) return;
        const pending = this.#exited.get(id)?.promise;
        if (pending) {
          await pending;
          continue;
        }
        if (rec.state.status !== 'restarting') return;
        await this.wait(id, { condition: 'next-exit' }).catch(() => {});
      }
    })();
  }

  // ------------------------------------------------------------ streams

  async attach(ref: string, options: AttachOptions = {}): Promise<StreamSession> {
    const rec = this.#resolve(ref);
    const detach = parseDetachKeys(options.detachKeys);
    const wantOut = options.stdout !== false || options.stderr !== false;
    if (wantOut && rec.logConfig.type === 'none' && (options.stream || options.logs)) {
      throw conflict(`container ${rec.name} logs with driver "none": there is no output to attach to`);
    }
    const abort = new AbortController();
    const signal = options.signal ? AbortSignal.any([abort.signal, options.signal]) : abort.signal;
    const output = this.#attachOutput(rec, options, signal);
    let stdin: Writable | undefined;
    if (options.stdin && rec.config.openStdin) {
      stdin = await this.#stdinOf(rec, () => this.#tasks.get(rec.id), detach, () => session.close());
    }
    this.#event(rec, 'attach');
    const session: StreamSession = {
      tty: rec.config.tty,
      output,
      stdin,
      close: () => {
        abort.abort();
        stdin?.destroy();
      },
    };
    return session;
  }

  async *#attachOutput(rec: ContainerRecord, options: AttachOptions, signal: AbortSignal): AsyncGenerator<{ stream: 'stdout' | 'stderr'; data: Buffer }> {
    if (rec.logConfig.type === 'none') return;
    const filter = { stdout: options.stdout !== false, stderr: options.stderr !== false && !rec.config.tty };
    if (options.logs) {
      for await (const e of readContainerLog(rec.logPath, { ...filter, signal })) yield { stream: e.stream, data: e.data };
    }
    if (options.stream === false) return;
    // Live output: whatever the log gains from now until the next exit (attach before start waits for it).
    const done = this.#nextStop(rec.id, signal);
    for await (const e of readContainerLog(rec.logPath, { ...filter, follow: true, tail: 0, done, signal })) {
      yield { stream: rec.config.tty ? 'stdout' : e.stream, data: e.data };
    }
  }

  /** Resolves at the end of the current run, or of the next one when the container is not running yet. */
  #nextStop(id: string, signal: AbortSignal): Promise<void> {
    const current = this.#exited.get(id)?.promise;
    if (current) return current;
    return this.wait(id, { condition: 'next-exit', signal }).then(() => {}, () => {});
  }

  /** Connects to a process's stdin, watching it for the detach keys. Retries while the task is not there yet (attach before start). */
  async #stdinOf(rec: ContainerRecord, task: () => Task | ExecProcess | undefined, detach: Buffer, onDetach: () => void): Promise<Writable> {
    const filter = new DetachKeyFilter(detach, onDetach);
    const front = new PassThrough();
    let back: Writable | undefined;
    const connect = async (): Promise<Writable> => {
      for (;;) {
        const t = task();
        if (t) return t.openStdin();
        if (front.destroyed) throw new Error('closed');
        await this.#nextStart(rec.id);
      }
    };
    const backReady = connect().then((w) => {
      back = w;
      w.on('error', (err) => this.#log.debug('stdin connection ended', { id: rec.id, error: err }));
      return w;
    });
    backReady.catch(() => front.destroy());
    front.on('data', (chunk: Buffer) => {
      const pass = filter.push(chunk);
      if (pass.length > 0) void backReady.then((w) => w.write(pass), () => {});
    });
    front.on('end', () => { void backReady.then((w) => w.end(filter.flush()), () => {}); });
    front.on('close', () => { if (!front.readableEnded) back?.destroy(); });
    return front;
  }

  #nextStart(id: string): Promise<void> {
    return new Promise((resolve) => {
      const check = setInterval(() => {
        if (this.#tasks.has(id) || !this.#records.has(id)) {
          clearInterval(check);
          resolve();
        }
      }, 20);
      check.unref();
    });
  }

  async resize(ref: string, size: { rows: number; cols: number }): Promise<void> {
    const rec = this.#resolve(ref);
    const task = this.#tasks.get(rec.id);
    if (!task) throw conflict(`Container ${rec.id} is not running`);
    if (!rec.config.tty) throw conflict(`container ${rec.name} has no TTY to resize`);
    await task.resize(size);
  }

  // ------------------------------------------------------------ exec

  async execCreate(ref: string, request: ExecCreateRequest): Promise<string> {
    const rec = this.#resolve(ref);
    if (rec.state.status !== 'running') {
      throw conflict(rec.state.status === 'paused' ? `Container ${rec.id} is paused, unpause the container before exec` : `Container ${rec.id} is not running`);
    }
    if (!Array.isArray(request.cmd) || request.cmd.length === 0) throw invalidArgument('No exec command specified');
    for (const e of request.env ?? []) if (!e || e.startsWith('=')) throw invalidArgument(`invalid environment variable: ${JSON.stringify(e)}`);
    if (request.workingDir && !request.workingDir.startsWith('/')) throw invalidArgument(`the working directory '${request.workingDir}' is invalid, it needs to be an absolute path`);
    parseDetachKeys(request.detachKeys);
    const id = randomBytes(32).toString('hex');
    this.#execs.set(id, { id, containerId: rec.id, request, running: false, started: false });
    this.#event(rec, 'exec_create', { execID: id });
    return id;
  }

  async execStart(execId: string, options: { detach?: boolean; tty?: boolean; signal?: AbortSignal; beforeStart?: (tty: boolean) => void } = {}): Promise<StreamSession> {
    const session = this.#execs.get(execId);
    if (!session) throw notFound(`No such exec instance: ${execId}`);
    if (session.started) throw conflict(`exec ${execId} has already been started`);
    const rec = this.#get(session.containerId);
    const task = this.#tasks.get(rec.id);
    if (!task || rec.state.status !== 'running') throw conflict(`Container ${rec.id} is not running`);
    session.started = true;
    const r = session.request;
    const tty = options.tty ?? !!r.tty;
    const process = await this.#execProcess(rec, r, tty);
    options.beforeStart?.(tty);
    let proc: ExecProcess;
    try {
      proc = await task.exec(execId, process, { tty, stdin: !!r.attachStdin && !options.detach });
    } catch (err) {
      session.exitCode = err instanceof ProcessStartError ? err.exitCode : 126;
      throw err;
    }
    session.process = proc;
    session.running = true;
    this.#event(rec, 'exec_start', { execID: execId });
    const ended = proc.wait().then((exit) => {
      session.running = false;
      session.exitCode = exit.code;
      this.#event(rec, 'exec_die', { execID: execId, exitCode: String(exit.code) });
      if (options.detach) void proc.delete().catch(() => {});
    });
    const abort = new AbortController();
    const signal = options.signal ? AbortSignal.any([abort.signal, options.signal]) : abort.signal;
    let stdin: Writable | undefined;
    if (r.attachStdin && !options.detach) {
      stdin = await this.#stdinOf(rec, () => proc, parseDetachKeys(r.detachKeys), () => out.close());
    }
    const wantStdout = r.attachStdout !== false;
    const wantStderr = r.attachStderr !== false && !tty;
    const out: StreamSession = {
      tty,
      output: options.detach ? (async function* () {})() : (async function* () {
        try {
          for await (const e of readContainerLog(proc.logPath, { follow: true, done: ended, signal, stdout: wantStdout, stderr: wantStderr })) {
            yield { stream: tty ? 'stdout' as const : e.stream, data: e.data };
          }
        } finally {
          // Once its output was read to the end nobody needs the exec's files.
          void ended.then(() => proc.delete()).catch(() => {});
        }
      })(),
      stdin,
      close: () => {
        abort.abort();
        stdin?.destroy();
      },
    };
    return out;
  }

  async #execProcess(rec: ContainerRecord, r: ExecCreateRequest, tty: boolean): Promise<OciProcess> {
    const base = rec.spec.process!;
    const env = [...(base.env ?? [])];
    for (const e of r.env ?? []) {
      const key = e.split('=')[0];
      const i = env.findIndex((x) => x.split('=')[0] === key);
      if (i >= 0) env[i] = e;
      else env.push(e);
    }
    let user = base.user;
    if (r.user) {
      let db: { passwd?: string; group?: string };
      if (rec.runtime === 'runsc') {
        // gVisor's /proc/<pid>/root is the sandbox's own empty root: read the container's layers instead.
        const layers = overlayLayersOf(await this.#o.snapshotter.mounts(rec.snapshotKey), `container ${rec.name}`);
        db = await readUserDb(await this.#files.imageView([...layers.lowerDirs].reverse().concat(layers.upperDir)));
      } else {
        const root = `/proc/${rec.state.pid}/root`;
        db = {
          passwd: await readFile(`${root}/etc/passwd`, 'utf8').catch(() => undefined),
          group: await readFile(`${root}/etc/group`, 'utf8').catch(() => undefined),
        };
      }
      user = resolveUser(r.user, db).user;
    }
    const caps = r.privileged ? this.#o.host.capabilities : undefined;
    return {
      ...base,
      terminal: tty,
      args: r.cmd,
      env,
      cwd: r.workingDir || base.cwd,
      user,
      ...(caps ? { capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps] } } : {}),
    };
  }

  async execInspect(execId: string): Promise<ExecView> {
    const s = this.#execs.get(execId);
    if (!s) throw notFound(`No such exec instance: ${execId}`);
    const rec = this.#records.get(s.containerId);
    const r = s.request;
    return {
      id: s.id,
      containerId: s.containerId,
      running: s.running,
      ...(s.exitCode !== undefined ? { exitCode: s.exitCode } : {}),
      pid: s.running ? (s.process?.pid ?? 0) : 0,
      openStdin: !!r.attachStdin,
      openStdout: r.attachStdout !== false,
      openStderr: r.attachStderr !== false,
      canRemove: false,
      detachKeys: r.detachKeys ?? '',
      processConfig: {
        tty: !!r.tty,
        entrypoint: r.cmd[0],
        arguments: r.cmd.slice(1),
        privileged: !!r.privileged,
        user: r.user ?? rec?.config.user ?? '',
        workingDir: r.workingDir ?? '',
        env: r.env ?? [],
      },
    };
  }

  async execResize(execId: string, size: { rows: number; cols: number }): Promise<void> {
    const s = this.#execs.get(execId);
    if (!s) throw notFound(`No such exec instance: ${execId}`);
    if (!s.process || !s.running) throw conflict(`exec ${execId} is not running`);
    await s.process.resize(size);
  }

  // ------------------------------------------------------------ inside the container

  async top(ref: string, psArgs = '-ef'): Promise<{ titles: string[]; processes: string[][] }> {
    const rec = this.#resolve(ref);
    if (rec.state.status !== 'running' && rec.state.status !== 'paused') throw conflict(`Container ${rec.id} is not running`);
    const pids = await containerPids(rec.state.pid);
    const args = psArgs.trim() === '' ? [] : psArgs.trim().split(/\s+/);
    const r = await this.#o.exec.run('ps', args, { check: false });
    if (r.code !== 0) throw invalidArgument(`ps ${psArgs}: ${r.stderr.trim() || `exit status ${r.code}`}`);
    const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
    const titles = lines[0]?.trim().split(/\s+/) ?? [];
    const pidCol = titles.indexOf('PID');
    if (pidCol < 0) throw invalidArgument(`ps ${psArgs}: its output has no PID column`);
    const processes: string[][] = [];
    for (const line of lines.slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (!pids.has(Number(fields[pidCol]))) continue;
      // The last column (the command) keeps its spaces.
      processes.push([...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')]);
    }
    return { titles, processes };
  }

  async stats(ref: string): Promise<ContainerStatsSample> {
    const rec = this.#resolve(ref);
    const task = this.#tasks.get(rec.id);
    if (!task || (rec.state.status !== 'running' && rec.state.status !== 'paused')) throw conflict(`Container ${rec.id} is not running`);
    const s = await task.stats();
    const io = await readBlkio(rec.state.pid);
    const net = await readNetDev(rec.state.pid);
    return {
      read: s.readAt,
      cpuUsageNanos: s.cpuUsageNanos,
      systemCpuUsageNanos: await systemCpuNanos(),
      onlineCpus: this.#o.host.cpuCount,
      memoryUsageBytes: s.memoryUsageBytes,
      memoryLimitBytes: s.memoryLimitBytes,
      memoryStat: s.memoryStat ?? {},
      ...(s.memoryMaxUsageBytes !== undefined ? { memoryMaxUsageBytes: s.memoryMaxUsageBytes } : {}),
      ...(s.memoryFailcnt !== undefined ? { memoryFailcnt: s.memoryFailcnt } : {}),
      pids: s.pids,
      blkioReadBytes: io.read,
      blkioWriteBytes: io.write,
      netRxBytes: net.rx,
      netTxBytes: net.tx,
    };
  }

  // ------------------------------------------------------------ networks

  async connectContainer(ref: string, networkId: string, request: EndpointRequest): Promise<void> {
    const id = this.#resolve(ref).id;
    await this.#locks.run(id, async () => {
      const rec = this.#get(id);
      if (rec.networkMode === 'host' || rec.networkMode === 'none' || rec.networkMode.startsWith('container:')) {
        // Its namespace was not made by Janus's network part (or is another container's): nothing to plug into.
        throw conflict(`container ${rec.name} cannot be connected to a network: it uses ${rec.networkMode.startsWith('container:') ? 'the network of another container' : `the ${rec.networkMode} network mode`}`);
      }
      const before = this.#o.networks.endpointsOf(id);
      const ifIndex = Math.max(-1, ...before.map((e) => Number(e.ifName.slice(3)))) + 1;
      const joined = await this.#o.networks.join(networkId, { id, name: rec.name }, { ...request, ifIndex });
      if (joined.resolvesNames && joined.nameServer && !before.some((e) => e.resolvesNames) && !rec.request.dns?.length && rec.resolvConfPath) {
        // Like docker switching to its embedded DNS: the first network with names becomes the resolver.
        // Rewritten in place (same inode): the container sees the file through a bind mount.
        await writeFile(rec.resolvConfPath, containerResolvConf(this.#o.host.resolvConf, {
          dns: [joined.nameServer], dnsSearch: rec.request.dnsSearch, dnsOptions: rec.request.dnsOptions,
        }));
      }
      if (rec.state.status === 'running' || rec.state.status === 'paused') {
        try {
          await this.#o.networks.hotplug(id, networkId);
        } catch (err) {
          await this.#o.networks.leave(networkId, id).catch(() => {});
          throw err;
        }
      }
    });
  }

  async disconnectContainer(ref: string, networkId: string, options: { force?: boolean }): Promise<void> {
    const id = this.#resolve(ref).id;
    await this.#locks.run(id, async () => {
      const rec = this.#get(id);
      const ep = this.#o.networks.endpointsOf(id).find((e) => e.networkId === networkId);
      if (!ep) {
        if (options.force) return;
        throw conflict(`container ${rec.name} is not connected to network ${this.#o.networks.resolve(networkId).name}`);
      }
      await this.#o.networks.unplug(id, networkId);
      await this.#o.networks.leave(networkId, id);
    });
  }

  // ------------------------------------------------------------ files

  /** The file-system view ContainerFiles works on, as the container is now. */
  async #fsOf(rec: ContainerRecord): Promise<ContainerFs> {
    // A VM's files live on its own disk, inside the guest; the overlay here is not what it sees.
    if (rec.isolation === 'vm') throw notImplemented(`container ${rec.name} runs at the vm level, whose filesystem is its VM's disk: cp, diff, commit and export are not supported there yet`);
    return containerFsOf(rec, await this.#o.snapshotter.mounts(rec.snapshotKey));
  }

  /**
   * Runs a file operation that returns a stream under the container's lock,
   * keeping the lock until the stream closes when the container is not
   * running: its root is then mounted privately and must not be started
   * (mounted again) meanwhile. A running container is reached through its
   * process and needs the lock only to set up.
   */
  #streamUnderLock<T extends Readable>(id: string, fn: (rec: ContainerRecord, fs: ContainerFs) => Promise<T>): Promise<T> {
    const result = Promise.withResolvers<T>();
    void this.#locks.run(id, async () => {
      let stream: T;
      let holds: boolean;
      try {
        const rec = this.#get(id);
        const fs = await this.#fsOf(rec);
        holds = !fs.running;
        stream = await fn(rec, fs);
      } catch (err) {
        result.reject(err);
        return;
      }
      result.resolve(stream);
      if (holds && !stream.closed) await new Promise<void>((done) => stream.once('close', () => done()));
    });
    return result.promise;
  }

  async changes(ref: string): Promise<ChangeEntry[]> {
    const id = this.#resolve(ref).id;
    return this.#locks.run(id, async () => {
      const rec = this.#get(id);
      return this.#files.changes(await this.#fsOf(rec));
    });
  }

  async commit(ref: string, options: { reference?: string; message?: string; author?: string; changes?: string[]; pause?: boolean } = {}): Promise<{ id: Digest }> {
    const id = this.#resolve(ref).id;
    const made = await this.#locks.run(id, async () => {
      const rec = this.#get(id);
      const task = this.#tasks.get(id);
      // docker pauses a running container while its layer is read, unless told not to.
      const pauses = options.pause !== false && !!task && rec.state.status === 'running';
      if (pauses) await task.pause();
      try {
        const { id: image } = await this.#files.commit(await this.#fsOf(rec), rec, {
          ...(options.reference ? { reference: options.reference } : {}),
          ...(options.message ? { message: options.message } : {}),
          ...(options.author ? { author: options.author } : {}),
          changes: options.changes ?? [],
        });
        return { rec, image };
      } finally {
        if (pauses) await task.resume().catch((err: unknown) => this.#log.error('cannot resume a container paused for commit', { id, error: err }));
      }
    });
    this.#event(made.rec, 'commit', { comment: options.message ?? '', imageID: made.image });
    return { id: made.image };
  }

  async statPath(ref: string, path: string): Promise<PathStat> {
    const id = this.#resolve(ref).id;
    return this.#locks.run(id, async () => this.#files.statPath(await this.#fsOf(this.#get(id)), path));
  }

  async getArchive(ref: string, path: string, options: { signal?: AbortSignal } = {}): Promise<{ stat: PathStat; archive: Readable }> {
    const id = this.#resolve(ref).id;
    let stat: PathStat | undefined;
    const archive = await this.#streamUnderLock(id, async (_rec, fs) => {
      const r = await this.#files.getArchive(fs, path, options);
      stat = r.stat;
      return r.archive;
    });
    return { stat: stat!, archive };
  }

  async putArchive(
    ref: string,
    path: string,
    archive: Readable,
    options: { noOverwriteDirNonDir?: boolean; copyUidGid?: boolean; signal?: AbortSignal } = {},
  ): Promise<void> {
    const id = this.#resolve(ref).id;
    await this.#locks.run(id, async () => {
      const rec = this.#get(id);
      await this.#files.putArchive(await this.#fsOf(rec), path, archive, { ...options, ...(rec.config.user ? { user: rec.config.user } : {}) });
    });
  }

  async export(ref: string, options: { signal?: AbortSignal } = {}): Promise<Readable> {
    const id = this.#resolve(ref).id;
    const stream = await this.#streamUnderLock(id, (_rec, fs) => this.#files.export(fs, options));
    this.#event(this.#get(id), 'export');
    return stream;
  }

  async update(ref: string, update: ResourceUpdate): Promise<{ warnings: string[] }> {
    const rec = this.#resolve(ref);
    const { restartPolicy, ...resources } = update;
    const warnings: string[] = [];
    await this.#locks.run(rec.id, async () => {
      if (restartPolicy && rec.autoRemove && restartPolicy.name !== 'no') {
        throw invalidArgument('Restart policy cannot be updated because AutoRemove is enabled for the container');
      }
      if (Object.values(resources).some((v) => v !== undefined)) {
        // The same rules as at create, over the merged options.
        const run = { ...rec.request.run };
        if (resources.memory !== undefined) run.memory = resources.memory;
        if (resources.memorySwap !== undefined) run.memorySwap = resources.memorySwap;
        if (resources.cpus !== undefined) run.cpus = resources.cpus;
        if (resources.cpuShares !== undefined) run.cpuShares = resources.cpuShares;
        if (resources.pidsLimit !== undefined) run.pidsLimit = resources.pidsLimit;
        if (run.memory && resources.memory !== undefined && resources.memorySwap === undefined && rec.request.run.memorySwap === undefined) {
          run.memorySwap = run.memory * 2;
        }
        validateRunOptions(run);
        if (run.cpus && run.cpus > this.#o.host.cpuCount) {
          throw invalidArgument(`invalid --cpus: range of CPUs is from 0.01 to ${this.#o.host.cpuCount}.00, as there are only ${this.#o.host.cpuCount} CPUs available`);
        }
        const res = { ...rec.spec.linux?.resources };
        if (run.memory) {
          res.memory = { ...res.memory, limit: run.memory };
          if (this.#o.host.swapLimit !== false) res.memory.swap = run.memorySwap && run.memorySwap !== 0 ? run.memorySwap : run.memory * 2;
          else warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
        }
        if (run.cpus) res.cpu = { ...res.cpu, period: 100000, quota: Math.floor(run.cpus * 100000) };
        if (run.cpuShares) res.cpu = { ...res.cpu, shares: run.cpuShares };
        if (run.pidsLimit !== undefined) res.pids = { limit: run.pidsLimit > 0 ? run.pidsLimit : -1 };
        const task = this.#tasks.get(rec.id);
        if (task && (rec.state.status === 'running' || rec.state.status === 'paused')) {
          const { devices: _devices, ...live } = res;
          await task.update(live);
        }
        rec.request = { ...rec.request, run };
        rec.spec = { ...rec.spec, linux: { ...rec.spec.linux, resources: res } };
      }
      if (restartPolicy) rec.restartPolicy = restartPolicy;
      await this.#save(rec);
      this.#event(rec, 'update');
    });
    return { warnings };
  }

  async prune(options: { filters?: ContainerFilters } = {}): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    const deleted: string[] = [];
    let spaceReclaimed = 0;
    const candidates = await this.list({ all: true, filters: options.filters });
    for (const c of candidates) {
      if (c.state.status !== 'exited' && c.state.status !== 'created' && c.state.status !== 'dead') continue;
      const size = await this.#o.snapshotter.usage(this.#get(c.id).snapshotKey).then((u) => u.size, () => 0);
      try {
        await this.remove(c.id);
      } catch (err) {
        if (isJanusError(err, 'Conflict') || isJanusError(err, 'NotFound')) continue;
        throw err;
      }
      deleted.push(c.id);
      spaceReclaimed += size;
    }
    return { deleted, spaceReclaimed };
  }

  // ------------------------------------------------------------ helpers

  /** Containers by state, for `info`. */
  counts(): { total: number; running: number; paused: number; stopped: number } {
    const all = [...this.#records.values()];
    const running = all.filter((r) => r.state.status === 'running' || r.state.status === 'restarting').length;
    const paused = all.filter((r) => r.state.status === 'paused').length;
    return { total: all.length, running, paused, stopped: all.length - running - paused };
  }

  /** Containers by the image ID they run (for `rmi`, image pruning and the images' container counts). */
  imageUsers(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const r of this.#records.values()) out.set(r.imageId, [...(out.get(r.imageId) ?? []), r.id]);
    return out;
  }

  /**
   * The live task and OCI mounts of a running container (name or ID), for
   * the stack runtime, whose services run inside that container's VM;
   * undefined when there is no such container or it is not running.
   */
  liveTask(ref: string): { task: Task; mounts: readonly OciMount[] } | undefined {
    let rec: ContainerRecord;
    try {
      rec = this.#resolve(ref);
    } catch {
      return undefined;
    }
    const task = this.#tasks.get(rec.id);
    return task && rec.state.status === 'running' ? { task, mounts: rec.spec.mounts ?? [] } : undefined;
  }

  /** Full ID, unique ID prefix, or name (with or without `/`). */
  #resolve(ref: string): ContainerRecord {
    if (typeof ref !== 'string' || ref === '') throw notFound('No such container: ');
    const exact = this.#records.get(ref);
    if (exact) return exact;
    const name = ref.replace(/^\//, '');
    for (const r of this.#records.values()) if (r.name === name) return r;
    if (/^[0-9a-f]+$/.test(ref)) {
      const matches = [...this.#records.values()].filter((r) => r.id.startsWith(ref));
      if (matches.length === 1) return matches[0];
      if (matches.length > 1) throw invalidArgument(`multiple IDs found with provided prefix: ${ref}`);
    }
    throw notFound(`No such container: ${ref}`);
  }

  // ------------------------------------------------------------ snapshots

  async snapshotCreate(ref: string, name: string, options: SnapshotCreateOptions = {}): Promise<SnapshotView> {
    checkSnapshotName(name);
    const id = this.#resolve(ref).id;
    const [made] = await this.#snapshotGroup([id], name, { volumes: !!options.volumes, memory: !!options.memory });
    this.#event(this.#get(id), 'snapshot', { snapshot: name });
    return this.#snapshotView(made!);
  }

  async projectSnapshotCreate(project: string, name: string, options: { memory?: boolean } = {}): Promise<SnapshotView[]> {
    checkSnapshotName(name);
    const made = await this.#snapshotGroup(this.#projectIds(project), name, { volumes: true, memory: !!options.memory, project });
    for (const s of made) this.#event(this.#get(s.containerId), 'snapshot', { snapshot: name });
    return made.map((s) => this.#snapshotView(s));
  }

  async projectSnapshotList(project: string): Promise<SnapshotView[]> {
    return (await this.snapshotList()).filter((s) => s.project === project);
  }

  async projectSnapshotRestore(project: string, name: string): Promise<void> {
    // The snapshot's own members: a one-off `compose run` container, a replica or a service added since has no part
    // in it and is left as it is (a container cannot go while it has snapshots, so no member is missing).
    const members = (await this.projectSnapshotList(project)).filter((s) => s.name === name).map((s) => s.containerId);
    if (members.length === 0) throw notFound(`No such snapshot: ${name} of project ${project}`);
    await this.#restoreGroup(members.sort(), name, `project ${project}`);
  }

  async projectSnapshotRemove(project: string, name: string): Promise<void> {
    const snaps = (await this.projectSnapshotList(project)).filter((s) => s.name === name);
    if (snaps.length === 0) throw notFound(`No such snapshot: ${name} of project ${project}`);
    for (const s of snaps) await this.#locks.run(s.containerId, async () => this.#o.snapshots.remove(s.containerId, name, s.containerName));
  }

  /** The containers of compose project `project` (docker compose's label, which every compose tool sets). NotFound when none. */
  #projectIds(project: string): string[] {
    const ids = [...this.#records.values()].filter((r) => r.config.labels[COMPOSE_PROJECT_LABEL] === project).map((r) => r.id);
    if (ids.length === 0) throw notFound(`No such project: ${project} (no container has the label ${COMPOSE_PROJECT_LABEL}=${project})`);
    return ids.sort();
  }

  /** Runs `fn` holding the locks of every container of `ids`, taken in ID order (so two groups never wait on each other). */
  #withLocks<T>(ids: readonly string[], fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(ids)].sort();
    const step = (i: number): Promise<T> => (i === sorted.length ? fn() : this.#locks.run(sorted[i]!, () => step(i + 1)));
    return step(0);
  }

  /**
   * Takes snapshot `name` of every container of `ids` together: all running
   * ones are paused first (VMs after a guest `sync`), then everything is
   * copied, then all are resumed — so a project's services are snapshotted
   * at one moment. A volume several of them mount is copied once. Either
   * every snapshot is published or none is left.
   */
  async #snapshotGroup(ids: string[], name: string, opts: { volumes: boolean; memory: boolean; project?: string }): Promise<SnapshotRecord[]> {
    return this.#withLocks(ids, async () => {
      const recs = ids.map((id) => this.#get(id));
      // --memory: the running workloads' processes are saved too, each under a backend that can checkpoint it. A
      // single container must be running; in a project, one that is not (a finished one-off job) has only its files.
      const checkpoints = new Map<string, TaskCheckpoint>();
      if (opts.memory) {
        for (const rec of recs) {
          const task = this.#tasks.get(rec.id);
          if (opts.project && (!task || rec.state.status !== 'running')) continue;
          if (!task || rec.state.status !== 'running') throw conflict(`container ${rec.name} is ${rec.state.status}: a snapshot with --memory saves running processes, so the workload must be running`);
          if (!task.checkpoint) throw memorySnapshotRefusal(rec.isolation, rec.runtime);
          checkpoints.set(rec.id, task.checkpoint);
        }
      }
      const snaps = this.#o.snapshots;
      const seen = new Set<string>();
      const plans: { rec: ContainerRecord; sources: SnapshotSources; staging?: string }[] = [];
      for (const rec of recs) plans.push({ rec, sources: await this.#snapshotSources(rec, opts.volumes, seen) });
      const published: SnapshotRecord[] = [];
      try {
        for (const p of plans) p.staging = await snaps.stage(p.rec.id, name, p.rec.name);
        let need = 0;
        for (const p of plans) for (const path of [p.sources.layer, p.sources.disk, ...p.sources.volumes.map((v) => v.path)]) if (path) need += await snaps.sizeOf(path);
        for (const rec of recs) if (checkpoints.has(rec.id)) need += await this.#memoryBytes(rec);
        checkSnapshotSpace(await snaps.freeBytes(snaps.dir), need, `the snapshot store (${snaps.dir})`);
        // A paused workload is already still; running ones are paused while their files are copied (docker's commit does the same).
        const paused: Task[] = [];
        const prepared: { rec: ContainerRecord; checkpoint: TaskCheckpoint }[] = [];
        try {
          for (const { rec } of plans) {
            const task = this.#tasks.get(rec.id);
            if (!task || rec.state.status !== 'running') continue;
            if (rec.isolation === 'vm') await this.#guestSync(rec, task);
            const checkpoint = checkpoints.get(rec.id);
            if (checkpoint) {
              await checkpoint.prepare();
              prepared.push({ rec, checkpoint });
            }
            await task.pause();
            paused.push(task);
          }
          for (const { sources, staging } of plans) {
            if (sources.layer) await snaps.copy(sources.layer, join(staging!, 'layer'));
            if (sources.disk) await snaps.copy(sources.disk, join(staging!, 'disk.qcow2'));
            if (sources.volumes.length > 0) await mkdir(join(staging!, 'volumes'));
            for (const v of sources.volumes) await snaps.copy(v.path, join(staging!, 'volumes', v.name));
          }
          // The memory last, of the same still moment as the files.
          for (const { rec, checkpoint } of prepared) {
            const dir = join(plans.find((p) => p.rec === rec)!.staging!, 'memory');
            await mkdir(dir);
            await checkpoint.save(dir);
          }
        } finally {
          for (const task of paused) await task.resume().catch((err: unknown) => this.#log.error('cannot resume a container paused for a snapshot', { id: task.id, error: err }));
          for (const { rec, checkpoint } of prepared) await checkpoint.finish().catch((err: unknown) => this.#log.error('cannot undo the preparation of a memory snapshot', { id: rec.id, error: err }));
          // A sandbox goes on as a new process after its checkpoint (gVisor ends one it saved): top, stats and exec follow its pid.
          for (const { rec } of plans) {
            const task = this.#tasks.get(rec.id);
            if (task && rec.state.pid !== task.pid && rec.state.status === 'running') {
              rec.state.pid = task.pid;
              await this.#save(rec);
            }
          }
        }
        const created = new Date().toISOString();
        for (const { rec, sources, staging } of plans) {
          published.push(await snaps.publish(staging!, {
            name, containerId: rec.id, created, isolation: rec.isolation, image: rec.image, imageId: rec.imageId,
            ...this.#kernelOf(rec), volumes: sources.volumes.map((v) => v.name), layer: !!sources.layer, disk: !!sources.disk,
            ...(checkpoints.has(rec.id) ? { memory: this.#machineOf(rec) } : {}),
            ...(opts.project ? { project: opts.project } : {}),
          }));
        }
        return published;
      } catch (err) {
        for (const p of plans) if (p.staging) await snaps.discard(p.staging);
        for (const s of published) await snaps.remove(s.containerId, name).catch(() => {});
        throw err;
      }
    });
  }

  /** Bytes a memory checkpoint of `rec` may take: a VM's whole RAM, a container's memory in use. */
  async #memoryBytes(rec: ContainerRecord): Promise<number> {
    if (rec.state.vm) return rec.state.vm.memoryMiB * 1024 * 1024;
    return (await this.#tasks.get(rec.id)?.stats().catch(() => undefined))?.memoryUsageBytes ?? 0;
  }

  /**
   * What saved processes need to find again when they continue: the same
   * resources and the same addresses on the same networks (their sockets
   * and the guest's interfaces hold them).
   */
  #machineOf(rec: ContainerRecord): MemorySnapshotMachine {
    const resources = rec.spec.linux?.resources;
    return {
      memoryLimit: resources?.memory?.limit ?? 0,
      cpuQuota: resources?.cpu?.quota ?? 0,
      cpuPeriod: resources?.cpu?.period ?? 0,
      networks: this.#o.networks.endpointsOf(rec.id).map((ep) => `${ep.networkName} ${ep.ip} ${ep.mac}`).sort(),
    };
  }

  async snapshotList(ref?: string): Promise<SnapshotView[]> {
    const id = ref === undefined ? undefined : this.#resolve(ref).id;
    return (await this.#o.snapshots.list(id)).filter((s) => this.#records.has(s.containerId)).map((s) => this.#snapshotView(s));
  }

  async snapshotRemove(ref: string, name: string): Promise<void> {
    const id = this.#resolve(ref).id;
    await this.#locks.run(id, async () => this.#o.snapshots.remove(id, name, this.#get(id).name));
  }

  async snapshotUsage(): Promise<{ count: number; size: number }> {
    const all = await this.snapshotList();
    return { count: all.length, size: all.reduce((n, s) => n + s.size, 0) };
  }

  async snapshotRestore(ref: string, name: string): Promise<void> {
    const id = this.#resolve(ref).id;
    await this.#restoreGroup([id], name, `container ${this.#get(id).name}`);
  }

  /**
   * Restores snapshot `name` onto every container of `ids`, all or nothing:
   * every check first (each has the snapshot, is stopped, fits; its volumes
   * are held by no container outside the group; room on each file system),
   * then every piece copied beside its target, then all targets swapped by
   * renames, put back on any failure.
   */
  async #restoreGroup(ids: string[], name: string, what: string): Promise<void> {
    await this.#withLocks(ids, async () => {
      const snaps = this.#o.snapshots;
      const recs = ids.map((id) => this.#get(id));
      // Each piece: the snapshot's copy (undefined: the target goes, e.g. a VM disk made only at first start) and where it goes.
      const pieces: { src: string | undefined; dst: string }[] = [];
      // Containers whose saved processes continue once their files are back.
      const continuing: { rec: ContainerRecord; memory: string }[] = [];
      for (const rec of recs) {
        const snap = await snaps.get(rec.id, name, rec.name);
        const s = rec.state.status;
        if (s === 'running' || s === 'paused' || s === 'restarting' || s === 'removing') {
          throw conflict(`container ${rec.name} is ${s}: stop it before restoring a snapshot (a restore replaces its files)`);
        }
        checkSnapshotFits(snap, this.#targetOf(rec), `container ${rec.name}`);
        const dir = snaps.pathOf(rec.id, name);
        if (snap.memory) {
          checkMemorySnapshotFits(name, snap.memory, this.#machineOf(rec), `container ${rec.name}`);
          continuing.push({ rec, memory: join(dir, 'memory') });
        }
        if (snap.layer) pieces.push({ src: join(dir, 'layer'), dst: await this.#upperOf(rec) });
        if (rec.isolation === 'vm') pieces.push({ src: snap.disk ? join(dir, 'disk.qcow2') : undefined, dst: this.#vmDiskOf(rec) });
        for (const v of snap.volumes) {
          if (!rec.volumes.includes(v)) throw conflict(`snapshot ${name} holds volume ${v}, which container ${rec.name} no longer mounts`);
          const view = await this.#o.volumes.inspect(v);
          const others = view.users.filter((u) => !ids.includes(u)).map((u) => this.#records.get(u)?.name ?? u);
          if (others.length > 0) throw conflict(`volume ${v} is in use by container ${others.join(', ')}, outside ${what}: remove that container first`);
          pieces.push({ src: join(dir, 'volumes', v), dst: view.mountpoint });
        }
      }
      for (const p of pieces) {
        if (p.src) checkSnapshotSpace(await snaps.freeBytes(dirname(p.dst)), await snaps.sizeOf(p.src), dirname(p.dst));
      }
      // Everything is copied beside its target first; only then are the targets swapped (renames), so a failure leaves the containers as they were.
      const tag = randomBytes(4).toString('hex');
      const staged = pieces.map((p) => ({ ...p, tmp: `${p.dst}.janus-restore-${tag}`, old: `${p.dst}.janus-old-${tag}`, hadOld: false }));
      try {
        for (const p of staged) if (p.src) await snaps.copy(p.src, p.tmp);
      } catch (err) {
        for (const p of staged) await snaps.discard(p.tmp);
        throw err;
      }
      const done: typeof staged = [];
      const putBack = async (): Promise<void> => {
        for (const p of done.reverse()) {
          await rm(p.dst, { recursive: true, force: true }).catch(() => {});
          if (p.hadOld) await rename(p.old, p.dst).catch((e: unknown) => this.#log.error('cannot put back a file a failed restore moved', { path: p.dst, error: e }));
        }
        for (const p of staged) await snaps.discard(p.tmp);
      };
      try {
        for (const p of staged) {
          p.hadOld = await stat(p.dst).then(() => true, () => false);
          if (p.hadOld) await rename(p.dst, p.old);
          done.push(p);
          if (p.src) await rename(p.tmp, p.dst);
        }
      } catch (err) {
        await putBack();
        throw err;
      }
      // Saved processes continue on the files put back; if any cannot, every container goes back to as it was.
      const started: { rec: ContainerRecord; before: ContainerRecord['state'] }[] = [];
      try {
        for (const { rec, memory } of continuing) {
          const before = structuredClone(rec.state);
          try {
            // It runs again as if started: its restart policy applies when it exits.
            rec.state.manuallyStopped = false;
            await this.#startTask(rec, { restoreFrom: memory });
          } catch (err) {
            rec.state = before;
            await this.#save(rec);
            throw err;
          }
          started.push({ rec, before });
        }
      } catch (err) {
        for (const { rec, before } of started) await this.#undoStart(rec, before);
        await putBack();
        throw err;
      }
      for (const p of staged) if (p.hadOld) await snaps.discard(p.old);
      for (const rec of recs) this.#event(rec, 'restore', { snapshot: name });
    });
  }

  /** The files a snapshot of `rec` copies; volumes in `seen` (copied with another container of the group) are left out. */
  async #snapshotSources(rec: ContainerRecord, volumes: boolean, seen: Set<string> = new Set()): Promise<SnapshotSources> {
    const out: SnapshotSources = { volumes: [] };
    if (rec.isolation === 'vm') {
      const disk = this.#vmDiskOf(rec);
      if (await stat(disk).then(() => true, () => false)) out.disk = disk;
    } else {
      out.layer = await this.#upperOf(rec);
    }
    if (volumes) {
      for (const v of rec.volumes) {
        if (seen.has(v)) continue;
        seen.add(v);
        const view = await this.#o.volumes.inspect(v);
        if (Object.keys(view.options).length > 0) throw notImplemented(`volume ${v} is mounted from elsewhere (driver options ${Object.keys(view.options).join(', ')}): snapshots copy plain local volumes only`);
        out.volumes.push({ name: v, path: view.mountpoint });
      }
    }
    return out;
  }

  async #upperOf(rec: ContainerRecord): Promise<string> {
    return overlayLayersOf(await this.#o.snapshotter.mounts(rec.snapshotKey), `container ${rec.name}`).upperDir;
  }

  /** The persistent disk of a VM; NotImplemented for a VM made before VM disks were kept (its disk goes with each stop). */
  #vmDiskOf(rec: ContainerRecord): string {
    if (rec.runtime !== 'qemu') throw notImplemented(`snapshots of container ${rec.name} are not supported: it runs inside a shared VM (runtime ${rec.runtime}), whose disk holds the other services' files too`);
    const disk = rec.spec.annotations?.[VM_DISK_ANNOTATION];
    if (!disk) throw notImplemented(`VM ${rec.name} was created before Janus kept VM disks across stops: its disk cannot be snapshotted; recreate it`);
    return disk;
  }

  #kernelOf(rec: ContainerRecord): { vmKernel: string; kernelRelease: string } {
    return rec.isolation === 'vm' ? { vmKernel: rec.request.vmKernel ?? '', kernelRelease: rec.state.vm?.kernel ?? '' } : { vmKernel: '', kernelRelease: '' };
  }

  #targetOf(rec: ContainerRecord): SnapshotTarget {
    return { imageId: rec.imageId, isolation: rec.isolation, ...this.#kernelOf(rec) };
  }

  /** Asks a running VM's guest to write its page cache to the disk (`sync` in the workload), so a disk snapshot holds what the workload wrote. */
  async #guestSync(rec: ContainerRecord, task: Task): Promise<void> {
    try {
      const proc = await task.exec(`snapsync${randomBytes(6).toString('hex')}`, { ...rec.spec.process!, terminal: false, args: ['sync'] }, { tty: false, stdin: false });
      let timer: NodeJS.Timeout | undefined;
      const exit = await Promise.race([proc.wait(), new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), 30_000); })]);
      clearTimeout(timer);
      if (exit) await proc.delete().catch(() => {});
      if (!exit || exit.code !== 0) this.#log.warn('sync in a VM before its snapshot failed; the snapshot has what reached the disk', { id: rec.id, exit });
    } catch (err) {
      this.#log.warn('cannot run sync in a VM before its snapshot; the snapshot has what reached the disk', { id: rec.id, error: err });
    }
  }

  /** The snapshot `ref` (`CONTAINER:SNAPSHOT`) a new container is cloned from, checked against the new container. */
  async #cloneSource(ref: string, target: SnapshotTarget): Promise<SnapshotRecord> {
    const { container, snapshot } = parseSnapshotRef(ref);
    try {
      const src = this.#resolve(container);
      const snap = await this.#o.snapshots.get(src.id, snapshot, src.name);
      checkSnapshotFits(snap, target, 'the new container');
      return snap;
    } catch (err) {
      // Not NotFound: clients read a 404 from create as a missing image (and go pulling it).
      if (isJanusError(err, 'NotFound')) throw invalidArgument(`--from-snapshot ${ref}: ${err.message}`);
      throw err;
    }
  }

  /** Fills a new container's empty writable layer (or its VM disk) from a snapshot. */
  async #cloneInto(snap: SnapshotRecord, rootfs: Mount[], vmDisk: string): Promise<void> {
    const snaps = this.#o.snapshots;
    const dir = snaps.pathOf(snap.containerId, snap.name);
    checkSnapshotSpace(await snaps.freeBytes(this.#o.dir), snap.size, this.#o.dir);
    if (snap.layer) {
      const upper = overlayLayersOf(rootfs, 'the new container').upperDir;
      // The fresh layer is an empty directory; the copy takes its place with the snapshot's owners and modes.
      await rm(upper, { recursive: true, force: true });
      await snaps.copy(join(dir, 'layer'), upper);
    }
    if (snap.disk) await snaps.copy(join(dir, 'disk.qcow2'), vmDisk);
  }

  /** After a crash during a restore's swap: a target that was moved aside is put back; staged copies go. */
  async #sweepRestores(rec: ContainerRecord): Promise<void> {
    const targets = rec.isolation === 'vm' ? [rec.spec.annotations?.[VM_DISK_ANNOTATION]] : [await this.#upperOf(rec).catch(() => undefined)];
    for (const v of rec.volumes) targets.push(await this.#o.volumes.inspect(v).then((x) => x.mountpoint, () => undefined));
    for (const dst of targets) {
      if (!dst) continue;
      const base = basename(dst);
      const leftovers = (await readdir(dirname(dst)).catch(() => [] as string[])).filter((n) => n.startsWith(`${base}.janus-`));
      for (const n of leftovers) {
        const path = join(dirname(dst), n);
        if (n.startsWith(`${base}.janus-old-`) && !(await stat(dst).then(() => true, () => false))) await rename(path, dst);
        else await rm(path, { recursive: true, force: true });
      }
    }
  }

  #snapshotView(s: SnapshotRecord): SnapshotView {
    return {
      name: s.name, containerId: s.containerId, containerName: this.#records.get(s.containerId)?.name ?? '', created: new Date(s.created), isolation: s.isolation,
      image: s.image, imageId: s.imageId, vmKernel: s.vmKernel, kernelRelease: s.kernelRelease, volumes: s.volumes, memory: !!s.memory, size: s.size, copyMode: s.copyMode,
      project: s.project ?? '',
    };
  }

  #get(id: string): ContainerRecord {
    const r = this.#records.get(id);
    if (!r) throw notFound(`No such container: ${id}`);
    return r;
  }

  async #save(rec: ContainerRecord): Promise<void> {
    if (!this.#records.has(rec.id) && rec.state.status !== 'created') return;
    await this.#o.store.put(rec.id, rec);
  }

  #event(rec: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.#o.events.publish({
      type: 'container',
      action,
      id: rec.id,
      attributes: { ...rec.config.labels, image: rec.image, name: rec.name, ...extra },
    });
  }
}

function clean(p: string): string {
  return posix.normalize(p).replace(/\/+$/, '') || '/';
}

function sameSignal(a: string, b: string): boolean {
  const norm = (x: string): string => x.toUpperCase().replace(/^SIG/, '');
  return norm(a) === norm(b);
}

function isKill(signal: string): boolean {
  const s = signal.toUpperCase().replace(/^SIG/, '');
  return s === 'KILL' || s === '9';
}

function logConfigOf(given: Partial<LogConfig> | undefined): LogConfig {
  const type = given?.type ?? 'json-file';
  const maxSize = given?.maxSize ?? 0;
  const maxFiles = given?.maxFiles ?? 1;
  if (!Number.isSafeInteger(maxSize) || maxSize < 0) throw invalidArgument(`invalid --log-opt max-size: ${maxSize}`);
  if (!Number.isSafeInteger(maxFiles) || maxFiles < 1) throw invalidArgument(`invalid --log-opt max-file: ${maxFiles}: it must be at least 1`);
  if (maxFiles !== 1 && maxSize === 0) throw invalidArgument('--log-opt max-file needs max-size');
  return { type, maxSize, maxFiles };
}

/** The overlay directories of a container's rootfs mounts, as docker's GraphDriver.Data names them. */
function graphData(mounts: Mount[]): Record<string, string> {
  const data: Record<string, string> = {};
  for (const o of mounts[0]?.options ?? []) {
    const [k, v] = [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)];
    if (k === 'lowerdir') data.LowerDir = v;
    if (k === 'upperdir') data.UpperDir = v;
    if (k === 'workdir') data.WorkDir = v;
  }
  if (mounts[0]?.type === 'bind') data.UpperDir = mounts[0].source;
  return data;
}

/** Host pids in the cgroup of `pid` (the container's processes, exec'd ones included). */
async function containerPids(pid: number): Promise<Set<number>> {
  const lines = (await readFile(`/proc/${pid}/cgroup`, 'utf8')).split('\n');
  const candidates: string[] = [];
  for (const l of lines) {
    const [, controllers, path] = l.split(':');
    if (path === undefined) continue;
    if (controllers === '') candidates.push(`/sys/fs/cgroup/unified${path}/cgroup.procs`, `/sys/fs/cgroup${path}/cgroup.procs`);
    else if (controllers.split(',').includes('pids')) candidates.unshift(`/sys/fs/cgroup/pids${path}/cgroup.procs`);
  }
  for (const c of candidates) {
    try {
      const text = await readFile(c, 'utf8');
      const pids = new Set(text.split('\n').filter(Boolean).map(Number));
      if (pids.has(pid)) return pids;
    } catch {
      /* try the next hierarchy */
    }
  }
  throw internal(`cannot find the cgroup of process ${pid}`);
}

async function systemCpuNanos(): Promise<bigint> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0];
  const ticks = line.trim().split(/\s+/).slice(1, 8).reduce((a, b) => a + BigInt(b), 0n);
  // USER_HZ is 100 on Linux.
  return ticks * 10_000_000n;
}

/** Bytes read and written by the container's processes, from /proc/<pid>/io of its init (a lower bound without cgroup blkio). */
async function readBlkio(pid: number): Promise<{ read: number; write: number }> {
  try {
    const text = await readFile(`/proc/${pid}/io`, 'utf8');
    const get = (k: string): number => Number(new RegExp(`^${k}: (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    return { read: get('read_bytes'), write: get('write_bytes') };
  } catch {
    return { read: 0, write: 0 };
  }
}

/** The spec with its network namespace pointed at `path` (the sandbox made at start). */
function withNetworkNamespace(spec: OciRuntimeSpec, path: string): OciRuntimeSpec {
  const namespaces = (spec.linux?.namespaces ?? []).map((n) => (n.type === 'network' ? { type: 'network' as const, path } : n));
  return { ...spec, linux: { ...spec.linux, namespaces } };
}

/**
 * `-p` and `-P` as ports to publish: container port ranges pair with host
 * ranges of the same length; a host range with one container port means any
 * free port of it; no host port means an ephemeral one. `-P` publishes every
 * exposed port (the image's and `--expose`) on an ephemeral port.
 */
function portRequestsOf(request: ContainerCreateRequest, imageExposed: Record<string, object> | undefined): PortRequest[] {
  const out: PortRequest[] = [];
  const range = (text: string, what: string): [number, number] => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(text);
    const a = m ? Number(m[1]) : NaN;
    const b = m?.[2] !== undefined ? Number(m[2]) : a;
    if (!m || a < 1 || b > 65535 || b < a) throw invalidArgument(`invalid ${what} ${JSON.stringify(text)}: want a port (1-65535) or a range FROM-TO`);
    return [a, b];
  };
  for (const p of request.publish ?? []) {
    if (p.protocol === 'sctp') throw notImplemented('publishing sctp ports is not supported: tcp and udp only');
    const hostIp = p.hostIp || '0.0.0.0';
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(hostIp)) throw notImplemented(`publishing on ${hostIp}: Janus networks are IPv4 only`);
    const [cFrom, cTo] = range(p.containerPort, 'container port');
    if (!p.hostPort) {
      for (let c = cFrom; c <= cTo; c++) out.push({ protocol: p.protocol, hostIp, hostPort: 0, containerPort: c });
      continue;
    }
    const [hFrom, hTo] = range(p.hostPort, 'host port');
    if (cFrom === cTo && hTo > hFrom) {
      out.push({ protocol: p.protocol, hostIp, hostPort: [hFrom, hTo], containerPort: cFrom });
    } else if (hTo - hFrom === cTo - cFrom) {
      for (let i = 0; i <= cTo - cFrom; i++) out.push({ protocol: p.protocol, hostIp, hostPort: hFrom + i, containerPort: cFrom + i });
    } else {
      throw invalidArgument(`invalid port range: ${p.hostPort}:${p.containerPort}: the host and container ranges differ in size`);
    }
  }
  if (request.publishAll) {
    const exposed = new Set([...Object.keys(imageExposed ?? {}), ...(request.exposedPorts ?? [])]);
    for (const e of exposed) {
      const [port, proto = 'tcp'] = e.split('/');
      if (proto !== 'tcp' && proto !== 'udp') continue;
      const n = Number(port);
      if (out.some((o) => o.containerPort === n && o.protocol === proto)) continue;
      out.push({ protocol: proto, hostIp: '0.0.0.0', hostPort: 0, containerPort: n });
    }
  }
  return out;
}

/**
 * The nameservers of a container's resolv.conf when `--dns` is not given:
 * on a user-defined network its DNS server (container names, then the
 * host's resolvers); on the default bridge the host's, as docker does,
 * without loopback ones (unreachable from the container's namespace) — and
 * when only loopback ones remain, the bridge's forwarding server instead of
 * docker's public fallback. Undefined: keep the host's lines.
 */
function resolversFor(primary: JoinedEndpoint | undefined, hostResolvConf: string): string[] | undefined {
  if (!primary?.nameServer) return undefined;
  if (primary.resolvesNames) return [primary.nameServer];
  const servers = hostResolvConf.split('\n').map((l) => l.trim().split(/\s+/)).filter((w) => w[0] === 'nameserver' && w[1]).map((w) => w[1]!);
  const loopback = (ip: string) => ip.startsWith('127.') || ip === '::1';
  if (!servers.some(loopback)) return undefined;
  const usable = servers.filter((ip) => !loopback(ip));
  return usable.length > 0 ? usable : [primary.nameServer];
}

/** Whether the container runs a healthcheck (not absent, not disabled with NONE). */
function hasHealthcheck(rec: ContainerRecord): boolean {
  const test = rec.config.healthcheck?.Test;
  return !!test && test.length > 0 && test[0] !== 'NONE';
}

/**
 * Bytes received and sent by the interfaces of a process's network
 * namespace, loopback left out (docker counts the container's interfaces).
 * Zero when the file cannot be read (the process is gone, or gVisor).
 */
async function readNetDev(pid: number): Promise<{ rx: number; tx: number }> {
  const text = await readFile(`/proc/${pid}/net/dev`, 'utf8').catch(() => '');
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim() === 'lo') continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    rx += f[0] ?? 0;
    tx += f[8] ?? 0;
  }
  return { rx, tx };
}
