import { invalidArgument } from '../../core/errors.ts';

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;

/**
 * Parses a time as docker's `since`/`until` parameters and filters accept
 * it: Unix seconds with optional fraction (`1700000000.5`), a Go duration
 * meaning that long before `now` (`10m`, `1h30m`), or an RFC 3339 / ISO
 * date-time. Returns nanoseconds since the epoch. InvalidArgument naming
 * `what` otherwise. Pure apart from `now`.
 */
export function parseTimestamp(value: string, what: string, now: number = Date.now()): bigint {
  const v = value.trim();
  const unix = /^(-?\d+)(?:\.(\d{1,9}))?$/.exec(v);
  if (unix) {
    const frac = (unix[2] ?? '').padEnd(9, '0');
    const sign = unix[1].startsWith('-') ? -1n : 1n;
    return BigInt(unix[1]) * 1_000_000_000n + sign * BigInt(frac || '0');
  }
  if (DURATION_RE.test(v)) {
    let ms = 0;
    for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * DURATION_UNITS[m[2]];
    return BigInt(Math.round(now - ms)) * 1_000_000n;
  }
  const t = Date.parse(v);
  if (/^\d{4}-\d{2}-\d{2}/.test(v) && !Number.isNaN(t)) return BigInt(t) * 1_000_000n;
  throw invalidArgument(`invalid ${what} ${JSON.stringify(value)}: want Unix seconds, a duration like 10m, or an RFC 3339 time`);
}
