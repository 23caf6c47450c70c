/** Mount propagation of a bind mount (`-v …:rshared`, `--mount bind-propagation=`). */
export type MountPropagation = 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';

/** A mount the caller has already resolved to a host path. */
export interface RunMount {
  type: 'bind' | 'volume' | 'tmpfs';
  /** Host path (bind, volume); ignored for tmpfs. */
  source: string;
  /** Absolute path in the container. */
  destination: string;
  readOnly?: boolean;
  /** Bind mounts only; Docker's default is rprivate. */
  propagation?: MountPropagation;
  /** tmpfs only: `size=…`, `mode=…`, `exec`, … (as `--mount type=tmpfs` or `--tmpfs`). */
  tmpfsOptions?: string[];
}

/** One `--ulimit name=soft[:hard]`; -1 means unlimited. */
export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

/**
 * What `docker run`/`docker create` flags become once the API edge has
 * parsed them (sizes in bytes, mounts resolved to host paths). Networking
 * (`--add-host`, `--dns`, ports) is not here: the network part owns it.
 */
export interface RunOptions {
  /** Arguments after the image name; undefined or [] keeps the image's Cmd (unless entrypoint is given). */
  cmd?: string[];
  /**
   * `--entrypoint`: undefined keeps the image's Entrypoint; any value (even
   * [""], which is what `--entrypoint ""` sends) replaces it and drops the
   * image's Cmd; [] (the API's `"Entrypoint": []`) drops the image's
   * Entrypoint but keeps its Cmd.
   */
  entrypoint?: string[];
  /** `-e`/`--env-file`: `KEY=VALUE`; a bare `KEY` removes the image's KEY. */
  env?: string[];
  workingDir?: string;
  /** `uid`, `uid:gid`, `name`, `name:group` (names resolved in the container's /etc/passwd, /etc/group). */
  user?: string;
  hostname?: string;
  domainname?: string;
  labels?: Record<string, string>;
  tty?: boolean;
  openStdin?: boolean;
  /** `--read-only`. */
  readOnly?: boolean;
  privileged?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  /** `--security-opt` values as given (see parseSecurityOpts). */
  securityOpt?: string[];
  /** `--memory`, bytes. */
  memory?: number;
  /** `--memory-swap`: memory plus swap, bytes; -1 unlimited; unset with `memory`: twice `memory`. */
  memorySwap?: number;
  /** `--cpus`, fractional CPUs. */
  cpus?: number;
  cpuShares?: number;
  /** `--pids-limit`; 0 or negative: unlimited. */
  pidsLimit?: number;
  ulimits?: Ulimit[];
  /** `--init`: run an init process as PID 1 that forwards signals and reaps zombies. */
  init?: boolean;
  stopSignal?: string;
  /** `--stop-timeout`, seconds. */
  stopTimeout?: number;
  /** `--tmpfs PATH[:OPTIONS]`: path → comma-separated options (may be ''). */
  tmpfs?: Record<string, string>;
  mounts?: RunMount[];
  sysctls?: Record<string, string>;
  /** `--shm-size`, bytes (default 64 MiB). */
  shmSize?: number;
}
