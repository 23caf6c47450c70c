import { useEffect, useRef, useState } from 'preact/hooks';
import { formatBytes, formatDuration, formatPercent } from '../format.ts';
import type { StatsHistory } from '../stats-history.ts';
import { visibleWindow } from '../virtual-window.ts';
import { isolationLabel, portLabel, portLink, stateLabel, uptimeLabel, type ListItem } from '../workloads.ts';

/** Every line of the list has this height (px): the list is virtualised on it. */
export const ROW_HEIGHT = 48;

/** Props of WorkloadList. */
export interface WorkloadListProps {
  items: ListItem[];
  stats: StatsHistory;
  statsVersion: number;
  selected: string | undefined;
  onSelect(id: string): void;
  now: number;
}

/**
 * The workloads grouped by compose project, one line each: isolation level,
 * state, health, ports (links), image, uptime, and the latest CPU and
 * memory. Only the lines in view (and a few around) are in the DOM, so 200
 * or 2000 workloads cost the same to draw. Arrow keys move between rows.
 */
export function WorkloadList(props: WorkloadListProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState({ top: 0, height: 600 });
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const update = (): void => setScroll({ top: el.scrollTop, height: el.clientHeight });
    update();
    const ro = new ResizeObserver(update);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const { start, end } = visibleWindow(scroll.top, scroll.height, ROW_HEIGHT, props.items.length);
  const pageHost = location.hostname;

  const onKey = (e: KeyboardEvent): void => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const rows = [...(scroller.current?.querySelectorAll<HTMLButtonElement>('button.row-main') ?? [])];
    const at = rows.indexOf(document.activeElement as HTMLButtonElement);
    const next = rows[at + (e.key === 'ArrowDown' ? 1 : -1)];
    if (next) {
      e.preventDefault();
      next.focus();
      next.scrollIntoView({ block: 'nearest' });
    }
  };

  return (
    <div class="workload-list" ref={scroller} onScroll={(e) => setScroll({ top: (e.currentTarget as HTMLDivElement).scrollTop, height: (e.currentTarget as HTMLDivElement).clientHeight })} onKeyDown={onKey}>
      <ul style={{ height: `${props.items.length * ROW_HEIGHT}px` }} aria-label="Workloads by compose project">
        {props.items.slice(start, end).map((item, i) => {
          const top = (start + i) * ROW_HEIGHT;
          if (item.kind === 'group') {
            return (
              <li key={`g:${item.project}`} class="group" style={{ top: `${top}px` }}>
                <h3>{item.project ? `project ${item.project}` : 'not in a compose project'} <span class="count">({item.count})</span></h3>
              </li>
            );
          }
          const w = item.workload;
          const rates = props.stats.latest(w.id);
          return (
            <li key={w.id} class={`row${props.selected === w.id ? ' selected' : ''}`} style={{ top: `${top}px` }} data-id={w.id} data-name={w.name}>
              <button type="button" class="row-main" aria-current={props.selected === w.id ? 'true' : undefined} onClick={() => props.onSelect(w.id)}>
                <span class="name">{w.name}{w.service && w.service !== w.name ? <span class="service"> ({w.service})</span> : null}</span>
                <span class={`badge iso-${w.isolation}`} title="isolation level">{isolationLabel(w)}</span>
                <span class={`state state-${w.state}`}>{stateLabel(w)}</span>
                <span class={w.health ? `health health-${w.health}` : 'health'}>{w.health}</span>
                <span class="image" title={w.image}>{w.image}</span>
                <span class="uptime">{uptimeLabel(w, props.now, formatDuration)}</span>
                <span class="cpu" aria-label="CPU">{rates ? formatPercent(rates.cpu) : ''}</span>
                <span class="mem" aria-label="memory">{rates ? formatBytes(rates.mem) : ''}</span>
              </button>
              <span class="ports">
                {w.ports.map((p) => {
                  const href = portLink(p, pageHost);
                  return href ? <a key={portLabel(p)} href={href} target="_blank" rel="noopener noreferrer">{portLabel(p)}</a> : <span key={portLabel(p)}>{portLabel(p)}</span>;
                })}
              </span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
