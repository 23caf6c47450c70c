import type { JsonMessage } from '../api/client/types.ts';
import { humanSize } from './human-size.ts';

/** Options of `ProgressRenderer`. */
export interface ProgressRendererOptions {
  out: NodeJS.WritableStream;
  /** Redraw per-item lines in place with ANSI escapes and bars (a terminal), or print plain lines. */
  tty: boolean;
  /** Terminal width; bars are drawn only when there is room for them. Default 80. */
  columns?: number;
}

/**
 * Shows a daemon's JSON progress stream (pull, push, load, bootstrap) the way
 * docker does. On a terminal every item (layer) keeps one line, redrawn in
 * place: `abc123def456: Downloading [=====>      ]  1.2MB/4.5MB`. Otherwise
 * each item's status is printed once per change, without bars, so logs stay
 * short. A message without an item ends the group of redrawn lines, as in
 * docker, so later output never overwrites it.
 */
export class ProgressRenderer {
  readonly #out: NodeJS.WritableStream;
  readonly #tty: boolean;
  readonly #columns: number;
  /** Item id → its line number in the current group (TTY). */
  #lines = new Map<string, number>();
  /** Item id → last status printed (plain). */
  #last = new Map<string, string>();

  constructor(options: ProgressRendererOptions) {
    this.#out = options.out;
    this.#tty = options.tty;
    // A terminal that reports no size (0 columns, e.g. under `script`) gets docker's assumed 80.
    this.#columns = options.columns && options.columns > 0 ? options.columns : 80;
  }

  /**
   * Renders every message of `messages` and returns the `aux` payloads (a
   * push's digest, a load's image id) in order. Rethrows the stream's error
   * after the lines drawn so far are left intact.
   */
  async consume(messages: AsyncIterable<JsonMessage>): Promise<Array<Record<string, unknown>>> {
    const aux: Array<Record<string, unknown>> = [];
    for await (const msg of messages) {
      if (msg.aux) {
        aux.push(msg.aux);
        continue;
      }
      this.write(msg);
    }
    return aux;
  }

  /** Renders one message. */
  write(msg: JsonMessage): void {
    if (this.#tty) this.#writeTty(msg);
    else this.#writePlain(msg);
  }

  #writePlain(msg: JsonMessage): void {
    if (msg.stream !== undefined) {
      this.#out.write(msg.stream);
      return;
    }
    const status = msg.status ?? '';
    if (msg.id) {
      if (this.#last.get(msg.id) === status) return;
      this.#last.set(msg.id, status);
      this.#out.write(`${msg.id}: ${status}\n`);
      return;
    }
    this.#out.write(`${status}\n`);
  }

  #writeTty(msg: JsonMessage): void {
    if (msg.stream !== undefined) {
      this.#lines.clear();
      this.#out.write(msg.stream);
      return;
    }
    if (!msg.id) {
      this.#lines.clear();
      this.#out.write(`${msg.status ?? ''}\n`);
      return;
    }
    let line = this.#lines.get(msg.id);
    if (line === undefined) {
      line = this.#lines.size;
      this.#lines.set(msg.id, line);
      this.#out.write('\n');
    }
    const up = this.#lines.size - line;
    const bar = progressText(msg.progressDetail, this.#columns);
    const text = `${msg.id}: ${msg.status ?? ''}${bar ? ` ${bar}` : ''}`;
    // Up to the item's line, clear it, write, back down: the cursor always rests below the group.
    this.#out.write(`\x1b[${up}A\x1b[2K\r${text.slice(0, Math.max(1, this.#columns - 1))}\r\x1b[${up}B`);
  }
}

/**
 * docker's JSONProgress.String(): a 50-wide bar (25 on narrow terminals, none
 * below 80 columns) and `current/total` with 4 significant digits; only the
 * current size when the total is unknown; nothing without numbers.
 */
function progressText(detail: JsonMessage['progressDetail'], columns: number): string {
  const current = detail?.current ?? 0;
  const total = detail?.total ?? 0;
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return humanSize(current, 4).padStart(8);
  const barWidth = columns >= 110 ? 50 : columns >= 80 ? 25 : 0;
  let bar = '';
  if (barWidth > 0) {
    const filled = Math.min(barWidth, Math.floor((current / total) * barWidth));
    bar = `[${'='.repeat(filled)}>${' '.repeat(Math.max(0, barWidth - filled))}] `;
  }
  const numbers = current > total ? '' : `${humanSize(current, 4).padStart(8)}/${humanSize(total, 4)}`;
  return bar + numbers;
}
