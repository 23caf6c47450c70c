import { JanusError, isJanusError } from '../../core/errors.ts';
import type { NetworkResource } from '../../api/client/types.ts';
import type { Command } from '../command.ts';
import { forEachName } from '../each-name.ts';
import { GoTemplate } from '../go-template.ts';
import { shortId } from '../image-id.ts';
import { formatList } from '../list-formatter.ts';
import { ipamConfigFromFlags } from '../network-flags.ts';
import { confirm } from '../prompt.ts';
import { UsageError } from '../usage-error.ts';
import { parseFilters } from './images.ts';

/** `k=v` words (`--opt`, `--label`) into a map; a bare `k` means an empty value, as docker takes labels. */
function keyValues(words: readonly string[], flag: string, command: string, requireValue: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq === 0 || (eq < 0 && requireValue)) throw new UsageError(`invalid argument ${JSON.stringify(w)} for "${flag}" flag: want key=value`, { command });
    if (eq < 0) out[w] = '';
    else out[w.slice(0, eq)] = w.slice(eq + 1);
  }
  return out;
}

/** Runs a flag-value parser; its InvalidArgument becomes a usage error of `command` with docker's wording. */
function usageOf<T>(command: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isJanusError(err, 'InvalidArgument') && !(err instanceof UsageError)) throw new UsageError(err.message, { command });
    throw err;
  }
}

/** docker's flags of `network create` that Janus does not offer, and why. */
const UNSUPPORTED_CREATE: Readonly<Record<string, { type: 'string' | 'list' | 'bool'; why: string }>> = {
  'aux-address': { type: 'list', why: 'auxiliary addresses are not offered' },
  'config-from': { type: 'string', why: 'configuration-only networks belong to swarm mode, which Janus does not offer' },
  'config-only': { type: 'bool', why: 'configuration-only networks belong to swarm mode, which Janus does not offer' },
  ingress: { type: 'bool', why: 'ingress networks belong to swarm mode, which Janus does not offer' },
  'ipam-driver': { type: 'string', why: 'Janus has one IPAM driver, default' },
  'ipam-opt': { type: 'list', why: 'Janus has one IPAM driver, default, without options' },
  ipv6: { type: 'bool', why: 'Janus networks are IPv4 networks' },
  scope: { type: 'string', why: 'Janus networks are local (no swarm)' },
};

/** `janus network create [OPTIONS] NETWORK`: prints the new network's ID. */
export const networkCreateCommand: Command = {
  spec: {
    name: 'network create',
    usage: '[OPTIONS] NETWORK',
    description: 'Create a network',
    args: { min: 1, max: 1 },
    flags: [
      { name: 'attachable', type: 'bool', description: 'Enable manual container attachment' },
      { name: 'driver', short: 'd', type: 'string', valueName: 'string', default: 'bridge', description: 'Driver to manage the Network' },
      { name: 'gateway', type: 'list', valueName: 'strings', description: 'IPv4 Gateway for the master subnet' },
      { name: 'internal', type: 'bool', description: 'Restrict external access to the network' },
      { name: 'ip-range', type: 'list', valueName: 'strings', description: 'Allocate container ip from a sub-range' },
      { name: 'ipv4', type: 'bool', default: 'true', description: 'Enable IPv4 address assignment (only true is supported)' },
      { name: 'label', type: 'list', valueName: 'list', description: 'Set metadata on a network' },
      { name: 'opt', short: 'o', type: 'list', valueName: 'map', description: 'Set driver specific options' },
      { name: 'subnet', type: 'list', valueName: 'strings', description: 'Subnet in CIDR format that represents a network segment' },
      ...Object.entries(UNSUPPORTED_CREATE).map(([name, u]) => ({ name, type: u.type, ...(u.type === 'bool' ? {} : { valueName: 'string' }), description: `Not supported: ${u.why}` })),
    ],
  },
  async run(ctx, args) {
    const command = 'network create';
    for (const [name, u] of Object.entries(UNSUPPORTED_CREATE)) {
      if (args.changed(name) && !(u.type === 'bool' && !args.bool(name))) throw new UsageError(`--${name} is not supported: ${u.why}`, { command });
    }
    if (!args.bool('ipv4')) throw new UsageError('--ipv4=false is not supported: Janus networks are IPv4 networks', { command });
    const config = usageOf(command, () => ipamConfigFromFlags(args.list('subnet'), args.list('gateway'), args.list('ip-range')));
    const res = await ctx.client().createNetwork({
      Name: args.positionals[0],
      Driver: args.string('driver') || 'bridge',
      Internal: args.bool('internal'),
      Attachable: args.bool('attachable'),
      IPAM: { Driver: 'default', Config: config, Options: {} },
      Options: keyValues(args.list('opt'), '-o, --opt', command, true),
      Labels: keyValues(args.list('label'), '--label', command, false),
    }, { signal: ctx.signal });
    if (res.Warning) ctx.stderr.write(`${res.Warning}\n`);
    ctx.stdout.write(`${res.Id}\n`);
  },
};

/** Go's Time.String of an RFC 3339 time, as docker's `{{.CreatedAt}}` prints it. */
function goTime(rfc3339: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(rfc3339);
  if (!m) return rfc3339;
  const frac = (m[3] ?? '').replace(/0+$/, '').replace(/^\.$/, '');
  const zone = m[4] === 'Z' ? '+0000 UTC' : `${m[4].replace(':', '')} ${m[4].replace(':', '')}`;
  return `${m[1]} ${m[2]}${frac} ${zone}`;
}

/** docker's natural sort of names (digit runs compared as numbers). */
function naturalLess(a: string, b: string): number {
  const split = (s: string) => s.match(/\d+|\D+/g) ?? [];
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] === y[i]) continue;
    const nx = /^\d/.test(x[i]);
    const ny = /^\d/.test(y[i]);
    if (nx && ny && Number(x[i]) !== Number(y[i])) return Number(x[i]) - Number(y[i]);
    return x[i] < y[i] ? -1 : 1;
  }
  return x.length - y.length;
}

/** One row of `network ls`: docker's network formatting context. */
export interface NetworkRow {
  ID: string;
  Name: string;
  Driver: string;
  Scope: string;
  IPv6: string;
  Internal: string;
  Labels: string;
  CreatedAt: string;
  /** `{{.Label "key"}}`: one label's value. */
  Label: (key: unknown) => string;
}

/** The rows `network ls` shows, sorted by name as docker sorts them. Pure. */
export function networkRows(list: readonly NetworkResource[], options: { noTrunc: boolean }): NetworkRow[] {
  return [...list].sort((a, b) => naturalLess(a.Name, b.Name)).map((n) => {
    const labels = n.Labels ?? {};
    return {
      ID: options.noTrunc ? n.Id : shortId(n.Id),
      Name: n.Name,
      Driver: n.Driver,
      Scope: n.Scope,
      IPv6: String(!!n.EnableIPv6),
      Internal: String(!!n.Internal),
      Labels: Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(','),
      CreatedAt: goTime(n.Created),
      Label: (key: unknown) => labels[String(key)] ?? '',
    };
  });
}

/** `janus network ls`. */
export const networkLsCommand: Command = {
  spec: {
    name: 'network ls',
    usage: '[OPTIONS]',
    description: 'List networks',
    aliases: ['network list'],
    args: { min: 0, max: 0 },
    flags: [
      { name: 'filter', short: 'f', type: 'list', valueName: 'filter', description: "Provide filter values (e.g. 'driver=bridge')" },
      { name: 'format', type: 'string', valueName: 'string', description: "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template" },
      { name: 'no-trunc', type: 'bool', description: 'Do not truncate the output' },
      { name: 'quiet', short: 'q', type: 'bool', description: 'Only display network IDs' },
    ],
  },
  async run(ctx, args) {
    const list = await ctx.client().listNetworks({ filters: parseFilters(args.list('filter'), 'network ls'), signal: ctx.signal });
    const rows = networkRows(list, { noTrunc: args.bool('no-trunc') });
    const format = args.bool('quiet') ? '{{.ID}}' : args.string('format');
    ctx.stdout.write(formatList(rows, {
      format,
      defaultTable: '{{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}',
      headers: { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', CreatedAt: 'CREATED AT' },
    }));
  },
};

/** `janus network inspect`: docker's JSON array (4-space indent) or `--format` per network; misses reported after. */
export const networkInspectCommand: Command = {
  spec: {
    name: 'network inspect',
    usage: '[OPTIONS] NETWORK [NETWORK...]',
    description: 'Display detailed information on one or more networks',
    args: { min: 1 },
    flags: [
      { name: 'format', short: 'f', type: 'string', valueName: 'string', description: "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template" },
      { name: 'verbose', short: 'v', type: 'bool', description: 'Verbose output for diagnostics' },
    ],
  },
  async run(ctx, args) {
    const format = args.string('format');
    const template = format && format !== 'json' ? GoTemplate.parse(format) : undefined;
    const found: NetworkResource[] = [];
    try {
      await forEachName(args.positionals, async (name) => {
        found.push(await ctx.client().inspectNetwork(name, { verbose: args.bool('verbose'), signal: ctx.signal }));
      });
    } finally {
      if (template) for (const n of found) ctx.stdout.write(`${template.execute(n)}\n`);
      else ctx.stdout.write(`${JSON.stringify(found, null, 4)}\n`);
    }
  },
};

/** `janus network rm`: prints each name removed; `-f` ignores networks that do not exist. */
export const networkRmCommand: Command = {
  spec: {
    name: 'network rm',
    usage: '[OPTIONS] NETWORK [NETWORK...]',
    description: 'Remove one or more networks',
    aliases: ['network remove'],
    args: { min: 1 },
    flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Do not error if the network does not exist' }],
  },
  async run(ctx, args) {
    await forEachName(args.positionals, async (name) => {
      try {
        await ctx.client().removeNetwork(name, { signal: ctx.signal });
      } catch (err) {
        if (args.bool('force') && isJanusError(err, 'NotFound')) return;
        throw err;
      }
      ctx.stdout.write(`${name}\n`);
    });
  },
};

/** `janus network prune`: asks first unless `-f`; lists what it removed. */
export const networkPruneCommand: Command = {
  spec: {
    name: 'network prune',
    usage: '[OPTIONS]',
    description: 'Remove all unused networks',
    args: { min: 0, max: 0 },
    flags: [
      { name: 'filter', type: 'list', valueName: 'filter', description: 'Provide filter values (e.g. "until=<timestamp>")' },
      { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
    ],
  },
  async run(ctx, args) {
    const filters = parseFilters(args.list('filter'), 'network prune');
    if (!args.bool('force') && !(await confirm(ctx, 'WARNING! This will remove all custom networks not used by at least one container.'))) {
      throw new JanusError('Canceled', 'network prune has been cancelled');
    }
    const report = await ctx.client().pruneNetworks({ filters, signal: ctx.signal });
    const deleted = report.NetworksDeleted ?? [];
    if (deleted.length > 0) ctx.stdout.write(`Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
  },
};

const UNSUPPORTED_CONNECT: Readonly<Record<string, { type: 'string' | 'list'; why: string }>> = {
  'driver-opt': { type: 'list', why: 'endpoint driver options are not offered' },
  'gw-priority': { type: 'string', why: 'the first network joined carries the default route' },
  ip6: { type: 'string', why: 'Janus networks are IPv4 networks' },
  link: { type: 'list', why: 'legacy container links are not offered; use the network\'s names' },
  'link-local-ip': { type: 'list', why: 'link-local addresses are not offered' },
};

/** `janus network connect [--alias A]… [--ip IP] NETWORK CONTAINER`. */
export const networkConnectCommand: Command = {
  spec: {
    name: 'network connect',
    usage: '[OPTIONS] NETWORK CONTAINER',
    description: 'Connect a container to a network',
    args: { min: 2, max: 2 },
    flags: [
      { name: 'alias', type: 'list', valueName: 'strings', description: 'Add network-scoped alias for the container' },
      { name: 'ip', type: 'string', valueName: 'string', description: 'IPv4 address (e.g., "172.30.100.104")' },
      ...Object.entries(UNSUPPORTED_CONNECT).map(([name, u]) => ({ name, type: u.type, valueName: 'string', description: `Not supported: ${u.why}` })),
    ],
  },
  async run(ctx, args) {
    for (const [name, u] of Object.entries(UNSUPPORTED_CONNECT)) {
      if (args.changed(name)) throw new UsageError(`--${name} is not supported: ${u.why}`, { command: 'network connect' });
    }
    const [network, container] = args.positionals;
    const ip = args.string('ip');
    const aliases = args.list('alias');
    await ctx.client().connectNetwork(network, container, {
      ...(aliases.length > 0 ? { Aliases: aliases } : {}),
      ...(ip ? { IPAMConfig: { IPv4Address: ip } } : {}),
    }, { signal: ctx.signal });
  },
};

/** `janus network disconnect [-f] NETWORK CONTAINER`. */
export const networkDisconnectCommand: Command = {
  spec: {
    name: 'network disconnect',
    usage: '[OPTIONS] NETWORK CONTAINER',
    description: 'Disconnect a container from a network',
    args: { min: 2, max: 2 },
    flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Force the container to disconnect from a network' }],
  },
  async run(ctx, args) {
    const [network, container] = args.positionals;
    await ctx.client().disconnectNetwork(network, container, { force: args.bool('force'), signal: ctx.signal });
  },
};
