/**
 * Reconnection delays: doubling from `base` up to `max`, with up to a
 * quarter of jitter so many pages do not come back at the same instant.
 * `random` is injectable for tests. Pure.
 */
export function backoffDelay(attempt: number, options: { base?: number; max?: number; random?: () => number } = {}): number {
  const base = options.base ?? 500;
  const max = options.max ?? 15_000;
  const raw = Math.min(max, base * 2 ** Math.max(0, attempt));
  const jitter = (options.random ?? Math.random)() * 0.25 * raw;
  return Math.round(Math.min(max, raw - jitter));
}
