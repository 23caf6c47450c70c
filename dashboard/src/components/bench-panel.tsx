import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, describeError } from '../api.ts';
import { benchCharts, type BenchChart, type BenchResultsWire } from '../bench-charts.ts';
import { formatBytes } from '../format.ts';

const LABEL_W = 80;
const BAR_W = 180;
const ROW_H = 20;
const LEVEL_COLORS: Record<string, string> = { container: '#1f5fbf', sandbox: '#0b7a3e', vm: '#8a3ab9' };

/** One metric's chart: a bar per level, the figure (or why there is none) written beside it. */
function BenchBars({ chart }: { chart: BenchChart }) {
  const height = chart.bars.length * ROW_H + 4;
  const summary = chart.bars.map((b) => `${b.level}: ${b.label}`).join(', ');
  return (
    <figure class="bench-chart">
      <figcaption>{chart.title} <span class="hint">({chart.better} is better)</span></figcaption>
      <svg viewBox={`0 0 ${LABEL_W + BAR_W + 130} ${height}`} width={LABEL_W + BAR_W + 130} height={height} role="img" aria-label={`${chart.title}: ${summary}`}>
        {chart.bars.map((b, i) => (
          <g key={b.level} transform={`translate(0 ${i * ROW_H + 2})`}>
            <text x={0} y={14} font-size="12" fill="#222">{b.level}</text>
            {b.measured ? <rect x={LABEL_W} y={3} width={Math.max(1, b.fraction * BAR_W)} height={ROW_H - 6} fill={LEVEL_COLORS[b.level] ?? '#555'} /> : null}
            <text x={LABEL_W + (b.measured ? Math.max(1, b.fraction * BAR_W) + 6 : 0)} y={14} font-size="12" fill={b.measured ? '#222' : '#595959'}>{b.label}</text>
          </g>
        ))}
      </svg>
    </figure>
  );
}

/**
 * The host's latest `janus bench` figures (GET /janus/bench): a bar chart
 * per metric, one bar per level, with when and how they were measured; or,
 * when the daemon has none, how to measure them.
 */
export function BenchPanel() {
  const [results, setResults] = useState<BenchResultsWire | null | undefined>();
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(false);
  const load = async (): Promise<void> => {
    setLoading(true);
    try {
      setResults(await api<BenchResultsWire>('GET', '/janus/bench'));
      setError('');
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) { setResults(null); setError(''); } else setError(describeError(err));
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => { void load(); }, []);
  return (
    <section class="bench" aria-labelledby="bench-title">
      <div class="section-head">
        <h2 id="bench-title">Bench: this host at each isolation level</h2>
        <button type="button" onClick={() => void load()} disabled={loading}>{loading ? 'Refreshing…' : 'Refresh'}</button>
      </div>
      {error ? <p role="alert" class="error">{error}</p> : null}
      {results === null ? <p class="bench-none">Not measured yet: run <code>janus bench</code> (or <code>janus bench --quick</code>) on the daemon's host.</p> : null}
      {results ? (
        <>
          <p class="bench-meta">
            Measured {new Date(results.measuredAt).toLocaleString()} on {results.host.name}
            {results.host.accelerator ? ` (VMs: ${results.host.accelerator})` : ''}
            {results.quick ? ', quick run' : ''}; memory budget {formatBytes(results.budgetBytes)}.
          </p>
          <div class="bench-charts">{benchCharts(results).map((c) => <BenchBars key={c.metric} chart={c} />)}</div>
          <ul class="bench-notes">
            {Object.entries(results.levels).flatMap(([level, f]) => [
              ...(f.works ? [] : [<li key={`${level}-why`}>{level}: does not work here ({f.why ?? 'no reason given'})</li>]),
              ...f.notes.map((n, i) => <li key={`${level}-${i}`}>{level}: {n}</li>),
            ])}
          </ul>
        </>
      ) : null}
    </section>
  );
}
