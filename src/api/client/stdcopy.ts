import { JanusError } from '../../core/errors.ts';
import { DaemonError } from './daemon-error.ts';
import type { StreamChunk } from './types.ts';

const HEADER = 8;

/**
 * Decodes docker's multiplexed stream (its stdcopy framing): frames of an
 * 8-byte header `[type, 0, 0, 0, size (uint32, big-endian)]` and `size`
 * bytes. Type 1 is stdout, 2 stderr; 0 (stdin echoed back) counts as
 * stdout, as docker's own client treats it; 3 is an error the daemon
 * reports mid-stream (thrown as an in-stream DaemonError). Feed it chunks
 * as they arrive, however they split the frames; `end` throws when the
 * stream stopped inside a frame. Not thread-shared: one decoder per stream.
 */
export class FrameDecoder {
  #pending: Buffer = Buffer.alloc(0);

  /** The complete frames in `chunk` plus whatever was held back before it. */
  push(chunk: Buffer): StreamChunk[] {
    const buf = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const out: StreamChunk[] = [];
    let at = 0;
    while (buf.length - at >= HEADER) {
      const type = buf[at];
      const size = buf.readUInt32BE(at + 4);
      if (buf.length - at - HEADER < size) break;
      const data = buf.subarray(at + HEADER, at + HEADER + size);
      at += HEADER + size;
      switch (type) {
        case 0: case 1:
          if (size > 0) out.push({ stream: 'stdout', data });
          break;
        case 2:
          if (size > 0) out.push({ stream: 'stderr', data });
          break;
        case 3:
          throw new DaemonError(0, `error from daemon in stream: ${data.toString('utf8')}`, { inStream: true });
        default:
          throw new JanusError('Internal', `malformed multiplexed stream from the daemon: unknown stream type ${type} in a frame header`);
      }
    }
    // Keep a copy: the caller may reuse the chunk's memory.
    this.#pending = Buffer.from(buf.subarray(at));
    return out;
  }

  /** Throws when bytes of an unfinished frame are left over. */
  end(): void {
    if (this.#pending.length > 0) {
      throw new JanusError('Unavailable', `the daemon's stream ended in the middle of a frame (${this.#pending.length} bytes left over)`);
    }
  }
}

/**
 * The frames of a multiplexed byte stream as `{stream, data}` chunks, in
 * order. Ends when `source` ends; throws what FrameDecoder throws.
 */
export async function* demultiplex(source: AsyncIterable<Buffer | string>): AsyncGenerator<StreamChunk> {
  const decoder = new FrameDecoder();
  for await (const chunk of source) {
    for (const frame of decoder.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) yield frame;
  }
  decoder.end();
}

/** A raw (TTY) byte stream as stdout chunks. */
export async function* rawChunks(source: AsyncIterable<Buffer | string>): AsyncGenerator<StreamChunk> {
  for await (const chunk of source) {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (data.length > 0) yield { stream: 'stdout', data };
  }
}
