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

/** How to ask for the page before the lines held, and how to tell its new lines (see olderPageRequest, olderPage). */
export interface OlderPageRequest {
  /** The `until` query value: just after the first held line's timestamp (the daemon's `until` is exclusive). */
  until: string;
  /** The first held line's timestamp, Unix nanoseconds. */
  first: bigint;
  /** How many held lines share that timestamp (the answer ends with as many lines of it that are held already). */
  overlap: number;
  /** The `tail` query value: a page, the held lines before `until`, and some slack (see OLDER_PAGE_SLACK). */
  tail: number;
}

/**
 * Records more than a page and the overlap asked for: conmon cuts a line
 * that straddles two of its reads into two records (one line, two
 * records), and a record a few hundred nanoseconds after the first held
 * line can fall on either side of the daemon's `until`. Without slack such
 * records would make a full page look short, and so like the log's start.
 */
export const OLDER_PAGE_SLACK = 64;

/**
 * How to ask for the page of `size` lines before `lines` (the suffix of a
 * log the page holds). Lines written in one burst share a timestamp, so a
 * time alone cannot say where the held lines start: `until` is a little
 * after the first held line's time (its siblings included, whatever the
 * daemon's rounding), `overlap` counts the held lines at exactly that
 * time, which olderPage then drops from the answer's end by count — the
 * daemon keeps lines of one time in file order — and `tail` makes room for
 * every held line before `until`, so a full page still comes. undefined when the first
 * line has no timestamp. Pure.
 */
export function olderPageRequest(lines: readonly LogLine[], size: number): OlderPageRequest | undefined {
  const first = lines[0] ? timestampNanos(lines[0].timestamp) : undefined;
  if (first === undefined) return undefined;
  const bound = first + 1000n;
  // The held lines the answer can end with: all those before `bound` (they follow the first held line in the file).
  let overlap = 0;
  let within = 0;
  for (const l of lines) {
    const n = timestampNanos(l.timestamp);
    if (n === undefined || n >= bound) break;
    if (n === first) overlap++;
    within++;
  }
  return { until: nanosParam(bound), first, overlap, tail: size + within + OLDER_PAGE_SLACK };
}

/**
 * The lines of an older page's answer that are not held yet, at most
 * `size` (the latest), and whether the log's start was reached. From the
 * answer's end go the lines later than the first held one (within `until`'s
 * margin), then exactly `ask.overlap` lines of its time: those are the held
 * lines of that time — compared by count, not text, as a line conmon cut in
 * two records reads as its first part in an answer that stops between them.
 * Pure.
 */
export function olderPage(answer: readonly LogLine[], ask: OlderPageRequest, size: number): { lines: LogLine[]; complete: boolean } {
  let end = answer.length;
  while (end > 0) {
    const n = timestampNanos(answer[end - 1].timestamp);
    if (n === undefined || n <= ask.first) break;
    end--;
  }
  let held = ask.overlap;
  while (held > 0 && end > 0 && timestampNanos(answer[end - 1].timestamp) === ask.first) {
    end--;
    held--;
  }
  const fresh = answer.slice(0, end);
  return { lines: fresh.slice(Math.max(0, fresh.length - size)), complete: fresh.length < size };
}
