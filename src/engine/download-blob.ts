import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContentStore, ContentWriter } from '../core/content-store.ts';
import { dataLoss, isJanusError } from '../core/errors.ts';
import type { Descriptor } from '../core/oci.ts';

/** How a download reaches its bytes. */
export interface DownloadOptions {
  /** Opens the blob at byte `offset` (0 for a fresh start). */
  fetch: (offset: number) => Promise<Readable>;
  /** Called with the bytes received so far. */
  onProgress?: (current: number) => void;
  signal?: AbortSignal;
  /** Attempts after the first when the connection breaks. Default 3. */
  retries?: number;
}

/**
 * Downloads `desc` into the content store, resuming where a broken transfer
 * (or an earlier crashed daemon) stopped, and commits it only when size and
 * digest match the descriptor. A blob already present is not downloaded.
 *
 * Retries cover broken connections; a digest or size mismatch is DataLoss
 * at once (retrying would fetch the same wrong bytes) and leaves nothing
 * behind, so a later pull starts clean.
 */
export async function downloadBlob(content: ContentStore, desc: Descriptor, options: DownloadOptions): Promise<void> {
  if (await content.has(desc.digest)) return;
  const retries = options.retries ?? 3;
  let writer: ContentWriter = await content.writer(desc.digest, { resume: true, signal: options.signal });
  if (await content.has(desc.digest)) {
    // Another download of the same blob finished while we waited for its writer.
    await writer.abort();
    return;
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        if (writer.offset > desc.size) {
          await writer.abort();
          writer = await content.writer(desc.digest, { signal: options.signal });
        }
        if (writer.offset < desc.size || desc.size === 0) {
          const stream = await options.fetch(writer.offset);
          await copyInto(stream, writer, desc, options);
        }
        await writer.commit(desc.size, desc.digest);
        return;
      } catch (err) {
        if (isJanusError(err) && err.kind !== 'Unavailable') throw err;
        if (options.signal?.aborted || attempt >= retries) throw err;
        await sleep(250 * 2 ** attempt, undefined, { signal: options.signal });
      }
    }
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

async function copyInto(stream: Readable, writer: ContentWriter, desc: Descriptor, options: DownloadOptions): Promise<void> {
  try {
    for await (const chunk of stream) await appendChunk(writer, desc, chunk as Buffer, options);
  } finally {
    stream.destroy();
  }
}

/**
 * Appends one downloaded chunk to `writer`, refusing bytes beyond the size
 * the descriptor declares (a registry must not make us store more), then
 * reports progress.
 */
export async function appendChunk(
  writer: ContentWriter,
  desc: Descriptor,
  chunk: Buffer,
  options: { signal?: AbortSignal; onProgress?: (current: number) => void },
): Promise<void> {
  options.signal?.throwIfAborted();
  if (writer.offset + chunk.length > desc.size) {
    throw dataLoss(`blob ${desc.digest}: the registry sent more than the ${desc.size} bytes the manifest declares`);
  }
  await writer.write(chunk);
  options.onProgress?.(writer.offset);
}
