import { invalidArgument } from '../core/errors.ts';

/** An IPv4 network: its first address as a 32-bit number and its prefix length. */
export interface Cidr {
  base: number;
  prefix: number;
}

/** `a.b.c.d` as an unsigned 32-bit number; InvalidArgument naming `what` when it is not one. */
export function parseIPv4(text: string, what = 'address'): number {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw invalidArgument(`invalid ${what} ${JSON.stringify(text)}: not an IPv4 address`);
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** The dotted form of a 32-bit number. */
export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * A CIDR such as `172.18.0.0/16`. InvalidArgument for a bad form, and for
 * host bits set (docker refuses `172.18.0.1/16` as a subnet too).
 */
export function parseCidr(text: string, what = 'subnet'): Cidr {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
  if (!m) throw invalidArgument(`invalid ${what} ${JSON.stringify(text)}: want an IPv4 CIDR such as 172.20.0.0/16`);
  const prefix = Number(m[2]);
  if (prefix > 32) throw invalidArgument(`invalid ${what} ${JSON.stringify(text)}: prefix length ${prefix} is over 32`);
  const addr = parseIPv4(m[1]!, what);
  const base = (addr & maskOf(prefix)) >>> 0;
  if (base !== addr) throw invalidArgument(`invalid ${what} ${JSON.stringify(text)}: host bits are set (did you mean ${formatCidr({ base, prefix })}?)`);
  return { base, prefix };
}

/** `base/prefix`. */
export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.base)}/${c.prefix}`;
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Number of addresses in `c`. */
function sizeOf(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

/** Whether address `ip` lies in `c`. */
export function contains(c: Cidr, ip: number): boolean {
  return ((ip & maskOf(c.prefix)) >>> 0) === c.base;
}

/** Whether two networks share an address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & maskOf(p)) >>> 0) === ((b.base & maskOf(p)) >>> 0);
}

/**
 * Docker's default address pools, in its order: 172.17.0.0/16 to
 * 172.31.0.0/16, then 192.168.0.0/20 to 192.168.240.0/20.
 */
function* defaultPools(): Generator<Cidr> {
  for (let b = 17; b <= 31; b++) yield { base: parseIPv4(`172.${b}.0.0`), prefix: 16 };
  for (let c = 0; c < 256; c += 16) yield { base: parseIPv4(`192.168.${c}.0`), prefix: 20 };
}

/**
 * The first default pool overlapping neither `taken` (other networks'
 * subnets) nor the host's routes. Unavailable-style InvalidArgument when
 * every pool is used, like docker's "could not find an available,
 * non-overlapping IPv4 address pool".
 */
export function pickSubnet(taken: readonly Cidr[]): Cidr {
  for (const pool of defaultPools()) {
    if (!taken.some((t) => overlaps(t, pool))) return pool;
  }
  throw invalidArgument('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network: give one with --subnet');
}

/** The subnet's first usable address: docker's default gateway. */
export function defaultGateway(c: Cidr): number {
  if (c.prefix >= 31) throw invalidArgument(`subnet ${formatCidr(c)} is too small for a gateway and containers`);
  return c.base + 1;
}

/**
 * The next free address of `subnet` (inside `range` when given) after
 * `cursor`, wrapping once: the network and broadcast addresses, the gateway
 * and `used` are skipped. Handing out addresses round-robin instead of
 * lowest-first keeps a just-released address (still in someone's DNS cache)
 * out of use for as long as possible. InvalidArgument-free: undefined when
 * the range is full.
 */
export function nextFreeAddress(subnet: Cidr, options: { range?: Cidr; gateway: number; used: ReadonlySet<number>; cursor?: number }): number | undefined {
  const span = options.range ?? subnet;
  const first = span.base;
  const last = span.base + sizeOf(span) - 1;
  const broadcast = subnet.base + sizeOf(subnet) - 1;
  const count = last - first + 1;
  const start = options.cursor !== undefined && options.cursor >= first && options.cursor <= last ? options.cursor + 1 : first;
  for (let i = 0; i < count; i++) {
    const ip = first + ((start - first + i) % count);
    if (ip === subnet.base || ip === broadcast || ip === options.gateway || options.used.has(ip)) continue;
    return ip;
  }
  return undefined;
}

/** Docker's MAC for an address: 02:42 followed by the four address bytes. */
export function macFor(ip: number): string {
  const bytes = [0x02, 0x42, ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** IPv4 destinations of the host's routing table (`/proc/net/route` text), default route excluded. */
export function parseProcNetRoute(text: string): Cidr[] {
  const out: Cidr[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    // Destination and Mask are little-endian hex.
    const le = (hex: string) => {
      const n = parseInt(hex, 16);
      return (((n & 255) << 24) | (((n >>> 8) & 255) << 16) | (((n >>> 16) & 255) << 8) | (n >>> 24)) >>> 0;
    };
    const dest = le(f[1]!);
    const mask = le(f[7]!);
    if (mask === 0) continue;
    let prefix = 0;
    while (prefix < 32 && (mask & (0x80000000 >>> prefix)) !== 0) prefix++;
    out.push({ base: (dest & maskOf(prefix)) >>> 0, prefix });
  }
  return out;
}
