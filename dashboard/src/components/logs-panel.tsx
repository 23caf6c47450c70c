import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, describeError, readJson } from '../api.ts';
import { backoffDelay } from '../backoff.ts';
import { LogStreamDecoder, nanosParam, timestampNanos, type LogLine } from '../docker-stream.ts';
import { LogBuffer, olderPage, olderPageRequest, searchLines } from '../log-buffer.ts';
import { visibleWindow } from '../virtual-window.ts';
import type { Workload } from '../workloads.ts';

/** Lines asked for at first and per "older" page: a huge log is never loaded whole. */
const PAGE = 500;
const LINE_HEIGHT = 18;

/** Props of LogsPanel. */
export interface LogsPanelProps {
  workload: Workload;
}

function logsUrl(w: Workload, query: Record<string, string>): string {
  const q = new URLSearchParams({ stdout: '1', stderr: '1', timestamps: '1', ...query });
  return `/api/containers/${encodeURIComponent(w.id)}/logs?${q}`;
}

/** Reads one log response to its end, handing lines on as they come. */
async function readLog(res: Response, w: Workload, onLines: (lines: LogLine[]) => void): Promise<void> {
  if (!res.ok) await readJson(res);
  const decoder = new LogStreamDecoder({ multiplexed: !w.tty, timestamps: true });
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const lines = decoder.push(value);
    if (lines.length) onLines(lines);
  }
  const rest = decoder.end();
  if (rest.length) onLines(rest);
}

/**
 * The workload's log: the last lines, then following live while it runs
 * (a dropped stream resumes after the last line seen, with back-off), with
 * older pages on demand and a search over the lines loaded. At most 5000
 * lines are held; the page says when older ones were dropped.
 */
export function LogsPanel({ workload }: LogsPanelProps) {
  const buffer = useRef(new LogBuffer(5000));
  const [version, setVersion] = useState(0);
  const [status, setStatus] = useState('');
  const [query, setQuery] = useState('');
  const [follow, setFollow] = useState(true);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const scroller = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState({ top: 0, height: 300 });
  const running = workload.state === 'running' || workload.state === 'paused' || workload.state === 'restarting';

  useEffect(() => {
    const buf = buffer.current;
    buf.clear();
    buf.olderAvailable = false;
    setVersion((v) => v + 1);
    const ctrl = new AbortController();
    let frame = 0;
    let lastTs = '';
    // A resumed stream (`since` the last line's time, inclusive) starts again with the lines of that
    // time already held: this many are skipped. Lines of one burst share a time, so it is a count, not a bound.
    let skip = 0;
    const onLines = (lines: LogLine[]): void => {
      let fresh = lines;
      if (skip > 0) {
        const last = timestampNanos(lastTs);
        fresh = lines.filter((l) => {
          if (skip > 0 && timestampNanos(l.timestamp) === last) {
            skip--;
            return false;
          }
          skip = 0;
          return true;
        });
      }
      if (fresh.length === 0) return;
      buf.append(fresh);
      const ts = fresh.at(-1)!.timestamp;
      if (ts) lastTs = ts;
      if (!frame) frame = requestAnimationFrame(() => { frame = 0; setVersion((v) => v + 1); });
    };
    const run = async (): Promise<void> => {
      let attempt = 0;
      for (;;) {
        try {
          const since = lastTs ? timestampNanos(lastTs) : undefined;
          if (since !== undefined) {
            skip = 0;
            for (let i = buf.lines.length - 1; i >= 0 && buf.lines[i].timestamp === lastTs; i--) skip++;
          }
          const query: Record<string, string> = since !== undefined ? { since: nanosParam(since) } : { tail: String(PAGE) };
          if (running) query.follow = '1';
          const res = await fetch(logsUrl(workload, query), { signal: ctrl.signal, credentials: 'same-origin' });
          if (since === undefined) buf.olderAvailable = true;
          setStatus(running ? 'following' : 'the workload is not running: its log so far');
          attempt = 0;
          await readLog(res, workload, onLines);
          if (!running || ctrl.signal.aborted) return;
          setStatus('the log stream ended (the workload stopped, or the daemon restarted)');
        } catch (err) {
          if (ctrl.signal.aborted) return;
          if (err instanceof ApiError && err.status === 404) {
            setStatus('this workload no longer exists');
            return;
          }
          setStatus(`log stream lost: ${describeError(err)}`);
        }
        const delay = backoffDelay(attempt++);
        await new Promise((r) => setTimeout(r, delay));
        if (ctrl.signal.aborted) return;
      }
    };
    void run();
    return () => {
      ctrl.abort();
      cancelAnimationFrame(frame);
    };
  }, [workload.id, running]);

  const buf = buffer.current;
  const matches = searchLines(buf.lines, query);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (follow) el.scrollTop = el.scrollHeight;
    // New lines (or older ones in front) move the content under a scroll position that may not have changed: no
    // scroll event comes, so the drawn window is computed again here.
    setScroll({ top: el.scrollTop, height: el.clientHeight });
  }, [version, follow, query]);

  const loadOlder = async (): Promise<void> => {
    const ask = olderPageRequest(buf.lines, PAGE);
    if (!ask) return;
    setLoadingOlder(true);
    try {
      const got: LogLine[] = [];
      const res = await fetch(logsUrl(workload, { until: ask.until, tail: String(ask.tail) }), { credentials: 'same-origin' });
      await readLog(res, workload, (lines) => got.push(...lines));
      const page = olderPage(got, ask, PAGE);
      buf.prepend(page.lines, page.complete);
      setFollow(false);
      setVersion((v) => v + 1);
    } catch (err) {
      setStatus(`older lines could not be loaded: ${describeError(err)}`);
    } finally {
      setLoadingOlder(false);
    }
  };

  const { start, end } = visibleWindow(scroll.top, scroll.height, LINE_HEIGHT, matches.length, 20);
  return (
    <section class="logs" aria-labelledby="logs-title">
      <div class="logs-head">
        <h3 id="logs-title">Logs</h3>
        <label>Search <input type="search" value={query} onInput={(e) => setQuery((e.currentTarget as HTMLInputElement).value)} /></label>
        <label><input type="checkbox" checked={follow} onChange={(e) => setFollow((e.currentTarget as HTMLInputElement).checked)} /> Follow</label>
        <button type="button" disabled={!buf.olderAvailable || loadingOlder || buf.lines.length === 0} onClick={() => void loadOlder()}>
          {loadingOlder ? 'Loading…' : `Load ${PAGE} older lines`}
        </button>
      </div>
      <p class="logs-status" role="status">
        {status}
        {' · '}
        {query ? `${matches.length} of ${buf.lines.length} loaded lines match` : `${buf.lines.length} lines loaded`}
        {buf.dropped > 0 ? ` · ${buf.dropped} older lines dropped from view (load older to page back)` : ''}
      </p>
      <div class="log-lines" ref={scroller} tabIndex={0} aria-label="Log lines" onScroll={(e) => {
        const el = e.currentTarget as HTMLDivElement;
        setScroll({ top: el.scrollTop, height: el.clientHeight });
        if (el.scrollTop + el.clientHeight < el.scrollHeight - LINE_HEIGHT * 2 && follow) setFollow(false);
      }}>
        <div style={{ height: `${matches.length * LINE_HEIGHT}px`, position: 'relative' }}>
          {matches.slice(start, end).map((idx, i) => {
            const l = buf.lines[idx];
            return (
              <div key={idx} class={`log-line ${l.stream}`} style={{ top: `${(start + i) * LINE_HEIGHT}px` }} title={l.timestamp}>
                {l.text}
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}
