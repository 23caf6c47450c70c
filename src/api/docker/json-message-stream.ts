import type { ServerResponse } from 'node:http';
import type { ProgressEvent, ProgressSink } from '../../core/progress.ts';
import { errorResponse, streamErrorMessage } from './errors.ts';
import { renderProgress } from './progress-bar.ts';

/** Options of a JsonMessageStream. */
export interface JsonMessageStreamOptions {
  /**
   * Messages kept back before the 200 status is committed. Docker answers
   * an operation that fails before doing anything (unknown image, rejected
   * credentials) with an error status, which clients turn into their usual
   * error; our engine announces an operation before it resolves anything, so
   * the first message is held and an early failure still gets its status.
   * Default 1.
   */
  hold?: number;
  /** Minimum milliseconds between two byte-count updates of one item (default 100). */
  throttleMs?: number;
  now?: () => number;
}

/**
 * Docker's JSON message stream (`application/json`, one object per line):
 * what pull, push, load, import and bootstrap answer with. Turns engine
 * progress events into messages with `progressDetail` and a drawn
 * `progress` bar, and a failure into docker's `errorDetail` line, or into an
 * error status while nothing was sent yet. Exactly one of `end` or `fail`
 * finishes it; writes after the client left are dropped.
 */
export class JsonMessageStream {
  readonly #res: ServerResponse;
  readonly #held: string[] = [];
  readonly #hold: number;
  readonly #throttleMs: number;
  readonly #now: () => number;
  readonly #lastUpdate = new Map<string, number>();
  #started = false;
  #finished = false;

  constructor(res: ServerResponse, options: JsonMessageStreamOptions = {}) {
    this.#res = res;
    this.#hold = options.hold ?? 1;
    this.#throttleMs = options.throttleMs ?? 100;
    this.#now = options.now ?? Date.now;
  }

  /** True once the 200 status was sent. */
  get started(): boolean {
    return this.#started;
  }

  /** A ProgressSink writing into this stream; cheap and never throws. */
  readonly progress: ProgressSink = (event: ProgressEvent) => {
    if (event.current !== undefined && event.id !== undefined && !(event.total !== undefined && event.current >= event.total)) {
      // Byte counts arrive per chunk; a line per chunk would swamp the client.
      const key = `${event.id}\0${event.status}`;
      const t = this.#now();
      const last = this.#lastUpdate.get(key);
      if (last !== undefined && t - last < this.#throttleMs) return;
      this.#lastUpdate.set(key, t);
    }
    this.write(progressMessage(event));
  };

  /** Writes one message object. */
  write(message: object): void {
    if (this.#finished) return;
    const line = `${JSON.stringify(message)}\r\n`;
    if (!this.#started && this.#held.length < this.#hold) {
      this.#held.push(line);
      return;
    }
    this.#start();
    this.#send(line);
  }

  /** `{"status": text}`. */
  status(text: string): void {
    this.write({ status: text });
  }

  /** Ends the stream successfully, sending anything held. */
  end(): void {
    if (this.#finished) return;
    this.#start();
    this.#finished = true;
    if (!this.#res.destroyed) this.#res.end();
  }

  /**
   * Ends the stream with `err`: an error status and `{"message"}` when
   * nothing was sent yet, else docker's `{"errorDetail":…,"error":…}` line.
   */
  fail(err: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#res.destroyed) return;
    if (!this.#started) {
      const { status, body } = errorResponse(err);
      const data = JSON.stringify(body);
      this.#res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
      this.#res.end(data);
      return;
    }
    this.#res.end(`${JSON.stringify(streamErrorMessage(err))}\r\n`);
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    if (this.#res.destroyed) return;
    this.#res.writeHead(200, { 'Content-Type': 'application/json' });
    for (const line of this.#held.splice(0)) this.#res.write(line);
  }

  #send(line: string): void {
    if (!this.#res.destroyed) this.#res.write(line);
  }
}

const LAYER_ID = /^[0-9a-f]{12}$/;

/** One engine progress event as docker's JSON message (docker's key order). Pure. */
export function progressMessage(event: ProgressEvent): Record<string, unknown> {
  const m: Record<string, unknown> = { status: event.status };
  if (event.current !== undefined || event.total !== undefined) {
    m.progressDetail = {
      ...(event.current !== undefined ? { current: event.current } : {}),
      ...(event.total !== undefined ? { total: event.total } : {}),
    };
    m.progress = renderProgress(event.current, event.total);
  } else if (event.id !== undefined && LAYER_ID.test(event.id)) {
    // Docker marks per-layer updates with an empty progressDetail; whole-image
    // lines keyed by a tag ("Pulling from …", id "latest") carry none.
    m.progressDetail = {};
  }
  if (event.id !== undefined) m.id = event.id;
  return m;
}
