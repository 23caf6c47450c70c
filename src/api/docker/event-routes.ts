import type { EngineEvent } from '../../core/events.ts';
import { invalidArgument } from '../../core/errors.ts';
import type { EventBus } from './event-bus.ts';
import { parseFilters } from './filters.ts';
import type { Router } from './router.ts';
import { parseTimestamp } from './timestamps.ts';

/** What the event route needs. */
export interface EventRoutesOptions {
  events: EventBus;
  now?: () => number;
}

const EVENT_FILTERS = [
  'config', 'container', 'daemon', 'event', 'image', 'label', 'network', 'node', 'plugin', 'scope', 'secret', 'service', 'type', 'volume',
] as const;
const FUZZY_ACTIONS = new Set(['health_status', 'exec_create', 'exec_start']);
const EVENT_TYPES = new Set(['builder', 'config', 'container', 'daemon', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'volume']);

/**
 * Adds `GET /events`: remembered events from `since`, then new ones as they
 * happen, one JSON object per line, until `until` passes, the client leaves
 * or the daemon shuts down. Without `since` only new events are sent (docker's rule).
 */
export function registerEventRoutes(router: Router, options: EventRoutesOptions): void {
  const now = options.now ?? Date.now;
  router.add('GET', '/events', async (r) => {
    const t = now();
    const sinceText = r.string('since');
    const untilText = r.string('until');
    const since = sinceText === undefined ? undefined : parseTimestamp(sinceText, 'since', t);
    const until = untilText === undefined ? undefined : parseTimestamp(untilText, 'until', t);
    const filters = parseFilters(r.string('filters'), EVENT_FILTERS);
    for (const type of filters.get('type') ?? []) {
      if (!EVENT_TYPES.has(type)) throw invalidArgument(`invalid filter 'type=${type}'`);
    }
    const wanted = (e: EngineEvent) =>
      (since === undefined || e.timeNano >= since) && (until === undefined || e.timeNano <= until) && matchesEventFilters(e, filters);

    r.res.writeHead(200, { 'Content-Type': 'application/json' });
    r.res.flushHeaders();
    const write = (e: EngineEvent) => { if (wanted(e) && !r.res.destroyed) r.res.write(`${eventWire(e)}\n`); };

    let done!: () => void;
    const finished = new Promise<void>((resolve) => { done = resolve; });
    const { backlog, unsubscribe } = options.events.subscribe(write);
    try {
      if (since !== undefined) for (const e of backlog) write(e);
      const nowNano = BigInt(t) * 1_000_000n;
      if (until !== undefined && until <= nowNano) return;
      if (r.signal.aborted) return;
      r.signal.addEventListener('abort', () => done(), { once: true });
      let timer: NodeJS.Timeout | undefined;
      if (until !== undefined) timer = setTimeout(done, Number((until - nowNano) / 1_000_000n) + 1);
      await finished;
      clearTimeout(timer);
    } finally {
      unsubscribe();
      if (!r.res.destroyed) r.res.end();
    }
  });
}

/** Docker's filter semantics: every given filter name must match one of its values. Pure. */
export function matchesEventFilters(e: EngineEvent, filters: Map<string, string[]>): boolean {
  for (const [name, values] of filters) {
    if (values.length === 0) continue;
    let ok: boolean;
    switch (name) {
      case 'type':
        ok = values.includes(e.type);
        break;
      case 'event':
        // docker (#25798): health_status, exec_create and exec_start carry a suffix ("health_status: healthy"),
        // so a filter naming one of them without the colon matches by prefix.
        ok = values.some((v) => FUZZY_ACTIONS.has(v)) ? values.some((v) => e.action.startsWith(v)) : values.includes(e.action);
        break;
      case 'scope':
        ok = values.includes('local');
        break;
      case 'label':
        // Labels narrow: all must be present.
        ok = values.every((l) => {
          const eq = l.indexOf('=');
          return eq < 0 ? l in e.attributes : e.attributes[l.slice(0, eq)] === l.slice(eq + 1);
        });
        break;
      case 'image':
        ok = (e.type === 'image' && values.some((v) => v === e.id || v === e.attributes.name)) ||
          (e.attributes.image !== undefined && values.includes(e.attributes.image));
        break;
      default:
        // container, volume, network, daemon, …: an object of that type named by ID or name, or a prefix of either (docker's fuzzy match: short IDs).
        ok = e.type === name && values.some((v) => e.id.startsWith(v) || (e.attributes.name?.startsWith(v) ?? false));
    }
    if (!ok) return false;
  }
  return true;
}

/** One event as docker's `/events` JSON line (timeNano written exactly: it exceeds 2^53). Pure. */
export function eventWire(e: EngineEvent): string {
  const head = JSON.stringify({
    ...(e.type === 'image' || e.type === 'container' ? { status: e.action, id: e.id } : {}),
    ...(e.type === 'container' && e.attributes.image !== undefined ? { from: e.attributes.image } : {}),
    Type: e.type,
    Action: e.action,
    Actor: { ID: e.id, Attributes: e.attributes },
    scope: 'local',
    time: Number(e.timeNano / 1_000_000_000n),
  });
  return `${head.slice(0, -1)},"timeNano":${e.timeNano.toString()}}`;
}
