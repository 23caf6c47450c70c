import type { Readable } from 'node:stream';

/**
 * Reads at least `bytes` bytes from the start of `source` (fewer when it
 * ends first) without losing any: `head` holds what was read, `rest()`
 * yields every later chunk. For sniffing a stream's format (compression
 * magic, a tar header) before choosing how to read it. Call `rest` once.
 */
export async function peekStream(source: Readable, bytes: number): Promise<{ head: Buffer; rest: () => AsyncGenerator<Buffer> }> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer | Uint8Array>;
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    chunks.push(chunk);
    length += chunk.length;
  }
  return {
    head: Buffer.concat(chunks),
    rest: async function* () {
      if (ended) return;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        yield Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      }
    },
  };
}
