import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import type { ContentStore } from '../../core/content-store.ts';
import type { Digest } from '../../core/digest.ts';
import { asJanusError, invalidArgument, isJanusError } from '../../core/errors.ts';
import { MediaType, type Descriptor } from '../../core/oci.ts';
import { normalizeEntryName } from '../archive/entry-name.ts';
import { spoolBlob } from '../archive/spool-blob.ts';

/** A layer written by `storeGzipLayer`. */
export interface StoredLayer {
  /** The gzip blob, media type `application/vnd.oci.image.layer.v1.tar+gzip`. */
  layer: Descriptor;
  /** sha256 of the uncompressed tar. */
  diffId: Digest;
  /** Bytes of the uncompressed tar. */
  uncompressedSize: number;
}

/**
 * Gzips the uncompressed tar `plainTar` into `store` as one layer blob,
 * computing its diffId on the way; one pass, constant memory. With
 * `validate`, the tar is parsed alongside and refused (InvalidArgument naming
 * `what` and the entry) when it is not a tar, or when an entry name or a
 * hard-link target is absolute or contains `..`. Nothing becomes visible in
 * the store unless the whole layer was written and verified. Deterministic:
 * the same tar gives the same blob (zlib's gzip header carries no time).
 */
export async function storeGzipLayer(
  plainTar: AsyncIterable<Uint8Array>,
  store: ContentStore,
  options: { what: string; validate?: boolean; signal?: AbortSignal },
): Promise<StoredLayer> {
  const { what, signal } = options;
  const gzip = createGzip();
  const stored = spoolBlob(gzip, store, { what, signal });
  stored.catch(() => {});
  const extract = options.validate ? tar.extract() : undefined;
  const validated = extract ? validateEntries(extract, what) : Promise.resolve();
  validated.catch(() => {});
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of plainTar) {
      signal?.throwIfAborted();
      hash.update(chunk);
      size += chunk.length;
      if (extract && !extract.write(chunk)) await drained(extract as unknown as Writable, stored, validated);
      if (!gzip.write(chunk)) await drained(gzip, stored, validated);
    }
    (extract as unknown as { end(): void } | undefined)?.end();
    gzip.end();
    await validated;
    const blob = await stored;
    return {
      layer: { mediaType: MediaType.OciLayerGzip, digest: blob.digest, size: blob.size },
      diffId: `sha256:${hash.digest('hex')}`,
      uncompressedSize: size,
    };
  } catch (err) {
    extract?.destroy();
    gzip.destroy();
    await stored.catch(() => {});
    throw asJanusError(err, what);
  }
}

/** Waits for `stream` to drain, or for either consumer to fail (then throws its error). */
async function drained(stream: Writable, ...consumers: Promise<unknown>[]): Promise<void> {
  const never = new Promise<never>(() => {});
  await Promise.race([once(stream, 'drain'), ...consumers.map((c) => c.then(() => never))]);
}

async function validateEntries(extract: tar.Extract, what: string): Promise<void> {
  let entries = 0;
  try {
    for await (const entry of extract) {
      entries++;
      const { name, type, linkname } = entry.header;
      normalizeEntryName(name, what);
      if (type === 'link') normalizeEntryName(linkname ?? '', `${what}: hard link ${JSON.stringify(name)}`);
      entry.resume();
    }
  } catch (err) {
    if (isJanusError(err)) throw err;
    throw invalidArgument(`${what} is not a valid tar archive: ${(err as Error).message}`, err);
  }
  if (entries === 0) return;
}
