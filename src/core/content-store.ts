import type { Readable } from 'node:stream';
import type { Digest } from './digest.ts';

/** What the store knows of one blob. */
export interface ContentInfo {
  digest: Digest;
  size: number;
  createdAt: Date;
}

/**
 * An in-flight write of one blob. Obtained from `ContentStore.writer`; the
 * bytes are invisible to readers until `commit` verified them. Exactly one of
 * `commit` or `abort` must be called; after either the writer is unusable.
 */
export interface ContentWriter {
  /** Bytes written so far (a resumed writer starts at its previous offset). */
  readonly offset: number;
  /** Appends bytes. Resolves once they are handed to the file system. */
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Verifies size (when given) and digest, fsyncs, and atomically makes the
   * blob visible under `expected`. Throws DataLoss naming both digests when
   * they differ, and then discards the bytes. Committing content that already
   * exists succeeds and discards the duplicate.
   */
  commit(size: number | undefined, expected: Digest): Promise<ContentInfo>;
  /** Discards the bytes written. Never throws. */
  abort(): Promise<void>;
}

/**
 * Content-addressable blob storage (OCI image-layout semantics). Safe for
 * concurrent use. A crash at any moment leaves only verified blobs visible;
 * leftovers of interrupted writes are removed by `cleanup`.
 */
export interface ContentStore {
  /** Info of a committed blob; NotFound when absent. */
  info(digest: Digest): Promise<ContentInfo>;
  /** True when the blob is committed. */
  has(digest: Digest): Promise<boolean>;
  /** Streams a committed blob; NotFound when absent. */
  read(digest: Digest, options?: { offset?: number }): Promise<Readable>;
  /** Reads a whole (small) blob into memory and re-verifies its digest (DataLoss when corrupted). */
  readAll(digest: Digest): Promise<Buffer>;
  /**
   * Opens a writer for `ref` (any caller-chosen key, usually the expected
   * digest). Two live writers on one ref: the second waits for the first to
   * finish. An interrupted earlier write of the same ref is resumed when
   * `resume` is set, else restarted.
   */
  writer(ref: string, options?: { resume?: boolean; signal?: AbortSignal }): Promise<ContentWriter>;
  /** Writes a whole buffer as one blob (verifying `expected` when given) and returns its digest. */
  put(data: Uint8Array, expected?: Digest): Promise<ContentInfo>;
  /** Removes a blob; NotFound when absent. */
  delete(digest: Digest): Promise<void>;
  /** Every committed blob, in no particular order. */
  walk(): AsyncIterable<ContentInfo>;
  /** Removes leftovers of interrupted writes. Call once at daemon start, before any writer. */
  cleanup(): Promise<void>;
}
