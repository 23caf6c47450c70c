/*
 * Times as docker prints them. Pure functions.
 */

/** Docker's zero time: what it prints for a time it does not know (a container never started, never finished). */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * `date` in Go's RFC3339Nano layout, in UTC: trailing zeros of the fraction
 * dropped, no fraction at all on a whole second (`2024-01-02T03:04:05.12Z`).
 * undefined gives docker's zero time.
 */
export function formatRfc3339Nano(date: Date | undefined): string {
  if (date === undefined || Number.isNaN(date.getTime())) return ZERO_TIME;
  return date.toISOString().replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits === '' ? 'Z' : `.${digits}Z`));
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:?\d{2})$/;

/**
 * A log timestamp (RFC 3339 with nanoseconds and any zone, as the
 * supervisor wrote it) in docker's `logs --timestamps` layout: UTC with
 * exactly nine fraction digits (`2024-01-02T03:04:05.120000000Z`), so no
 * precision is lost and columns line up. Unreadable text is returned as is.
 */
export function formatLogTimestamp(timestamp: string): string {
  const m = RFC3339.exec(timestamp);
  if (!m) return timestamp;
  const zone = m[4].toUpperCase() === 'Z' ? 'Z' : m[4].length === 5 ? `${m[4].slice(0, 3)}:${m[4].slice(3)}` : m[4];
  const ms = Date.parse(`${m[1]}T${m[2]}${zone}`);
  if (Number.isNaN(ms)) return timestamp;
  return `${new Date(ms).toISOString().slice(0, 19)}.${(m[3] ?? '').padEnd(9, '0')}Z`;
}

/**
 * Docker's approximate human duration (go-units HumanDuration), as in
 * `Up 3 seconds`, `Exited (0) 2 minutes ago`: "Less than a second",
 * "1 second", "N seconds", "About a minute", "N minutes", "About an hour",
 * "N hours", then days, weeks, months, years.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(ms / 3_600_000 / 24 / 365)} years`;
}
