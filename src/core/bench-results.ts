/** The three isolation levels, weakest first (the bench's and the advisor's column order). */
export const BENCH_LEVELS = ['container', 'sandbox', 'vm'] as const;
/** One of `BENCH_LEVELS`. */
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

/**
 * One `janus bench` run: what the CLI measured through the daemon and hands
 * back to it (`PUT /janus/bench`), so the advisor and the dashboard read the
 * same figures. The shape is Janus's own; the API rejects unknown fields.
 */
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
