const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
/** Docker's bar: 50 cells, always drawn by the daemon (it cannot know the client's terminal width). */
const BAR_CELLS = 50;

/**
 * A byte count the way docker prints it: decimal units, four significant
 * digits (`2.155MB`, `512B`, `1.024kB`). Pure.
 */
export function humanSize(bytes: number): string {
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  return `${Number.parseFloat(size.toPrecision(4))}${UNITS[i]}`;
}

/**
 * The `progress` string of a Docker JSON progress message, e.g.
 * `[=========>                                         ]  1.024kB/5.12kB`.
 * Empty when nothing is known; just the count when the total is unknown. Pure.
 */
export function renderProgress(current: number | undefined, total: number | undefined): string {
  const cur = current ?? 0;
  const tot = total ?? 0;
  if (cur <= 0 && tot <= 0) return '';
  if (tot <= 0) return humanSize(cur).padStart(8);
  const filled = Math.min(BAR_CELLS, Math.floor(Math.floor((cur / tot) * 100) / 2));
  const bar = `[${'='.repeat(filled)}>${' '.repeat(BAR_CELLS - filled)}] `;
  const numbers = cur > tot ? humanSize(cur).padStart(8) : `${humanSize(cur).padStart(8)}/${humanSize(tot)}`;
  return bar + numbers;
}
