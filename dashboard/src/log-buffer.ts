import type { LogLine } from './docker-stream.ts';

/**
 * The log lines the page holds for one workload: at most `capacity`, the
 * oldest dropped first (the page says so, and can page back with `until`).
 * Pure.
 */
export class LogBuffer {
  readonly capacity: number;
  #lines: LogLine[] = [];
  /** Whether lines before the first held one exist (dropped, or never loaded). */
  olderAvailable = false;
  /** Lines dropped from the front since the last `clear`. */
  dropped = 0;

  constructor(capacity = 5000) {
    this.capacity = capacity;
  }

  get lines(): readonly LogLine[] {
    return this.#lines;
  }

  /** Appends lines at the end (following); drops the oldest beyond capacity. */
  append(lines: readonly LogLine[]): void {
    if (lines.length === 0) return;
    this.#lines.push(...lines);
    const over = this.#lines.length - this.capacity;
    if (over > 0) {
      this.#lines.splice(0, over);
      this.dropped += over;
      this.olderAvailable = true;
    }
  }

  /**
   * Puts an earlier page in front. `complete`: the page had fewer lines than
   * asked for, so nothing is older. Lines that no longer fit are not taken.
   */
  prepend(lines: readonly LogLine[], complete: boolean): void {
    const room = Math.max(0, this.capacity - this.#lines.length);
    const take = lines.slice(Math.max(0, lines.length - room));
    this.#lines = [...take, ...this.#lines];
    this.olderAvailable = !complete || take.length < lines.length;
  }

  clear(): void {
    this.#lines = [];
    this.olderAvailable = false;
    this.dropped = 0;
  }
}

/** The indexes of the lines containing `query` (case-insensitive); all of them for an empty query. Pure. */
export function searchLines(lines: readonly LogLine[], query: string): number[] {
  const out: number[] = [];
  const q = query.toLowerCase();
  for (let i = 0; i < lines.length; i++) if (q === '' || lines[i].text.toLowerCase().includes(q)) out.push(i);
  return out;
}
