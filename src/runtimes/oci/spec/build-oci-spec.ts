import { invalidArgument } from '../../../core/errors.ts';
import type { ContainerDefaults } from '../../../core/oci.ts';
import type { OciDevice, OciDeviceRule, OciMount, OciNamespace, OciResources, OciRlimit, OciRuntimeSpec, OciSeccomp } from '../../../core/oci-runtime-spec.ts';
import { resolveCapabilities } from './capabilities.ts';
import { containerProcessEnv, mergeConfigEnv } from './container-env.ts';
import { defaultSeccompProfile } from './default-seccomp.ts';
import { parseSeccompProfile } from './parse-seccomp-profile.ts';
import { resolveCommand } from './resolve-command.ts';
import { resolveUser } from './resolve-user.ts';
import { validateRunOptions } from './run-options.ts';
import type { RunOptions } from './run-options.ts';
import { parseSecurityOpts } from './security-opts.ts';
import { mergeTmpfsOptions } from './tmpfs-options.ts';

/** What buildOciSpec needs to know about the host and the container beyond the image and the flags. */
export interface OciSpecHost {
  /** The container's ID; its first 12 characters are the default hostname, as with Docker. */
  containerId: string;
  /** `linux.cgroupsPath` for the runtime (a path, or runc's systemd `slice:prefix:name`). */
  cgroupsPath: string;
  /** The host's hard rlimits by `--ulimit` name (`nofile`: 20000); a missing name is unlimited. */
  rlimitHardLimits: Record<string, number>;
  /** Contents of the rootfs's /etc/passwd and /etc/group, read by the caller (absent: no such file). */
  passwd?: string;
  group?: string;
  /** The cgroup hierarchy is unified (v2 only); hybrid and v1 hosts are false. Decides the cgroup namespace. */
  cgroupV2: boolean;
  /** The image's architecture, GOARCH spelling, for the seccomp profile. */
  arch: string;
  /** `os.release()`, for seccomp rules with a minimum kernel. */
  kernelRelease?: string;
  /** Capabilities the host kernel knows (what `--privileged` gets); default: every capability of Linux 6.x. */
  capabilities?: readonly string[];
  /** The host's device nodes, given to privileged containers. */
  hostDevices?: readonly OciDevice[];
  /** The init binary on the host (catatonit or tini) and where it appears in the container; needed with `--init`. */
  init?: { hostPath: string; containerPath?: string };
  /** Join this network namespace (`/run/netns/…`); absent: the runtime creates a new, empty one. */
  networkNamespacePath?: string;
  /** The namespace belongs to another container (`--network container:X`): Docker's network sysctls are not set. */
  networkNamespaceShared?: boolean;
  /** `--network host`: no network namespace at all (the daemon's own), no network sysctls; the default hostname is this one. */
  hostNetwork?: { hostname: string };
  /** Mounts the caller adds (`/etc/hostname`, `/etc/hosts`, `/etc/resolv.conf` binds); they count as user mounts. */
  extraMounts?: readonly OciMount[];
  /** Online CPUs, for Docker's `--cpus` range check. */
  cpuCount?: number;
  /** The memory cgroup can limit swap (false on v1 hosts booted without swapaccount): swap limits are then dropped with Docker's warning. */
  swapLimit?: boolean;
  /** The runtime and kernel support recursive read-only binds (`rro`); else read-only binds are `ro`, as Docker falls back. */
  recursiveReadOnly?: boolean;
}

/** Docker's default `--shm-size`. */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** The RLIMIT_NOFILE Janus gives containers, before clamping to the host's hard limit. */
export const DEFAULT_NOFILE = 1048576;

/** Where Docker puts the init binary in the container. */
export const DEFAULT_INIT_PATH = '/sbin/docker-init';

/** Docker's masked paths (its /sys/devices/system/cpu/cpuN/thermal_throttle entries depend on the host and are left out). */
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/acpi', '/proc/asound', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/sched_debug', '/proc/scsi', '/proc/timer_list', '/proc/timer_stats', '/sys/devices/virtual/powercap',
  '/sys/firmware',
];

/** Docker's read-only paths. */
export const DEFAULT_READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const rule = (type: 'c' | 'b', major: number | undefined, minor: number | undefined, access: string, allow = true): OciDeviceRule => {
  const r: OciDeviceRule = { allow, type, access };
  if (major !== undefined) r.major = major;
  if (minor !== undefined) r.minor = minor;
  return r;
};

/**
 * The devices cgroup of an unprivileged container: Docker's list (deny all;
 * null, zero, full, urandom, random, tty, console) together with what runc
 * adds on its own under Docker (mknod of any node, ptmx, /dev/pts/*,
 * /dev/net/tun), written out so that every runtime gets the same list.
 * /dev/fuse stays closed by the deny-all rule; an explicit deny of it after
 * the mknod wildcard is refused by the cgroup v1 devices controller ("cannot
 * punch hole in existing wildcard rule"), so none is written.
 */
export const DEFAULT_DEVICE_RULES: readonly OciDeviceRule[] = [
  { allow: false, access: 'rwm' },
  rule('c', undefined, undefined, 'm'),
  rule('b', undefined, undefined, 'm'),
  rule('c', 1, 5, 'rwm'),
  rule('c', 1, 3, 'rwm'),
  rule('c', 1, 9, 'rwm'),
  rule('c', 1, 8, 'rwm'),
  rule('c', 5, 0, 'rwm'),
  rule('c', 5, 1, 'rwm'),
  rule('c', 5, 2, 'rwm'),
  rule('c', 136, undefined, 'rwm'),
  rule('c', 10, 200, 'rwm'),
];

function defaultMounts(shmSize: number): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`] },
  ];
}

const cleanPath = (p: string): string => p.replace(/\/+/g, '/').replace(/\/$/, '') || '/';
const depth = (p: string): number => cleanPath(p).split('/').length;

function userMounts(run: RunOptions, host: OciSpecHost): { mounts: OciMount[]; rootfsPropagation: string } {
  const mounts: OciMount[] = [];
  let rootfsPropagation = 'rslave';
  for (const m of run.mounts ?? []) {
    if (m.type === 'tmpfs') {
      const options = mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', ...(m.tmpfsOptions ?? []), ...(m.readOnly ? ['ro'] : [])], '--mount type=tmpfs');
      mounts.push({ destination: cleanPath(m.destination), type: 'tmpfs', source: 'tmpfs', options });
      continue;
    }
    const options = ['rbind'];
    if (m.readOnly) options.push(host.recursiveReadOnly ? 'rro' : 'ro');
    const propagation = m.propagation ?? (m.type === 'bind' ? 'rprivate' : undefined);
    if (propagation) options.push(propagation);
    // A shared bind needs a shared root to propagate through; slave ones are served by rslave.
    if (propagation === 'shared' || propagation === 'rshared') rootfsPropagation = 'shared';
    mounts.push({ destination: cleanPath(m.destination), type: 'bind', source: m.source, options });
  }
  for (const [path, data] of Object.entries(run.tmpfs ?? {})) {
    const options = mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', ...(data === '' ? [] : data.split(','))], '--tmpfs');
    mounts.push({ destination: cleanPath(path), type: 'tmpfs', source: 'tmpfs', options });
  }
  for (const m of host.extraMounts ?? []) mounts.push({ ...m, destination: cleanPath(m.destination), options: m.options && [...m.options] });
  // Parents before children, as Docker sorts them, so a mount inside another is not hidden by it.
  mounts.sort((a, b) => depth(a.destination) - depth(b.destination));
  return { mounts, rootfsPropagation };
}

function rlimits(run: RunOptions, host: OciSpecHost, warnings: string[]): OciRlimit[] {
  const hardOf = (name: string): number => host.rlimitHardLimits[name] ?? Infinity;
  // Docker passes the daemon's own RLIMIT_NOFILE on to containers, which
  // under systemd is effectively 1048576; podman uses 1048576 too. Going
  // above the host's hard limit makes the runtime fail with EPERM, so take
  // the smaller of the two.
  const wanted = new Map<string, { soft: number; hard: number }>([['nofile', { soft: DEFAULT_NOFILE, hard: DEFAULT_NOFILE }]]);
  const given = new Set<string>();
  for (const u of run.ulimits ?? []) {
    wanted.set(u.name, { soft: u.soft, hard: u.hard });
    given.add(u.name);
  }
  const out: OciRlimit[] = [];
  for (const [name, want] of wanted) {
    const max = hardOf(name);
    const fit = (v: number): number => {
      if (v === -1) {
        if (max === Infinity) throw invalidArgument(`invalid --ulimit ${name}: unlimited (-1) cannot be expressed for this host; give a number`);
        return max;
      }
      return Math.min(v, max);
    };
    const soft = fit(want.soft);
    const hard = fit(want.hard);
    if (given.has(name) && ((want.soft !== -1 && soft < want.soft) || (want.hard !== -1 && hard < want.hard))) {
      warnings.push(`--ulimit ${name}=${want.soft}:${want.hard} is above the host's hard limit ${max}; using ${soft}:${hard}`);
    }
    out.push({ type: `RLIMIT_${name.toUpperCase()}`, soft, hard });
  }
  return out;
}

function resources(run: RunOptions, host: OciSpecHost, warnings: string[]): OciResources {
  const r: OciResources = {};
  if (run.memory) {
    r.memory = { limit: run.memory };
    // --memory-swap is memory plus swap; unset means twice the memory, -1 unlimited.
    const swap = run.memorySwap ? run.memorySwap : run.memory * 2;
    if (host.swapLimit === false) {
      if (run.memorySwap !== -1) {
        warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
      }
    } else {
      r.memory.swap = swap;
    }
  }
  if (run.cpus) {
    if (host.cpuCount !== undefined && run.cpus > host.cpuCount) {
      throw invalidArgument(`invalid --cpus: range of CPUs is from 0.01 to ${host.cpuCount}.00, as there are only ${host.cpuCount} CPUs available`);
    }
    const period = 100000;
    const nanoCpus = Math.round(run.cpus * 1e9);
    r.cpu = { period, quota: Math.floor((nanoCpus * period) / 1e9) };
  }
  if (run.cpuShares) r.cpu = { ...r.cpu, shares: run.cpuShares };
  if (run.pidsLimit !== undefined) r.pids = { limit: run.pidsLimit > 0 ? run.pidsLimit : -1 };
  r.devices = run.privileged ? [{ allow: true, access: 'rwm' }] : DEFAULT_DEVICE_RULES.map((d) => ({ ...d }));
  return r;
}

/**
 * Builds the OCI runtime spec (config.json) of a container from its image's
 * config and its run options, with Docker's defaults and rules: command and
 * environment merging, user resolution, Docker's capability set and seccomp
 * profile, masked and read-only paths, devices cgroup, default mounts,
 * resource limits, namespaces. Pure: everything about the host comes in
 * `host`. Validates `run` first (validateRunOptions) and throws
 * InvalidArgument for what depends on the image or host ("no command
 * specified", an unknown user, `--cpus` above the CPU count, `--init`
 * without an init binary). `warnings` are Docker-style messages for the
 * user (a ulimit lowered to the host's hard limit, swap limit unavailable).
 * `root.path` is a placeholder the runtime replaces.
 */
export function buildOciSpec(image: ContainerDefaults, run: RunOptions, host: OciSpecHost): { spec: OciRuntimeSpec; warnings: string[] } {
  validateRunOptions(run);
  const warnings: string[] = [];
  const command = resolveCommand(image, run);
  let args = [command.path, ...command.args];
  const mountsOfInit: OciMount[] = [];
  if (run.init) {
    if (!host.init) throw invalidArgument('--init: no init binary (catatonit or tini) was found on this host');
    const at = host.init.containerPath ?? DEFAULT_INIT_PATH;
    args = [at, '--', ...args];
    mountsOfInit.push({ destination: at, type: 'bind', source: host.init.hostPath, options: ['bind', 'ro'] });
  }

  const hostname = run.hostname || host.hostNetwork?.hostname || host.containerId.slice(0, 12);
  const { user, home } = resolveUser(run.user || image.User || '', { passwd: host.passwd, group: host.group });
  const env = containerProcessEnv(mergeConfigEnv(image.Env ?? [], run.env), { hostname, tty: !!run.tty });
  // runc and crun set HOME from passwd when it is missing; say it here so every runtime agrees.
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${home}`);

  const privileged = !!run.privileged;
  const caps = resolveCapabilities({ capAdd: run.capAdd, capDrop: run.capDrop, privileged, known: host.capabilities });
  const security = parseSecurityOpts(run.securityOpt ?? []);
  const target = { capabilities: caps, arch: host.arch, kernelRelease: host.kernelRelease };
  let seccomp: OciSeccomp | undefined;
  if (security.seccomp.mode === 'profile') {
    seccomp = parseSeccompProfile(security.seccomp.json, '(--security-opt seccomp)', target);
  } else if (security.seccomp.mode === 'default' && !privileged) {
    seccomp = defaultSeccompProfile(target);
  }

  // Default mounts a user mount replaces are dropped; a user /dev replaces everything under it.
  const { mounts: own, rootfsPropagation } = userMounts(run, host);
  const ownDest = new Set(own.map((m) => m.destination));
  const userDev = ownDest.has('/dev');
  let mounts = [...defaultMounts(run.shmSize || DEFAULT_SHM_SIZE), ...mountsOfInit].filter(
    (m) => !ownDest.has(m.destination) && !(userDev && m.destination.startsWith('/dev/')),
  );
  if (run.readOnly) {
    const keepWritable = new Set(['/proc', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev']);
    mounts = mounts.map((m) => (keepWritable.has(m.destination) || m.options?.includes('ro') ? m : { ...m, options: [...(m.options ?? []), 'ro'] }));
  }
  if (privileged) {
    // Privileged containers get a writable /sys and cgroup tree, as with Docker.
    mounts = mounts.map((m) => (m.destination === '/sys' || m.type === 'cgroup' ? { ...m, options: m.options?.filter((o) => o !== 'ro') } : m));
  }
  mounts.push(...own);

  const namespaces: OciNamespace[] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (!host.hostNetwork) namespaces.push(host.networkNamespacePath ? { type: 'network', path: host.networkNamespacePath } : { type: 'network' });
  // Docker makes a private cgroup namespace only on a unified (v2) hierarchy.
  if (host.cgroupV2) namespaces.push({ type: 'cgroup' });

  const sysctl: Record<string, string> = {};
  if (!host.networkNamespaceShared && !host.hostNetwork) {
    // Docker's defaults for a container's own network namespace: unprivileged ping and low ports.
    sysctl['net.ipv4.ping_group_range'] = '0 2147483647';
    sysctl['net.ipv4.ip_unprivileged_port_start'] = '0';
  }
  Object.assign(sysctl, run.sysctls ?? {});

  const spec: OciRuntimeSpec = {
    ociVersion: '1.0.2',
    process: {
      terminal: !!run.tty,
      user,
      args,
      env,
      cwd: run.workingDir || image.WorkingDir || '/',
      capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps] },
      rlimits: rlimits(run, host, warnings),
      noNewPrivileges: security.noNewPrivileges,
      oomScoreAdj: 0,
    },
    root: { path: 'rootfs', readonly: !!run.readOnly },
    hostname,
    mounts,
    linux: {
      namespaces,
      devices: privileged ? (host.hostDevices ?? []).map((d) => ({ ...d })) : [],
      cgroupsPath: host.cgroupsPath,
      resources: resources(run, host, warnings),
      maskedPaths: privileged ? [] : [...DEFAULT_MASKED_PATHS],
      readonlyPaths: privileged ? [] : [...DEFAULT_READONLY_PATHS],
      rootfsPropagation,
      sysctl,
    },
  };
  if (run.domainname) spec.domainname = run.domainname;
  if (seccomp) spec.linux!.seccomp = seccomp;
  return { spec, warnings };
}
