import type { Writable } from 'node:stream';
import type { StreamSession } from '../../engine/container-service.ts';
import type { HijackedConnection } from './api-request.ts';
import { muxFrame } from './stream-frames.ts';

/** How a session is carried over a hijacked connection. */
export interface ServeSessionOptions {
  /** Frame stdout and stderr (docker's multiplexed stream) rather than passing raw bytes (a TTY). */
  multiplex: boolean;
  /**
   * What the client half-closing its side means, when the session has
   * stdin: `close-stdin` ends the process's stdin (docker: exec without a
   * TTY, attach to a StdinOnce container without a TTY); `detach` ends the
   * session and leaves the process alone (docker's other cases).
   */
  onInputEnd: 'close-stdin' | 'detach';
  /** Told when the session's output failed midway (the stream is ended as if it had finished). */
  onError?: (err: unknown) => void;
}

/** Resolves when `w` can take more, or has gone away. */
function drained(w: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      w.off('drain', done);
      w.off('close', done);
      resolve();
    };
    w.once('drain', done);
    w.once('close', done);
  });
}

/**
 * Carries a StreamSession over a hijacked connection until its output
 * ends: the client's bytes go to the session's stdin (with backpressure),
 * output chunks go to the client (framed or raw), and the connection is
 * ended once the output is. When the client goes away the session is
 * closed — detached, never killed. Never throws; resolves when done.
 */
export async function serveStreamSession(session: StreamSession, conn: HijackedConnection, options: ServeSessionOptions): Promise<void> {
  const { input, output } = conn;
  void conn.closed.then(() => session.close());
  output.on('error', () => session.close());

  const stdin = session.stdin;
  if (input) {
    if (stdin) {
      stdin.on('error', () => { /* the process's stdin went away: its output still counts */ });
      input.on('data', (chunk: Buffer) => {
        if (stdin.destroyed || stdin.writableEnded) return;
        if (!stdin.write(chunk)) {
          input.pause();
          void drained(stdin).then(() => input.resume());
        }
      });
      input.once('end', () => {
        if (options.onInputEnd === 'close-stdin') {
          if (!stdin.destroyed && !stdin.writableEnded) stdin.end();
        } else {
          session.close();
        }
      });
    } else {
      // Nothing asked for stdin: the client's bytes (and its half-close) mean nothing.
      input.on('data', () => {});
    }
    input.on('error', () => session.close());
    input.resume();
  }

  try {
    for await (const chunk of session.output) {
      if (output.destroyed) break;
      const bytes = options.multiplex ? muxFrame(chunk.stream, chunk.data) : chunk.data;
      if (bytes.length === 0) continue;
      if (!output.write(bytes)) await drained(output);
    }
  } catch (err) {
    // The status is long sent: ending the stream is all that is left to do.
    options.onError?.(err);
  } finally {
    session.close();
    if (!output.destroyed && !output.writableEnded) output.end();
  }
}
