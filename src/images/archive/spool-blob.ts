import { createHash, randomUUID } from 'node:crypto';
import type { ContentStore } from '../../core/content-store.ts';
import { digestAlgorithm, type Digest } from '../../core/digest.ts';
import { asJanusError, dataLoss } from '../../core/errors.ts';

/**
 * Streams `source` into `store` as one blob, hashing as it goes, and commits
 * it under `expected` (verified; DataLoss naming `what` when the bytes
 * differ) or, without `expected`, under its sha256. Safe to call while other
 * writes run: each call has its own writer ref. On any failure the partial
 * write is aborted, so only verified blobs ever become visible.
 */
export async function spoolBlob(
  source: AsyncIterable<Uint8Array>,
  store: ContentStore,
  options: { expected?: Digest; what: string; signal?: AbortSignal },
): Promise<{ digest: Digest; size: number }> {
  const algorithm = options.expected ? digestAlgorithm(options.expected) : 'sha256';
  const hash = createHash(algorithm);
  const writer = await store.writer(`spool-${randomUUID()}`, { signal: options.signal });
  let size = 0;
  try {
    for await (const chunk of source) {
      options.signal?.throwIfAborted();
      hash.update(chunk);
      size += chunk.length;
      await writer.write(chunk);
    }
    options.signal?.throwIfAborted();
    const actual: Digest = `${algorithm}:${hash.digest('hex')}`;
    if (options.expected && actual !== options.expected) {
      throw dataLoss(`${options.what}: content hashes to ${actual}, but its name says ${options.expected}`);
    }
    await writer.commit(size, actual);
    return { digest: actual, size };
  } catch (err) {
    await writer.abort();
    throw asJanusError(err, options.what);
  }
}
