import { isDigest, type Digest } from '../core/digest.ts';
import { invalidArgument, notImplemented, type JanusError } from '../core/errors.ts';
import {
  MediaType, isIndexMediaType, isManifestMediaType,
  type ContainerDefaults, type Descriptor, type HealthConfig, type HistoryEntry, type ImageConfig, type ImageIndex, type ImageManifest, type Platform,
} from '../core/oci.ts';

/** A parsed manifest or index, tagged by what it is. */
export type ParsedManifest =
  | { kind: 'manifest'; manifest: ImageManifest }
  | { kind: 'index'; index: ImageIndex };

/** Options of the parsers: `context` names the object in error messages (e.g. `127.0.0.1:5000/x:1`). */
export interface ParseOptions {
  context?: string;
}

/** Docker's deprecated schema1 types, refused with NotImplemented. */
const SCHEMA1_TYPES = new Set([
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
]);

/** containerd's name for an uncompressed Docker layer; some tools emit it. */
const DOCKER_LAYER_UNCOMPRESSED = 'application/vnd.docker.image.rootfs.diff.tar';
const IMAGE_CONFIG_TYPES = new Set<string>([MediaType.OciConfig, MediaType.DockerConfig]);
const GENERIC_CONTENT_TYPES = new Set(['', 'application/json', 'application/octet-stream', 'text/plain']);

type Json = Record<string, unknown>;

class Checker {
  readonly what: string;
  constructor(what: string) {
    this.what = what;
  }

  fail(path: string, why: string): JanusError {
    return invalidArgument(`invalid ${this.what}: ${path ? `${path}: ` : ''}${why}`);
  }

  object(v: unknown, path: string): Json {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw this.fail(path, `want an object, got ${kindOf(v)}`);
    return v as Json;
  }

  string(v: unknown, path: string): string {
    if (typeof v !== 'string') throw this.fail(path, `want a string, got ${kindOf(v)}`);
    return v;
  }

  optString(v: unknown, path: string): string | undefined {
    return v === undefined ? undefined : this.string(v, path);
  }

  nonEmptyString(v: unknown, path: string): string {
    const s = this.string(v, path);
    if (s === '') throw this.fail(path, 'must not be empty');
    return s;
  }

  array(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) throw this.fail(path, `want an array, got ${kindOf(v)}`);
    return v;
  }

  strings(v: unknown, path: string): string[] {
    return this.array(v, path).map((s, i) => this.string(s, `${path}[${i}]`));
  }

  stringMap(v: unknown, path: string): Record<string, string> {
    const o = this.object(v, path);
    for (const [k, s] of Object.entries(o)) this.string(s, `${path}.${k}`);
    return o as Record<string, string>;
  }

  digest(v: unknown, path: string): Digest {
    const s = this.string(v, path);
    if (!isDigest(s)) throw this.fail(path, `invalid digest ${JSON.stringify(s)}: want sha256:<64 hex> or sha512:<128 hex>`);
    return s;
  }

  size(v: unknown, path: string): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw this.fail(path, `want a non-negative integer, got ${JSON.stringify(v)}`);
    return v;
  }

  integer(v: unknown, path: string): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw this.fail(path, `want an integer, got ${JSON.stringify(v)}`);
    return v;
  }

  boolean(v: unknown, path: string): boolean {
    if (typeof v !== 'boolean') throw this.fail(path, `want a boolean, got ${kindOf(v)}`);
    return v;
  }

  platform(v: unknown, path: string): Platform {
    const o = this.object(v, path);
    const p: Platform = {
      architecture: this.nonEmptyString(o.architecture, `${path}.architecture`),
      os: this.nonEmptyString(o.os, `${path}.os`),
    };
    if (o.variant !== undefined && o.variant !== '') p.variant = this.string(o.variant, `${path}.variant`);
    if (o['os.version'] !== undefined) p['os.version'] = this.string(o['os.version'], `${path}.os.version`);
    if (o['os.features'] != null) p['os.features'] = this.strings(o['os.features'], `${path}.os.features`);
    return p;
  }

  descriptor(v: unknown, path: string): Descriptor {
    const o = this.object(v, path);
    const d: Descriptor = {
      mediaType: this.nonEmptyString(o.mediaType, `${path}.mediaType`),
      digest: this.digest(o.digest, `${path}.digest`),
      size: this.size(o.size, `${path}.size`),
    };
    if (o.urls != null) d.urls = this.strings(o.urls, `${path}.urls`);
    if (o.annotations != null) d.annotations = this.stringMap(o.annotations, `${path}.annotations`);
    if (o.platform != null) d.platform = this.platform(o.platform, `${path}.platform`);
    if (o.artifactType !== undefined) d.artifactType = this.string(o.artifactType, `${path}.artifactType`);
    return d;
  }
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v === undefined) return 'nothing';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function parseJson(bytes: Uint8Array, c: Checker): unknown {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw c.fail('', `malformed JSON (${(err as Error).message})`);
  }
}

/** `application/json; charset=utf-8` → `application/json`. */
function bareContentType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * Parses a manifest or index fetched from a registry or read from the store.
 * The kind comes from the body's `mediaType`, else from `contentType` (HTTP
 * Content-Type), else from the shape (OCI allows omitting `mediaType`).
 * Manifests must point at an image config (not an OCI artifact). Pure.
 * Throws NotImplemented for Docker schema1, InvalidArgument naming the field
 * for anything malformed; `options.context` names the object in messages.
 */
export function parseManifestOrIndex(bytes: Uint8Array, contentType?: string, options: ParseOptions = {}): ParsedManifest {
  const about = options.context ? ` ${options.context}` : '';
  const c = new Checker(`manifest${about}`);
  const o = c.object(parseJson(bytes, c), '');
  const header = bareContentType(contentType);
  if (o.schemaVersion === 1 || SCHEMA1_TYPES.has(header) || (typeof o.mediaType === 'string' && SCHEMA1_TYPES.has(o.mediaType))) {
    throw notImplemented(`schema1 manifests are deprecated and not supported: ${options.context ?? 'manifest'}`);
  }
  if (o.schemaVersion !== 2) throw c.fail('schemaVersion', `want 2, got ${JSON.stringify(o.schemaVersion)}`);

  let mediaType: string;
  if (o.mediaType !== undefined) {
    mediaType = c.nonEmptyString(o.mediaType, 'mediaType');
  } else if (isIndexMediaType(header) || isManifestMediaType(header)) {
    mediaType = header;
  } else if (GENERIC_CONTENT_TYPES.has(header)) {
    if (Array.isArray(o.manifests)) mediaType = MediaType.OciIndex;
    else if (o.config !== undefined) mediaType = MediaType.OciManifest;
    else throw c.fail('', 'neither an image manifest (no "config") nor an index (no "manifests")');
  } else {
    throw c.fail('mediaType', `unsupported media type ${JSON.stringify(header)}`);
  }

  if (isIndexMediaType(mediaType)) {
    if (o.config !== undefined || o.layers !== undefined) throw c.fail('', `an index (${mediaType}) must not have "config" or "layers"`);
    const index: ImageIndex = {
      schemaVersion: 2,
      mediaType,
      manifests: c.array(o.manifests, 'manifests').map((d, i) => c.descriptor(d, `manifests[${i}]`)),
    };
    if (o.annotations != null) index.annotations = c.stringMap(o.annotations, 'annotations');
    return { kind: 'index', index };
  }
  if (isManifestMediaType(mediaType)) {
    if (o.manifests !== undefined) throw c.fail('', `an image manifest (${mediaType}) must not have "manifests"`);
    const config = c.descriptor(o.config, 'config');
    if (!IMAGE_CONFIG_TYPES.has(config.mediaType)) {
      throw c.fail('config.mediaType', `${JSON.stringify(config.mediaType)} is not a container image config (an OCI artifact?)`);
    }
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType,
      config,
      layers: c.array(o.layers, 'layers').map((d, i) => c.descriptor(d, `layers[${i}]`)),
    };
    if (o.annotations != null) manifest.annotations = c.stringMap(o.annotations, 'annotations');
    return { kind: 'manifest', manifest };
  }
  throw c.fail('mediaType', `unsupported media type ${JSON.stringify(mediaType)}`);
}

function parseHealthcheck(c: Checker, v: unknown, path: string): HealthConfig {
  const o = c.object(v, path);
  if (o.Test != null) c.strings(o.Test, `${path}.Test`);
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries']) {
    if (o[k] != null) c.integer(o[k], `${path}.${k}`);
    else delete o[k];
  }
  if (o.Test === null) delete o.Test;
  return o as HealthConfig;
}

function parseContainerDefaults(c: Checker, v: unknown, path: string): ContainerDefaults {
  const o = c.object(v, path);
  // Docker writes null for unset maps and lists; the domain type says absent.
  const optional = (key: string, check: (x: unknown, p: string) => unknown): void => {
    if (o[key] === null) delete o[key];
    else if (o[key] !== undefined) check(o[key], `${path}.${key}`);
  };
  const nullable = (key: string): void => {
    if (o[key] != null) c.strings(o[key], `${path}.${key}`);
  };
  optional('User', (x, p) => c.string(x, p));
  optional('ExposedPorts', (x, p) => c.object(x, p));
  optional('Env', (x, p) => c.strings(x, p));
  nullable('Entrypoint');
  nullable('Cmd');
  optional('Volumes', (x, p) => c.object(x, p));
  optional('WorkingDir', (x, p) => c.string(x, p));
  optional('Labels', (x, p) => c.stringMap(x, p));
  optional('StopSignal', (x, p) => c.string(x, p));
  optional('Healthcheck', (x, p) => parseHealthcheck(c, x, p));
  optional('Shell', (x, p) => c.strings(x, p));
  nullable('OnBuild');
  optional('ArgsEscaped', (x, p) => c.boolean(x, p));
  return o as ContainerDefaults;
}

function parseHistoryEntry(c: Checker, v: unknown, path: string): HistoryEntry {
  const o = c.object(v, path);
  for (const k of ['created', 'created_by', 'author', 'comment']) {
    if (o[k] != null) c.string(o[k], `${path}.${k}`);
  }
  if (o.empty_layer != null) c.boolean(o.empty_layer, `${path}.empty_layer`);
  return o as HistoryEntry;
}

/**
 * Parses an image config blob (OCI or Docker). Validates the fields the
 * engine relies on — `architecture` and `os` strings, `rootfs.diff_ids`
 * digests, the types of `config` and `history` entries — and keeps every
 * other field, so nothing is lost when the config is shown or re-written.
 * Docker's `null` for an unset map or list becomes absent. Pure.
 * InvalidArgument naming the field otherwise.
 */
export function parseImageConfig(bytes: Uint8Array, options: ParseOptions = {}): ImageConfig {
  const c = new Checker(`image config${options.context ? ` ${options.context}` : ''}`);
  const o = c.object(parseJson(bytes, c), '');
  c.nonEmptyString(o.architecture, 'architecture');
  c.nonEmptyString(o.os, 'os');
  for (const k of ['created', 'author', 'variant', 'os.version']) {
    if (o[k] === null) delete o[k];
    else if (o[k] !== undefined) c.string(o[k], k);
  }
  if (o.variant === '') delete o.variant;
  const rootfs = c.object(o.rootfs, 'rootfs');
  if (rootfs.type !== 'layers') throw c.fail('rootfs.type', `want "layers", got ${JSON.stringify(rootfs.type)}`);
  // An image made from scratch with no layers has diff_ids null or absent in some tools.
  if (rootfs.diff_ids == null) rootfs.diff_ids = [];
  c.array(rootfs.diff_ids, 'rootfs.diff_ids').forEach((d, i) => c.digest(d, `rootfs.diff_ids[${i}]`));
  if (o.config === null) delete o.config;
  else if (o.config !== undefined) parseContainerDefaults(c, o.config, 'config');
  if (o.history === null) delete o.history;
  else if (o.history !== undefined) c.array(o.history, 'history').forEach((h, i) => parseHistoryEntry(c, h, `history[${i}]`));
  return o as ImageConfig;
}

/**
 * How a layer of `mediaType` is compressed. Pure. InvalidArgument for
 * foreign / non-distributable layers (which registries do not serve) and for
 * anything that is not a layer type Janus can unpack.
 */
export function layerCompression(mediaType: string): 'gzip' | 'zstd' | 'none' {
  switch (mediaType) {
    case MediaType.OciLayerGzip:
    case MediaType.DockerLayerGzip:
      return 'gzip';
    case MediaType.OciLayerZstd:
      return 'zstd';
    case MediaType.OciLayer:
    case DOCKER_LAYER_UNCOMPRESSED:
      return 'none';
    case MediaType.DockerLayerForeignGzip:
    case MediaType.OciLayerNonDistributableGzip:
    case 'application/vnd.oci.image.layer.nondistributable.v1.tar':
    case 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd':
      throw invalidArgument(`foreign (non-distributable) layers are not supported: ${mediaType}`);
    default:
      throw invalidArgument(`unsupported layer media type ${JSON.stringify(mediaType)}`);
  }
}
