import { BENCH_LEVELS, type BenchResults, type LevelFigures } from './bench-cache.ts';

const COLORS: Record<string, string> = { container: '#2b8a3e', sandbox: '#e67700', vm: '#1864ab' };

/** The figures the chart and the table show, with their units and whether lower is better. */
export const BENCH_METRICS: readonly { key: keyof LevelFigures; title: string; unit: string; lowerIsBetter: boolean; scale?: number }[] = [
  { key: 'coldStartMs', title: 'cold start (run --rm true)', unit: 'ms', lowerIsBetter: true },
  { key: 'warmStartMs', title: 'warm start (run --rm true)', unit: 'ms', lowerIsBetter: true },
  { key: 'execMs', title: 'exec latency', unit: 'ms', lowerIsBetter: true },
  { key: 'idlePssBytes', title: 'idle memory per workload (PSS)', unit: 'MiB', lowerIsBetter: true, scale: 1 / (1024 * 1024) },
  { key: 'fitInBudget', title: 'workloads that fit in the budget', unit: '', lowerIsBetter: false },
  { key: 'cpuMBps', title: 'CPU-bound: md5sum', unit: 'MB/s', lowerIsBetter: false },
  { key: 'ioMBps', title: 'I/O-bound: dd + fsync', unit: 'MB/s', lowerIsBetter: false },
];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/**
 * A self-contained SVG (no scripts, fonts or links to fetch) of one bench
 * run: one panel per metric, one bar per isolation level, each labelled
 * with its value; levels that do not work here are named in the legend.
 * Pure.
 */
export function benchChartSvg(r: BenchResults): string {
  const panelW = 300;
  const panelH = 150;
  const cols = 3;
  const rows = Math.ceil(BENCH_METRICS.length / cols);
  const width = cols * panelW + 20;
  const height = 70 + rows * (panelH + 20);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  parts.push(`<text x="10" y="20" font-size="15" font-weight="bold">janus bench${r.quick ? ' --quick' : ''}: ${esc(r.host.name)}, ${r.host.cpus} CPUs, kernel ${esc(r.host.kernel)}${r.host.accelerator ? `, VMs on ${esc(r.host.accelerator)}` : ''}</text>`);
  let lx = 10;
  for (const l of BENCH_LEVELS) {
    const f = r.levels[l];
    parts.push(`<rect x="${lx}" y="32" width="12" height="12" fill="${COLORS[l]}"/><text x="${lx + 16}" y="42">${l}${f.works ? '' : ' (does not work here)'}</text>`);
    lx += f.works ? 100 : 190;
  }
  parts.push(`<text x="${lx + 10}" y="42" fill="#555">measured ${esc(r.measuredAt)}; budget ${(r.budgetBytes / 1024 ** 3).toFixed(1)} GiB</text>`);
  BENCH_METRICS.forEach((m, i) => {
    const x0 = 10 + (i % cols) * panelW;
    const y0 = 60 + Math.floor(i / cols) * (panelH + 20);
    const values = BENCH_LEVELS.map((l) => {
      const v = r.levels[l][m.key];
      return typeof v === 'number' ? v * (m.scale ?? 1) : undefined;
    });
    const max = Math.max(1e-9, ...values.filter((v): v is number => v !== undefined));
    parts.push(`<g><text x="${x0}" y="${y0 + 12}" font-weight="bold">${esc(m.title)}${m.unit ? ` (${m.unit})` : ''}, ${m.lowerIsBetter ? 'lower' : 'higher'} is better</text>`);
    const barArea = panelW - 120;
    BENCH_LEVELS.forEach((l, j) => {
      const y = y0 + 28 + j * 36;
      parts.push(`<text x="${x0}" y="${y + 15}">${l}</text>`);
      const v = values[j];
      if (v === undefined) {
        parts.push(`<text x="${x0 + 70}" y="${y + 15}" fill="#888">not measured</text>`);
        return;
      }
      const w = Math.max(1, (v / max) * barArea);
      parts.push(`<rect x="${x0 + 70}" y="${y}" width="${w.toFixed(1)}" height="22" fill="${COLORS[l]}"/>`);
      parts.push(`<text x="${(x0 + 74 + w).toFixed(1)}" y="${y + 15}">${fmt(v)}</text>`);
    });
    parts.push('</g>');
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** The text table of one bench run: one row per metric, one column per level. Pure. */
export function benchTable(r: BenchResults): string {
  const head = ['', ...BENCH_LEVELS];
  const rows: string[][] = [head];
  for (const m of BENCH_METRICS) {
    rows.push([`${m.title}${m.unit ? ` (${m.unit})` : ''}`, ...BENCH_LEVELS.map((l) => {
      const f = r.levels[l];
      if (!f.works) return 'n/a';
      const v = f[m.key];
      return typeof v === 'number' ? fmt(v * (m.scale ?? 1)) : '-';
    })]);
  }
  const widths = head.map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return `${rows.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('   ')).join('\n')}\n`;
}
