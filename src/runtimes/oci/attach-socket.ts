import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import { isAbsolute, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { conflict, internal, invalidArgument, unavailable, type JanusError } from '../../core/errors.ts';
import type { Spawn } from './conmon.ts';
import type { AttachStdin } from './oci-task.ts';

/** One frame of Docker's multiplexed stream format, as janus-attach writes it. */
export interface Frame {
  /** 1 stdout, 2 stderr; 0 is janus-attach's own marker (always empty). */
  stream: 0 | 1 | 2;
  data: Buffer;
}

const HEADER = 8;

/**
 * Splits Docker's multiplexed stream (8-byte header: stream byte, three
 * zero bytes, big-endian uint32 length; then the payload) into frames,
 * whatever the chunk boundaries. Pure: feed it with `push`, call `end` at
 * the end of input. A malformed header throws Internal and the decoder must
 * not be used again.
 */
export class FrameDecoder {
  readonly #maxFrame: number;
  #chunks: Buffer[] = [];
  #size = 0;

  /** `maxFrame` bounds a payload, so a corrupt length cannot make the decoder buffer without end. */
  constructor(options: { maxFrame?: number } = {}) {
    this.#maxFrame = options.maxFrame ?? 1 << 20;
  }

  /** Bytes held back: the start of a frame not yet complete. */
  get buffered(): number {
    return this.#size;
  }

  /** Adds input; returns every frame it completed, in order. */
  push(chunk: Buffer): Frame[] {
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#size += chunk.length;
    }
    const frames: Frame[] = [];
    while (this.#size >= HEADER) {
      const head = this.#peek(HEADER);
      const stream = head[0];
      if (stream > 2 || head[1] !== 0 || head[2] !== 0 || head[3] !== 0) {
        throw internal(`malformed frame header from janus-attach: ${head.toString('hex')}`);
      }
      const length = head.readUInt32BE(4);
      if (length > this.#maxFrame) throw internal(`frame of ${length} bytes from janus-attach, over the ${this.#maxFrame} allowed`);
      if (this.#size < HEADER + length) break;
      const frame = this.#take(HEADER + length);
      frames.push({ stream: stream as Frame['stream'], data: frame.subarray(HEADER) });
    }
    return frames;
  }

  /** Declares the end of input; Internal when it stopped inside a frame. */
  end(): void {
    if (this.#size > 0) throw internal(`janus-attach's output ended inside a frame (${this.#size} bytes left over)`);
  }

  /** The first `n` buffered bytes, leaving them buffered; joins chunks only when the first one is short. */
  #peek(n: number): Buffer {
    if (this.#chunks[0].length < n) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0].subarray(0, n);
  }

  #take(n: number): Buffer {
    const out = this.#peek(n);
    const first = this.#chunks[0];
    if (first.length === n) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(n);
    this.#size -= n;
    return out;
  }
}

/** conmon's limit on a unix socket path (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;

/**
 * The attach socket of the process that conmon, run with `-u cuuid
 * --socket-dir-path socketDir`, supervises: conmon links `<socketDir>/<cuuid>`
 * to the bundle (or exec directory) so that the path stays short.
 * InvalidArgument for a cuuid that is not one path segment, or a path over
 * the 107 bytes a unix socket allows.
 */
export function attachSocketPath(socketDir: string, cuuid: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(cuuid)) throw invalidArgument(`invalid conmon cuuid: ${JSON.stringify(cuuid)}`);
  const path = join(socketDir, cuuid, 'attach');
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH) {
    throw invalidArgument(`attach socket path is ${bytes} bytes, over the ${MAX_SOCKET_PATH} a unix socket allows: ${path} (use a shorter socket directory)`);
  }
  return path;
}

/** Where scripts/setup builds janus-attach: `<repo>/build/janus-attach`. */
export function defaultAttachHelper(): string {
  return resolve(import.meta.dirname, '../../../build/janus-attach');
}

/** Output of the attached process. */
export interface AttachOutput {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

/** A live connection to conmon's attach socket, through one janus-attach process. */
export interface AttachConnection {
  /**
   * The process's output from the moment conmon accepted the connection
   * (earlier output is only in the log), stdout and stderr apart (with a
   * TTY all of it is stdout). Ends when the process has exited and conmon
   * closed the connection, or after `close`; throws Internal when the
   * helper failed. Read it promptly: conmon writes to its attach clients
   * blocking, so output left unread here holds up the process's output and
   * its log. Leaving a `for await` over it early closes the connection.
   */
  output: AsyncIterable<AttachOutput>;
  /**
   * The process's stdin: what is written goes to it in order. Ending it
   * shuts down the connection's write side, and conmon then closes the
   * process's stdin (unless conmon runs with `--leave-stdin-open`). Write
   * errors once the connection is gone (EPIPE) reach only listeners of its
   * 'error' event.
   */
  stdin: Writable;
  /**
   * Resolves once `stdin` has ended and all of it was handed to conmon and
   * the write side shut down, or once the connection ended, whichever is
   * first. Never rejects.
   */
  stdinClosed: Promise<void>;
  /**
   * Detaches: ends the helper, leaving the process running. conmon treats
   * a client that goes away like one that ended its input: it closes the
   * process's stdin unless it runs with `--leave-stdin-open`. Idempotent.
   */
  close(): void;
}

/** Options of `openAttachSocket`. */
export interface OpenAttachSocketOptions {
  /** The janus-attach binary (see `defaultAttachHelper`). */
  helper: string;
  /** Starts the helper; default node:child_process spawn. */
  spawn?: Spawn;
  /** Aborts the connecting; once connected it has no effect (use `close`). */
  signal?: AbortSignal;
}

/** janus-attach's exit statuses (see native/janus-attach.c). */
const EXIT_USAGE = 2;
const EXIT_NO_LISTENER = 3;
/** Output held while nobody reads it before the helper is paused (which makes conmon wait). */
const HIGH_WATER = 256 * 1024;
const STDERR_KEEP = 4096;

/**
 * Connects to conmon's attach socket at `socketPath` (SOCK_SEQPACKET, which
 * Node cannot open) through the janus-attach helper. Resolves once the
 * connection is up: the helper writes nothing before it connected, then one
 * empty stream-0 frame. Input written before conmon accepted the connection
 * is queued by the kernel, not lost. Rejects with Unavailable when the
 * helper is missing, Conflict when nothing listens at the socket (the
 * process ended, or its conmon is gone), InvalidArgument for a bad path,
 * Internal for other helper failures (with the helper's own message), or
 * the signal's reason when aborted.
 */
export function openAttachSocket(socketPath: string, options: OpenAttachSocketOptions): Promise<AttachConnection> {
  if (!isAbsolute(socketPath)) return Promise.reject(invalidArgument(`attach socket path must be absolute: ${socketPath}`));
  if (options.signal?.aborted) return Promise.reject(options.signal.reason);
  const spawn = options.spawn ?? nodeSpawn;
  return new Promise((resolveOpen, rejectOpen) => {
    let child: ChildProcess;
    try {
      child = spawn(options.helper, [socketPath], { stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      rejectOpen(startFailure(options.helper, err));
      return;
    }
    const stdin = child.stdin as Writable;
    const stdout = child.stdout!;
    const stderrStream = child.stderr!;
    // Without a listener an EPIPE after the helper ended would be an uncaught exception.
    stdin.on('error', () => {});

    let settled = false;
    let connected = false;
    let closedByUs = false;
    let ended = false;
    let failure: JanusError | undefined;
    let stderr = '';
    const queue: AttachOutput[] = [];
    let queuedBytes = 0;
    let wake: (() => void) | undefined;
    let stdinClosedResolve!: () => void;
    const stdinClosed = new Promise<void>((r) => { stdinClosedResolve = r; });
    const decoder = new FrameDecoder();

    const running = (): boolean => child.exitCode === null && child.signalCode === null;
    const kill = (): void => {
      if (running()) child.kill('SIGKILL');
    };
    const notify = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const onAbort = (): void => {
      if (settled) return;
      settled = true;
      closedByUs = true;
      kill();
      rejectOpen(options.signal!.reason);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (): void => {
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
    };

    const fail = (err: JanusError): void => {
      failure ??= err;
      kill();
      if (!settled) {
        settle();
        rejectOpen(err);
      }
    };
    const close = (): void => {
      closedByUs = true;
      kill();
    };

    stderrStream.setEncoding('utf8');
    stderrStream.on('data', (s: string) => {
      if (stderr.length < STDERR_KEEP) stderr += s.slice(0, STDERR_KEEP - stderr.length);
    });

    stdout.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        fail(err as JanusError);
        return;
      }
      for (const f of frames) {
        if (f.stream === 0) {
          if (!connected) {
            connected = true;
            if (!settled) {
              settle();
              resolveOpen(connection);
            }
          } else {
            stdinClosedResolve();
          }
        } else if (!connected) {
          fail(internal('janus-attach sent output before saying it was connected'));
          return;
        } else if (f.data.length > 0) {
          queue.push({ stream: f.stream === 1 ? 'stdout' : 'stderr', data: f.data });
          queuedBytes += f.data.length;
        }
      }
      if (queuedBytes > HIGH_WATER) stdout.pause();
      notify();
    });
    stdout.on('end', () => {
      try {
        decoder.end();
      } catch (err) {
        // Killing the helper may cut a frame short; that is no failure of ours to report.
        if (!closedByUs) failure ??= err as JanusError;
      }
    });

    child.on('error', (err) => {
      // spawn failures (ENOENT, EACCES) arrive here; 'close' may not follow.
      if (!settled) {
        settle();
        rejectOpen(startFailure(options.helper, err));
      }
      ended = true;
      stdinClosedResolve();
      notify();
    });
    child.on('close', (code, signal) => {
      const message = stderr.trim().split('\n').pop() ?? '';
      if (!settled) {
        settle();
        if (code === EXIT_NO_LISTENER) rejectOpen(conflict(`cannot attach: nothing listens on ${socketPath}; the process has ended or its conmon is gone (${message})`));
        else if (code === EXIT_USAGE) rejectOpen(invalidArgument(`cannot attach to ${socketPath}: ${message}`));
        else rejectOpen(internal(`cannot attach to ${socketPath}: ${message || describeEnd(code, signal)}`));
      } else if (!closedByUs && !failure && code !== 0) {
        failure = internal(`attach connection to ${socketPath} failed: ${message || describeEnd(code, signal)}`);
      }
      ended = true;
      stdinClosedResolve();
      notify();
    });

    async function* read(): AsyncGenerator<AttachOutput> {
      try {
        for (;;) {
          const next = queue.shift();
          if (next) {
            queuedBytes -= next.data.length;
            if (queuedBytes <= HIGH_WATER / 2 && stdout.isPaused() && !ended) stdout.resume();
            yield next;
            continue;
          }
          if (ended) {
            if (failure && !closedByUs) throw failure;
            return;
          }
          await new Promise<void>((r) => { wake = r; });
        }
      } finally {
        // Stopping early (break, throw in the loop) detaches: nobody would read what conmon sends.
        if (!ended) close();
      }
    }

    const connection: AttachConnection = { output: read(), stdin, stdinClosed, close };
  });
}

function startFailure(helper: string, err: unknown): JanusError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return unavailable(`janus-attach is missing: run scripts/setup (looked for ${helper})`, err);
  if (code === 'EACCES') return unavailable(`janus-attach at ${helper} is not executable: run scripts/setup`, err);
  return internal(`cannot start janus-attach (${helper}): ${(err as Error).message}`, err);
}

function describeEnd(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `janus-attach was killed by ${signal}` : `janus-attach exited with status ${code}`;
}

/**
 * The daemon's AttachStdin over janus-attach: stdin only, for tasks whose
 * output is read from their log. Output arriving on the connection is read
 * and dropped so conmon never waits on it. Ending the returned stream ends
 * the process's stdin (see AttachConnection.stdin) and then the helper; it
 * finishes once the input reached conmon. Destroying it before the end
 * detaches at once.
 */
export function attachStdin(options: { helper: string; spawn?: Spawn }): AttachStdin {
  return async (socketPath) => {
    const conn = await openAttachSocket(socketPath, options);
    void (async () => {
      try {
        for await (const _ of conn.output) { /* read from the log instead */ }
      } catch {
        /* the stream below reports a dead connection on its next write */
      }
    })();
    void conn.stdinClosed.then(() => conn.close());
    return new Writable({
      write(chunk: Buffer, _encoding, callback) {
        conn.stdin.write(chunk, callback);
      },
      final(callback) {
        // 'finish' then means the input reached conmon (or the connection is gone).
        conn.stdin.end();
        void conn.stdinClosed.then(() => callback());
      },
      destroy(err, callback) {
        // After a normal end the helper closes itself once stdin reached conmon; anything else is a detach.
        if (!this.writableFinished) conn.close();
        callback(err);
      },
    });
  };
}
