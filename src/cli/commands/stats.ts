import type { ContainerStatsWire } from '../../api/client/types.ts';
import { isJanusError } from '../../core/errors.ts';
import type { CliContext, Command } from '../command.ts';
import { humanSize } from '../human-size.ts';
import { shortId } from '../image-id.ts';
import { formatList } from '../list-formatter.ts';

/** docker's column headers for the stats fields. */
export const STATS_HEADERS: Readonly<Record<string, string>> = {
  Container: 'CONTAINER', ID: 'CONTAINER ID', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %',
  NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
};

/** docker's default stats table. */
export const STATS_TABLE = '{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

/** One row of `stats`, field for field as docker's stats context. */
export interface StatsRow {
  BlockIO: string;
  CPUPerc: string;
  Container: string;
  ID: string;
  MemPerc: string;
  MemUsage: string;
  Name: string;
  NetIO: string;
  PIDs: string;
}

const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** go-units BytesSize: powers of 1024, Go's `%.4g` ("1.5MiB", "1.944GiB"). */
export function bytesSize(bytes: number): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < BINARY.length - 1) {
    size /= 1024;
    unit++;
  }
  const exp = size === 0 ? 0 : Math.floor(Math.log10(Math.abs(size)));
  const text = exp >= 4 ? size.toExponential(3) : size.toPrecision(4);
  return `${text.includes('.') && !text.includes('e') ? text.replace(/0+$/, '').replace(/\.$/, '') : text}${BINARY[unit]}`;
}

/**
 * A stats row from one stats object, computed as docker's CLI computes
 * it: CPU % from the cpu − precpu deltas times the online CPUs, memory
 * usage without the inactive page cache, network and block I/O sums. A
 * missing sample shows docker's `--`. Pure.
 */
export function statsRow(container: string, id: string, name: string, s: ContainerStatsWire | undefined, options: { noTrunc: boolean }): StatsRow {
  const shownId = options.noTrunc ? id : shortId(id);
  if (!s) return { BlockIO: '--', CPUPerc: '--', Container: container, ID: shownId, MemPerc: '--', MemUsage: '-- / --', Name: name || '--', NetIO: '--', PIDs: '--' };
  const cpuDelta = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const online = s.cpu_stats?.online_cpus || s.cpu_stats?.cpu_usage?.percpu_usage?.length || 0;
  const cpu = systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
  const mem = s.memory_stats ?? {};
  const usage = mem.usage ?? 0;
  const stats = mem.stats ?? {};
  let used = usage;
  if (stats.total_inactive_file !== undefined && stats.total_inactive_file < usage) used = usage - stats.total_inactive_file;
  else if ((stats.inactive_file ?? 0) < usage) used = usage - (stats.inactive_file ?? 0);
  const limit = mem.limit ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  let read = 0;
  let write = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = e.op.toLowerCase();
    if (op === 'read') read += e.value;
    else if (op === 'write') write += e.value;
  }
  return {
    BlockIO: `${humanSize(read)} / ${humanSize(write)}`,
    CPUPerc: `${cpu.toFixed(2)}%`,
    Container: container,
    ID: shownId,
    MemPerc: `${(limit > 0 ? (used / limit) * 100 : 0).toFixed(2)}%`,
    MemUsage: `${bytesSize(used)} / ${bytesSize(limit)}`,
    Name: (s.name ?? name).replace(/^\//, '') || '--',
    NetIO: `${humanSize(rx)} / ${humanSize(tx)}`,
    PIDs: String(s.pids_stats?.current ?? 0),
  };
}

interface Tracked {
  /** As the user named it, or the short ID when listing all. */
  container: string;
  id: string;
  name: string;
  sample?: ContainerStatsWire;
  /** Set when its stream ended (removed, or the daemon went away). */
  gone?: boolean;
  abort: AbortController;
}

/**
 * `janus stats` / `container stats`: a live table of resource usage,
 * redrawn about every second (in place on a terminal), for the named
 * containers or every running one (`-a`: all); `--no-stream` prints one
 * table and exits.
 */
export function statsCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS] [CONTAINER...]',
      description: 'Display a live stream of container(s) resource usage statistics',
      aliases: ['container stats', 'stats'].filter((a) => a !== name),
      args: { min: 0 },
      flags: [
        { name: 'all', short: 'a', type: 'bool', description: 'Show all containers (default shows just running)' },
        { name: 'format', type: 'string', valueName: 'string', description: "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template" },
        { name: 'no-stream', type: 'bool', description: 'Disable streaming stats and only pull the first result' },
        { name: 'no-trunc', type: 'bool', description: 'Do not truncate output' },
      ],
    },
    async run(ctx, args) {
      const format = args.string('format');
      const noTrunc = args.bool('no-trunc');
      const named = args.positionals;
      const client = ctx.client();
      const render = (tracked: Tracked[]): string => formatList(
        tracked.map((t) => statsRow(t.container, t.id, t.name, t.sample, { noTrunc })),
        { format, defaultTable: STATS_TABLE, headers: STATS_HEADERS },
      );
      const resolve = async (): Promise<Array<{ container: string; id: string; name: string }>> => {
        if (named.length > 0) {
          const out = [];
          for (const n of named) {
            const info = await client.containerInspect(n, { signal: ctx.signal });
            out.push({ container: n, id: info.Id, name: info.Name.replace(/^\//, '') });
          }
          return out;
        }
        const list = await client.containerList({ all: args.bool('all'), signal: ctx.signal });
        return list.map((c) => ({ container: shortId(c.Id), id: c.Id, name: (c.Names?.[0] ?? '').replace(/^\//, '') }));
      };

      if (args.bool('no-stream')) {
        const tracked: Tracked[] = [];
        for (const c of await resolve()) {
          const sample = await client.containerStatsOnce(c.id, { signal: ctx.signal }).catch((err: unknown) => {
            if (isJanusError(err, 'NotFound') && named.length === 0) return undefined;
            throw err;
          });
          tracked.push({ ...c, sample, abort: new AbortController() });
        }
        ctx.stdout.write(render(tracked));
        return;
      }
      await liveStats(ctx, resolve, render, named.length > 0);
    },
  };
}

async function liveStats(
  ctx: CliContext,
  resolve: () => Promise<Array<{ container: string; id: string; name: string }>>,
  render: (tracked: Tracked[]) => string,
  fixedSet: boolean,
): Promise<void> {
  const client = ctx.client();
  const tracked = new Map<string, Tracked>();
  const follow = (t: Tracked): void => {
    const signal = AbortSignal.any([ctx.signal, t.abort.signal]);
    void (async () => {
      try {
        for await (const s of client.containerStats(t.id, { signal })) t.sample = s;
      } catch {
        // Removed, or the daemon went away: the row goes (or shows -- when named).
      }
      t.gone = true;
    })();
  };
  const terminal = ctx.stdout.isTTY === true;
  try {
    while (!ctx.signal.aborted) {
      const current = await resolve();
      const ids = new Set(current.map((c) => c.id));
      for (const c of current) {
        if (tracked.has(c.id) && !tracked.get(c.id)!.gone) continue;
        const t: Tracked = { ...c, abort: new AbortController() };
        tracked.set(c.id, t);
        follow(t);
      }
      for (const [id, t] of tracked) {
        if (!ids.has(id) && !fixedSet) {
          t.abort.abort();
          tracked.delete(id);
        }
      }
      const table = render([...tracked.values()]);
      ctx.stdout.write(terminal ? `\x1b[2J\x1b[H${table}` : table);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, 1000);
        ctx.signal.addEventListener('abort', () => { clearTimeout(timer); r(); }, { once: true });
      });
    }
  } catch (err) {
    if (!ctx.signal.aborted) throw err;
  } finally {
    for (const t of tracked.values()) t.abort.abort();
  }
}
