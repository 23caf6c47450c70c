import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { invalidArgument, isJanusError } from '../../core/errors.ts';
import { peekStream } from '../../util/peek-stream.ts';

/** How a stream's bytes are compressed, judged by their first bytes. */
export type Compression = 'gzip' | 'zstd' | 'bzip2' | 'xz' | 'none';

/** The compression `head` (the first bytes of a stream, at least 6 when available) starts with. Pure. */
export function detectCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bzip2';
  if (head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58 && head[4] === 0x5a && head[5] === 0x00) return 'xz';
  return 'none';
}

/**
 * Looks at the first bytes of `source` and returns a stream of its
 * uncompressed bytes (gzip and zstd are undone; plain passes through) and
 * the compression found. bzip2 and xz are refused with InvalidArgument
 * naming `what`, as Janus has no decompressor for them. A corrupt
 * compressed stream errors the returned stream with InvalidArgument.
 */
export async function openDecompressed(source: Readable, what: string): Promise<{ stream: Readable; compression: Compression }> {
  const { head: first, rest } = await peekStream(source, 6);
  const compression = detectCompression(first);
  if (compression === 'bzip2' || compression === 'xz') {
    source.destroy();
    throw invalidArgument(`${what} is ${compression}-compressed, which is not supported: decompress it first, or use gzip or zstd`);
  }
  const replay = Readable.from((async function* () {
    if (first.length > 0) yield first;
    yield* rest();
  })(), { objectMode: false });
  if (compression === 'none') return { stream: replay, compression };
  const inflate = compression === 'gzip' ? createGunzip() : createZstdDecompress();
  pipeline(replay, inflate).catch(() => {}); // surfaces through the iteration below
  const checked = Readable.from((async function* () {
    try {
      yield* inflate;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (isJanusError(err) || e?.name === 'AbortError') throw err;
      throw invalidArgument(`${what}: corrupt or truncated ${compression} data: ${e?.message ?? String(err)}`, err);
    }
  })(), { objectMode: false });
  return { stream: checked, compression };
}
