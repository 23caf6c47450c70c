/*
 * Docker's log stream as the page reads it from `/api/containers/{id}/logs`:
 * without a TTY a multiplexed stream of frames (8-byte header: stream type,
 * three zero bytes, big-endian length), with a TTY the raw bytes; each line
 * prefixed with an RFC 3339 timestamp when asked. Pure.
 */

/** One log line. */
export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** RFC 3339 with nanoseconds, as the daemon wrote it ('' without timestamps). */
  timestamp: string;
  text: string;
}

/**
 * Turns chunks of a log stream into lines. Frames and lines may be split
 * anywhere across chunks; `end` flushes a last line without a newline.
 */
export class LogStreamDecoder {
  readonly #multiplexed: boolean;
  readonly #timestamps: boolean;
  #pending = new Uint8Array(0);
  readonly #partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  readonly #decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };

  constructor(options: { multiplexed: boolean; timestamps: boolean }) {
    this.#multiplexed = options.multiplexed;
    this.#timestamps = options.timestamps;
  }

  /** The complete lines this chunk finishes. */
  push(chunk: Uint8Array): LogLine[] {
    if (!this.#multiplexed) return this.#text('stdout', chunk, true);
    let buf = this.#pending.length ? concat(this.#pending, chunk) : chunk;
    const out: LogLine[] = [];
    while (buf.length >= 8) {
      const len = ((buf[4] << 24) >>> 0) + (buf[5] << 16) + (buf[6] << 8) + buf[7];
      if (buf.length < 8 + len) break;
      const stream = buf[0] === 2 ? 'stderr' : 'stdout';
      out.push(...this.#text(stream, buf.subarray(8, 8 + len), true));
      buf = buf.subarray(8 + len);
    }
    this.#pending = buf.slice();
    return out;
  }

  /** The last unterminated lines, at the end of the stream. */
  end(): LogLine[] {
    const out: LogLine[] = [];
    for (const s of ['stdout', 'stderr'] as const) {
      const rest = this.#partial[s] + this.#decoders[s].decode();
      this.#partial[s] = '';
      if (rest !== '') out.push(this.#line(s, rest));
    }
    return out;
  }

  #text(stream: 'stdout' | 'stderr', bytes: Uint8Array, more: boolean): LogLine[] {
    const text = this.#partial[stream] + this.#decoders[stream].decode(bytes, { stream: more });
    const parts = text.split('\n');
    this.#partial[stream] = parts.pop() ?? '';
    return parts.map((p) => this.#line(stream, p.endsWith('\r') ? p.slice(0, -1) : p));
  }

  #line(stream: 'stdout' | 'stderr', raw: string): LogLine {
    if (!this.#timestamps) return { stream, timestamp: '', text: raw };
    const sp = raw.indexOf(' ');
    if (sp > 0 && /^\d{4}-\d\d-\d\dT/.test(raw)) return { stream, timestamp: raw.slice(0, sp), text: raw.slice(sp + 1) };
    return { stream, timestamp: '', text: raw };
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A log timestamp (RFC 3339, up to nine decimals) as Unix nanoseconds, or undefined. */
export function timestampNanos(timestamp: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(timestamp);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (!Number.isFinite(ms)) return undefined;
  return BigInt(ms / 1000) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** Unix nanoseconds as the `since`/`until` query value: seconds with nine decimals. */
export function nanosParam(nanos: bigint): string {
  const n = nanos < 0n ? 0n : nanos;
  return `${n / 1_000_000_000n}.${(n % 1_000_000_000n).toString().padStart(9, '0')}`;
}

/** The `until` value that asks for the lines strictly before a timestamp (one nanosecond earlier); undefined for a timestamp it cannot read. */
export function untilBefore(timestamp: string): string | undefined {
  const n = timestampNanos(timestamp);
  return n === undefined ? undefined : nanosParam(n - 1n);
}
