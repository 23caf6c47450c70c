import type { Readable } from 'node:stream';
import type { ContainerDefaults, Descriptor, HistoryEntry, Platform } from '../core/oci.ts';
import type { RegistryCredentials } from '../core/registry.ts';
import type { ProgressSink } from '../core/progress.ts';
import type { Digest } from '../core/digest.ts';

/** One image as `images` lists it: grouped by image ID (the config digest). */
export interface ImageSummary {
  id: Digest;
  parentId: string;
  /** Familiar-form tags: `busybox:latest`, `127.0.0.1:5000/x:1`. */
  repoTags: string[];
  /** Familiar-form digest references: `busybox@sha256:…`. */
  repoDigests: string[];
  /** Seconds since the epoch (from the config's `created`; 0 when absent). */
  created: number;
  /** Uncompressed size of all layers in bytes. */
  size: number;
  labels: Record<string, string>;
  /** Containers using the image (-1 when not computed). */
  containers: number;
  /**
   * Bytes of its layers that other local images also have (docker's
   * SharedSize); absent when not computed (`list` without `sharedSize`).
   */
  sharedSize?: number;
}

/** Everything `image inspect` shows. */
export interface ImageDetail extends ImageSummary {
  /** The platform manifest's descriptor. */
  manifest: Descriptor;
  architecture: string;
  variant?: string;
  os: string;
  author: string;
  comment: string;
  createdIso: string;
  config: ContainerDefaults;
  /** DiffIDs of the layers, bottom first. */
  layers: Digest[];
  /** Snapshot chain IDs, bottom first (the overlay dirs holding each layer). */
  chainIds: Digest[];
  /** Where the unpacked layers live on the host, bottom first. */
  layerDirs: string[];
  history: HistoryEntry[];
}

/** One row of `history`. */
export interface HistoryItem {
  /** Image ID for the top row, `<missing>` for the others (docker's convention). */
  id: string;
  created: number;
  createdBy: string;
  tags: string[];
  size: number;
  comment: string;
}

/** What `rmi` did, in docker's order. */
export type RemovedItem = { untagged: string } | { deleted: Digest };

/** Filters accepted by `images` and `image prune` (Docker's filter names). */
export interface ImageFilters {
  dangling?: boolean;
  /** `key` or `key=value`, all must match. */
  label?: string[];
  /** Glob patterns on the familiar name (`busy*`, `busybox:*`). */
  reference?: string[];
  before?: string;
  since?: string;
  /** For prune: only images created before this many seconds since the epoch. */
  until?: number;
}

/** Common options of remote operations. */
export interface RemoteOptions {
  credentials?: RegistryCredentials;
  progress?: ProgressSink;
  signal?: AbortSignal;
}

/**
 * The image use cases. Implemented by `ImageEngine` (engine/image-engine.ts);
 * the Docker API and nothing else calls it. All names are accepted in any
 * form docker accepts (familiar, fully qualified, short or full ID, digest ref).
 */
export interface ImageService {
  /** Pulls `ref` (tag or digest) for `platform` (default: the host's), unpacking every layer. */
  pull(ref: string, options?: RemoteOptions & { platform?: Platform }): Promise<{ name: string; digest: Digest; id: Digest }>;
  /** Pushes a local image to its registry. */
  push(ref: string, options?: RemoteOptions): Promise<{ name: string; digest: Digest; size: number }>;
  /** Adds `target` as a name of the image `source`. */
  tag(source: string, target: string): Promise<void>;
  /** Untags (and deletes when no name is left) like `docker rmi`. Conflict when a name is shared and `force` is not set. */
  remove(ref: string, options?: { force?: boolean; noPrune?: boolean }): Promise<RemovedItem[]>;
  /**
   * The local images, newest first. With `sharedSize` each summary carries
   * `sharedSize`, counted against every local image (not only those the
   * filters keep).
   */
  list(options?: { all?: boolean; filters?: ImageFilters; sharedSize?: boolean }): Promise<ImageSummary[]>;
  inspect(ref: string): Promise<ImageDetail>;
  history(ref: string): Promise<HistoryItem[]>;
  /** Removes dangling images (all unused with `all`) and unreferenced blobs and snapshots. */
  prune(options?: { all?: boolean; filters?: ImageFilters }): Promise<{ deleted: RemovedItem[]; spaceReclaimed: number }>;
  /** A docker-archive tar (readable by `docker load`) of the named images; `format: 'oci'` gives an OCI layout tar. */
  save(refs: string[], options?: { format?: 'docker' | 'oci'; signal?: AbortSignal }): Promise<Readable>;
  /** Loads a docker-archive or OCI layout tar; returns the names (or IDs) loaded. */
  load(archive: Readable, options?: { progress?: ProgressSink; signal?: AbortSignal }): Promise<string[]>;
  /** Makes a one-layer image from a rootfs tarball, with Dockerfile-style `changes`. */
  import(archive: Readable, options?: { reference?: string; changes?: string[]; message?: string; platform?: Platform; signal?: AbortSignal }): Promise<{ id: Digest }>;
  /**
   * `docker commit`'s image half: a new image made of image `parent` (any
   * name or ID form) with `layer` — an uncompressed OCI layer tar — on top,
   * stored gzip-compressed, and `config` as its defaults. The config keeps
   * the parent's platform, lists the parent's diff IDs and history plus the
   * new layer's (a history entry with `history`'s created_by, comment and
   * author, created now), and `author` as its author. A layer without
   * entries is not added, as in docker: only its history entry, marked
   * `empty_layer`. The layer is also
   * unpacked as a snapshot on the parent's, so the image runs at once; the
   * image survives a daemon restart and can be saved and pushed. Named
   * `reference` when given (InvalidArgument for a digest reference, checked
   * before the layer is read), else kept as a dangling image. NotFound when
   * `parent` is unknown.
   */
  commitLayer(
    parent: string,
    layer: Readable,
    options: { config: ContainerDefaults; history?: Pick<HistoryEntry, 'created_by' | 'comment' | 'author'>; author?: string; reference?: string; signal?: AbortSignal },
  ): Promise<{ id: Digest }>;
  /**
   * The builder's step: a new image made of image `parent` (any name or ID
   * form; undefined: nothing, for `FROM scratch`, on the host's platform)
   * with `layer` — an uncompressed OCI layer tar — on top when given (a
   * layer without entries is not added, as in commitLayer), `config` as its
   * defaults, and one history entry (`created_by`, created now; marked
   * `empty_layer` when no layer was added). The image is named in the build
   * cache by `cacheKey` (replacing what that key named before), so
   * `buildCacheLookup(cacheKey)` finds it until `pruneBuildCache`; it is
   * unpacked at once and is not listed by `list` unless `all` (docker's
   * intermediate images). No event is published. NotFound when `parent` is
   * unknown.
   */
  buildStep(
    parent: string | undefined,
    options: { layer?: Readable; config: ContainerDefaults; createdBy: string; cacheKey: Digest; signal?: AbortSignal },
  ): Promise<{ id: Digest }>;
  /** The image ID the build cache holds for `cacheKey`, or undefined. */
  buildCacheLookup(cacheKey: Digest): Promise<Digest | undefined>;
  /**
   * Empties the build cache (docker's `builder prune`): every cache name
   * goes, and with it each image that has no other name, their layers
   * unless other images share them. Returns the removed cache entries and
   * the bytes freed.
   */
  pruneBuildCache(options?: { signal?: AbortSignal }): Promise<{ deleted: string[]; spaceReclaimed: number }>;
  /** The build cache's entries (for `system df`): each cached image, its own layer's size, and when it was made. */
  buildCacheUsage(): Promise<Array<{ id: string; size: number; created: number; shared: boolean }>>;
  /** Builds `busybox:latest` or `debian:bookworm` from host tools. */
  bootstrap(name: string, options?: { progress?: ProgressSink; signal?: AbortSignal }): Promise<{ name: string; id: Digest }>;
  /** Bytes of all unpacked layers, each shared layer counted once (docker's LayersSize). */
  layersSize(): Promise<number>;
}
