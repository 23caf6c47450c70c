import type { Readable } from 'node:stream';
import type { ContentStore } from '../../core/content-store.ts';
import type { ContainerDefaults, Descriptor, HistoryEntry, ImageConfig, Platform } from '../../core/oci.ts';
import { hostPlatform } from '../../registry/platform.ts';
import { openDecompressed } from '../archive/sniff-compression.ts';
import { applyChanges } from './apply-changes.ts';
import { storeGzipLayer } from './gzip-layer.ts';
import { storeImage } from './store-image.ts';

/** Options of `importRootfs`. */
export interface ImportOptions {
  /** Dockerfile instructions applied to the image defaults (see `applyChanges`). */
  changes?: string[];
  /** The history comment (`docker import -m`). */
  message?: string;
  /** The platform recorded in the config; the host's by default. */
  platform?: Platform;
  signal?: AbortSignal;
  /** The creation time recorded; now by default. */
  created?: Date;
}

/**
 * `docker import`: turns a root file system tarball (plain, gzip or zstd,
 * detected from its first bytes) into a one-layer image in `store` — a gzip
 * layer (its diffId is the sha256 of the plain tar), an OCI config with
 * `created`, the platform, one history entry (`created_by` "janus import",
 * the message as comment) and the `changes` applied, and an OCI manifest.
 * The changes are checked before any byte is read, so a bad `--change` costs
 * nothing. Tar entries are checked while hashing: absolute names, `..` and
 * hard links leading out are refused with InvalidArgument naming the entry;
 * input that is not a tar is InvalidArgument. Only verified blobs are ever
 * committed to the store.
 */
export async function importRootfs(archive: Readable, store: ContentStore, options: ImportOptions = {}): Promise<{ manifest: Descriptor; config: Descriptor }> {
  const defaults: ContainerDefaults = applyChanges({}, options.changes ?? []);
  const platform = options.platform ?? hostPlatform();
  const { stream } = await openDecompressed(archive, 'imported archive');
  const stored = await storeGzipLayer(stream, store, { what: 'imported archive', validate: true, signal: options.signal });
  const created = (options.created ?? new Date()).toISOString();
  const history: HistoryEntry = { created, created_by: 'janus import' };
  if (options.message) history.comment = options.message;
  const config: ImageConfig = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    ...(platform['os.version'] ? { 'os.version': platform['os.version'] } : {}),
    created,
    config: defaults,
    rootfs: { type: 'layers', diff_ids: [stored.diffId] },
    history: [history],
  };
  return storeImage(store, { config, layers: [stored.layer] });
}
