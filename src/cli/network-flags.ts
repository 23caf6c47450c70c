import { isIP } from 'node:net';
import { invalidArgument } from '../core/errors.ts';
import type { EndpointSettingsWire, IpamConfigWire } from '../api/client/types.ts';

/*
 * The network-shaped flag values of docker's CLI, parsed the way it parses
 * them: `network create --subnet/--gateway/--ip-range` paired into IPAM
 * configs, and `run --network` (plain or `name=…,alias=…,ip=…`) with
 * `--network-alias`/`--ip` into NetworkMode and EndpointsConfig. Pure;
 * errors are InvalidArgument in docker's words.
 */

const ipv4ToInt = (ip: string): number => ip.split('.').reduce((n, b) => n * 256 + Number(b), 0);

function parseV4Cidr(text: string): { base: number; bits: number } | undefined {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
  if (!m || isIP(m[1]) !== 4 || Number(m[2]) > 32) return undefined;
  const bits = Number(m[2]);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (ipv4ToInt(m[1]) & mask) >>> 0, bits };
}

function contains(subnet: { base: number; bits: number }, ip: string): boolean {
  const mask = subnet.bits === 0 ? 0 : (0xffffffff << (32 - subnet.bits)) >>> 0;
  return ((ipv4ToInt(ip) & mask) >>> 0) === subnet.base;
}

const IPV6 = 'IPv6 is not supported: Janus networks are IPv4 networks';

/**
 * `--subnet`, `--gateway` and `--ip-range` values as IPAM configs: one
 * per subnet, each gateway and range assigned to the subnet holding it
 * (docker's consolidateIpam). Empty when no subnet was given.
 */
export function ipamConfigFromFlags(subnets: readonly string[], gateways: readonly string[], ranges: readonly string[]): IpamConfigWire[] {
  if (subnets.length < gateways.length || subnets.length < ranges.length) {
    throw invalidArgument('every ip-range or gateway must have a corresponding subnet');
  }
  const configs = subnets.map((s) => {
    if (s.includes(':')) throw invalidArgument(`--subnet ${s}: ${IPV6}`);
    const cidr = parseV4Cidr(s);
    if (!cidr) throw invalidArgument(`invalid CIDR address: ${s}`);
    return { cidr, wire: { Subnet: s } as IpamConfigWire };
  });
  for (const r of ranges) {
    if (r.includes(':')) throw invalidArgument(`--ip-range ${r}: ${IPV6}`);
    const range = parseV4Cidr(r);
    if (!range) throw invalidArgument(`invalid CIDR address: ${r}`);
    const hit = configs.find((c) => contains(c.cidr, r.split('/')[0]));
    if (!hit) throw invalidArgument(`no matching subnet for range ${r}`);
    if (hit.wire.IPRange !== undefined) throw invalidArgument(`cannot configure multiple ranges (${r}, ${hit.wire.IPRange}) on the same subnet (${hit.wire.Subnet})`);
    hit.wire.IPRange = r;
  }
  for (const g of gateways) {
    if (g.includes(':')) throw invalidArgument(`--gateway ${g}: ${IPV6}`);
    if (isIP(g) !== 4) throw invalidArgument(`invalid gateway address: ${g}`);
    const hit = configs.find((c) => contains(c.cidr, g));
    if (!hit) throw invalidArgument(`no matching subnet for gateway ${g}`);
    if (hit.wire.Gateway !== undefined) throw invalidArgument(`cannot configure multiple gateways (${g}, ${hit.wire.Gateway}) for the same subnet (${hit.wire.Subnet})`);
    hit.wire.Gateway = g;
  }
  return configs.map((c) => c.wire);
}

/** One `--network` value: the network and its endpoint settings. */
interface NetworkAttachment {
  target: string;
  aliases: string[];
  ip?: string;
}

const UNSUPPORTED_FIELDS: Readonly<Record<string, string>> = {
  ip6: IPV6,
  'link-local-ip': 'link-local addresses are not offered',
  'mac-address': 'the MAC address is derived from the IP address',
  'driver-opt': 'endpoint driver options are not offered',
  'gw-priority': 'the first network joined carries the default route',
};

/** `NAME` or docker's advanced `name=NAME,alias=A,ip=IP` form. */
export function parseNetworkValue(value: string): NetworkAttachment {
  if (!value.includes('=')) return { target: value, aliases: [] };
  const out: NetworkAttachment = { target: '', aliases: [] };
  for (const field of value.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const v = eq < 0 ? '' : field.slice(eq + 1).trim();
    if (eq < 0) throw invalidArgument(`invalid field ${JSON.stringify(field)} must be a key=value pair`);
    if (key === 'name') out.target = v;
    else if (key === 'alias') out.aliases.push(v);
    else if (key === 'ip') out.ip = v;
    else if (key in UNSUPPORTED_FIELDS) throw invalidArgument(`${key} is not supported: ${UNSUPPORTED_FIELDS[key]}`);
    else throw invalidArgument(`invalid field key ${key}`);
  }
  if (out.target === '') throw invalidArgument(`network name is missing in ${JSON.stringify(value)}`);
  return out;
}

const NOT_USER_DEFINED = (n: string): boolean => ['default', 'bridge', 'host', 'none'].includes(n) || n.startsWith('container:');

/**
 * `--network` values (in order) with `--network-alias` and `--ip` (which
 * apply to the first network, or to the default one when none is given)
 * as docker's CLI sends them: NetworkMode is the first network
 * (`default` when none), and EndpointsConfig has an entry per network
 * when there are several or when an entry carries settings.
 */
export function networkingFromFlags(networks: readonly string[], aliases: readonly string[], ip: string | undefined): {
  networkMode: string;
  endpoints?: Record<string, EndpointSettingsWire>;
} {
  const attachments = networks.length > 0 ? networks.map(parseNetworkValue) : [{ target: 'default', aliases: [] as string[] }];
  const first = attachments[0];
  if (aliases.length > 0) {
    if (first.aliases.length > 0) throw invalidArgument('conflicting options: cannot specify both --network-alias and per-network alias');
    first.aliases = [...aliases];
  }
  if (ip !== undefined && ip !== '') {
    if (first.ip !== undefined) throw invalidArgument('conflicting options: cannot specify both --ip and per-network IPv4 address');
    first.ip = ip;
  }
  const endpoints: Record<string, EndpointSettingsWire> = {};
  let userDefined = false;
  let builtin = false;
  for (const a of attachments) {
    if (a.ip !== undefined && isIP(a.ip) !== 4) throw invalidArgument(`invalid IPv4 address: ${a.ip}`);
    if (NOT_USER_DEFINED(a.target)) builtin = true;
    else userDefined = true;
    if (Object.hasOwn(endpoints, a.target)) throw invalidArgument(`network ${JSON.stringify(a.target)} is specified multiple times`);
    const ep: EndpointSettingsWire = {};
    if (a.aliases.length > 0) ep.Aliases = a.aliases;
    if (a.ip !== undefined) ep.IPAMConfig = { IPv4Address: a.ip };
    endpoints[a.target] = ep;
  }
  if (userDefined && builtin && networks.length > 0) throw invalidArgument('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
  const needed = attachments.length > 1 || Object.values(endpoints).some((e) => Object.keys(e).length > 0);
  return { networkMode: first.target, ...(needed ? { endpoints } : {}) };
}
