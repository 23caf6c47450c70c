import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { Field, Series } from '../stats-history.ts';

/** One line of a chart: which field, its legend label and colour. */
export interface ChartLine {
  field: Field;
  label: string;
  color: string;
}

/** Props of Chart. */
export interface ChartProps {
  title: string;
  series: Series | undefined;
  lines: ChartLine[];
  /** Formats an axis or legend value. */
  format: (v: number) => string;
  /** Changes whenever new data arrived (StatsHistory.version). */
  version: number;
  height?: number;
}

/**
 * A live time-series chart (uPlot): created once, fed new columns on every
 * frame with `setData`, resized with its box. The figure has a text
 * alternative (the latest values) for screen readers.
 */
export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const key = props.lines.map((l) => l.field).join(',');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: props.height ?? 140,
      legend: { show: true, live: false },
      cursor: { show: false },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max, 1e-9) * 1.1] } },
      axes: [
        { stroke: '#333', grid: { stroke: '#e4e4e4' }, ticks: { stroke: '#ccc' } },
        { stroke: '#333', size: 70, values: (_u, vals) => vals.map((v) => props.format(v)), grid: { stroke: '#e4e4e4' } },
      ],
      series: [{}, ...props.lines.map((l) => ({ label: l.label, stroke: l.color, width: 1.5, points: { show: false }, value: (_u: uPlot, v: number | null) => (v == null ? '–' : props.format(v)) }))],
    };
    const u = new uPlot(opts, data(props.series, props.lines), el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: props.height ?? 140 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [key]);

  useEffect(() => {
    plot.current?.setData(data(props.series, props.lines));
  }, [props.version, props.series]);

  const last = props.series?.t.length ? props.lines.map((l) => `${l.label} ${props.format(props.series!.cols[l.field].at(-1) ?? 0)}`).join(', ') : 'no data yet';
  return (
    <figure class="chart" aria-label={`${props.title}: ${last}`}>
      <figcaption>{props.title}</figcaption>
      <div ref={box} class="chart-box" data-points={props.series?.t.length ?? 0} />
    </figure>
  );
}

function data(series: Series | undefined, lines: ChartLine[]): uPlot.AlignedData {
  if (!series) return [[], ...lines.map(() => [])];
  return [series.t, ...lines.map((l) => series.cols[l.field])];
}
