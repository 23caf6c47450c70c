/*
 * Docker Engine API wire types (API 1.50), PascalCase as on the wire. Only
 * what the client reads is declared; daemons may send more, and fields that
 * Docker marks `omitempty` are optional here.
 */

/** `GET /version`. */
export interface VersionResponse {
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
  BuildTime?: string;
  Platform?: { Name: string };
  Components?: Array<{ Name: string; Version: string; Details?: Record<string, unknown> }>;
  [key: string]: unknown;
}

/** `GET /info`: shown as the daemon sends it, so everything but a few fields is open. */
export interface InfoResponse {
  ID?: string;
  Name?: string;
  ServerVersion?: string;
  DockerRootDir?: string;
  Images?: number;
  Containers?: number;
  Driver?: string;
  Runtimes?: Record<string, { path?: string; runtimeArgs?: string[] }>;
  DefaultRuntime?: string;
  [key: string]: unknown;
}

/** One element of `GET /images/json`. */
export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  /** Seconds since the epoch. */
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize?: number;
  Labels: Record<string, string> | null;
  Containers: number;
}

/** The container defaults of an image (`Config` in `GET /images/{name}/json`). */
export interface ImageConfigWire {
  User?: string;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  ExposedPorts?: Record<string, object> | null;
  Volumes?: Record<string, object> | null;
  StopSignal?: string;
  [key: string]: unknown;
}

/** `GET /images/{name}/json`. */
export interface ImageInspect {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Parent?: string;
  Comment?: string;
  Created?: string;
  Author?: string;
  Config?: ImageConfigWire | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  Size: number;
  RootFS: { Type: string; Layers?: string[] };
  [key: string]: unknown;
}

/** One element of `GET /images/{name}/history`. */
export interface HistoryResponseItem {
  Id: string;
  /** Seconds since the epoch. */
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** One element of `DELETE /images/{name}`: exactly one of the two is set. */
export interface ImageDeleteResponseItem {
  Untagged?: string;
  Deleted?: string;
}

/** `POST /images/prune`. */
export interface ImagesPruneReport {
  ImagesDeleted: ImageDeleteResponseItem[] | null;
  SpaceReclaimed: number;
}

/** Credentials as `X-Registry-Auth` and `POST /auth` carry them (lower case, as docker sends them). */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** `POST /auth` only: the registry, e.g. `127.0.0.1:5000` or `https://index.docker.io/v1/`. */
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** `POST /auth`. */
export interface AuthResponse {
  Status: string;
  IdentityToken?: string;
}

/** One message of a JSON progress stream (docker's jsonmessage). */
export interface JsonMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
  /** `{"ID": …}` in `aux` carries results such as a push's digest or a loaded image. */
  aux?: Record<string, unknown>;
  error?: string;
  errorDetail?: { code?: number; message?: string };
}

/** What `/_ping` tells about the daemon (from its headers). */
export interface PingResponse {
  apiVersion: string | undefined;
  osType: string | undefined;
}

/** One message of `GET /events`. */
export interface EventMessage {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope?: string;
  time: number;
  timeNano: number;
  /** Legacy fields (API < 1.22 shapes, still sent). */
  status?: string;
  id?: string;
  from?: string;
}

/** Docker's Volume object. */
export interface Volume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt?: string;
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
  Scope: string;
}

/** The body of `POST /volumes/create`. */
export interface VolumeCreateRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string>;
  Labels?: Record<string, string>;
}

/** `GET /volumes`. */
export interface VolumeListResponse {
  Volumes: Volume[] | null;
  Warnings: string[] | null;
}

/** `POST /volumes/prune`. */
export interface VolumesPruneReport {
  VolumesDeleted: string[] | null;
  SpaceReclaimed: number;
}

/** One subnet of a network's IPAM configuration. */
export interface IpamConfigWire {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** A container's endpoint as `GET /networks/{id}` lists it. */
export interface NetworkContainerWire {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  IPv4Address: string;
  IPv6Address: string;
}

/** Docker's Network object (`GET /networks`, `GET /networks/{id}`). */
export interface NetworkResource {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv4?: boolean;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: IpamConfigWire[] | null };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom?: { Network: string };
  ConfigOnly?: boolean;
  Containers: Record<string, NetworkContainerWire> | null;
  Options: Record<string, string> | null;
  Labels: Record<string, string> | null;
  [key: string]: unknown;
}

/** The body of `POST /networks/create`. */
export interface NetworkCreateRequest {
  Name: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Config?: IpamConfigWire[]; Options?: Record<string, string> };
  Options?: Record<string, string>;
  Labels?: Record<string, string>;
}

/** `POST /networks/create`. */
export interface NetworkCreateResponse {
  Id: string;
  Warning?: string;
}

/** `POST /networks/prune`. */
export interface NetworksPruneReport {
  NetworksDeleted: string[] | null;
}

/** Docker's EndpointSettings as a client sends them (create's NetworkingConfig, connect). */
export interface EndpointSettingsWire {
  Aliases?: string[];
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string };
}

/** `GET /system/df`. */
export interface DiskUsage {
  LayersSize?: number;
  Images?: ImageSummary[] | null;
  /** Every container, with SizeRw (its writable layer) and SizeRootFs. */
  Containers?: ContainerSummary[] | null;
  Volumes?: Array<Volume & { UsageData?: { Size: number; RefCount: number } | null }> | null;
  BuildCache?: unknown[] | null;
  /** Janus's extension: workload snapshots (with the container part). */
  Janus?: { Snapshots?: SnapshotWire[] };
}

/** Janus's snapshot object (`/janus/…/snapshots`). */
export interface SnapshotWire {
  Name: string;
  ContainerID: string;
  ContainerName: string;
  Created: string;
  Isolation: string;
  Image: string;
  ImageID: string;
  VmKernel: string;
  KernelRelease: string;
  Volumes: string[];
  /** It holds the running processes' memory: a restore continues them. */
  Memory: boolean;
  Size: number;
  CopyMode: string;
  /** The compose project it was taken with ('' for a container's own). */
  Project?: string;
}

/** `HostConfig.RestartPolicy`. */
export interface RestartPolicyWire {
  Name: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  MaximumRetryCount?: number;
}

/** One entry of `HostConfig.Mounts` (docker's mount.Mount). */
export interface MountWire {
  Type: 'bind' | 'volume' | 'tmpfs' | 'image' | 'npipe' | 'cluster';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean; ReadOnlyNonRecursive?: boolean; ReadOnlyForceRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; Subpath?: string; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number; Options?: string[][] };
  ImageOptions?: { Subpath?: string };
}

/** One port binding of `HostConfig.PortBindings` and `NetworkSettings.Ports`. */
export interface PortBindingWire {
  HostIp: string;
  HostPort: string;
}

/** `HostConfig.Ulimits` entry. */
export interface UlimitWire {
  Name: string;
  Soft: number;
  Hard: number;
}

/**
 * The resource fields shared by `HostConfig` and the body of
 * `POST /containers/{id}/update` (docker's container.Resources).
 */
export interface ResourcesWire {
  Memory?: number;
  MemorySwap?: number;
  NanoCpus?: number;
  CpuShares?: number;
  PidsLimit?: number | null;
  Ulimits?: UlimitWire[];
}

/** `HostConfig` as a client sends it on create; only what Janus's CLI sets. */
export interface HostConfigWire extends ResourcesWire {
  Binds?: string[];
  Mounts?: MountWire[];
  Tmpfs?: Record<string, string>;
  NetworkMode?: string;
  PortBindings?: Record<string, PortBindingWire[]>;
  PublishAllPorts?: boolean;
  RestartPolicy?: RestartPolicyWire;
  AutoRemove?: boolean;
  LogConfig?: { Type: string; Config?: Record<string, string> };
  CapAdd?: string[];
  CapDrop?: string[];
  Privileged?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[];
  Init?: boolean;
  ShmSize?: number;
  Sysctls?: Record<string, string>;
  ExtraHosts?: string[];
  Dns?: string[];
  DnsSearch?: string[];
  DnsOptions?: string[];
  Isolation?: string;
  Runtime?: string;
  /** Janus's extension: the guest kernel of a VM (`--kernel`). */
  JanusVmKernel?: string;
  /** Janus's extension: `--from-snapshot CONTAINER:SNAPSHOT`. */
  JanusFromSnapshot?: string;
  ConsoleSize?: [number, number];
  ContainerIDFile?: string;
  [key: string]: unknown;
}

/** `Config.Healthcheck`: durations in nanoseconds. */
export interface HealthcheckWire {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The body of `POST /containers/create` (docker's Config with HostConfig and NetworkingConfig). */
export interface ContainerCreateBody {
  Image: string;
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, Record<string, never>>;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[];
  Cmd?: string[];
  Healthcheck?: HealthcheckWire;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Entrypoint?: string[];
  Labels?: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  HostConfig?: HostConfigWire;
  NetworkingConfig?: { EndpointsConfig?: Record<string, EndpointSettingsWire> };
}

/** `POST /containers/create`. */
export interface ContainerCreateResponse {
  Id: string;
  Warnings: string[] | null;
}

/** One element of `GET /containers/json` (docker's ContainerSummary). */
export interface ContainerSummary {
  Id: string;
  Names: string[] | null;
  Image: string;
  ImageID: string;
  Command: string;
  /** Seconds since the epoch. */
  Created: number;
  Ports: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }> | null;
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Record<string, string> | null;
  State: string;
  Status: string;
  HostConfig?: { NetworkMode?: string; Annotations?: Record<string, string> };
  NetworkSettings?: { Networks?: Record<string, unknown> | null } | null;
  Mounts?: Array<{ Type?: string; Name?: string; Source?: string; Destination?: string }> | null;
  [key: string]: unknown;
}

/** `State` of `GET /containers/{id}/json`. */
export interface ContainerStateWire {
  Status: string;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: { Status: string; FailingStreak: number; Log: unknown[] | null };
}

/** `GET /containers/{id}/json`: what the CLI reads; printed as the daemon sent it. */
export interface ContainerInspect {
  Id: string;
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerStateWire;
  Image: string;
  RestartCount?: number;
  Config: {
    Tty: boolean;
    OpenStdin: boolean;
    StdinOnce?: boolean;
    AttachStdin?: boolean;
    Image?: string;
    Labels?: Record<string, string> | null;
    ExposedPorts?: Record<string, unknown> | null;
    [key: string]: unknown;
  };
  HostConfig: {
    AutoRemove?: boolean;
    Isolation?: string;
    PortBindings?: Record<string, PortBindingWire[] | null> | null;
    [key: string]: unknown;
  };
  NetworkSettings?: { Ports?: Record<string, PortBindingWire[] | null> | null; [key: string]: unknown } | null;
  Mounts?: unknown[];
  SizeRw?: number;
  SizeRootFs?: number;
  /** Janus's extension: the isolation level, runtime and accelerator actually used. */
  Janus?: { Isolation?: string; Runtime?: string; Accelerator?: string };
  [key: string]: unknown;
}

/** The body of `POST /containers/{id}/wait`. */
export interface ContainerWaitResponse {
  StatusCode: number;
  Error?: { Message?: string } | null;
}

/** `GET /containers/{id}/top`. */
export interface ContainerTopResponse {
  Titles: string[] | null;
  Processes: string[][] | null;
}

/** One element of `GET /containers/{id}/changes`: Kind 0 modified, 1 added, 2 deleted. */
export interface ContainerChange {
  Path: string;
  Kind: 0 | 1 | 2;
}

/** `POST /containers/prune`. */
export interface ContainersPruneReport {
  ContainersDeleted: string[] | null;
  SpaceReclaimed: number;
}

/** The body of `POST /containers/{id}/update`. */
export interface ContainerUpdateBody extends ResourcesWire {
  RestartPolicy?: RestartPolicyWire;
}

/** `POST /containers/{id}/update`. */
export interface ContainerUpdateResponse {
  Warnings: string[] | null;
}

/** One object of `GET /containers/{id}/stats` (the fields the CLI reads). */
export interface ContainerStatsWire {
  id?: string;
  name?: string;
  read?: string;
  preread?: string;
  pids_stats?: { current?: number; limit?: number };
  blkio_stats?: { io_service_bytes_recursive?: Array<{ major: number; minor: number; op: string; value: number }> | null };
  num_procs?: number;
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
  [key: string]: unknown;
}

/** The body of `POST /containers/{id}/exec`. */
export interface ExecCreateBody {
  Cmd: string[];
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  Privileged?: boolean;
  DetachKeys?: string;
  ConsoleSize?: [number, number];
}

/** `GET /exec/{id}/json`. */
export interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  ContainerID: string;
  Pid?: number;
  OpenStdin?: boolean;
  OpenStdout?: boolean;
  OpenStderr?: boolean;
  ProcessConfig?: { tty: boolean; entrypoint: string; arguments: string[]; privileged: boolean; user?: string };
  [key: string]: unknown;
}

/** What `X-Docker-Container-Path-Stat` says of a path in a container (docker's PathStat; mode has Go's FileMode bits). */
export interface ContainerPathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** `POST /commit`. */
export interface CommitResponse {
  Id: string;
}

/** One chunk of a container's output: stdout or stderr (with a TTY, everything is stdout). */
export interface StreamChunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

/** One workload of `POST /janus/advise` (Janus extension): a create body plus what docker's body cannot say. */
export interface AdviseWorkloadWire {
  Name: string;
  Config: ContainerCreateBody;
  Platform?: string;
  /** compose's `x-janus` trust and compliance. */
  Annotations?: { Trust?: string; Compliance?: string };
  /** Host requests Janus does not offer at any level, for the advisor to explain. */
  Unoffered?: { Devices?: string[]; Gpus?: string; PidMode?: string; IpcMode?: string; UtsMode?: string };
}

/** One reason of an advice: the rule, the level it pushes toward (absent: informs only), the evidence and what it means. */
export interface AdviceReasonWire {
  rule: string;
  level?: string;
  evidence: string;
  detail: string;
}

/** The advisor's answer for one workload (camelCase: Janus's own shape). */
export interface WorkloadAdviceWire {
  name: string;
  level: string;
  wanted: string;
  reasons: AdviceReasonWire[];
  alternatives: { level: string; works: boolean; note: string }[];
  changes: string[];
  unevaluated: string[];
}

/** `POST /janus/advise`'s answer. */
export interface AdviseResponse {
  Workloads: WorkloadAdviceWire[];
  Host: {
    levels: Record<string, { works: boolean; why?: string }>;
    accelerator?: string;
    memAvailable?: number;
    memTotal?: number;
  };
}
