import { invalidArgument } from '../../core/errors.ts';

/**
 * IPv4 arithmetic the bridge driver needs to check what the engine hands
 * it (the engine's IPAM has its own; implementations may not import the
 * engine). Addresses are unsigned 32-bit numbers.
 */
export interface Ipv4Net {
  /** First address of the network. */
  base: number;
  prefix: number;
}

/** `a.b.c.d` as an unsigned 32-bit number, or undefined when it is not one. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** The dotted form of a 32-bit number. */
export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The netmask of a prefix length as a 32-bit number. */
export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/**
 * A network in CIDR form (`172.18.0.0/16`; a bare address is a /32). With
 * `strict`, host bits must be clear. InvalidArgument naming `what` otherwise.
 */
export function parseIpv4Net(text: string, what: string, options: { strict?: boolean } = {}): Ipv4Net {
  const m = /^([0-9.]+)(?:\/(\d{1,2}))?$/.exec(text);
  const addr = m ? parseIpv4(m[1]!) : undefined;
  const prefix = m?.[2] === undefined ? 32 : Number(m[2]);
  if (addr === undefined || prefix > 32) throw invalidArgument(`invalid ${what} ${JSON.stringify(text)}: want an IPv4 CIDR such as 172.18.0.0/16`);
  const base = (addr & maskOf(prefix)) >>> 0;
  if (options.strict && base !== addr) throw invalidArgument(`invalid ${what} ${JSON.stringify(text)}: host bits are set`);
  return { base, prefix };
}

/** `base/prefix`. */
export function formatIpv4Net(n: Ipv4Net): string {
  return `${formatIpv4(n.base)}/${n.prefix}`;
}

/** Whether `ip` lies in `net`. */
export function netContains(net: Ipv4Net, ip: number): boolean {
  return ((ip & maskOf(net.prefix)) >>> 0) === net.base;
}

/** Whether two networks share an address. */
export function netsOverlap(a: Ipv4Net, b: Ipv4Net): boolean {
  const m = maskOf(Math.min(a.prefix, b.prefix));
  return ((a.base & m) >>> 0) === ((b.base & m) >>> 0);
}
