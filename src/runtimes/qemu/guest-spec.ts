import { dirname, basename } from 'node:path';
import { invalidArgument } from '../../core/errors.ts';
import type { OciProcess, OciRuntimeSpec } from '../../core/oci-runtime-spec.ts';
import type { Records } from './agent-protocol.ts';
import type { GuestNic, GuestRoute } from './vm-network.ts';

/** Capability names (linux/capability.h order): the bit of CAP_X is its index. */
const CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE',
  'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE',
  'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
];

/** The bounding set as the agent's hex bitmask; unknown names are an error naming them. */
export function capabilityMask(names: readonly string[]): string {
  let mask = 0n;
  for (const n of names) {
    const bit = CAPABILITIES.indexOf(n.replace(/^CAP_/, ''));
    if (bit < 0) throw invalidArgument(`unknown capability ${n}`);
    mask |= 1n << BigInt(bit);
  }
  return mask.toString(16);
}

/** Mount destinations the agent always provides inside the workload's root. */
const AGENT_MOUNTS = new Set(['/proc', '/sys', '/sys/fs/cgroup', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue']);

/** A host directory shared with the guest over virtio-9p. */
export interface GuestShare {
  tag: string;
  path: string;
  readOnly: boolean;
}

/**
 * The 9p shares and CONFIG `mount` records for the bind and tmpfs mounts of
 * an OCI spec. A bind of a directory shares that directory; a bind of a
 * file (the engine's /etc/hosts, /etc/resolv.conf, docker-init) shares its
 * parent directory, and the agent binds the one file out of it. Shares are
 * read-only when every bind through them is. `isDir` tells files from
 * directories.
 */
export function guestMounts(spec: OciRuntimeSpec, isDir: (path: string) => boolean): { shares: GuestShare[]; records: [string, string][] } {
  const shares: GuestShare[] = [];
  const records: [string, string][] = [];
  const shareOf = (path: string, readOnly: boolean): GuestShare => {
    let s = shares.find((x) => x.path === path);
    if (!s) {
      s = { tag: `j${shares.length}`, path, readOnly };
      shares.push(s);
    } else if (!readOnly) s.readOnly = false;
    return s;
  };
  for (const m of spec.mounts ?? []) {
    if (AGENT_MOUNTS.has(m.destination)) continue;
    const options = m.options ?? [];
    const readOnly = options.includes('ro');
    const bind = m.type === 'bind' || options.includes('bind') || options.includes('rbind');
    if (bind) {
      if (!m.source) throw invalidArgument(`bind mount on ${m.destination} has no source`);
      const dir = isDir(m.source);
      const share = shareOf(dir ? m.source : dirname(m.source), readOnly);
      records.push(['mount', ['9p', share.tag, dir ? '.' : basename(m.source), m.destination, readOnly ? 'ro' : 'rw'].join('\t')]);
    } else if (m.type === 'tmpfs') {
      records.push(['mount', ['tmpfs', m.destination, options.filter((o) => /^(size|mode|uid|gid|nr_inodes)=/.test(o)).join(',')].join('\t')]);
    }
  }
  // One share may serve a ro and a rw bind: it is writable then, and the agent makes the ro bind read-only itself.
  return { shares, records };
}

/** CONFIG records for a workload: hostname, NICs, routes, the root disk, mounts, clock. */
export function configRecords(spec: OciRuntimeSpec, net: { nics: readonly GuestNic[]; routes: readonly GuestRoute[] }, mounts: readonly [string, string][], now: Date): [string, string][] {
  const r: [string, string][] = [];
  if (spec.hostname) r.push(['hostname', spec.hostname]);
  for (const n of net.nics) r.push(['iface', [n.name, n.mac, n.address, String(n.mtu)].join('\t')]);
  for (const rt of net.routes) r.push(['route', `${rt.destination}\t${rt.gateway}`]);
  r.push(['disk', '/dev/vda\text4']);
  r.push(...mounts);
  for (const [k, v] of Object.entries(spec.linux?.sysctl ?? {})) r.push(['sysctl', `${k}\t${v}`]);
  r.push(['now', String(BigInt(now.getTime()) * 1_000_000n)]);
  return r;
}

/**
 * START records for an OCI process (`init`: the workload itself, else an
 * exec). `root`: one of several workloads of a stack VM, rooted at that
 * directory of the first workload's root; `workload`: the channel of the
 * workload an exec joins (default the first).
 */
export function startRecords(p: OciProcess, options: { init: boolean; tty: boolean; stdin: boolean; root?: string; hostname?: string; workload?: number }): Records {
  if (!p.args?.length) throw invalidArgument('no command given to run');
  const r: [string, string][] = p.args.map((a) => ['arg', a] as [string, string]);
  for (const e of p.env ?? []) r.push(['env', e]);
  r.push(['cwd', p.cwd || '/'], ['uid', String(p.user?.uid ?? 0)], ['gid', String(p.user?.gid ?? 0)]);
  if (p.user?.additionalGids?.length) r.push(['groups', p.user.additionalGids.join(',')]);
  if (options.tty) {
    r.push(['tty', '1']);
    if (p.consoleSize) r.push(['rows', String(p.consoleSize.height)], ['cols', String(p.consoleSize.width)]);
  }
  if (options.stdin) r.push(['stdin', '1']);
  if (options.init) r.push(['init', '1']);
  if (options.init && options.root) r.push(['root', options.root]);
  if (options.init && options.root && options.hostname) r.push(['hostname', options.hostname]);
  if (!options.init && options.workload) r.push(['workload', String(options.workload)]);
  if (p.capabilities?.bounding) r.push(['caps', capabilityMask(p.capabilities.bounding)]);
  for (const l of p.rlimits ?? []) r.push(['rlimit', [l.type.replace(/^RLIMIT_/, '').toLowerCase(), String(l.soft), String(l.hard)].join('\t')]);
  if (p.noNewPrivileges) r.push(['nonewprivs', '1']);
  return r;
}
