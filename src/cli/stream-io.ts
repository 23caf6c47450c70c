import type { ContainerStream } from '../api/client/docker-client.ts';
import type { CliIo } from './command.ts';
import { DetachKeyFilter } from './detach-keys.ts';

/** Options of `holdStreams`. */
export interface HoldStreamsOptions {
  /** The process has a TTY: output is one raw stream, and a terminal on our side goes into raw mode while stdin is sent. */
  tty: boolean;
  /** Send the CLI's stdin to the process (attached stdin). */
  sendStdin: boolean;
  /** The sequence that detaches (checked only with a TTY, as docker does). */
  detachKeys?: Buffer;
  /** False when no output was asked for (`-a stdin` alone): the session ends with stdin. Default true. */
  expectOutput?: boolean;
  /** Closes the stream (the process is left alone) when aborted. */
  signal?: AbortSignal;
}

/** How a session ended: its output ended, or the user typed the detach keys. */
export type StreamsOutcome = 'ended' | 'detached';

/**
 * Carries a container's or exec's streams to the CLI's terminal or pipes,
 * like docker's hijacked IO streamer: output goes to stdout (and stderr,
 * without a TTY) with backpressure; stdin is copied to the stream, and its
 * end half-closes the connection so the daemon closes the process's stdin
 * while output keeps coming. Resolves when the output ends (or stdin ends
 * when no output was asked for), or on the detach keys. A terminal put in
 * raw mode is always restored, and stdin is released (paused, listeners
 * removed) so the CLI can exit. Throws what reading the stream throws.
 */
export async function holdStreams(io: CliIo, stream: ContainerStream, options: HoldStreamsOptions): Promise<StreamsOutcome> {
  const stdin = io.stdin;
  const raw = options.tty && options.sendStdin && stdin.isTTY === true && typeof stdin.setRawMode === 'function';
  const filter = options.tty && options.detachKeys && options.detachKeys.length > 0 ? new DetachKeyFilter(options.detachKeys) : undefined;
  const detached = Promise.withResolvers<'detached'>();
  const inputEnded = Promise.withResolvers<'ended'>();
  const cleanups: Array<() => void> = [];
  const onAbort = (): void => stream.close();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  cleanups.push(() => options.signal?.removeEventListener('abort', onAbort));

  if (raw) {
    stdin.setRawMode?.(true);
    cleanups.push(() => stdin.setRawMode?.(false));
  }
  const sink = stream.stdin;
  if (options.sendStdin && sink) {
    sink.on('error', () => { /* the daemon went away: the output side reports it */ });
    const onData = (chunk: Buffer | string): void => {
      let data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (filter) {
        const r = filter.push(data);
        if (r.detached) {
          if (r.data.length > 0) sink.write(r.data);
          detached.resolve('detached');
          return;
        }
        data = r.data;
      }
      if (data.length === 0 || sink.destroyed || sink.writableEnded) return;
      if (!sink.write(data)) {
        stdin.pause();
        sink.once('drain', () => stdin.resume());
      }
    };
    const onEnd = (): void => {
      // Half-close: the daemon closes the process's stdin; its output keeps flowing to us.
      if (!sink.destroyed && !sink.writableEnded) sink.end();
      inputEnded.resolve('ended');
    };
    const onError = (): void => onEnd();
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.once('error', onError);
    stdin.resume();
    cleanups.push(() => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onError);
      stdin.pause();
    });
  }

  const pump = (async (): Promise<'ended'> => {
    for await (const chunk of stream.output) {
      const out = options.tty || chunk.stream === 'stdout' ? io.stdout : io.stderr;
      if (!out.write(chunk.data)) await new Promise<void>((resolve) => out.once('drain', resolve));
    }
    return 'ended';
  })();
  try {
    const waitFor: Promise<StreamsOutcome>[] = [pump, detached.promise];
    if (options.expectOutput === false) waitFor.push(inputEnded.promise);
    const outcome = await Promise.race(waitFor);
    if (outcome === 'detached' || options.expectOutput === false) stream.close();
    // Once closed, the output loop ends on its own; its errors no longer matter.
    pump.catch(() => {});
    return outcome;
  } finally {
    for (const c of cleanups.reverse()) c();
  }
}
