import type { ContainerSummary } from '../../api/client/types.ts';
import type { Command } from '../command.ts';
import { humanSize } from '../human-size.ts';
import { timeAgo } from '../human-duration.ts';
import { shortId } from '../image-id.ts';
import { splitImageName } from '../image-name.ts';
import { formatList } from '../list-formatter.ts';
import { UsageError } from '../usage-error.ts';
import { parseFilters } from './images.ts';

/** docker's column headers for the container fields. */
export const CONTAINER_HEADERS: Readonly<Record<string, string>> = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Ports: 'PORTS', State: 'STATE',
  Status: 'STATUS', Size: 'SIZE', Names: 'NAMES', Labels: 'LABELS', Label: 'LABEL', Mounts: 'MOUNTS', LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS', Platform: 'PLATFORM', Isolation: 'ISOLATION',
};

/** docker's default `ps` table. */
export const PS_TABLE = '{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

/** One row of `ps`: docker's container formatting context, plus Janus's isolation level. */
export interface ContainerRow {
  Command: string;
  CreatedAt: string;
  ID: string;
  Image: string;
  Isolation: string;
  Labels: string;
  LocalVolumes: string;
  Mounts: string;
  Names: string;
  Networks: string;
  Platform: null;
  Ports: string;
  RunningFor: string;
  Size: string;
  State: string;
  Status: string;
  /** `{{.Label "key"}}`: one label's value. */
  Label: (key: unknown) => string;
}

/** docker's Ellipsis: at most `max` characters, the last one `…` when cut. */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  if (max <= 1) return chars.slice(0, max).join('');
  return `${chars.slice(0, max - 1).join('')}…`;
}

/** Go's strconv.Quote for the printable text docker quotes (commands). */
function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u007f/g, '\\x7f');
}

/** docker's image column: an image given by ID shows as a short ID; names lose their digest and docker.io prefixes. */
function imageColumn(c: ContainerSummary, trunc: boolean): string {
  if (!c.Image) return '<no image>';
  if (!trunc) return c.Image;
  if (c.ImageID && shortId(c.ImageID) === shortId(c.Image) && /^(sha256:)?[0-9a-f]{12,64}$/.test(c.Image)) return shortId(c.Image);
  const s = splitImageName(c.Image);
  let name = s.name.replace(/^docker\.io\/(library\/)?/, '').replace(/^index\.docker\.io\/(library\/)?/, '');
  if (s.tag !== undefined) name += `:${s.tag}`;
  return name;
}

/**
 * docker's DisplayablePorts: `0.0.0.0:8080->80/tcp`, `[::]:8080->80/tcp`,
 * `53/udp` for unpublished ports, consecutive ports of one address and
 * protocol joined into ranges (`0.0.0.0:8000-8001->7000-7001/tcp`).
 */
export function displayablePorts(ports: ContainerSummary['Ports']): string {
  const groups = new Map<string, { first: string; ports: Array<{ pub?: number; priv: number }> }>();
  const order: string[] = [];
  const sorted = [...(ports ?? [])].sort((a, b) => (a.Type.localeCompare(b.Type)) || (a.IP ?? '').localeCompare(b.IP ?? '') || (a.PublicPort ?? 0) - (b.PublicPort ?? 0) || a.PrivatePort - b.PrivatePort);
  for (const p of sorted) {
    const ip = p.IP ?? '';
    const host = p.PublicPort ? `${ip.includes(':') ? `[${ip}]` : ip}:` : '';
    const key = `${host}/${p.Type}/${p.PublicPort ? 'pub' : 'priv'}`;
    if (!groups.has(key)) {
      groups.set(key, { first: host, ports: [] });
      order.push(key);
    }
    groups.get(key)!.ports.push({ pub: p.PublicPort, priv: p.PrivatePort });
  }
  const out: string[] = [];
  for (const key of order) {
    const g = groups.get(key)!;
    const type = key.split('/')[1];
    let start = 0;
    for (let i = 1; i <= g.ports.length; i++) {
      const prev = g.ports[i - 1];
      const cur = g.ports[i];
      const consecutive = cur && cur.priv === prev.priv + 1 && (cur.pub === undefined || cur.pub === (prev.pub ?? 0) + 1);
      if (consecutive) continue;
      const a = g.ports[start];
      const range = (x: number | undefined, y: number | undefined) => (x === y ? `${x}` : `${x}-${y}`);
      out.push(a.pub ? `${g.first}${range(a.pub, prev.pub)}->${range(a.priv, prev.priv)}/${type}` : `${range(a.priv, prev.priv)}/${type}`);
      start = i;
    }
  }
  return out.join(', ');
}

/**
 * The rows `ps` shows, field for field as docker's container context
 * computes them: short IDs, the command quoted (cut to 20 characters),
 * ages, ports, names without their slash, labels sorted. `isolation` gives
 * the level of containers whose summary does not carry it. Pure apart from `now`.
 */
export function containerRows(list: readonly ContainerSummary[], options: { noTrunc: boolean; now?: number; isolation?: (id: string) => string | undefined }): ContainerRow[] {
  const trunc = !options.noTrunc;
  return list.map((c) => {
    const labels = c.Labels ?? {};
    let names = (c.Names ?? []).map((n) => n.replace(/^\//, ''));
    // Truncated, a container shows its own name, not the names links gave it (`other/alias`).
    if (trunc) {
      const own = names.find((n) => !n.includes('/'));
      if (own !== undefined) names = [own];
    }
    const mounts = (c.Mounts ?? []).map((m) => {
      const name = m.Name ? m.Name : m.Source ?? '';
      return trunc ? ellipsis(name, 15) : name;
    });
    const janus = (c as { Janus?: { Isolation?: string } }).Janus;
    return {
      Command: goQuote(trunc ? ellipsis(c.Command, 20) : c.Command),
      CreatedAt: new Date(c.Created * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC'),
      ID: trunc ? shortId(c.Id) : c.Id,
      Image: imageColumn(c, trunc),
      Isolation: janus?.Isolation ?? options.isolation?.(c.Id) ?? '',
      Labels: Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(','),
      LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Type === 'volume' && ((m as { Driver?: string }).Driver ?? 'local') === 'local').length),
      Mounts: mounts.join(','),
      Names: names.join(','),
      Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort().join(','),
      Platform: null,
      Ports: displayablePorts(c.Ports),
      RunningFor: timeAgo(c.Created, options.now),
      Size: c.SizeRw === undefined && c.SizeRootFs === undefined ? '0B' : c.SizeRootFs ? `${humanSize(c.SizeRw ?? 0)} (virtual ${humanSize(c.SizeRootFs)})` : humanSize(c.SizeRw ?? 0),
      State: c.State,
      Status: c.Status,
      Label: (key: unknown) => labels[String(key)] ?? '',
    };
  });
}

/** `janus ps` / `container ls` / `container ps` / `container list`. */
export function psCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS]',
      description: 'List containers',
      aliases: ['container ls', 'container ps', 'container list', 'ps'].filter((a) => a !== name),
      args: { min: 0, max: 0 },
      flags: [
        { name: 'all', short: 'a', type: 'bool', description: 'Show all containers (default shows just running)' },
        { name: 'filter', short: 'f', type: 'list', valueName: 'filter', description: 'Filter output based on conditions provided' },
        { name: 'format', type: 'string', valueName: 'string', description: "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template\n(fields: docker's, plus .Isolation)" },
        { name: 'last', short: 'n', type: 'string', valueName: 'int', default: '-1', description: 'Show n last created containers (includes all states)' },
        { name: 'latest', short: 'l', type: 'bool', description: 'Show the latest created container (includes all states)' },
        { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
        { name: 'quiet', short: 'q', type: 'bool', description: 'Only display container IDs' },
        { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes' },
      ],
    },
    async run(ctx, args) {
      const lastText = args.string('last') ?? '-1';
      if (!/^-?\d+$/.test(lastText)) throw new UsageError(`invalid argument ${JSON.stringify(lastText)} for "-n, --last" flag: strconv.ParseInt: parsing ${JSON.stringify(lastText)}: invalid syntax`, { command: name });
      let limit = Number(lastText);
      if (args.bool('latest')) limit = 1;
      const format = args.bool('quiet') ? '{{.ID}}' : args.string('format');
      const size = args.bool('size') || /\.Size\b/.test(format ?? '');
      const list = await ctx.client().containerList({
        all: args.bool('all') || limit > 0, limit: limit > 0 ? limit : undefined, size, filters: parseFilters(args.list('filter'), name), signal: ctx.signal,
      });
      // The summary does not carry the isolation level; ask for it only when it is shown.
      const levels = new Map<string, string>();
      if (/\.Isolation\b/.test(format ?? '') || format === 'json') {
        for (const c of list) {
          if ((c as { Janus?: unknown }).Janus) continue;
          const info = await ctx.client().containerInspect(c.Id, { signal: ctx.signal }).catch(() => undefined);
          levels.set(c.Id, info?.Janus?.Isolation ?? info?.HostConfig?.Isolation ?? '');
        }
      }
      const rows = containerRows(list, { noTrunc: args.bool('no-trunc'), isolation: (id) => levels.get(id) });
      const defaultTable = args.bool('size') ? `${PS_TABLE}\t{{.Size}}` : PS_TABLE;
      ctx.stdout.write(formatList(rows, { format, defaultTable, headers: CONTAINER_HEADERS }));
    },
  };
}
