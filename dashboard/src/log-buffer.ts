import { nanosParam, timestampNanos, type LogLine } from './docker-stream.ts';

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

/**
 * How to ask for the page before `lines` (the suffix of a log the page
 * holds): `until` just after the first line's timestamp, and `overlap` lines
 * more than a page, because lines written in one burst share a timestamp and
 * `until` (exclusive) would otherwise skip the first line's siblings; the
 * answer then ends with lines already held, which `olderPage` takes off.
 * undefined when the first line has no timestamp. Pure.
 */
export function olderPageRequest(lines: readonly LogLine[]): { until: string; overlap: number } | undefined {
  const first = lines[0] ? timestampNanos(lines[0].timestamp) : undefined;
  if (first === undefined) return undefined;
  const bound = first + 1000n;
  let overlap = 0;
  for (const l of lines) {
    const n = timestampNanos(l.timestamp);
    if (n === undefined || n >= bound) break;
    overlap++;
  }
  return { until: nanosParam(bound), overlap };
}

/**
 * The lines of an older page's answer that are not held yet: the answer's
 * end that repeats the start of `held` (same time and text) is dropped, and
 * at most `size` lines are kept (the latest). Pure.
 */
export function olderPage(answer: readonly LogLine[], held: readonly LogLine[], size: number): LogLine[] {
  const same = (a: LogLine, b: LogLine): boolean => a.timestamp === b.timestamp && a.text === b.text && a.stream === b.stream;
  let repeated = 0;
  for (let j = Math.min(answer.length, held.length); j > 0; j--) {
    let match = true;
    for (let i = 0; i < j && match; i++) match = same(answer[answer.length - j + i], held[i]);
    if (match) {
      repeated = j;
      break;
    }
  }
  const fresh = answer.slice(0, answer.length - repeated);
  return fresh.slice(Math.max(0, fresh.length - size));
}
