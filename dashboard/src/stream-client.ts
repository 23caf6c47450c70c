import { checkSession } from './api.ts';
import { backoffDelay } from './backoff.ts';
import type { StatsFrame } from './stats-history.ts';
import type { Workload } from './workloads.ts';

/** The stream's connection as the page tells it. */
export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'live' }
  | { kind: 'retrying'; attempt: number; retryAt: number; reason: string }
  | { kind: 'unauthorized'; reason: string };

/** What the stream delivers. */
export interface StreamHandlers {
  workloads(list: Workload[]): void;
  stats(frame: StatsFrame): void;
  connection(state: ConnectionState): void;
}

/** No stats for this long while live: the connection is taken as lost (a daemon frozen or a half-open socket). */
const STALE_MS = 6000;

/**
 * Follows `/dashboard/stream` (server-sent events): the workload list when
 * it changes and a stats frame a second. A lost stream is reopened after a
 * growing delay (backoff.ts) — the browser's own EventSource retry would
 * hammer a restarting daemon at a fixed rate — and a refused one (the
 * token) is reported, not retried. Returns a function that stops it.
 */
export function followStream(h: StreamHandlers): () => void {
  let source: EventSource | undefined;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let staleTimer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const armStale = (): void => {
    clearTimeout(staleTimer);
    staleTimer = setTimeout(() => lost('no data from the daemon for a few seconds'), STALE_MS);
  };

  const lost = (reason: string): void => {
    source?.close();
    source = undefined;
    clearTimeout(staleTimer);
    if (stopped) return;
    void checkSession().then((s) => {
      if (stopped) return;
      if (s.state === 'unauthorized') {
        h.connection({ kind: 'unauthorized', reason: s.message });
        return;
      }
      const delay = backoffDelay(attempt++);
      h.connection({ kind: 'retrying', attempt, retryAt: Date.now() + delay, reason: s.state === 'unreachable' ? s.message : reason });
      timer = setTimeout(open, delay);
    });
  };

  const open = (): void => {
    if (stopped) return;
    h.connection({ kind: 'connecting' });
    const es = new EventSource('/dashboard/stream');
    source = es;
    es.addEventListener('workloads', (e) => {
      attempt = 0;
      h.connection({ kind: 'live' });
      armStale();
      h.workloads(JSON.parse((e as MessageEvent<string>).data) as Workload[]);
    });
    es.addEventListener('stats', (e) => {
      armStale();
      h.stats(JSON.parse((e as MessageEvent<string>).data) as StatsFrame);
    });
    es.onerror = () => lost('the connection to the daemon was lost');
  };

  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    clearTimeout(staleTimer);
    source?.close();
  };
}
