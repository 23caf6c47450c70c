import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { LogEntry } from './container-service.ts';

/** Options of `readContainerLog`. */
export interface ReadLogOptions {
  stdout?: boolean;
  stderr?: boolean;
  /** Seconds since the epoch; entries before it are skipped. */
  since?: number;
  /** Seconds since the epoch; entries at or after it are skipped, and following stops there. */
  until?: number;
  /** Only the last N entries that pass the other filters. */
  tail?: number;
  /** Keep reading as the log grows, until `done` resolves (then drain) or `signal` aborts. */
  follow?: boolean;
  /** Resolves when the writer has finished for good (the container stopped). */
  done?: Promise<unknown>;
  /** Rotated files beside the log (`path.1` … `path.N`), oldest last; read before the live file. */
  rotated?: number;
  signal?: AbortSignal;
  /** Poll period while following, ms; inotify usually wakes the reader first. Default 250. */
  pollMs?: number;
  /**
   * Give a line conmon cut into several records (a line longer than its
   * read buffer) as one entry with its first timestamp, as `logs` shows
   * it; a line not ended yet is held until it is (or the log ends).
   * Without it every record is its own entry, as attach streams want.
   */
  joinLines?: boolean;
}

/** The most of one line held back while its end is awaited; beyond it the part is given as it is. */
const MAX_JOINED_LINE = 1024 * 1024;

/**
 * Joins the partial (`P`) records of a line with the record that ends it,
 * per stream (stdout and stderr interleave): the entry keeps the first
 * record's timestamp. Pure state; `flush` gives what is still held.
 */
export class LineJoiner {
  readonly #held = new Map<string, LogEntry>();

  push(e: LogEntry): LogEntry | undefined {
    const held = this.#held.get(e.stream);
    const joined = held ? { ...held, data: Buffer.concat([held.data, e.data]) } : e;
    const ended = joined.data.length > 0 && joined.data[joined.data.length - 1] === 0x0a;
    if (ended || joined.data.length >= MAX_JOINED_LINE) {
      this.#held.delete(e.stream);
      return joined;
    }
    this.#held.set(e.stream, joined);
    return undefined;
  }

  flush(): LogEntry[] {
    const out = [...this.#held.values()].sort((a, b) => a.timestamp.localeCompare(b.timestamp));
    this.#held.clear();
    return out;
  }
}

/**
 * Parses one k8s-file record (`<RFC3339Nano> stdout|stderr F|P <bytes>`)
 * into a LogEntry whose data ends with `\n` for a full (`F`) line. Works on
 * bytes, so output that is not UTF-8 survives. undefined for a torn or
 * foreign line.
 */
export function parseLogRecord(line: Buffer): LogEntry | undefined {
  const s1 = line.indexOf(0x20);
  if (s1 <= 0) return undefined;
  const s2 = line.indexOf(0x20, s1 + 1);
  if (s2 < 0) return undefined;
  const stream = line.subarray(s1 + 1, s2).toString('latin1');
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = line[s2 + 1];
  if (tag !== 0x46 && tag !== 0x50) return undefined; // F, P
  if (line.length > s2 + 2 && line[s2 + 2] !== 0x20) return undefined;
  const timestamp = line.subarray(0, s1).toString('latin1');
  const body = line.length > s2 + 3 ? line.subarray(s2 + 3) : Buffer.alloc(0);
  return { stream, timestamp, data: tag === 0x46 ? Buffer.concat([body, Buffer.from('\n')]) : Buffer.from(body) };
}

/** Seconds since the epoch of an RFC 3339 timestamp with nanoseconds (NaN when unreadable). */
export function timestampSeconds(ts: string): number {
  const m = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return Number.NaN;
  const whole = Date.parse(`${m[1]}${m[3]}`);
  return whole / 1000 + (m[2] ? Number(`0.${m[2]}`) : 0);
}

/**
 * Reads a container's log (conmon's k8s-file, plus rotated files) as
 * LogEntries, applying docker's `logs` filters. With `follow` it keeps
 * reading as the supervisor appends, across truncation and replacement of
 * the file (conmon replaces it when `--log-size-max` is reached), until
 * `done` resolves and the rest is drained. A missing log reads as empty.
 */
export async function* readContainerLog(path: string, options: ReadLogOptions = {}): AsyncGenerator<LogEntry> {
  const want = (e: LogEntry): boolean => {
    if (e.stream === 'stdout' ? options.stdout === false : options.stderr === false) return false;
    if (options.since === undefined && options.until === undefined) return true;
    const t = timestampSeconds(e.timestamp);
    if (options.since !== undefined && t < options.since) return false;
    if (options.until !== undefined && t >= options.until) return false;
    return true;
  };
  const files = [...Array.from({ length: options.rotated ?? 0 }, (_, i) => `${path}.${(options.rotated ?? 0) - i}`), path];
  const joiner = options.joinLines ? new LineJoiner() : undefined;

  if (options.tail !== undefined && options.tail >= 0) {
    // Keep only the last N of the history; the live file is then followed from where it was read.
    const last: LogEntry[] = [];
    let offset = 0;
    let ino = 0;
    for (const f of files) {
      const r = await readWhole(f);
      if (!r) continue;
      for (const e of splitRecords(r.data, joiner)) {
        if (!want(e)) continue;
        last.push(e);
        if (last.length > options.tail) last.shift();
      }
      if (f === path) {
        offset = r.consumed;
        ino = r.ino;
      }
    }
    // Without following, a line not ended yet is given as it is; a follower waits for its end.
    if (!options.follow) for (const e of joiner?.flush() ?? []) if (want(e)) { last.push(e); if (last.length > options.tail) last.shift(); }
    yield* last;
    if (options.follow) yield* follow(path, offset, ino, want, options, joiner);
    return;
  }

  for (const f of files.slice(0, -1)) {
    const r = await readWhole(f);
    if (r) for (const e of splitRecords(r.data, joiner)) if (want(e)) yield e;
  }
  if (options.follow) {
    yield* follow(path, 0, 0, want, options, joiner);
  } else {
    const r = await readWhole(path);
    if (r) for (const e of splitRecords(r.data, joiner)) if (want(e)) yield e;
    for (const e of joiner?.flush() ?? []) if (want(e)) yield e;
  }
}

async function readWhole(path: string): Promise<{ data: Buffer; consumed: number; ino: number } | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const st = await fh.stat();
    const data = await fh.readFile();
    // A torn last line (being written right now) is left for the follower.
    const end = data.lastIndexOf(0x0a) + 1;
    return { data: data.subarray(0, end), consumed: end, ino: st.ino };
  } finally {
    await fh.close();
  }
}

function* splitRecords(data: Buffer, joiner: LineJoiner | undefined): Generator<LogEntry> {
  let start = 0;
  for (let nl = data.indexOf(0x0a, start); nl >= 0; nl = data.indexOf(0x0a, start)) {
    const e = parseLogRecord(data.subarray(start, nl));
    start = nl + 1;
    const out = e && joiner ? joiner.push(e) : e;
    if (out) yield out;
  }
}

async function* follow(
  path: string,
  startOffset: number,
  startIno: number,
  want: (e: LogEntry) => boolean,
  options: ReadLogOptions,
  joiner: LineJoiner | undefined,
): AsyncGenerator<LogEntry> {
  let finished = false;
  void options.done?.then(() => { finished = true; wake(); }, () => { finished = true; wake(); });
  let waiter: (() => void) | undefined;
  const wake = (): void => {
    const w = waiter;
    waiter = undefined;
    w?.();
  };
  const onAbort = (): void => wake();
  options.signal?.addEventListener('abort', onAbort);
  let watcher: FSWatcher | undefined;
  try {
    // Watch the directory: the file may not exist yet, and conmon replaces it on truncation.
    watcher = watch(dirname(path), (_event, name) => { if (!name || name === basename(path)) wake(); });
    watcher.on('error', () => {});
  } catch {
    watcher = undefined;
  }

  let fh: FileHandle | undefined;
  let opened = false;
  let ino = startIno;
  let offset = startOffset;
  let pending = Buffer.alloc(0);
  const buf = Buffer.alloc(64 * 1024);
  try {
    for (;;) {
      if (options.signal?.aborted) return;
      const lastRound = finished;
      // (Re)open when the file appeared or was replaced.
      const st = await stat(path).catch(() => undefined);
      if (st && (!fh || st.ino !== ino)) {
        if (fh) {
          // Drain what the old file still holds before switching.
          for (;;) {
            const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
            if (bytesRead === 0) break;
            offset += bytesRead;
            pending = Buffer.concat([pending, buf.subarray(0, bytesRead)]);
          }
          yield* drainLines();
          await fh.close();
        }
        const first = !opened;
        fh = await open(path, 'r').catch(() => undefined);
        opened = fh !== undefined;
        // The history reader already gave everything up to startOffset of this very file.
        offset = first && st.ino === startIno ? startOffset : 0;
        ino = st.ino;
        pending = Buffer.alloc(0);
      } else if (st && fh && st.size < offset) {
        // Truncated in place.
        offset = 0;
        pending = Buffer.alloc(0);
      }
      if (fh) {
        for (;;) {
          const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
          if (bytesRead === 0) break;
          offset += bytesRead;
          pending = Buffer.concat([pending, buf.subarray(0, bytesRead)]);
          yield* drainLines();
          if (options.signal?.aborted) return;
        }
      }
      if (lastRound || (options.until !== undefined && Date.now() / 1000 >= options.until)) {
        for (const e of joiner?.flush() ?? []) if (want(e)) yield e;
        return;
      }
      await new Promise<void>((resolve) => {
        waiter = resolve;
        setTimeout(wake, options.pollMs ?? 250).unref();
      });
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    watcher?.close();
    await fh?.close();
  }

  function* drainLines(): Generator<LogEntry> {
    let start = 0;
    for (let nl = pending.indexOf(0x0a, start); nl >= 0; nl = pending.indexOf(0x0a, start)) {
      const e = parseLogRecord(pending.subarray(start, nl));
      start = nl + 1;
      const out = e && joiner ? joiner.push(e) : e;
      if (out && want(out)) yield out;
    }
    pending = pending.subarray(start);
  }
}
