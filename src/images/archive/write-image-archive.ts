import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import tar from 'tar-stream';
import type { ContentStore } from '../../core/content-store.ts';
import { digestAlgorithm, digestHex, type Digest } from '../../core/digest.ts';
import { asJanusError, dataLoss, invalidArgument } from '../../core/errors.ts';
import { MediaType, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest, type Platform } from '../../core/oci.ts';
import { layerCompression, parseImageConfig, parseManifestOrIndex } from '../../registry/manifest.ts';
import { parseReference, repositoryName, formatReference } from '../../registry/reference.ts';
import { addTarEntry, type EntryHeader } from './pack-entry.ts';

/** One image to put into an archive: its platform manifest and the names to record. */
export interface ArchiveImage {
  manifest: Descriptor;
  /** Fully qualified references (`docker.io/library/busybox:latest`); digest-only ones are not recorded, as in docker. */
  names: string[];
}

/** Options of `writeImageArchive`. */
export interface WriteArchiveOptions {
  /**
   * `docker`: what `docker save` (25+) writes — an OCI layout whose layers are
   * uncompressed tars, plus `manifest.json` and `repositories`, so old and new
   * `docker load` read it. `oci`: a plain OCI image layout of the stored blobs.
   */
  format: 'docker' | 'oci';
  signal?: AbortSignal;
}

/** containerd's (and docker's) annotation carrying the full image name in an index. */
export const IMAGE_NAME_ANNOTATION = 'io.containerd.image.name';
/** The OCI annotation carrying the reference name (here: the tag, as docker writes it). */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/** docker's `oci-layout` content. */
const OCI_LAYOUT = '{"imageLayoutVersion":"1.0.0"}';

/** One blob to copy into the archive. */
interface BlobPlan {
  digest: Digest;
  size: number;
  /** Decompress the stored blob `from` on the way (docker format's uncompressed layers). */
  from?: { digest: Digest; compression: 'gzip' | 'zstd' };
  /** Bytes made during the save (a rewritten manifest), not read from the store. */
  data?: Buffer;
}

interface ImagePlan {
  manifest: Descriptor;
  config: Descriptor;
  platform: Platform;
  diffIds: Digest[];
  /** The layer blobs in the archive, in order (docker: uncompressed, digest = diffId). */
  layers: Digest[];
  names: string[];
}

/**
 * Streams an image archive (a tar) of `images` read from `store`. Nothing
 * is buffered beyond one tar block and the small JSON documents; errors
 * (a missing blob: NotFound; a stored blob that no longer matches its
 * digest: DataLoss) destroy the returned stream. Stops when `signal` aborts
 * or the consumer destroys the stream. Images given twice (by manifest
 * digest) are written once with their names merged.
 */
export function writeImageArchive(images: ArchiveImage[], store: ContentStore, options: WriteArchiveOptions): Readable {
  const pack = tar.pack();
  // tar-stream's streams are streamx ones; hand callers a genuine node Readable.
  const out = Readable.from(pack, { objectMode: false });
  const stop = new AbortController();
  const onAbort = () => stop.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  let finished = false;
  out.once('close', () => {
    options.signal?.removeEventListener('abort', onAbort);
    if (!finished) stop.abort(new Error('archive stream closed by its reader'));
  });
  produce(pack, images, store, options.format, stop.signal).then(
    () => { finished = true; },
    (err: unknown) => {
      finished = true;
      pack.destroy(asJanusError(err, 'writing image archive'));
    },
  );
  return out;
}

async function produce(pack: tar.Pack, images: ArchiveImage[], store: ContentStore, format: 'docker' | 'oci', signal: AbortSignal): Promise<void> {
  const merged = new Map<Digest, ArchiveImage>();
  for (const image of images) {
    const seen = merged.get(image.manifest.digest);
    if (seen) seen.names = [...new Set([...seen.names, ...image.names])];
    else merged.set(image.manifest.digest, { manifest: image.manifest, names: [...new Set(image.names)] });
  }
  const blobs = new Map<Digest, BlobPlan>();
  const plans: ImagePlan[] = [];
  for (const image of merged.values()) {
    signal.throwIfAborted();
    plans.push(await planImage(image, store, format, blobs, signal));
  }

  await addEntry(pack, { name: 'oci-layout' }, OCI_LAYOUT);
  await addEntry(pack, { name: 'blobs/', type: 'directory' });
  const algorithms = new Set([...blobs.keys()].map(digestAlgorithm));
  for (const alg of [...algorithms].sort()) await addEntry(pack, { name: `blobs/${alg}/`, type: 'directory' });
  for (const plan of blobs.values()) {
    signal.throwIfAborted();
    await copyBlob(pack, plan, store, signal);
  }

  const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
  for (const plan of plans) {
    const tagged = taggedNames(plan.names);
    const base: Descriptor = { mediaType: plan.manifest.mediaType, digest: plan.manifest.digest, size: plan.manifest.size, platform: plan.platform };
    if (tagged.length === 0) index.manifests.push(base);
    for (const t of tagged) {
      index.manifests.push({ ...base, annotations: { [IMAGE_NAME_ANNOTATION]: t.full, [REF_NAME_ANNOTATION]: t.tag } });
    }
  }
  await addEntry(pack, { name: 'index.json' }, JSON.stringify(index));

  if (format === 'docker') {
    const items = plans.map((plan) => ({
      Config: blobPath(plan.config.digest),
      RepoTags: taggedNames(plan.names).map((t) => t.familiar),
      Layers: plan.layers.map(blobPath),
    }));
    await addEntry(pack, { name: 'manifest.json' }, `${JSON.stringify(items)}\n`);
    const repositories: Record<string, Record<string, string>> = {};
    for (const plan of plans) {
      const top = plan.diffIds.at(-1);
      if (top === undefined) continue;
      for (const t of taggedNames(plan.names)) (repositories[t.repository] ??= {})[t.tag] = digestHex(top);
    }
    if (Object.keys(repositories).length > 0) await addEntry(pack, { name: 'repositories' }, `${JSON.stringify(repositories)}\n`);
  }
  pack.finalize();
}

/** Reads and checks one image's manifest and config and adds the blobs it needs to `blobs`. */
async function planImage(
  image: ArchiveImage, store: ContentStore, format: 'docker' | 'oci', blobs: Map<Digest, BlobPlan>, signal: AbortSignal,
): Promise<ImagePlan> {
  const what = `image ${image.names[0] ?? image.manifest.digest}`;
  const manifestBytes = await store.readAll(image.manifest.digest);
  const parsed = parseManifestOrIndex(manifestBytes, image.manifest.mediaType, { context: `${what} (${image.manifest.digest})` });
  if (parsed.kind !== 'manifest') throw invalidArgument(`${what}: ${image.manifest.digest} is an index; save a platform manifest`);
  const manifest = parsed.manifest;
  const configBytes = await store.readAll(manifest.config.digest);
  const config: ImageConfig = parseImageConfig(configBytes, { context: `${what} (${manifest.config.digest})` });
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== manifest.layers.length) {
    throw dataLoss(`${what}: manifest lists ${manifest.layers.length} layers but the config has ${diffIds.length} diff IDs`);
  }
  const platform: Platform = { architecture: config.architecture, os: config.os, ...(config.variant ? { variant: config.variant } : {}) };
  const configDesc: Descriptor = { mediaType: manifest.config.mediaType, digest: manifest.config.digest, size: configBytes.length };
  blobs.set(configDesc.digest, { digest: configDesc.digest, size: configDesc.size });

  if (format === 'oci') {
    for (const l of manifest.layers) blobs.set(l.digest, { digest: l.digest, size: l.size });
    blobs.set(image.manifest.digest, { digest: image.manifest.digest, size: manifestBytes.length });
    return {
      manifest: { mediaType: manifest.mediaType, digest: image.manifest.digest, size: manifestBytes.length },
      config: configDesc, platform, diffIds, layers: manifest.layers.map((l) => l.digest), names: image.names,
    };
  }

  // docker format: every layer as an uncompressed tar named by its diffId, as docker 25+ writes them.
  const layers: Descriptor[] = [];
  let changed = false;
  for (let i = 0; i < manifest.layers.length; i++) {
    const layer = manifest.layers[i];
    const diffId = diffIds[i];
    const compression = layerCompression(layer.mediaType);
    if (compression === 'none') {
      if (layer.digest !== diffId) throw dataLoss(`${what}: uncompressed layer ${layer.digest} does not match its diff ID ${diffId}`);
      blobs.set(diffId, { digest: diffId, size: layer.size });
      layers.push(layer);
      continue;
    }
    changed = true;
    let plan = blobs.get(diffId);
    if (!plan) {
      // A tar header needs the size first: measure (and verify) the uncompressed form in a first pass.
      const size = await measureUncompressed(store, layer.digest, compression, diffId, signal);
      plan = { digest: diffId, size, from: { digest: layer.digest, compression } };
      blobs.set(diffId, plan);
    }
    layers.push({ mediaType: MediaType.OciLayer, digest: diffId, size: plan.size });
  }
  let manifestDesc: Descriptor = { mediaType: manifest.mediaType, digest: image.manifest.digest, size: manifestBytes.length };
  if (changed) {
    const rewritten: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: configDesc.digest, size: configDesc.size },
      layers,
    };
    const bytes = Buffer.from(JSON.stringify(rewritten));
    const digest: Digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    manifestDesc = { mediaType: MediaType.OciManifest, digest, size: bytes.length };
    blobs.set(digest, { digest, size: bytes.length, data: bytes });
  } else {
    blobs.set(manifestDesc.digest, { digest: manifestDesc.digest, size: manifestDesc.size, data: manifestBytes });
  }
  return { manifest: manifestDesc, config: configDesc, platform, diffIds, layers: diffIds, names: image.names };
}

function decompressor(compression: 'gzip' | 'zstd') {
  return compression === 'gzip' ? createGunzip() : createZstdDecompress();
}

async function measureUncompressed(store: ContentStore, digest: Digest, compression: 'gzip' | 'zstd', diffId: Digest, signal: AbortSignal): Promise<number> {
  const hash = createHash(digestAlgorithm(diffId));
  let size = 0;
  await pipeline(await store.read(digest), decompressor(compression), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      hash.update(chunk);
      size += chunk.length;
    }
  }, { signal });
  const actual = `${digestAlgorithm(diffId)}:${hash.digest('hex')}`;
  if (actual !== diffId) throw dataLoss(`layer ${digest} uncompresses to ${actual}, but the image config says ${diffId}`);
  return size;
}

/** Copies one blob into the archive, re-hashing it so a blob damaged on disk never leaves unnoticed. */
async function copyBlob(pack: tar.Pack, plan: BlobPlan, store: ContentStore, signal: AbortSignal): Promise<void> {
  if (plan.data) {
    await addEntry(pack, { name: blobPath(plan.digest) }, plan.data);
    return;
  }
  let source: AsyncIterable<Buffer> = await store.read(plan.from?.digest ?? plan.digest);
  if (plan.from) {
    const unpacked = decompressor(plan.from.compression);
    pipeline(source as Readable, unpacked, { signal }).catch((err: unknown) => unpacked.destroy(err as Error));
    source = unpacked;
  }
  const checked = async function* () {
    const hash = createHash(digestAlgorithm(plan.digest));
    let size = 0;
    for await (const chunk of source) {
      hash.update(chunk);
      size += chunk.length;
      if (size > plan.size) throw dataLoss(`blob ${plan.digest} is larger than the ${plan.size} bytes recorded for it`);
      yield chunk;
    }
    const actual = `${digestAlgorithm(plan.digest)}:${hash.digest('hex')}`;
    if (actual !== plan.digest || size !== plan.size) {
      throw dataLoss(`blob ${plan.from ? `uncompressed from ${plan.from.digest}` : plan.digest} is corrupted: got ${actual} (${size} bytes), want ${plan.digest} (${plan.size} bytes)`);
    }
  };
  await addTarEntry(pack, { name: blobPath(plan.digest), size: plan.size, mode: 0o644 }, checked(), signal);
}

function addEntry(pack: tar.Pack, header: EntryHeader, body?: string | Buffer): Promise<void> {
  const mode = header.type === 'directory' ? 0o755 : 0o644;
  return addTarEntry(pack, { mode, ...header }, typeof body === 'string' ? Buffer.from(body) : body);
}

function blobPath(digest: Digest): string {
  return `blobs/${digestAlgorithm(digest)}/${digestHex(digest)}`;
}

/** The tagged names among `names`, in the forms each file of the archive wants. */
function taggedNames(names: string[]): Array<{ full: string; familiar: string; repository: string; tag: string }> {
  const out: Array<{ full: string; familiar: string; repository: string; tag: string }> = [];
  for (const name of names) {
    const ref = parseReference(name);
    if (ref.tag === undefined) continue;
    const tagged = { registry: ref.registry, repository: ref.repository, tag: ref.tag };
    const repository = repositoryName(tagged);
    out.push({ full: formatReference(tagged), familiar: `${repository}:${ref.tag}`, repository, tag: ref.tag });
  }
  return out;
}
