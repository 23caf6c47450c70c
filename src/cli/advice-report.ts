import type { AdviseResponse, WorkloadAdviceWire } from '../api/client/types.ts';
import { BENCH_LEVELS, type BenchResults } from './bench-cache.ts';

/** The trade-off of one level for this host, from the bench figures (the daemon's, or a --bench-file) and the host's free memory now. */
export interface LevelTradeoff {
  works: boolean;
  startMs?: number;
  coldStartMs?: number;
  memoryPerInstanceBytes?: number;
  /** How many idle instances fit in the host's free memory now. */
  fitInFreeMemory?: number;
}

/** The `tradeoff` of one workload's advice. */
export interface Tradeoff {
  /** When the figures were measured, and where they came from. */
  measuredAt?: string;
  source?: string;
  freeMemoryBytes?: number;
  levels?: Record<string, LevelTradeoff>;
  /** Why there are no figures (no bench run, another host). */
  missing?: string;
}

/** A workload's advice as `janus advise` prints it (and `--format json` gives it). */
export interface AdviceReport extends WorkloadAdviceWire {
  tradeoff: Tradeoff;
}

/**
 * Joins the daemon's advice with the bench figures cached for its host.
 * Figures from another host are not used (a different machine's numbers
 * would be a guess); the reason goes into `tradeoff.missing`. Pure.
 */
export function tradeoffOf(host: AdviseResponse['Host'], hostName: string, bench: { results?: BenchResults; problem?: string; path: string }): Tradeoff {
  const free = host.memAvailable;
  if (!bench.results) return { missing: bench.problem ?? 'no bench results', ...(free !== undefined ? { freeMemoryBytes: free } : {}) };
  const r = bench.results;
  if (r.host.name !== hostName) {
    return { missing: `the bench results from ${bench.path} were measured on ${r.host.name}, not on ${hostName} (run janus bench --quick here)`, ...(free !== undefined ? { freeMemoryBytes: free } : {}) };
  }
  const levels: Record<string, LevelTradeoff> = {};
  for (const l of BENCH_LEVELS) {
    const f = r.levels[l];
    if (!f) continue;
    levels[l] = {
      works: host.levels[l]?.works ?? f.works,
      ...(f.warmStartMs !== undefined ? { startMs: Math.round(f.warmStartMs) } : {}),
      ...(f.coldStartMs !== undefined ? { coldStartMs: Math.round(f.coldStartMs) } : {}),
      ...(f.idlePssBytes !== undefined ? { memoryPerInstanceBytes: f.idlePssBytes } : {}),
      ...(f.idlePssBytes && free !== undefined ? { fitInFreeMemory: Math.floor(free / f.idlePssBytes) } : {}),
    };
  }
  return { measuredAt: r.measuredAt, source: bench.path, ...(free !== undefined ? { freeMemoryBytes: free } : {}), levels };
}

const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const gib = (b: number): string => `${(b / 1024 / 1024 / 1024).toFixed(1)} GiB`;

/** The human-readable report of `janus advise`: per workload its level, reasons, trade-off, alternatives, what would change it, what was not evaluated. */
export function formatAdviceText(reports: AdviceReport[]): string {
  const out: string[] = [];
  if (reports.length > 1) {
    // Several workloads (a compose project): one line each first, the details after.
    const rows = [['WORKLOAD', 'LEVEL', 'RULES'], ...reports.map((a) => [a.name, a.level, [...new Set(a.reasons.map((r) => r.rule))].join(', ')])];
    const w = [0, 1].map((c) => Math.max(...rows.map((r) => r[c].length)));
    for (const r of rows) out.push(`${r[0].padEnd(w[0])}   ${r[1].padEnd(w[1])}   ${r[2]}`);
    out.push('');
  }
  for (const a of reports) {
    out.push(`${a.name}: ${a.level}${a.wanted !== a.level ? ` (the rules ask for ${a.wanted}, which does not work here)` : ''}`);
    out.push('  reasons:');
    for (const r of a.reasons) {
      out.push(`    [${r.rule}${r.level ? ` → ${r.level}` : ''}] ${r.evidence}`);
      out.push(`        ${r.detail}`);
    }
    const t = a.tradeoff;
    if (t.levels) {
      out.push(`  trade-off on this host (janus bench, ${t.measuredAt}${t.freeMemoryBytes !== undefined ? `; ${gib(t.freeMemoryBytes)} free now` : ''}):`);
      for (const [level, f] of Object.entries(t.levels)) {
        if (!f.works) { out.push(`    ${level.padEnd(10)}  does not work here`); continue; }
        const parts = [
          f.startMs !== undefined ? `start ${f.startMs} ms${f.coldStartMs !== undefined ? ` (cold ${f.coldStartMs} ms)` : ''}` : 'start not measured',
          f.memoryPerInstanceBytes !== undefined ? `memory ${mib(f.memoryPerInstanceBytes)} per instance` : 'memory not measured',
          f.fitInFreeMemory !== undefined ? `${f.fitInFreeMemory} fit in free memory` : '',
        ].filter(Boolean);
        out.push(`    ${(level + (level === a.level ? '*' : '')).padEnd(10)}  ${parts.join(', ')}`);
      }
    } else {
      out.push(`  trade-off: not available: ${t.missing}`);
    }
    out.push('  alternatives:');
    for (const x of a.alternatives) out.push(`    ${x.level}: ${x.works ? '' : 'unavailable — '}${x.note}`);
    if (a.changes.length > 0) {
      out.push('  what would change the answer:');
      for (const c of a.changes) out.push(`    - ${c}`);
    }
    if (a.unevaluated.length > 0) {
      out.push('  not evaluated:');
      for (const u of a.unevaluated) out.push(`    - ${u}`);
    }
    out.push('');
  }
  return out.join('\n');
}
