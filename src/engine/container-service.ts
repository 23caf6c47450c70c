import type { Readable, Writable } from 'node:stream';
import type { Digest } from '../core/digest.ts';
import type { HealthConfig } from '../core/oci.ts';
import type { RunOptions } from '../core/run-options.ts';
import type { VmDetails } from '../core/runtime.ts';
import type { IsolationChoice } from './isolation-choice.ts';
import type { EndpointRequest } from './network-service.ts';

/** How strongly a workload is isolated (DESIGN.md's three levels). */
export type IsolationLevel = 'container' | 'sandbox' | 'vm';

/** Docker's container states. */
export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** `--restart`. `maximumRetryCount` only counts for `on-failure` (0: unlimited). */
export interface RestartPolicy {
  name: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  maximumRetryCount: number;
}

/** `--log-driver` / `--log-opt`. */
export interface LogConfig {
  /** `json-file` (conmon's k8s-file on disk, served as docker's json-file) or `none` (no log; `logs` refuses). */
  type: 'json-file' | 'none';
  /** `max-size`: rotate at this many bytes (0: never). */
  maxSize: number;
  /** `max-file`: how many files (the live one included) rotation keeps; docker's default is 1. */
  maxFiles: number;
}

/**
 * A named or anonymous volume to mount (`-v NAME:/path`, `-v /path`,
 * `--mount type=volume`); the engine creates it when missing and fills an
 * empty new volume from the image's content at `destination`, as docker does.
 */
export interface VolumeMountRequest {
  /** Absent: a new anonymous volume, removed with `rm -v`. */
  name?: string;
  destination: string;
  readOnly?: boolean;
  /** `volume-nocopy`: do not fill the new volume from the image. */
  noCopy?: boolean;
  /** Volume driver (default `local`). */
  driver?: string;
  driverOptions?: Record<string, string>;
  labels?: Record<string, string>;
}

/**
 * `--network`: `none` (its own namespace with loopback only), `host`,
 * `container:X` (X's namespace), or a network by name (`bridge`, the
 * default, or a user-defined one; more join through `endpoints` or
 * `network connect`).
 */
export type NetworkModeRequest = { mode: 'none' } | { mode: 'host' } | { mode: 'container'; container: string } | { mode: 'network'; name: string };

/** Everything `create` takes: docker's Config + HostConfig in domain form, parsed at the API edge. */
export interface ContainerCreateRequest {
  /** `--name`; absent: docker's adjective_surname. */
  name?: string;
  /** The image as the user named it (kept as `Config.Image`). */
  image: string;
  /** Flags that shape the OCI spec. `run.mounts` holds binds and tmpfs mounts (host paths). */
  run: RunOptions;
  /** Named and anonymous volumes, and the image's VOLUMEs are added by the engine. */
  volumes?: VolumeMountRequest[];
  /** Default `container`; `auto`: the advisor chooses (the engine's `adviser`), and the choice is kept as `isolationChoice`. */
  isolation?: IsolationLevel | 'auto';
  /** `--runtime runc|crun|runsc`; absent: chosen by isolation and what works on this host. */
  runtime?: string;
  /** `--kernel`: the vm level boots this kernel (a path on the daemon's host) instead of its default. */
  vmKernel?: string;
  /** `--from-snapshot CONTAINER:SNAPSHOT`: the new container starts with that snapshot's writable layer (a VM: its disk); same image and level required. */
  fromSnapshot?: string;
  restartPolicy?: RestartPolicy;
  /** `--rm`. */
  autoRemove?: boolean;
  /** `--health-*` over the image's HEALTHCHECK; `{Test: ['NONE']}` disables it. */
  healthcheck?: HealthConfig;
  logConfig?: Partial<LogConfig>;
  network?: NetworkModeRequest;
  /**
   * Per network name: `--network-alias`, `--ip` (docker's
   * NetworkingConfig.EndpointsConfig). The network of `network` is joined
   * first (default route); others listed here join too, in order.
   */
  endpoints?: Record<string, EndpointRequest>;
  /** `-p`/`-P`: need a bridge network (InvalidArgument with none, host or container:X). */
  publish?: { hostIp: string; hostPort: string; containerPort: string; protocol: 'tcp' | 'udp' | 'sctp' }[];
  publishAll?: boolean;
  /** Ports to record as exposed (`--expose`), over the image's. */
  exposedPorts?: string[];
  /** Docker's Config.AttachStdin/out/err and StdinOnce, recorded for clients that read them back. */
  attachStdin?: boolean;
  attachStdout?: boolean;
  attachStderr?: boolean;
  stdinOnce?: boolean;
  /** `--platform` the image must match. */
  platform?: string;
  /** Extra `/etc/hosts` lines (`--add-host name:ip`). */
  extraHosts?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
}

/** Health of a container with a healthcheck. */
export interface HealthView {
  status: 'starting' | 'healthy' | 'unhealthy';
  failingStreak: number;
  /** The last (up to 5) probes, oldest first. */
  log: { start: Date; end: Date; exitCode: number; output: string }[];
}

/** Docker's State object in domain form. */
export interface ContainerStateView {
  status: ContainerStatus;
  running: boolean;
  paused: boolean;
  restarting: boolean;
  oomKilled: boolean;
  dead: boolean;
  /** Host pid of the init process while running, else 0. */
  pid: number;
  exitCode: number;
  /** Why the last start failed, or ''. */
  error: string;
  startedAt?: Date;
  finishedAt?: Date;
  health?: HealthView;
}

/** One mount as `inspect` shows it (docker's MountPoint). */
export interface MountView {
  type: 'bind' | 'volume' | 'tmpfs';
  /** The volume's name (volumes only). */
  name?: string;
  /** Host path ('' for tmpfs). */
  source: string;
  destination: string;
  driver?: string;
  /** `ro`, `rw`, `z`, … as given; '' when nothing was given. */
  mode: string;
  rw: boolean;
  propagation: string;
}

/** A container's endpoint on one network (docker's NetworkSettings.Networks entry). */
export interface ContainerNetworkView {
  networkId: string;
  endpointId: string;
  aliases: string[];
  /** The static address asked for with `--ip` ('' when allocated). */
  ipamAddress: string;
  ipAddress: string;
  prefixLen: number;
  gateway: string;
  macAddress: string;
}

/** Everything `inspect` shows of a container. */
export interface ContainerView {
  id: string;
  /** Without docker's leading slash. */
  name: string;
  created: Date;
  /** As the user named it. */
  image: string;
  imageId: Digest;
  /** The effective command (entrypoint + cmd). */
  path: string;
  args: string[];
  /** The merged configuration: image defaults with the run options applied (docker's Config). */
  config: {
    hostname: string;
    domainname: string;
    user: string;
    env: string[];
    cmd: string[];
    entrypoint: string[] | null;
    workingDir: string;
    labels: Record<string, string>;
    tty: boolean;
    openStdin: boolean;
    stdinOnce: boolean;
    attachStdin: boolean;
    attachStdout: boolean;
    attachStderr: boolean;
    stopSignal: string;
    stopTimeout?: number;
    exposedPorts: string[];
    /** Paths declared as volumes (image VOLUME and anonymous -v). */
    volumes: string[];
    healthcheck?: HealthConfig;
  };
  /** The request as created (docker's HostConfig is built from it). */
  request: ContainerCreateRequest;
  state: ContainerStateView;
  restartCount: number;
  isolation: IsolationLevel;
  /** The runtime actually used (`runc`, `crun`, `runsc`, `qemu`). */
  runtime: string;
  /** The machine of a VM (accelerator, guest kernel, RAM, vCPUs); absent for other levels. */
  vm?: VmDetails;
  /** What `--isolation auto` chose and why; absent when a level was given. */
  isolationChoice?: IsolationChoice;
  restartPolicy: RestartPolicy;
  autoRemove: boolean;
  logConfig: LogConfig;
  /** The container's log file on the host ('' with log type none). */
  logPath: string;
  /** `/etc/hostname`, `/etc/hosts`, `/etc/resolv.conf` as mounted ('' when not made). */
  hostnamePath: string;
  hostsPath: string;
  resolvConfPath: string;
  mounts: MountView[];
  /** Overlay directories of the root filesystem (docker's GraphDriver.Data). */
  graphDriver: { name: string; data: Record<string, string> };
  networkMode: string;
  /** The networks joined, by name, in join order. Addresses are set while the container runs ('' otherwise), like docker's. */
  networks: Record<string, ContainerNetworkView>;
  /** Published ports while running: `80/tcp` → host bindings (docker's NetworkSettings.Ports); exposed but unpublished ports map to []. */
  ports: Record<string, { hostIp: string; hostPort: string }[]>;
  /** The network namespace path while running ('' otherwise): docker's SandboxKey. */
  sandboxKey: string;
  /** Warnings from create (clamped limits, ignored options). */
  warnings: string[];
  /** Exec sessions of this container, by id. */
  execIds: string[];
  /** Bytes in the writable layer; only when asked for (`size`). */
  sizeRw?: number;
  /** Bytes of the whole root filesystem; only when asked for (`size`). */
  sizeRootFs?: number;
}

/** Filters of `ps` and `container prune` (docker's names and meanings). */
export interface ContainerFilters {
  id?: string[];
  name?: string[];
  /** `key` or `key=value`, all must match. */
  label?: string[];
  status?: ContainerStatus[];
  exited?: number[];
  ancestor?: string[];
  before?: string;
  since?: string;
  health?: ('starting' | 'healthy' | 'unhealthy' | 'none')[];
  isolation?: IsolationLevel[];
  volume?: string[];
  /** For prune: created before this many seconds since the epoch. */
  until?: number;
}

/** One timestamped chunk of a container's output (a line, or a partial line). */
export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** RFC 3339 with nanoseconds, as written by the supervisor. */
  timestamp: string;
  /** The bytes, with their newline when the line was complete. */
  data: Buffer;
}

/** Options of `logs`. */
export interface LogsOptions {
  follow?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  /** Seconds since the epoch (fractions allowed). */
  since?: number;
  until?: number;
  /** Only the last N lines (undefined: all). */
  tail?: number;
  signal?: AbortSignal;
}

/**
 * A live connection to a process's standard streams (`attach`, `exec start`,
 * `run` in the foreground). `output` ends when the process ends or the
 * session is closed.
 */
export interface StreamSession {
  /** Whether output is one raw stream (a TTY) rather than stdout and stderr apart. */
  tty: boolean;
  /** stdout/stderr chunks (with a TTY everything is `stdout`). */
  output: AsyncIterable<{ stream: 'stdout' | 'stderr'; data: Buffer }>;
  /** The process's stdin, when it was asked for and the process keeps stdin open; ending it closes the process's stdin. */
  stdin?: Writable;
  /** Detaches without affecting the process. Idempotent. */
  close(): void;
}

/** Options of `attach`. */
export interface AttachOptions {
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  /** Replay the log before streaming (docker's `logs=1`). */
  logs?: boolean;
  /** Stream live output (docker's `stream=1`). */
  stream?: boolean;
  /** Key sequence that detaches (`ctrl-p,ctrl-q` by default); parsed, invalid is InvalidArgument. */
  detachKeys?: string;
  signal?: AbortSignal;
}

/** `exec create`'s body in domain form. */
export interface ExecCreateRequest {
  cmd: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
  tty?: boolean;
  attachStdin?: boolean;
  attachStdout?: boolean;
  attachStderr?: boolean;
  privileged?: boolean;
  detachKeys?: string;
}

/** `exec inspect`. */
export interface ExecView {
  id: string;
  containerId: string;
  running: boolean;
  /** undefined until it ended. */
  exitCode?: number;
  pid: number;
  openStdin: boolean;
  openStderr: boolean;
  openStdout: boolean;
  canRemove: boolean;
  detachKeys: string;
  processConfig: { tty: boolean; entrypoint: string; arguments: string[]; privileged: boolean; user: string; workingDir: string; env: string[] };
}

/** One `stats` sample, from the task's cgroup. */
export interface ContainerStatsSample {
  read: Date;
  cpuUsageNanos: bigint;
  /** Total CPU time of the host, ns (docker's system_cpu_usage), for percentages. */
  systemCpuUsageNanos: bigint;
  onlineCpus: number;
  memoryUsageBytes: number;
  memoryLimitBytes: number;
  /**
   * The memory cgroup's `memory.stat` counters under the kernel's names (v1
   * or v2, see TaskStats.memoryStat): the page cache counted in usage is
   * read from them (docker's CLI subtracts v1 `total_inactive_file` or v2
   * `inactive_file` for its MEM USAGE column).
   */
  memoryStat: Readonly<Record<string, number>>;
  /** cgroup v1 only: the highest usage seen. */
  memoryMaxUsageBytes?: number;
  /** cgroup v1 only: how often the limit was hit. */
  memoryFailcnt?: number;
  pids: number;
  /** Block I/O bytes. */
  blkioReadBytes: number;
  blkioWriteBytes: number;
  /** Network bytes (0 without a network). */
  netRxBytes: number;
  netTxBytes: number;
}

/** One entry of `diff`: 0 modified, 1 added, 2 deleted (docker's kinds). */
export interface ChangeEntry {
  path: string;
  kind: 0 | 1 | 2;
}

/** What `cp`/archive HEAD says of a path in a container (docker's PathStat). */
export interface PathStat {
  name: string;
  size: number;
  /** Go's os.FileMode bits (type bits included, as docker sends them). */
  mode: number;
  mtime: Date;
  linkTarget: string;
}

/** `update`'s resource changes (docker's names, bytes and CPUs). */
export interface ResourceUpdate {
  memory?: number;
  memorySwap?: number;
  cpus?: number;
  cpuShares?: number;
  pidsLimit?: number;
  restartPolicy?: RestartPolicy;
}

/**
 * The container use cases (docker's `container` commands), at every
 * isolation level. Implemented by `ContainerEngine`; only the Docker API
 * calls it. Containers are named by full ID, any unique ID prefix, or name
 * (with or without a leading `/`); NotFound says `No such container: X`.
 * Every state change is durable before the call returns.
 */
export interface ContainerService {
  /** Creates a container (not started). NotFound for a missing image; Conflict for a name in use. */
  create(request: ContainerCreateRequest, options?: { signal?: AbortSignal }): Promise<{ id: string; warnings: string[] }>;
  /** Starts a created or exited container. A running one is a no-op (docker answers 304 then: `started: false`). */
  start(id: string, options?: { signal?: AbortSignal }): Promise<{ started: boolean }>;
  /**
   * Sends the stop signal, waits `timeout` seconds (default: the container's
   * stop timeout, else 10; -1 waits forever), then SIGKILL. A stopped
   * container is a no-op (`stopped: false`).
   */
  stop(id: string, options?: { timeout?: number; signal?: string }): Promise<{ stopped: boolean }>;
  restart(id: string, options?: { timeout?: number; signal?: string }): Promise<void>;
  /** Conflict when not running. InvalidArgument for an unknown signal. */
  kill(id: string, signal?: string): Promise<void>;
  /**
   * Conflict while running unless `force` (which kills it first); `volumes`
   * also removes its anonymous volumes. Conflict when it has snapshots
   * unless `snapshots` (which removes them too).
   */
  remove(id: string, options?: { force?: boolean; volumes?: boolean; snapshots?: boolean }): Promise<void>;
  /**
   * Resolves with the exit code once the condition holds: `not-running`
   * (default; at once for a stopped container), `next-exit`, `removed`.
   */
  wait(id: string, options?: { condition?: 'not-running' | 'next-exit' | 'removed'; signal?: AbortSignal }): Promise<{ statusCode: number; error?: string }>;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  /** Conflict when `name` is taken. */
  rename(id: string, name: string): Promise<void>;
  /** Newest first. Stopped containers only with `all`; `limit` > 0 keeps the newest N (and implies all). */
  list(options?: { all?: boolean; limit?: number; size?: boolean; filters?: ContainerFilters }): Promise<ContainerView[]>;
  inspect(id: string, options?: { size?: boolean }): Promise<ContainerView>;
  /** The container's output from its log; with `follow`, until the container stops or `signal` aborts. */
  logs(id: string, options?: LogsOptions): AsyncIterable<LogEntry>;
  /** Connects to the container's main process. Conflict for a container that cannot be attached (log type none without `stream`). */
  attach(id: string, options?: AttachOptions): Promise<StreamSession>;
  /** Resizes the container's TTY. Conflict when it has none or is not running. */
  resize(id: string, size: { rows: number; cols: number }): Promise<void>;
  /** Registers an exec (not started). Conflict when the container is not running. */
  execCreate(id: string, request: ExecCreateRequest): Promise<string>;
  /**
   * Starts an exec; with `detach` the session has no output and returns at once.
   * `beforeStart` is called once the exec is allowed to start (NotFound and
   * Conflict are thrown before it), just before its process starts, with
   * whether it has a TTY: the API takes the client's connection over there,
   * as dockerd does, so none of the process's output can reach a client ahead
   * of the upgrade's response.
   */
  execStart(execId: string, options?: { detach?: boolean; tty?: boolean; signal?: AbortSignal; beforeStart?: (tty: boolean) => void }): Promise<StreamSession>;
  execInspect(execId: string): Promise<ExecView>;
  execResize(execId: string, size: { rows: number; cols: number }): Promise<void>;
  /** `ps` inside the container (`psArgs` as for ps(1), default `-ef`). Conflict when not running. */
  top(id: string, psArgs?: string): Promise<{ titles: string[]; processes: string[][] }>;
  /** One resource sample. Conflict when not running. */
  stats(id: string): Promise<ContainerStatsSample>;
  /** Changes of the writable layer against the image. */
  changes(id: string): Promise<ChangeEntry[]>;
  /** A new image from the container's writable layer (paused while copied unless `pause: false`). */
  commit(id: string, options?: { reference?: string; message?: string; author?: string; changes?: string[]; pause?: boolean }): Promise<{ id: Digest }>;
  /** Stat of a path in the container's filesystem (volumes and binds included). NotFound when absent. */
  statPath(id: string, path: string): Promise<PathStat>;
  /** A tar of `path` (a file or a directory, named by its base name), as `docker cp CONTAINER:PATH -` gives. */
  getArchive(id: string, path: string, options?: { signal?: AbortSignal }): Promise<{ stat: PathStat; archive: Readable }>;
  /** Extracts a tar into directory `path` of the container. InvalidArgument for entries that escape; NotFound when `path` is missing. */
  putArchive(id: string, path: string, archive: Readable, options?: { noOverwriteDirNonDir?: boolean; copyUidGid?: boolean; signal?: AbortSignal }): Promise<void>;
  /** The container's root filesystem as a tar (`docker export`). */
  export(id: string, options?: { signal?: AbortSignal }): Promise<Readable>;
  /** Changes resources of a container (live when running). */
  update(id: string, update: ResourceUpdate): Promise<{ warnings: string[] }>;
  /** Removes stopped containers. */
  prune(options?: { filters?: ContainerFilters }): Promise<{ deleted: string[]; spaceReclaimed: number }>;
}
