import { invalidArgument } from '../../../core/errors.ts';

/** Every capability of Linux 6.x, in bit order (CAP_CHOWN is bit 0). */
export const ALL_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/**
 * The capabilities of a `/proc/<pid>/status` mask line (`CapBnd:\t000001ff…`),
 * by name; bits this list has no name for are left out. Undefined when the
 * line is absent.
 */
export function capabilitiesOfStatus(status: string, field = 'CapBnd'): string[] | undefined {
  const hex = new RegExp(`^${field}:\\s*([0-9a-fA-F]+)$`, 'm').exec(status)?.[1];
  if (hex === undefined) return undefined;
  const mask = BigInt(`0x${hex}`);
  return ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/** Docker's default capability set, in Docker's order (CapEff 00000000a80425fb). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/**
 * Docker's spelling rules for `--cap-add`/`--cap-drop`: case-insensitive,
 * `CAP_` prefix optional, `ALL` kept as is. InvalidArgument naming `flag`
 * for a capability outside `known`.
 */
export function normalizeCapabilities(caps: readonly string[], flag: string, known: readonly string[] = ALL_CAPABILITIES): string[] {
  return caps.map((raw) => {
    let c = raw.trim().toUpperCase();
    if (c === 'ALL') return c;
    if (!c.startsWith('CAP_')) c = `CAP_${c}`;
    if (!known.includes(c)) throw invalidArgument(`invalid ${flag}: unknown capability: "${c}"`);
    return c;
  });
}

/**
 * The capability set of a container, with Docker's rules: privileged gets
 * every capability the host kernel knows; otherwise the default set minus
 * `capDrop` plus `capAdd`, where `ALL` in `capAdd` means every known
 * capability not dropped and `ALL` in `capDrop` means only what is added.
 * The result has no duplicates.
 */
export function resolveCapabilities(options: {
  capAdd?: readonly string[];
  capDrop?: readonly string[];
  privileged?: boolean;
  /** Capabilities the host kernel knows (default: ALL_CAPABILITIES). */
  known?: readonly string[];
}): string[] {
  const known = options.known ?? ALL_CAPABILITIES;
  if (options.privileged) return [...known];
  const add = normalizeCapabilities(options.capAdd ?? [], '--cap-add', known);
  const drop = normalizeCapabilities(options.capDrop ?? [], '--cap-drop', known);
  let caps: string[];
  if (add.includes('ALL')) caps = known.filter((c) => !drop.includes(c));
  else if (drop.includes('ALL')) caps = add;
  else caps = [...DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c)), ...add];
  return [...new Set(caps)];
}
