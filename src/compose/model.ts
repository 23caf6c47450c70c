/**
 * The normalised Compose project: what `loadProject` makes of one or more
 * compose files after merging, interpolation, profile selection and
 * validation, and what the compose engine acts on. Every field is already
 * checked and in one canonical form (durations in nanoseconds, sizes in
 * bytes, short syntax expanded to long syntax), so the engine never parses.
 *
 * Keys follow the Compose Specification's meaning; names are camelCase.
 */

/** An isolation level a service asks for (`x-janus: {isolation}`); `auto` lets the advisor choose. */
export type ServiceIsolation = 'container' | 'sandbox' | 'vm' | 'auto';

/** The whole project. */
export interface ComposeProject {
  /** Project name: `-p`, else COMPOSE_PROJECT_NAME, else top-level `name`, else the directory's name (normalised: lowercase, [a-z0-9_-]). */
  name: string;
  /** The directory relative paths resolve against (the first file's directory unless --project-directory). */
  workingDir: string;
  /** The files merged, in order, as absolute paths. */
  files: string[];
  /** Services enabled by the active profiles, by name, in file order. */
  services: Record<string, ServiceConfig>;
  /** Every network the services use, incl. the implicit `default` when a service uses no explicit network. */
  networks: Record<string, NetworkConfig>;
  /** Top-level named volumes that services (enabled or disabled) mount; unused ones are dropped, as docker compose does. */
  volumes: Record<string, VolumeConfig>;
  /** Services present in the files but disabled by profiles (so `run SERVICE` can still name them). */
  disabledServices: Record<string, ServiceConfig>;
  /** What the loader noticed but accepted (variables that are not set, an obsolete `version:`), for the CLI to print on stderr. */
  warnings?: string[];
}

/** One service. */
export interface ServiceConfig {
  name: string;
  image?: string;
  build?: BuildConfig;
  /** Exec form; a string command is split with shell-like quoting, as compose does. */
  command?: string[];
  entrypoint?: string[];
  /** Values are null for a variable named without a value and not set in the environment. */
  environment: Record<string, string | null>;
  ports: PortConfig[];
  /** `expose:` ports as "80" or "80/udp". */
  expose: string[];
  volumes: ServiceMount[];
  /** `tmpfs:` paths (with options after a colon, as given). */
  tmpfs: string[];
  /** The networks the service joins, by project-level network key, with its options there. */
  networks: Record<string, ServiceNetwork>;
  /** `network_mode` when set (`none`, `host`, `service:NAME`, `container:NAME`). */
  networkMode?: string;
  dependsOn: Record<string, DependsOn>;
  healthcheck?: HealthcheckConfig;
  /** `no` | `always` | `on-failure[:N]` | `unless-stopped`. */
  restart?: string;
  /** `logging`: the log driver (json-file or none; absent: the daemon's default) and its options, which the daemon checks. */
  logging?: { driver?: string; options: Record<string, string> };
  /** `shm_size` in bytes. */
  shmSize?: number;
  /** `sysctls`: namespaced kernel parameters by name. */
  sysctls?: Record<string, string>;
  resources: ResourceLimits;
  user?: string;
  workingDir?: string;
  labels: Record<string, string>;
  hostname?: string;
  domainname?: string;
  containerName?: string;
  init?: boolean;
  stopSignal?: string;
  /** Nanoseconds. */
  stopGracePeriod?: number;
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  readOnly: boolean;
  securityOpt: string[];
  ulimits: Record<string, { soft: number; hard: number }>;
  /** "host:ip" entries. */
  extraHosts: string[];
  dns: string[];
  dnsSearch: string[];
  tty: boolean;
  stdinOpen: boolean;
  profiles: string[];
  /** Replicas: `scale`, else deploy.replicas, else 1. */
  scale: number;
  pullPolicy?: 'always' | 'never' | 'missing' | 'build';
  /** From `x-janus`. */
  janus: JanusExtension;
}

/** The `x-janus` extension of a service. */
export interface JanusExtension {
  isolation?: ServiceIsolation;
  /** `trusted` | `untrusted`: the advisor's input. */
  trust?: string;
  /** A compliance regime the workload falls under (free text, e.g. `pci-dss`). */
  compliance?: string;
}

export interface BuildConfig {
  /** Absolute path. */
  context: string;
  /** Relative to the context. */
  dockerfile?: string;
  args: Record<string, string>;
  target?: string;
  labels: Record<string, string>;
}

export interface PortConfig {
  /** Container port. */
  target: number;
  /** Host port or range ("8080", "8080-8090"); absent for an ephemeral port. */
  published?: string;
  hostIp?: string;
  protocol: 'tcp' | 'udp';
}

export interface ServiceMount {
  type: 'volume' | 'bind' | 'tmpfs';
  /** Volume key (top-level `volumes:`), absolute host path for a bind, absent for anonymous volumes and tmpfs. */
  source?: string;
  target: string;
  readOnly: boolean;
  /** Bind: create the host path when missing (short syntax does; long syntax only with bind.create_host_path). */
  createHostPath?: boolean;
  /** tmpfs size in bytes. */
  tmpfsSize?: number;
}

export interface ServiceNetwork {
  aliases: string[];
  ipv4Address?: string;
}

export interface DependsOn {
  condition: 'service_started' | 'service_healthy' | 'service_completed_successfully';
  /** False: a missing or disabled dependency is ignored. */
  required: boolean;
  restart: boolean;
}

export interface HealthcheckConfig {
  /** ["NONE"] disables; ["CMD", ...] or ["CMD-SHELL", "..."]. */
  test: string[];
  /** Nanoseconds. */
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
}

export interface ResourceLimits {
  /** Bytes (mem_limit or deploy.resources.limits.memory). */
  memory?: number;
  /** Bytes. */
  memoryReservation?: number;
  /** CPUs as a decimal (cpus or deploy.resources.limits.cpus). */
  cpus?: number;
  pids?: number;
  cpuShares?: number;
}

export interface NetworkConfig {
  /** The network's name in the engine: `name:` if given, else `<project>_<key>`. */
  name: string;
  external: boolean;
  driver?: string;
  driverOpts: Record<string, string>;
  internal: boolean;
  labels: Record<string, string>;
  ipam: { subnet?: string; gateway?: string; ipRange?: string }[];
}

export interface VolumeConfig {
  /** The volume's name in the engine: `name:` if given, else `<project>_<key>`. */
  name: string;
  external: boolean;
  driver?: string;
  driverOpts: Record<string, string>;
  labels: Record<string, string>;
}
