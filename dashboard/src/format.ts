/*
 * Formatting of the numbers and times the dashboard shows. Pure.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Bytes as `12.3 MiB` (binary units, one decimal above bytes). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '–';
  let i = 0;
  while (n >= 1024 && i < UNITS.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(n)} B` : `${n.toFixed(n < 10 ? 1 : 0)} ${UNITS[i]}`;
}

/** A rate in bytes per second as `1.2 MiB/s`. */
export function formatRate(n: number): string {
  return `${formatBytes(n)}/s`;
}

/** A percentage as `12.3 %` (one decimal below 100). */
export function formatPercent(n: number): string {
  if (!Number.isFinite(n)) return '–';
  return `${n < 100 ? n.toFixed(1) : Math.round(n)} %`;
}

/** A duration in milliseconds as docker says it: `5 seconds`, `3 minutes`, `2 hours`, `4 days`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (s < 60) return plural(s, 'second');
  const m = Math.floor(s / 60);
  if (m < 60) return plural(m, 'minute');
  const h = Math.floor(m / 60);
  if (h < 48) return plural(h, 'hour');
  return plural(Math.floor(h / 24), 'day');
}
