/*
 * The `janus bench` figures (GET /janus/bench) as bar charts: one chart per
 * metric, one bar per isolation level. Pure, so the geometry and the labels
 * are unit-tested without a browser; the component only draws them.
 */
import { formatBytes } from './format.ts';

/** The figures of one level as the daemon serves them (Janus's own camelCase shape). */
export interface BenchLevelFigures {
  works: boolean;
  why?: string;
  coldStartMs?: number;
  warmStartMs?: number;
  execMs?: number;
  idlePssBytes?: number;
  fitInBudget?: number;
  cpuMBps?: number;
  ioMBps?: number;
  notes: string[];
}

/** One `janus bench` run as GET /janus/bench returns it (the fields the page uses). */
export interface BenchResultsWire {
  measuredAt: string;
  quick: boolean;
  host: { name: string; accelerator?: string };
  budgetBytes: number;
  levels: Record<string, BenchLevelFigures>;
}

/** One bar: its level, its length as a fraction of the chart's longest (0 when there is no figure), and what it says. */
export interface BenchBar {
  level: string;
  fraction: number;
  label: string;
  measured: boolean;
}

/** One metric's chart. */
export interface BenchChart {
  metric: keyof BenchLevelFigures;
  title: string;
  /** Which way is better, said beside the title so a longer bar is not read as a better one. */
  better: 'lower' | 'higher';
  bars: BenchBar[];
}

/** The level order of the bench and the advisor. */
export const BENCH_LEVEL_ORDER = ['container', 'sandbox', 'vm'] as const;

const ms = (v: number): string => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
const mbps = (v: number): string => `${v < 10 ? v.toFixed(1) : Math.round(v)} MB/s`;

const METRICS: { metric: BenchChart['metric']; title: string; better: BenchChart['better']; format: (v: number) => string }[] = [
  { metric: 'coldStartMs', title: 'Cold start (run --rm true, first)', better: 'lower', format: ms },
  { metric: 'warmStartMs', title: 'Warm start (run --rm true, median)', better: 'lower', format: ms },
  { metric: 'execMs', title: 'Exec latency (exec true, median)', better: 'lower', format: ms },
  { metric: 'idlePssBytes', title: 'Idle memory per workload (PSS)', better: 'lower', format: formatBytes },
  { metric: 'fitInBudget', title: 'Workloads that fit in the memory budget', better: 'higher', format: (v) => String(Math.round(v)) },
  { metric: 'cpuMBps', title: 'CPU-bound job (md5sum)', better: 'higher', format: mbps },
  { metric: 'ioMBps', title: 'I/O-bound job (dd with fsync)', better: 'higher', format: mbps },
];

/**
 * The charts for `results`: every metric, every level in bench order (a
 * level the results lack is left out). A level that does not work here reads
 * "does not work here"; a working level without the figure "not measured"
 * (its notes say why). Bars are scaled to the metric's largest figure.
 */
export function benchCharts(results: BenchResultsWire): BenchChart[] {
  const levels = BENCH_LEVEL_ORDER.filter((l) => results.levels[l] !== undefined);
  return METRICS.map(({ metric, title, better, format }) => {
    const value = (l: string): number | undefined => {
      const v = results.levels[l][metric];
      return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
    };
    const max = Math.max(0, ...levels.map((l) => value(l) ?? 0));
    const bars = levels.map((level): BenchBar => {
      const f = results.levels[level];
      const v = value(level);
      if (!f.works) return { level, fraction: 0, label: 'does not work here', measured: false };
      if (v === undefined) return { level, fraction: 0, label: 'not measured', measured: false };
      return { level, fraction: max > 0 ? v / max : 0, label: format(v), measured: true };
    });
    return { metric, title, better, bars };
  });
}
