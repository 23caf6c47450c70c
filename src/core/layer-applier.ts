import type { Readable } from 'node:stream';
import type { Digest } from './digest.ts';
import type { Mount } from './snapshotter.ts';

/** Result of applying one layer. */
export interface AppliedLayer {
  /** sha256 of the uncompressed tar stream: the layer's DiffID. */
  diffId: Digest;
  /** Bytes of the uncompressed tar stream. */
  size: number;
}

/**
 * Applies a layer tar (compressed as its media type says) onto the writable
 * part of `mounts` (an active snapshot), converting OCI whiteouts to the
 * snapshotter's on-disk form. Refuses any entry that would land outside the
 * snapshot root (`..`, absolute hard-link targets, writes through symlinks)
 * with InvalidArgument naming the entry; `context` (e.g. the image and layer)
 * is put in that message. On error the snapshot is left for the caller to remove.
 */
export interface LayerApplier {
  apply(
    stream: Readable,
    mounts: Mount[],
    options: { mediaType: string; context: string; signal?: AbortSignal },
  ): Promise<AppliedLayer>;
}

/**
 * Produces a layer tar from the difference between a snapshot and its
 * parent (used by commit, save and push of locally made layers).
 */
export interface LayerDiffer {
  /** Streams an uncompressed tar of `upper`'s changes relative to `lower` (OCI whiteouts). */
  diff(lower: Mount[], upper: Mount[], options?: { signal?: AbortSignal }): Promise<Readable>;
}
