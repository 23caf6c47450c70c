import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** The three isolation levels, weakest first (the bench's and the advisor's column order). */
export const BENCH_LEVELS = ['container', 'sandbox', 'vm'] as const;
export type BenchLevel = (typeof BENCH_LEVELS)[number];

/** What `janus bench` measured at one level; absent figures were not measured (`notes` says why). */
export interface LevelFigures {
  works: boolean;
  /** Why the level does not work on this host. */
  why?: string;
  /** `run --rm true`: the first run at this level in this bench (caches cold), ms. */
  coldStartMs?: number;
  /** `run --rm true`: median of the later runs, ms. */
  warmStartMs?: number;
  /** `exec true` into a running workload, median, ms. */
  execMs?: number;
  /** Host memory (PSS) of one idle workload: its process tree (conmon and the workload, or QEMU), bytes. */
  idlePssBytes?: number;
  /** How many idle workloads fit in the bench's memory budget (budget / idlePssBytes). */
  fitInBudget?: number;
  /** CPU-bound: md5sum of zeros inside the workload, MB/s. */
  cpuMBps?: number;
  /** I/O-bound: dd with fsync to the workload's own filesystem, MB/s. */
  ioMBps?: number;
  notes: string[];
}

/** One `janus bench` run, as cached for the advisor. */
export interface BenchResults {
  version: 1;
  /** RFC 3339. */
  measuredAt: string;
  quick: boolean;
  /** The daemon's host as `info` named it. */
  host: { name: string; kernel: string; cpus: number; memTotal: number; accelerator?: string };
  /** The memory budget the density figure is for (MemAvailable at the start, or --budget), bytes. */
  budgetBytes: number;
  iterations: { start: number; exec: number };
  levels: Record<BenchLevel, LevelFigures>;
}

/**
 * Where bench results are cached: `$XDG_CACHE_HOME/janus/bench.json`, else
 * `~/.cache/janus/bench.json`. The figures describe the daemon's host, so
 * they are kept with its name and only used for that host.
 */
export function benchCachePath(env: Record<string, string | undefined>): string {
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(base, 'janus', 'bench.json');
}

/** Reads cached results; undefined when there are none or they cannot be read (a reason is given). */
export async function readBenchCache(path: string): Promise<{ results?: BenchResults; problem?: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return { problem: `no bench results at ${path} (run janus bench --quick)` };
  }
  try {
    const r = JSON.parse(text) as BenchResults;
    if (r.version !== 1 || typeof r.levels !== 'object') return { problem: `${path} is not a bench result this version reads` };
    return { results: r };
  } catch {
    return { problem: `${path} does not parse as JSON` };
  }
}

/** Writes results atomically (a reader never sees half a file). */
export async function writeBenchCache(path: string, results: BenchResults): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(results, null, 2)}\n`);
  await rename(tmp, path);
}
