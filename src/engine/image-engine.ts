import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ContentStore } from '../core/content-store.ts';
import type { Digest } from '../core/digest.ts';
import { isDigest, shortId } from '../core/digest.ts';
import { conflict, dataLoss, invalidArgument, isJanusError, notFound } from '../core/errors.ts';
import type { EventSink } from '../core/events.ts';
import type { ImageRecord, ImageStore } from '../core/image-store.ts';
import type { LayerApplier } from '../core/layer-applier.ts';
import { MediaType, type ContainerDefaults, type Descriptor, type HistoryEntry, type ImageConfig, type ImageManifest, type Platform } from '../core/oci.ts';
import type { ProgressSink } from '../core/progress.ts';
import type { ImageReference } from '../core/reference.ts';
import type { Registry, RemoteRepository } from '../core/registry.ts';
import type { Snapshotter } from '../core/snapshotter.ts';
import type { Exec } from '../util/exec.ts';
import type { Logger } from '../util/logger.ts';
import { writeImageArchive } from '../images/archive/write-image-archive.ts';
import { readImageArchive } from '../images/archive/read-image-archive.ts';
import { importRootfs } from '../images/import/import-rootfs.ts';
import { storeGzipLayer } from '../images/import/gzip-layer.ts';
import { storeImage } from '../images/import/store-image.ts';
import { bootstrapBusybox } from '../images/bootstrap/bootstrap-busybox.ts';
import { bootstrapDebian } from '../images/bootstrap/bootstrap-debian.ts';
import { parseImageConfig, parseManifestOrIndex } from '../registry/manifest.ts';
import { formatPlatform, hostPlatform, normalizePlatform, selectManifest } from '../registry/platform.ts';
import { familiarName, formatReference, parseReference } from '../registry/reference.ts';
import { chainIds } from './chain-id.ts';
import { matchesImageFilters, referenceMatches, type FilterableImage } from './image-filters.ts';
import { sharedLayerBytes } from './shared-layer-bytes.ts';
import type {
  HistoryItem, ImageDetail, ImageFilters, ImageService, ImageSummary, RemoteOptions, RemovedItem,
} from './image-service.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import { concurrencyLimiter } from './concurrency-limiter.ts';
import { downloadBlob } from './download-blob.ts';
import { streamLayer } from './stream-layer.ts';

/** Names of images that have lost every name but are kept, like docker's `<none>:<none>`. */
const DANGLING_PREFIX = '<none>@';
/** Names of the build cache: `<build>@` and the cache key, naming a builder step's image (docker's intermediate images). */
const BUILD_CACHE_PREFIX = '<build>@';
/** Snapshot label holding the uncompressed size of the layer a committed snapshot holds. */
const SIZE_LABEL = 'janus.layer.size';
const TEMP_LABEL = 'janus.temporary';
/** The DiffID of a tar without entries (two zero blocks): a commit without changes. */
const EMPTY_TAR_DIFF_ID = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
/** Layers downloaded at once per pull, like docker's default max-concurrent-downloads of 3. */
const DOWNLOAD_CONCURRENCY = 3;
const UPLOAD_CONCURRENCY = 5;

/** An image as the engine holds it once its manifest and config are read. */
interface LoadedImage {
  manifestDesc: Descriptor;
  manifest: ImageManifest;
  configDigest: Digest;
  config: ImageConfig;
  chainIds: Digest[];
}

/** A layer unpacked into a parentless active snapshot, waiting to be committed. */
interface UnpackedLayer {
  key: string;
  size: number;
}

/** A group of names that share one image ID. */
interface ImageGroup {
  image: LoadedImage;
  records: ImageRecord[];
}

/** What the engine needs; all constructed in daemon/main.ts. */
export interface ImageEngineOptions {
  content: ContentStore;
  images: ImageStore;
  snapshotter: Snapshotter & { dir?(key: string): Promise<string> };
  applier: LayerApplier;
  registry: Registry;
  exec: Exec;
  events: EventSink;
  logger: Logger;
  /** The daemon's root; scratch space for bootstraps lives under it. */
  root: string;
  /** The platform pulls select by default. */
  platform?: Platform;
  /**
   * Containers using each image, by image ID: `rmi` refuses to delete such an
   * image unless forced (and then only untags it), and pruning keeps it.
   */
  imageUsers?: () => ReadonlyMap<string, readonly string[]>;
}

/**
 * The image use cases over a content store, a name store, a snapshotter and
 * a registry. Safe for concurrent calls: name changes and garbage collection
 * are serialized, and content a running operation depends on is leased so a
 * concurrent `prune` cannot take it away.
 */
export class ImageEngine implements ImageService {
  readonly #content: ContentStore;
  readonly #images: ImageStore;
  readonly #snapshots: ImageEngineOptions['snapshotter'];
  readonly #applier: LayerApplier;
  readonly #registry: Registry;
  readonly #exec: Exec;
  readonly #events: EventSink;
  readonly #log: Logger;
  readonly #root: string;
  readonly #platform: Platform;
  /** Serializes name-store mutations and GC (key 'names'), and unpacking per chain ID. */
  readonly #locks = new KeyedMutex();
  /** Digests and chain IDs in use by running operations; GC keeps them. */
  readonly #leases = new Map<string, number>();
  readonly #loaded = new Map<Digest, LoadedImage>();
  readonly #imageUsers: () => ReadonlyMap<string, readonly string[]>;

  constructor(options: ImageEngineOptions) {
    this.#content = options.content;
    this.#images = options.images;
    this.#snapshots = options.snapshotter;
    this.#applier = options.applier;
    this.#registry = options.registry;
    this.#exec = options.exec;
    this.#events = options.events;
    this.#log = options.logger;
    this.#root = options.root;
    this.#platform = options.platform ?? hostPlatform();
    this.#imageUsers = options.imageUsers ?? (() => new Map());
  }

  // ---------------------------------------------------------------- pull

  async pull(ref: string, options: RemoteOptions & { platform?: Platform } = {}): Promise<{ name: string; digest: Digest; id: Digest }> {
    const reference = parseReference(ref);
    const progress = options.progress ?? (() => {});
    const repo = this.#registry.repository(reference, { credentials: options.credentials, signal: options.signal });
    const tagOrDigest = reference.digest ?? reference.tag ?? 'latest';
    progress({ id: tagOrDigest, status: `Pulling from ${reference.repository}` });

    const leased: string[] = [];
    const lease = (key: string) => { this.#lease(key); leased.push(key); };
    const started = performance.now();
    try {
      const top = await repo.resolve(tagOrDigest);
      if (reference.digest && top.digest !== reference.digest) {
        throw dataLoss(`registry answered ${top.digest} for ${formatReference(reference)}`);
      }
      lease(top.digest);
      const topBytes = await this.#fetchSmall(repo, top, options.signal);
      const parsed = parseManifestOrIndex(topBytes, top.mediaType);
      let manifestDesc = top;
      let manifest: ImageManifest;
      if (parsed.kind === 'index') {
        manifestDesc = selectManifest(parsed.index, options.platform ?? this.#platform);
        lease(manifestDesc.digest);
        manifest = expectManifest(await this.#fetchSmall(repo, manifestDesc, options.signal), manifestDesc);
      } else {
        manifest = parsed.manifest;
        manifestDesc = { ...top, mediaType: manifest.mediaType };
      }
      lease(manifest.config.digest);
      const config = parseImageConfig(await this.#fetchSmall(repo, manifest.config, options.signal));
      if (parsed.kind === 'manifest' && options.platform) {
        // A single-platform image has no index to choose from: it fits or it does not.
        const want = normalizePlatform(options.platform);
        const have = normalizePlatform({ os: config.os, architecture: config.architecture, variant: config.variant });
        if (want.os !== have.os || want.architecture !== have.architecture || (want.variant !== undefined && want.variant !== have.variant)) {
          throw notFound(`image with reference ${familiarName(reference)} was found but does not match the specified platform: wanted ${formatPlatform(want)}, actual: ${formatPlatform(have)}`);
        }
      }
      const image = this.#remember(manifestDesc, manifest, config);
      for (const l of manifest.layers) lease(l.digest);
      for (const c of image.chainIds) lease(c);

      // "Image is up to date" when the tag — or, pulling by digest, the digest name — already pointed here.
      const previous = await this.#recordOrUndefined(formatReference(reference.digest ? digestReference(reference, reference.digest) : reference));
      await this.#fetchAndUnpack(repo, image, { progress, signal: options.signal, context: familiarName(reference) });

      const names = [formatReference(digestReference(reference, top.digest))];
      if (reference.tag && !reference.digest) names.unshift(formatReference(reference));
      await this.#setNames(names, manifestDesc);
      progress({ status: `Digest: ${top.digest}` });
      const upToDate = previous?.target.digest === manifestDesc.digest;
      progress({ status: `Status: ${upToDate ? 'Image is up to date for' : 'Downloaded newer image for'} ${familiarName(reference)}` });
      this.#events.publish({ type: 'image', action: 'pull', id: familiarName(reference), attributes: { name: familiarName(reference) } });
      this.#log.info('image pulled', { name: familiarName(reference), digest: top.digest, ms: Math.round(performance.now() - started) });
      return { name: familiarName(reference), digest: top.digest, id: image.configDigest };
    } finally {
      for (const key of leased) this.#unlease(key);
    }
  }

  /** Fetches a manifest or config into the content store (verified) and returns its bytes. */
  async #fetchSmall(repo: RemoteRepository, desc: Descriptor, signal?: AbortSignal): Promise<Buffer> {
    if (await this.#content.has(desc.digest)) return this.#content.readAll(desc.digest);
    if (desc.size > 16 * 1024 * 1024) throw invalidArgument(`refusing ${desc.mediaType} ${desc.digest}: ${desc.size} bytes is too large for a manifest or config`);
    await downloadBlob(this.#content, desc, { fetch: (offset) => repo.fetch(desc, { offset }), signal });
    return this.#content.readAll(desc.digest);
  }

  /**
   * Fetches and unpacks every missing layer. With independent layers
   * (overlay) each layer streams from the registry into the content store
   * and the unpacker at once, up to three layers at a time, and is committed
   * onto its parent as soon as the layer below it is: the pull costs about
   * as much as the download alone.
   */
  async #fetchAndUnpack(
    repo: RemoteRepository,
    image: LoadedImage,
    options: { progress: ProgressSink; signal?: AbortSignal; context: string },
  ): Promise<void> {
    if (!this.#snapshots.independentLayers) return this.#fetchThenUnpack(repo, image, options);
    const { progress } = options;
    const layers = image.manifest.layers;
    const present = await Promise.all(image.chainIds.map((c) => this.#hasSnapshot(c)));
    const haveBlob = await Promise.all(layers.map((l) => this.#content.has(l.digest)));
    for (let i = 0; i < layers.length; i++) {
      progress({ id: shortId(layers[i]!.digest), status: present[i] && haveBlob[i] ? 'Already exists' : 'Pulling fs layer' });
    }
    // One failing layer stops the others at once.
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    const limit = concurrencyLimiter(DOWNLOAD_CONCURRENCY);
    const results = layers.map((_, i) => limit(() =>
      this.#fetchLayer(repo, image, i, { present: present[i]!, haveBlob: haveBlob[i]!, progress, signal, context: options.context })));
    for (const r of results) r.catch(() => stop.abort());
    let failure: unknown;
    for (let i = 0; i < layers.length; i++) {
      try {
        const unpacked = await results[i]!;
        if (failure === undefined && unpacked) await this.#commitLayer(image, i, unpacked);
        else if (unpacked) await this.#snapshots.remove(unpacked.key).catch(() => {});
      } catch (err) {
        failure ??= err;
        stop.abort();
      }
      if (failure === undefined && !present[i]) progress({ id: shortId(layers[i]!.digest), status: 'Pull complete' });
    }
    if (failure !== undefined) throw failure;
  }

  /**
   * Gets layer `i` into the content store and, unless its snapshot exists,
   * into a fresh parentless snapshot. Returns that snapshot, not yet committed.
   */
  async #fetchLayer(
    repo: RemoteRepository,
    image: LoadedImage,
    i: number,
    options: { present: boolean; haveBlob: boolean; progress: ProgressSink; signal: AbortSignal; context: string },
  ): Promise<UnpackedLayer | undefined> {
    options.signal.throwIfAborted();
    const layer = image.manifest.layers[i]!;
    const id = shortId(layer.digest);
    const onProgress = (current: number) => options.progress({ id, status: 'Downloading', current, total: layer.size });
    const started = performance.now();
    if (options.present) {
      if (!options.haveBlob) {
        // The layer is unpacked (shared with another image) but its blob went; push needs it.
        await downloadBlob(this.#content, layer, { fetch: (offset) => repo.fetch(layer, { offset }), onProgress, signal: options.signal });
      }
      return undefined;
    }
    const applyOptions = { mediaType: layer.mediaType, context: `${options.context}: layer ${layer.digest}`, signal: options.signal };
    const prepare = async () => {
      const key = `extract-${randomBytes(6).toString('hex')}-${image.chainIds[i]}`;
      return { key, mounts: await this.#snapshots.prepare(key, undefined, { labels: { [TEMP_LABEL]: 'true' } }) };
    };
    let target = await prepare();
    try {
      let applied;
      if (options.haveBlob) {
        applied = await this.#applier.apply(await this.#content.read(layer.digest), target.mounts, applyOptions);
      } else {
        try {
          applied = await streamLayer(this.#content, this.#applier, {
            layer, mounts: target.mounts, open: () => repo.fetch(layer), onProgress, apply: applyOptions,
          });
        } catch (err) {
          if (!isJanusError(err, 'Unavailable') || options.signal.aborted) throw err;
          // The connection broke mid-layer: the unpacker cannot resume, the download can.
          this.#log.warn('layer stream broke; downloading before unpacking', { digest: layer.digest, err });
          await this.#snapshots.remove(target.key).catch(() => {});
          target = await prepare();
          await downloadBlob(this.#content, layer, { fetch: (offset) => repo.fetch(layer, { offset }), onProgress, signal: options.signal });
          applied = await this.#applier.apply(await this.#content.read(layer.digest), target.mounts, applyOptions);
        }
        options.progress({ id, status: 'Verifying Checksum' });
        options.progress({ id, status: 'Download complete' });
      }
      const want = image.config.rootfs.diff_ids[i];
      if (applied.diffId !== want) {
        throw dataLoss(`${options.context}: layer ${layer.digest} unpacks to ${applied.diffId}, but the image config says ${want}`);
      }
      this.#log.debug('layer fetched and unpacked', { digest: layer.digest, bytes: applied.size, ms: Math.round(performance.now() - started) });
      return { key: target.key, size: applied.size };
    } catch (err) {
      await this.#snapshots.remove(target.key).catch(() => {});
      throw err;
    }
  }

  /** Commits an unpacked layer as its chain ID onto the layer below (which is committed by now). */
  async #commitLayer(image: LoadedImage, i: number, unpacked: UnpackedLayer): Promise<void> {
    const chainId = image.chainIds[i]!;
    await this.#locks.run(`unpack:${chainId}`, async () => {
      if (await this.#hasSnapshot(chainId)) {
        // A concurrent pull of the same layer won the race; its copy is as good as ours.
        await this.#snapshots.remove(unpacked.key);
        return;
      }
      await this.#snapshots.commit(chainId, unpacked.key, {
        parent: i > 0 ? image.chainIds[i - 1] : undefined,
        labels: { [SIZE_LABEL]: String(unpacked.size) },
      });
    });
  }

  /**
   * For snapshotters whose snapshots contain their parents: downloads the
   * layers docker's way — up to three at once — and unpacks each as soon as
   * it and every layer below it are in.
   */
  async #fetchThenUnpack(
    repo: RemoteRepository,
    image: LoadedImage,
    options: { progress: ProgressSink; signal?: AbortSignal; context: string },
  ): Promise<void> {
    const { progress, signal } = options;
    const layers = image.manifest.layers;
    const present = await Promise.all(image.chainIds.map((c) => this.#hasSnapshot(c)));
    const haveBlob = await Promise.all(layers.map((l) => this.#content.has(l.digest)));
    for (let i = 0; i < layers.length; i++) {
      const id = shortId(layers[i]!.digest);
      progress({ id, status: present[i] && haveBlob[i] ? 'Already exists' : 'Pulling fs layer' });
    }
    const downloads: Promise<void>[] = layers.map(() => Promise.resolve());
    let next = 0;
    const slots: Promise<void>[] = [];
    const settle: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
    for (let i = 0; i < layers.length; i++) {
      downloads[i] = new Promise<void>((resolve, reject) => { settle[i] = { resolve, reject }; });
      downloads[i]!.catch(() => {}); // observed below; avoid unhandled rejections while waiting
    }
    const worker = async () => {
      while (next < layers.length) {
        const i = next++;
        const layer = layers[i]!;
        try {
          if (!haveBlob[i]) {
            const id = shortId(layer.digest);
            const started = performance.now();
            await downloadBlob(this.#content, layer, {
              fetch: (offset) => repo.fetch(layer, { offset }),
              onProgress: (current) => progress({ id, status: 'Downloading', current, total: layer.size }),
              signal,
            });
            progress({ id, status: 'Verifying Checksum' });
            progress({ id, status: 'Download complete' });
            this.#log.debug('layer downloaded', { digest: layer.digest, bytes: layer.size, ms: Math.round(performance.now() - started) });
          }
          settle[i]!.resolve();
        } catch (err) {
          settle[i]!.reject(err);
          throw err;
        }
      }
    };
    for (let w = 0; w < Math.min(DOWNLOAD_CONCURRENCY, layers.length); w++) slots.push(worker());
    const all = Promise.all(slots);
    all.catch(() => {});
    try {
      for (let i = 0; i < layers.length; i++) {
        await downloads[i];
        await this.#unpackLayer(image, i, { progress, signal, context: options.context, quiet: present[i] === true && haveBlob[i] === true });
      }
    } finally {
      await all.catch(() => {});
    }
    await all;
  }

  /** Unpacks layer `i` of `image` from the content store unless its snapshot exists. */
  async #unpackLayer(
    image: LoadedImage,
    i: number,
    options: { progress: ProgressSink; signal?: AbortSignal; context: string; quiet?: boolean },
  ): Promise<void> {
    const chainId = image.chainIds[i]!;
    const layer = image.manifest.layers[i]!;
    const id = shortId(layer.digest);
    await this.#locks.run(`unpack:${chainId}`, async () => {
      if (await this.#hasSnapshot(chainId)) {
        if (!options.quiet) options.progress({ id, status: 'Pull complete' });
        return;
      }
      const started = performance.now();
      const parent = i > 0 ? image.chainIds[i - 1] : undefined;
      const key = `extract-${randomBytes(6).toString('hex')}-${chainId}`;
      const mounts = await this.#snapshots.prepare(key, parent, { labels: { [TEMP_LABEL]: 'true' } });
      try {
        const source = await this.#content.read(layer.digest);
        let read = 0;
        source.on('data', (chunk: Buffer) => {
          read += chunk.length;
          options.progress({ id, status: 'Extracting', current: read, total: layer.size });
        });
        const applied = await this.#applier.apply(source, mounts, {
          mediaType: layer.mediaType,
          context: `${options.context}: layer ${layer.digest}`,
          signal: options.signal,
        });
        const want = image.config.rootfs.diff_ids[i];
        if (applied.diffId !== want) {
          throw dataLoss(`${options.context}: layer ${layer.digest} unpacks to ${applied.diffId}, but the image config says ${want}`);
        }
        await this.#snapshots.commit(chainId, key, { labels: { [SIZE_LABEL]: String(applied.size) } });
        this.#log.debug('layer unpacked', { digest: layer.digest, bytes: applied.size, ms: Math.round(performance.now() - started) });
      } catch (err) {
        await this.#snapshots.remove(key).catch(() => {});
        throw err;
      }
      options.progress({ id, status: 'Pull complete' });
    });
  }

  /** Makes sure every layer of a locally stored image is unpacked. */
  async #ensureUnpacked(image: LoadedImage, options: { progress?: ProgressSink; signal?: AbortSignal; context: string }): Promise<void> {
    for (let i = 0; i < image.chainIds.length; i++) {
      await this.#unpackLayer(image, i, { progress: options.progress ?? (() => {}), signal: options.signal, context: options.context, quiet: true });
    }
  }

  async #hasSnapshot(key: string): Promise<boolean> {
    try {
      const info = await this.#snapshots.stat(key);
      return info.kind === 'committed';
    } catch (err) {
      if (isJanusError(err, 'NotFound')) return false;
      throw err;
    }
  }

  // ---------------------------------------------------------------- push

  async push(ref: string, options: RemoteOptions = {}): Promise<{ name: string; digest: Digest; size: number }> {
    const reference = parseReference(ref);
    if (reference.digest) throw invalidArgument(`cannot push a digest reference: ${ref} (push a tag)`);
    const name = formatReference(reference);
    const record = await this.#recordOrUndefined(name);
    if (!record) throw notFound(`No such image: ${familiarName(reference)}`);
    const image = await this.#load(record.target);
    const progress = options.progress ?? (() => {});
    const repo = this.#registry.repository(reference, { credentials: options.credentials, signal: options.signal });
    progress({ status: `The push refers to repository [${formatRepository(reference)}]` });

    const blobs = [...image.manifest.layers];
    const keys = [image.manifestDesc.digest, image.configDigest, ...blobs.map((b) => b.digest)];
    for (const k of keys) this.#lease(k);
    try {
      for (const b of blobs) progress({ id: shortId(b.digest), status: 'Preparing' });
      const mountSources = await this.#mountSources(reference);
      let next = 0;
      const worker = async () => {
        while (next < blobs.length) {
          const desc = blobs[next++]!;
          await this.#pushBlob(repo, desc, mountSources, progress);
        }
      };
      await Promise.all(Array.from({ length: Math.min(UPLOAD_CONCURRENCY, blobs.length) }, worker));
      await this.#pushBlob(repo, image.manifest.config, [], () => {});
      const manifestBytes = await this.#content.readAll(image.manifestDesc.digest);
      const tag = reference.tag ?? 'latest';
      await repo.pushManifest(tag, image.manifestDesc, manifestBytes);
      progress({ status: `${tag}: digest: ${image.manifestDesc.digest} size: ${manifestBytes.length}` });
      const repoDigestName = formatReference(digestReference(reference, image.manifestDesc.digest));
      await this.#locks.run('names', () => this.#images.set(repoDigestName, image.manifestDesc));
      this.#events.publish({ type: 'image', action: 'push', id: familiarName(reference), attributes: { name: familiarName(reference) } });
      return { name: familiarName(reference), digest: image.manifestDesc.digest, size: manifestBytes.length };
    } finally {
      for (const k of keys) this.#unlease(k);
    }
  }

  /** Other repositories on the same registry that hold this image's content: candidates for cross-repo mounts. */
  async #mountSources(target: ImageReference): Promise<string[]> {
    const out = new Set<string>();
    for (const r of await this.#images.list()) {
      if (isPlaceholder(r.name)) continue;
      const other = parseReference(r.name);
      if (other.registry === target.registry && other.repository !== target.repository) out.add(other.repository);
    }
    return [...out];
  }

  async #pushBlob(repo: RemoteRepository, desc: Descriptor, mountFrom: string[], progress: ProgressSink): Promise<void> {
    const id = shortId(desc.digest);
    if (await repo.hasBlob(desc)) {
      progress({ id, status: 'Layer already exists' });
      return;
    }
    for (const from of mountFrom) {
      if (await repo.mountBlob(desc, from)) {
        progress({ id, status: `Mounted from ${from}` });
        return;
      }
    }
    if (!(await this.#content.has(desc.digest))) {
      throw notFound(`blob ${desc.digest} is not in the local store; pull the image again before pushing`);
    }
    await repo.pushBlob(desc, async () => {
      const stream = await this.#content.read(desc.digest);
      let sent = 0;
      stream.on('data', (chunk: Buffer) => {
        sent += chunk.length;
        progress({ id, status: 'Pushing', current: sent, total: desc.size });
      });
      return stream;
    });
    progress({ id, status: 'Pushed' });
  }

  // ---------------------------------------------------------------- names

  async tag(source: string, target: string): Promise<void> {
    const group = await this.#resolveLocal(source);
    const reference = parseReference(target);
    if (reference.digest) throw invalidArgument(`refusing to create a tag with a digest reference: ${target}`);
    await this.#setNames([formatReference(reference)], group.image.manifestDesc);
    this.#events.publish({ type: 'image', action: 'tag', id: group.image.configDigest, attributes: { name: familiarName(reference) } });
  }

  async remove(ref: string, options: { force?: boolean; noPrune?: boolean } = {}): Promise<RemovedItem[]> {
    return (await this.#remove(ref, options)).items;
  }

  /** `rmi` proper; also reports the bytes its garbage collection freed (for prune's SpaceReclaimed). */
  async #remove(ref: string, options: { force?: boolean; noPrune?: boolean }): Promise<{ items: RemovedItem[]; freed: number }> {
    const out: RemovedItem[] = [];
    await this.#locks.run('names', async () => {
      const { group, byName } = await this.#resolveLocalWithMatch(ref);
      const id = group.image.configDigest;
      const tags = group.records.filter((r) => isTagName(r.name));
      const users = this.#imageUsers().get(id) ?? [];
      const lastName = byName ? !(isTagName(byName.name) ? tags.length > 1 : tags.length > 0) : true;
      if (users.length > 0 && lastName) {
        if (!options.force) {
          throw conflict(byName
            ? `conflict: unable to remove repository reference "${displayName(byName.name)}" (must force) - container ${users[0].slice(0, 12)} is using its referenced image ${shortId(id)}`
            : `conflict: unable to delete ${shortId(id)} (must be forced) - image is being used by container ${users[0].slice(0, 12)}`);
        }
        // Forced: the names go, the image stays (dangling) for the containers that run it.
        for (const r of group.records) {
          if (isPlaceholder(r.name)) continue;
          await this.#images.delete(r.name);
          out.push({ untagged: displayName(r.name) });
        }
        await this.#images.set(`${DANGLING_PREFIX}${group.image.manifestDesc.digest}`, group.image.manifestDesc);
        return;
      }
      if (byName) {
        // Untag the one name; the image goes when no tag is left (its digest references go with it).
        await this.#images.delete(byName.name);
        out.push({ untagged: displayName(byName.name) });
        if (isTagName(byName.name) && tags.length > 1) return;
        if (!isTagName(byName.name) && tags.length > 0) return;
        for (const r of group.records) {
          if (r.name === byName.name) continue;
          await this.#images.delete(r.name);
          if (!isPlaceholder(r.name)) out.push({ untagged: displayName(r.name) });
        }
      } else {
        const repos = new Set(tags.map((r) => repositoryOf(r.name)));
        if (repos.size > 1 && !options.force) {
          throw conflict(`conflict: unable to delete ${shortId(id)} (must be forced) - image is referenced in multiple repositories`);
        }
        for (const r of group.records) {
          await this.#images.delete(r.name);
          if (!isPlaceholder(r.name)) out.push({ untagged: displayName(r.name) });
        }
      }
      out.push({ deleted: id });
      this.#events.publish({ type: 'image', action: 'delete', id, attributes: { name: id } });
    });
    const freed = await this.#collectGarbage();
    return { items: out, freed };
  }

  /**
   * Points `names` at `target`. An image that thereby loses its last tag is
   * kept as dangling (docker's `<none>:<none>`), so `image prune` finds it.
   */
  async #setNames(names: string[], target: Descriptor): Promise<void> {
    await this.#locks.run('names', async () => {
      const orphans = new Map<Digest, Descriptor>();
      for (const name of names) {
        const old = await this.#recordOrUndefined(name);
        if (old && old.target.digest !== target.digest && isTagName(name)) orphans.set(old.target.digest, old.target);
        if (!old || old.target.digest !== target.digest) await this.#images.set(name, target);
      }
      await this.#images.delete(`${DANGLING_PREFIX}${target.digest}`).catch((err) => {
        if (!isJanusError(err, 'NotFound')) throw err;
      });
      if (orphans.size === 0) return;
      const records = await this.#images.list();
      for (const [digest, desc] of orphans) {
        const stillTagged = records.some((r) => r.target.digest === digest && isTagName(r.name));
        if (!stillTagged) await this.#images.set(`${DANGLING_PREFIX}${digest}`, desc);
      }
    });
  }

  // ---------------------------------------------------------------- queries

  async list(options: { all?: boolean; filters?: ImageFilters; sharedSize?: boolean } = {}): Promise<ImageSummary[]> {
    // Images named only by the build cache are docker's intermediate images: listed with `all` only.
    const groups = (await this.#groups()).filter((g) => options.all || !g.records.every((r) => r.name.startsWith(BUILD_CACHE_PREFIX)));
    const filters = options.filters ?? {};
    const layerSizes = await Promise.all(groups.map((g) => this.#layerSizes(g)));
    let summaries = await Promise.all(groups.map((g, i) => this.#summary(g, layerSizes[i])));
    if (options.sharedSize) {
      const shared = sharedLayerBytes(groups.map((g, i) => ({
        id: g.image.configDigest,
        layers: g.image.chainIds.map((chainId, n) => ({ chainId, size: layerSizes[i]![n]! })),
      })));
      summaries = summaries.map((s) => ({ ...s, sharedSize: shared.get(s.id) ?? 0 }));
    }
    const resolved = {
      beforeCreated: filters.before ? (await this.#summary(await this.#resolveLocal(filters.before))).created : undefined,
      sinceCreated: filters.since ? (await this.#summary(await this.#resolveLocal(filters.since))).created : undefined,
    };
    const patterns = filters.reference ?? [];
    const named = (n: string) => patterns.some((p) => referenceMatches(p, n));
    return summaries
      .filter((s) => matchesImageFilters(s as FilterableImage, filters, resolved))
      // docker shows only the names the reference filter matched (`images busybox` lists busybox, not its other tags).
      .map((s) => (patterns.length === 0 ? s : { ...s, repoTags: s.repoTags.filter(named), repoDigests: s.repoDigests.filter(named) }))
      .sort((a, b) => b.created - a.created || a.id.localeCompare(b.id));
  }

  async inspect(ref: string): Promise<ImageDetail> {
    const group = await this.#resolveLocal(ref);
    const summary = await this.#summary(group);
    const { image } = group;
    const cfg = image.config;
    const layerDirs = this.#snapshots.dir ? await Promise.all(image.chainIds.map((c) => this.#snapshots.dir!(c).catch(() => ''))) : [];
    const history = cfg.history ?? [];
    return {
      ...summary,
      manifest: image.manifestDesc,
      architecture: cfg.architecture,
      variant: cfg.variant,
      os: cfg.os,
      author: cfg.author ?? '',
      comment: history.length > 0 ? (history[history.length - 1]!.comment ?? '') : '',
      createdIso: cfg.created ?? '',
      config: cfg.config ?? {},
      layers: cfg.rootfs.diff_ids,
      chainIds: image.chainIds,
      layerDirs,
      history,
    };
  }

  async history(ref: string): Promise<HistoryItem[]> {
    const group = await this.#resolveLocal(ref);
    const { image } = group;
    const summary = await this.#summary(group);
    const sizes = await Promise.all(image.chainIds.map((c) => this.#layerSize(c)));
    const entries = image.config.history ?? [];
    const rows: HistoryItem[] = [];
    let layer = 0;
    if (entries.length === 0) {
      // Images without history (some imports) still show one row per layer, as docker does.
      for (let i = 0; i < sizes.length; i++) rows.push({ id: '<missing>', created: summary.created, createdBy: '', tags: [], size: sizes[i]!, comment: '' });
    }
    for (const h of entries) {
      const size = h.empty_layer ? 0 : (sizes[layer++] ?? 0);
      rows.push({
        id: '<missing>',
        created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0,
        createdBy: h.created_by ?? '',
        tags: [],
        size,
        comment: h.comment ?? '',
      });
    }
    rows.reverse();
    if (rows.length > 0) {
      rows[0] = { ...rows[0]!, id: image.configDigest, tags: summary.repoTags };
    }
    return rows;
  }

  async layersSize(): Promise<number> {
    let total = 0;
    for await (const info of this.#snapshots.walk()) {
      if (info.kind === 'committed') total += Number(info.labels[SIZE_LABEL] ?? 0);
    }
    return total;
  }

  // ---------------------------------------------------------------- prune / GC

  async prune(options: { all?: boolean; filters?: ImageFilters } = {}): Promise<{ deleted: RemovedItem[]; spaceReclaimed: number }> {
    const filters: ImageFilters = { ...options.filters };
    if (!options.all) filters.dangling = true;
    const deleted: RemovedItem[] = [];
    let spaceReclaimed = 0;
    const candidates = await this.list({ filters });
    const users = this.#imageUsers();
    for (const image of candidates) {
      if ((users.get(image.id)?.length ?? 0) > 0) continue;
      try {
        const removed = await this.#remove(image.id, { force: true });
        deleted.push(...removed.items);
        spaceReclaimed += removed.freed;
      } catch (err) {
        if (!isJanusError(err, 'NotFound')) throw err;
      }
    }
    spaceReclaimed += await this.#collectGarbage();
    return { deleted, spaceReclaimed };
  }

  /**
   * Mark and sweep: every blob and committed snapshot not reachable from a
   * name (and not leased by a running operation) is removed. Returns the
   * bytes freed. Serialized with name changes, so a pull that is about to
   * name its image holds leases on everything it fetched.
   */
  async #collectGarbage(): Promise<number> {
    return this.#locks.run('names', async () => {
      const keepBlobs = new Set<string>(this.#leases.keys());
      const keepSnapshots = new Set<string>(this.#leases.keys());
      for (const r of await this.#images.list()) {
        try {
          const image = await this.#load(r.target);
          keepBlobs.add(image.manifestDesc.digest);
          keepBlobs.add(image.configDigest);
          for (const l of image.manifest.layers) keepBlobs.add(l.digest);
          for (const c of image.chainIds) keepSnapshots.add(c);
        } catch (err) {
          // A name whose manifest is unreadable must not cost the other images their content.
          this.#log.warn('image unreadable during garbage collection; keeping its name', { name: r.name, err });
          keepBlobs.add(r.target.digest);
        }
      }
      // Index blobs fetched during pulls are kept only while a digest name points at their image.
      for (const r of await this.#images.list()) {
        const at = r.name.lastIndexOf('@');
        if (at > 0 && isDigest(r.name.slice(at + 1))) keepBlobs.add(r.name.slice(at + 1));
      }
      let freed = 0;
      for await (const info of this.#content.walk()) {
        if (keepBlobs.has(info.digest)) continue;
        await this.#content.delete(info.digest).then(() => { freed += info.size; }, (err) => {
          if (!isJanusError(err, 'NotFound')) throw err;
        });
        this.#loaded.delete(info.digest);
      }
      freed += await this.#removeSnapshots(keepSnapshots);
      return freed;
    });
  }

  /** Removes committed, unkept snapshots leaf first; active snapshots (containers, unpacks) pin their parents. */
  async #removeSnapshots(keep: Set<string>): Promise<number> {
    const infos = [];
    for await (const info of this.#snapshots.walk()) infos.push(info);
    const children = new Map<string, number>();
    for (const s of infos) if (s.parent) children.set(s.parent, (children.get(s.parent) ?? 0) + 1);
    const removable = new Set(infos.filter((s) => s.kind === 'committed' && !keep.has(s.key)).map((s) => s.key));
    let freed = 0;
    let progress = true;
    while (progress) {
      progress = false;
      for (const s of infos) {
        if (!removable.has(s.key) || (children.get(s.key) ?? 0) > 0) continue;
        const size = Number(s.labels[SIZE_LABEL] ?? 0);
        await this.#snapshots.remove(s.key);
        removable.delete(s.key);
        if (s.parent) children.set(s.parent, (children.get(s.parent) ?? 1) - 1);
        freed += size;
        progress = true;
      }
    }
    return freed;
  }

  #lease(key: string): void {
    this.#leases.set(key, (this.#leases.get(key) ?? 0) + 1);
  }

  #unlease(key: string): void {
    const n = (this.#leases.get(key) ?? 1) - 1;
    if (n <= 0) this.#leases.delete(key);
    else this.#leases.set(key, n);
  }

  // ---------------------------------------------------------------- archives

  async save(refs: string[], options: { format?: 'docker' | 'oci'; signal?: AbortSignal } = {}): Promise<Readable> {
    if (refs.length === 0) throw invalidArgument('save needs at least one image');
    const images = new Map<Digest, { manifest: Descriptor; names: string[] }>();
    for (const ref of refs) {
      const { group, byName } = await this.#resolveLocalWithMatch(ref);
      const key = group.image.manifestDesc.digest;
      const entry = images.get(key) ?? { manifest: group.image.manifestDesc, names: [] };
      if (byName && isTagName(byName.name)) entry.names.push(byName.name);
      images.set(key, entry);
    }
    const leased = [...images.keys()];
    for (const k of leased) this.#lease(k);
    const stream = writeImageArchive([...images.values()], this.#content, { format: options.format ?? 'docker', signal: options.signal });
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      for (const k of leased) this.#unlease(k);
    };
    stream.once('close', release);
    stream.once('end', release);
    stream.once('error', release);
    for (const ref of refs) this.#events.publish({ type: 'image', action: 'save', id: ref, attributes: { name: ref } });
    return stream;
  }

  async load(archive: Readable, options: { progress?: ProgressSink; signal?: AbortSignal } = {}): Promise<string[]> {
    const loaded = await readImageArchive(archive, this.#content, { signal: options.signal });
    const out: string[] = [];
    for (const entry of loaded) {
      const image = await this.#load(entry.manifest);
      this.#lease(image.manifestDesc.digest);
      try {
        await this.#ensureUnpacked(image, { progress: options.progress, signal: options.signal, context: `load ${image.configDigest}` });
        const names = entry.names.map((n) => formatReference(parseReference(n)));
        if (names.length > 0) await this.#setNames(names, image.manifestDesc);
        else await this.#adoptUnnamed(image.manifestDesc);
        if (names.length === 0) out.push(image.configDigest);
        else out.push(...names.map((n) => familiarName(parseReference(n))));
        this.#events.publish({ type: 'image', action: 'load', id: image.configDigest, attributes: { name: names[0] ?? image.configDigest } });
      } finally {
        this.#unlease(image.manifestDesc.digest);
      }
    }
    return out;
  }

  async import(
    archive: Readable,
    options: { reference?: string; changes?: string[]; message?: string; platform?: Platform; signal?: AbortSignal } = {},
  ): Promise<{ id: Digest }> {
    const reference = options.reference ? parseReference(options.reference) : undefined;
    if (reference?.digest) throw invalidArgument(`cannot import as a digest reference: ${options.reference}`);
    const made = await importRootfs(archive, this.#content, {
      changes: options.changes, message: options.message, platform: options.platform ?? this.#platform, signal: options.signal,
    });
    return this.#adoptLocal(made.manifest, reference ? [formatReference(reference)] : [], { action: 'import', signal: options.signal });
  }

  async commitLayer(
    parent: string,
    layer: Readable,
    options: { config: ContainerDefaults; history?: Pick<HistoryEntry, 'created_by' | 'comment' | 'author'>; author?: string; reference?: string; signal?: AbortSignal },
  ): Promise<{ id: Digest }> {
    let reference: ImageReference | undefined;
    let image: LoadedImage;
    try {
      reference = options.reference ? parseReference(options.reference) : undefined;
      if (reference?.digest) throw invalidArgument(`cannot commit to a digest reference: ${options.reference} (give a tag)`);
      image = (await this.#resolveLocal(parent)).image;
    } catch (err) {
      layer.destroy(); // never read: its producer must learn that it can stop
      throw err;
    }
    // The parent's content must outlive a concurrent prune until the new image names it.
    const leased = [image.manifestDesc.digest, image.configDigest, ...image.manifest.layers.map((l) => l.digest), ...image.chainIds];
    for (const k of leased) this.#lease(k);
    try {
      const stored = await storeGzipLayer(layer, this.#content, { what: 'committed layer', signal: options.signal });
      this.#lease(stored.layer.digest);
      leased.push(stored.layer.digest);
      // As docker: a layer without changes is not added, only a history entry marked empty (the blob is left to GC).
      const empty = stored.diffId === EMPTY_TAR_DIFF_ID;
      const created = new Date().toISOString();
      const entry: HistoryEntry = { created };
      if (options.history?.author) entry.author = options.history.author;
      if (options.history?.created_by) entry.created_by = options.history.created_by;
      if (options.history?.comment) entry.comment = options.history.comment;
      if (empty) entry.empty_layer = true;
      const p = image.config;
      const config: ImageConfig = {
        architecture: p.architecture,
        os: p.os,
        ...(p.variant ? { variant: p.variant } : {}),
        ...(p['os.version'] ? { 'os.version': p['os.version'] } : {}),
        created,
        ...(options.author ? { author: options.author } : {}),
        config: options.config,
        rootfs: { type: 'layers', diff_ids: empty ? [...p.rootfs.diff_ids] : [...p.rootfs.diff_ids, stored.diffId] },
        history: [...(p.history ?? []), entry],
      };
      // The same bytes under OCI media types: the new manifest is an OCI one.
      const layers = [...image.manifest.layers.map(ociLayer), ...(empty ? [] : [stored.layer])];
      const made = await storeImage(this.#content, { config, layers });
      const names = reference ? [formatReference(reference)] : [];
      const { id } = await this.#adoptLocal(made.manifest, names, { action: 'commit', signal: options.signal, quiet: true });
      // docker reports a commit as the container's event, and naming the image as a tag.
      if (reference) this.#events.publish({ type: 'image', action: 'tag', id, attributes: { name: familiarName(reference) } });
      this.#log.info('image committed', { id, parent: image.configDigest, layer: stored.layer.digest, bytes: stored.uncompressedSize });
      return { id };
    } finally {
      for (const k of leased) this.#unlease(k);
    }
  }

  async buildStep(
    parent: string | undefined,
    options: { layer?: Readable; config: ContainerDefaults; createdBy: string; cacheKey: Digest; signal?: AbortSignal },
  ): Promise<{ id: Digest }> {
    let image: LoadedImage | undefined;
    try {
      if (!isDigest(options.cacheKey)) throw invalidArgument(`invalid build cache key ${JSON.stringify(options.cacheKey)}`);
      if (parent !== undefined) image = (await this.#resolveLocal(parent)).image;
    } catch (err) {
      options.layer?.destroy();
      throw err;
    }
    const leased = image ? [image.manifestDesc.digest, image.configDigest, ...image.manifest.layers.map((l) => l.digest), ...image.chainIds] : [];
    for (const k of leased) this.#lease(k);
    try {
      let stored: Awaited<ReturnType<typeof storeGzipLayer>> | undefined;
      if (options.layer) {
        stored = await storeGzipLayer(options.layer, this.#content, { what: 'build step layer', signal: options.signal });
        this.#lease(stored.layer.digest);
        leased.push(stored.layer.digest);
        if (stored.diffId === EMPTY_TAR_DIFF_ID) stored = undefined;
      }
      const created = new Date().toISOString();
      const entry: HistoryEntry = { created, created_by: options.createdBy };
      if (!stored) entry.empty_layer = true;
      const p: Pick<ImageConfig, 'architecture' | 'os' | 'variant' | 'os.version' | 'rootfs' | 'history'> = image?.config ?? {
        architecture: this.#platform.architecture,
        os: this.#platform.os,
        ...(this.#platform.variant ? { variant: this.#platform.variant } : {}),
        rootfs: { type: 'layers', diff_ids: [] },
      };
      const config: ImageConfig = {
        architecture: p.architecture,
        os: p.os,
        ...(p.variant ? { variant: p.variant } : {}),
        ...(p['os.version'] ? { 'os.version': p['os.version'] } : {}),
        created,
        config: options.config,
        rootfs: { type: 'layers', diff_ids: stored ? [...p.rootfs.diff_ids, stored.diffId] : [...p.rootfs.diff_ids] },
        history: [...(p.history ?? []), entry],
      };
      const layers = [...(image?.manifest.layers.map(ociLayer) ?? []), ...(stored ? [stored.layer] : [])];
      const made = await storeImage(this.#content, { config, layers });
      return await this.#adoptLocal(made.manifest, [`${BUILD_CACHE_PREFIX}${options.cacheKey}`], { action: 'build', signal: options.signal, quiet: true });
    } finally {
      for (const k of leased) this.#unlease(k);
    }
  }

  async buildCacheLookup(cacheKey: Digest): Promise<Digest | undefined> {
    const record = await this.#recordOrUndefined(`${BUILD_CACHE_PREFIX}${cacheKey}`);
    if (!record) return undefined;
    try {
      return (await this.#load(record.target)).configDigest;
    } catch (err) {
      this.#log.warn('build cache entry unreadable; ignoring it', { key: cacheKey, err });
      return undefined;
    }
  }

  async pruneBuildCache(options: { signal?: AbortSignal } = {}): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    const deleted: string[] = [];
    await this.#locks.run('names', async () => {
      const users = this.#imageUsers();
      for (const r of await this.#images.list()) {
        options.signal?.throwIfAborted();
        if (!r.name.startsWith(BUILD_CACHE_PREFIX)) continue;
        // An intermediate image a container runs keeps its name, as `rmi` keeps an image in use.
        const id = await this.#load(r.target).then((i) => i.configDigest, () => undefined);
        if (id !== undefined && (users.get(id)?.length ?? 0) > 0) continue;
        await this.#images.delete(r.name);
        deleted.push(r.name.slice(BUILD_CACHE_PREFIX.length));
      }
    });
    const spaceReclaimed = await this.#collectGarbage();
    return { deleted, spaceReclaimed };
  }

  async buildCacheUsage(): Promise<Array<{ id: string; size: number; created: number; shared: boolean }>> {
    const out: Array<{ id: string; size: number; created: number; shared: boolean }> = [];
    for (const g of await this.#groups()) {
      const keys = g.records.filter((r) => r.name.startsWith(BUILD_CACHE_PREFIX));
      if (keys.length === 0) continue;
      const history = g.image.config.history ?? [];
      const own = history.length > 0 && !history[history.length - 1]!.empty_layer && g.image.chainIds.length > 0;
      const size = own ? await this.#layerSize(g.image.chainIds[g.image.chainIds.length - 1]!) : 0;
      const created = g.image.config.created ? Math.floor(Date.parse(g.image.config.created) / 1000) || 0 : 0;
      const shared = g.records.some((r) => !r.name.startsWith(BUILD_CACHE_PREFIX));
      for (const k of keys) out.push({ id: k.name.slice(BUILD_CACHE_PREFIX.length), size, created, shared });
    }
    return out;
  }

  async bootstrap(name: string, options: { progress?: ProgressSink; signal?: AbortSignal } = {}): Promise<{ name: string; id: Digest }> {
    const progress = options.progress ?? (() => {});
    let made: { manifest: Descriptor };
    let target: ImageReference;
    if (name === 'busybox' || name === 'busybox:latest') {
      target = parseReference('busybox:latest');
      progress({ status: 'Building busybox:latest from the host\'s busybox-static' });
      made = await bootstrapBusybox(this.#content, { exec: this.#exec, signal: options.signal });
    } else if (name === 'debian' || name === 'debian:bookworm') {
      target = parseReference('debian:bookworm');
      progress({ status: 'Building debian:bookworm with debootstrap (this takes a few minutes)' });
      made = await bootstrapDebian(this.#content, {
        exec: this.#exec, signal: options.signal, workDir: join(this.#root, 'tmp'),
      });
    } else {
      throw invalidArgument(`cannot bootstrap ${JSON.stringify(name)}: known images are busybox and debian:bookworm`);
    }
    const { id } = await this.#adoptLocal(made.manifest, [formatReference(target)], { action: 'bootstrap', signal: options.signal, progress });
    progress({ status: `Built ${familiarName(target)} as ${id}` });
    return { name: familiarName(target), id };
  }

  /** Unpacks and names an image whose blobs a local operation has just put into the content store. */
  async #adoptLocal(manifestDesc: Descriptor, names: string[], options: { action: string; signal?: AbortSignal; progress?: ProgressSink; quiet?: boolean }): Promise<{ id: Digest }> {
    this.#lease(manifestDesc.digest);
    try {
      const image = await this.#load(manifestDesc);
      for (const l of image.manifest.layers) this.#lease(l.digest);
      try {
        await this.#ensureUnpacked(image, { progress: options.progress, signal: options.signal, context: `${options.action} ${image.configDigest}` });
        if (names.length > 0) await this.#setNames(names, image.manifestDesc);
        else await this.#adoptUnnamed(image.manifestDesc);
      } finally {
        for (const l of image.manifest.layers) this.#unlease(l.digest);
      }
      if (!options.quiet) {
        this.#events.publish({
          type: 'image', action: options.action, id: image.configDigest,
          attributes: { name: names[0] ? familiarName(parseReference(names[0])) : image.configDigest },
        });
      }
      return { id: image.configDigest };
    } finally {
      this.#unlease(manifestDesc.digest);
    }
  }

  async #adoptUnnamed(manifestDesc: Descriptor): Promise<void> {
    await this.#locks.run('names', async () => {
      const records = await this.#images.list();
      if (!records.some((r) => r.target.digest === manifestDesc.digest)) {
        await this.#images.set(`${DANGLING_PREFIX}${manifestDesc.digest}`, manifestDesc);
      }
    });
  }

  // ---------------------------------------------------------------- local resolution

  async #recordOrUndefined(name: string): Promise<ImageRecord | undefined> {
    try {
      return await this.#images.get(name);
    } catch (err) {
      if (isJanusError(err, 'NotFound')) return undefined;
      throw err;
    }
  }

  /** Reads (and caches) an image's manifest and config from the content store. */
  async #load(manifestDesc: Descriptor): Promise<LoadedImage> {
    const cached = this.#loaded.get(manifestDesc.digest);
    if (cached) return cached;
    const manifest = expectManifest(await this.#content.readAll(manifestDesc.digest), manifestDesc);
    const config = parseImageConfig(await this.#content.readAll(manifest.config.digest));
    return this.#remember({ ...manifestDesc, mediaType: manifest.mediaType }, manifest, config);
  }

  #remember(manifestDesc: Descriptor, manifest: ImageManifest, config: ImageConfig): LoadedImage {
    if (config.rootfs.diff_ids.length !== manifest.layers.length) {
      throw invalidArgument(`image ${manifestDesc.digest}: manifest has ${manifest.layers.length} layers but the config lists ${config.rootfs.diff_ids.length} diff IDs`);
    }
    const image: LoadedImage = {
      manifestDesc: { mediaType: manifestDesc.mediaType, digest: manifestDesc.digest, size: manifestDesc.size },
      manifest,
      configDigest: manifest.config.digest,
      config,
      chainIds: chainIds(config.rootfs.diff_ids),
    };
    this.#loaded.set(manifestDesc.digest, image);
    return image;
  }

  async #groups(): Promise<ImageGroup[]> {
    const byId = new Map<Digest, ImageGroup>();
    for (const r of await this.#images.list()) {
      let image: LoadedImage;
      try {
        image = await this.#load(r.target);
      } catch (err) {
        this.#log.warn('skipping image whose manifest or config cannot be read', { name: r.name, err });
        continue;
      }
      const g = byId.get(image.configDigest) ?? { image, records: [] };
      g.records.push(r);
      byId.set(image.configDigest, g);
    }
    return [...byId.values()];
  }

  async #resolveLocal(ref: string): Promise<ImageGroup> {
    return (await this.#resolveLocalWithMatch(ref)).group;
  }

  /**
   * docker's lookup order: a name (tag or digest reference) first; failing
   * that, a full or abbreviated image ID. `byName` is the record matched by
   * name, absent when matched by ID.
   */
  async #resolveLocalWithMatch(ref: string): Promise<{ group: ImageGroup; byName?: ImageRecord }> {
    const groups = await this.#groups();
    let reference: ImageReference | undefined;
    try {
      reference = parseReference(ref);
    } catch (err) {
      if (!isIdPrefix(ref)) throw err;
    }
    if (reference) {
      const name = formatReference(reference);
      for (const g of groups) {
        const hit = g.records.find((r) => r.name === name);
        if (hit) return { group: g, byName: hit };
      }
    }
    if (isIdPrefix(ref)) {
      const hex = ref.replace(/^sha256:/, '');
      const matches = groups.filter((g) => g.image.configDigest.slice('sha256:'.length).startsWith(hex));
      if (matches.length === 1) return { group: matches[0]! };
      if (matches.length > 1) throw conflict(`image ID prefix ${ref} is ambiguous: it matches ${matches.length} images`);
    }
    throw notFound(`No such image: ${ref}`);
  }

  /** The unpacked size of each of the group's layers, bottom first (0 for a layer not unpacked). */
  #layerSizes(group: ImageGroup): Promise<number[]> {
    return Promise.all(group.image.chainIds.map((c) => this.#layerSize(c)));
  }

  async #summary(group: ImageGroup, layerSizes?: number[]): Promise<ImageSummary> {
    const { image, records } = group;
    const sizes = layerSizes ?? await this.#layerSizes(group);
    const repoTags = records.filter((r) => isTagName(r.name)).map((r) => displayName(r.name)).sort();
    const repoDigests = records
      .filter((r) => !isTagName(r.name) && !isPlaceholder(r.name))
      .map((r) => displayName(r.name))
      .sort();
    return {
      id: image.configDigest,
      parentId: '',
      repoTags,
      repoDigests,
      created: image.config.created ? Math.floor(Date.parse(image.config.created) / 1000) || 0 : 0,
      size: sizes.reduce((a, b) => a + b, 0),
      labels: image.config.config?.Labels ?? {},
      containers: -1,
    };
  }

  async #layerSize(chainId: string): Promise<number> {
    try {
      const info = await this.#snapshots.stat(chainId);
      return Number(info.labels[SIZE_LABEL] ?? 0);
    } catch (err) {
      if (isJanusError(err, 'NotFound')) return 0;
      throw err;
    }
  }
}

/** A layer descriptor under its OCI media type (Docker's schema2 names the same bytes differently). */
function ociLayer(l: Descriptor): Descriptor {
  const mediaType = l.mediaType === MediaType.DockerLayerGzip ? MediaType.OciLayerGzip
    : l.mediaType === 'application/vnd.docker.image.rootfs.diff.tar' ? MediaType.OciLayer
      : l.mediaType;
  return { ...l, mediaType };
}

function expectManifest(bytes: Uint8Array, desc: Descriptor): ImageManifest {
  const parsed = parseManifestOrIndex(bytes, desc.mediaType);
  if (parsed.kind !== 'manifest') throw invalidArgument(`${desc.digest}: expected an image manifest, found an index`);
  return parsed.manifest;
}

/** Any unique prefix of an image ID names it, as in docker (`rmi a6`), once no name matched. */
function isIdPrefix(text: string): boolean {
  return /^(?:sha256:)?[a-f0-9]{1,64}$/.test(text);
}

/** A tag name (`…:tag`), as opposed to a digest reference or a dangling placeholder. */
function isTagName(name: string): boolean {
  return !name.startsWith(DANGLING_PREFIX) && !name.includes('@');
}

/** A name that is no reference: the dangling placeholder or a build cache name. */
function isPlaceholder(name: string): boolean {
  return name.startsWith(DANGLING_PREFIX) || name.startsWith(BUILD_CACHE_PREFIX);
}

function displayName(name: string): string {
  return familiarName(parseReference(name));
}

function repositoryOf(name: string): string {
  const r = parseReference(name);
  return `${r.registry}/${r.repository}`;
}

/** The digest reference `registry/repository@digest` of a tag or digest reference. */
function digestReference(r: ImageReference, digest: Digest): ImageReference {
  return { registry: r.registry, repository: r.repository, digest };
}

function formatRepository(r: ImageReference): string {
  return `${r.registry}/${r.repository}`;
}

