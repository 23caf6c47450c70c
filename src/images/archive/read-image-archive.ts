import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { ContentStore } from '../../core/content-store.ts';
import { isDigest, type Digest } from '../../core/digest.ts';
import { asJanusError, dataLoss, invalidArgument, isJanusError } from '../../core/errors.ts';
import { MediaType, type Descriptor, type ImageManifest, type Platform } from '../../core/oci.ts';
import { parseImageConfig, parseManifestOrIndex } from '../../registry/manifest.ts';
import { hostPlatform, selectManifest } from '../../registry/platform.ts';
import { formatReference, parseReference } from '../../registry/reference.ts';
import { normalizeEntryName } from './entry-name.ts';
import { detectCompression, openDecompressed } from './sniff-compression.ts';
import { spoolBlob } from './spool-blob.ts';
import { IMAGE_NAME_ANNOTATION, REF_NAME_ANNOTATION } from './write-image-archive.ts';

/** One image found in an archive: its platform manifest (in the store) and its names. */
export interface LoadedImage {
  manifest: Descriptor;
  /** Fully qualified references (`docker.io/library/busybox:latest`); empty for an unnamed image. */
  names: string[];
}

/** Options of `readImageArchive`. */
export interface ReadArchiveOptions {
  signal?: AbortSignal;
  /** The platform picked from nested indexes; the host's by default. */
  platform?: Platform;
}

/** Top-level documents read into memory rather than the store. */
const METADATA = new Set(['manifest.json', 'index.json', 'oci-layout', 'repositories']);
const METADATA_LIMIT = 16 * 1024 * 1024;
/** Legacy per-layer v1 files nothing reads any more. */
const LEGACY_IGNORED = /^[^/]+\/(json|VERSION)$/;
const BLOB_PATH = /^blobs\/([a-z0-9]+)\/([a-f0-9]+)$/;
const CONTEXT = 'image archive';

/** What the archive held, by entry name. */
interface Spooled {
  files: Map<string, { digest: Digest; size: number }>;
  metadata: Map<string, Buffer>;
  /** Symlinks and hard links: name → the archive entry they point at. */
  links: Map<string, string>;
}

/**
 * Reads an image archive — what `docker save` writes (both the legacy
 * `<id>/layer.tar` layout and the OCI-layout-plus-`manifest.json` one of
 * docker 25+) or a plain OCI image layout — optionally gzip or zstd
 * compressed, and puts every blob into `store`. Entries are spooled as they
 * come (tar order is arbitrary): `blobs/<alg>/<hex>` files are verified
 * against their name (DataLoss naming the entry), other files are stored
 * under their own digest. Only verified blobs are ever committed, so a crash
 * or an error mid-load leaves nothing half-written. Entries with absolute
 * names or `..`, links that point outside the archive, and special files are
 * refused with InvalidArgument naming the entry; malformed JSON documents
 * with InvalidArgument naming the document. Legacy archives get an OCI
 * manifest synthesized and stored. Returns the images in archive order.
 */
export async function readImageArchive(archive: Readable, store: ContentStore, options: ReadArchiveOptions = {}): Promise<LoadedImage[]> {
  const spooled = await spool(archive, store, options.signal);
  const archiveView = new ArchiveView(spooled, store);
  const manifestJson = spooled.metadata.get('manifest.json');
  const indexJson = spooled.metadata.get('index.json');
  const platform = options.platform ?? hostPlatform();
  if (manifestJson) {
    // index.json only lends original manifests and names here; docker's manifest.json is authoritative.
    const fromIndex = indexJson ? await imagesFromIndex(indexJson, store, platform).catch(() => []) : [];
    return imagesFromDockerManifest(manifestJson, archiveView, fromIndex);
  }
  const fromIndex = indexJson ? await imagesFromIndex(indexJson, store, platform) : [];
  if (indexJson) {
    for (const image of fromIndex) await requireBlobs(image.manifestDoc, image.manifest.digest, store);
    return fromIndex.map(({ manifest, names }) => ({ manifest, names }));
  }
  throw invalidArgument(`${CONTEXT} has neither manifest.json nor index.json: not a docker or OCI image archive (archives of docker before 1.10 are not supported)`);
}

async function spool(archive: Readable, store: ContentStore, signal: AbortSignal | undefined): Promise<Spooled> {
  const out: Spooled = { files: new Map(), metadata: new Map(), links: new Map() };
  const { stream } = await openDecompressed(archive, CONTEXT);
  const extract = tar.extract();
  const feeding = pipeline(stream, extract, { signal });
  feeding.catch(() => {}); // reported through the iteration below
  try {
    for await (const entry of extract) {
      signal?.throwIfAborted();
      const header = entry.header;
      const name = normalizeEntryName(header.name, CONTEXT);
      switch (header.type) {
        case 'directory':
          entry.resume();
          break;
        case 'symlink': {
          const target = header.linkname ?? '';
          const resolved = posix.normalize(posix.join(posix.dirname(name), target));
          if (target.startsWith('/') || resolved === '..' || resolved.startsWith('../')) {
            throw invalidArgument(`${CONTEXT}: symlink ${JSON.stringify(header.name)} points outside the archive (${JSON.stringify(target)})`);
          }
          out.links.set(name, resolved);
          entry.resume();
          break;
        }
        case 'link':
          out.links.set(name, normalizeEntryName(header.linkname ?? '', `${CONTEXT}: hard link ${JSON.stringify(header.name)}`));
          entry.resume();
          break;
        case 'file':
        case 'contiguous-file':
          await spoolFile(name, header.name, entry, store, out, signal);
          break;
        default:
          throw invalidArgument(`${CONTEXT}: entry ${JSON.stringify(header.name)} is a ${header.type ?? 'special file'}, which an image archive never holds`);
      }
    }
    await feeding;
  } catch (err) {
    extract.destroy();
    stream.destroy();
    if (isJanusError(err)) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e?.name === 'AbortError' || e?.code === 'ABORT_ERR') throw asJanusError(err, 'loading image archive');
    throw invalidArgument(`${CONTEXT} is not a readable tar: ${e?.message ?? String(err)}`, err);
  }
  return out;
}

async function spoolFile(name: string, raw: string, entry: tar.ExtractEvents['entry'][1], store: ContentStore, out: Spooled, signal?: AbortSignal): Promise<void> {
  if (METADATA.has(name)) {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of entry as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > METADATA_LIMIT) throw invalidArgument(`${CONTEXT}: ${name} is larger than ${METADATA_LIMIT} bytes`);
      chunks.push(chunk);
    }
    out.metadata.set(name, Buffer.concat(chunks));
    return;
  }
  if (LEGACY_IGNORED.test(name)) {
    entry.resume();
    return;
  }
  let expected: Digest | undefined;
  const blob = BLOB_PATH.exec(name);
  if (blob) {
    expected = `${blob[1]}:${blob[2]}`;
    if (!isDigest(expected)) throw invalidArgument(`${CONTEXT}: entry ${JSON.stringify(raw)} is under blobs/ but not named by a valid digest`);
  }
  out.files.set(name, await spoolBlob(entry as AsyncIterable<Buffer>, store, { expected, what: `${CONTEXT} entry ${JSON.stringify(raw)}`, signal }));
}

/** Looks up spooled files by archive path, following links. */
class ArchiveView {
  readonly #spooled: Spooled;
  readonly store: ContentStore;
  constructor(spooled: Spooled, store: ContentStore) {
    this.#spooled = spooled;
    this.store = store;
  }

  file(path: string, what: string): { digest: Digest; size: number } {
    let name = normalizeEntryName(path, `${CONTEXT}: ${what}`);
    for (let hops = 0; hops < 16; hops++) {
      const file = this.#spooled.files.get(name);
      if (file) return file;
      const next = this.#spooled.links.get(name);
      if (next === undefined) break;
      name = next;
    }
    throw invalidArgument(`${CONTEXT} is incomplete: ${what} names ${JSON.stringify(path)}, which the archive does not contain`);
  }
}

interface IndexedImage {
  manifest: Descriptor;
  manifestDoc: ImageManifest;
  names: string[];
}

/** The images index.json points at (nested indexes resolved to `platform`), names merged per manifest. */
async function imagesFromIndex(bytes: Buffer, store: ContentStore, platform: Platform): Promise<IndexedImage[]> {
  const parsed = parseManifestOrIndex(bytes, MediaType.OciIndex, { context: `${CONTEXT} index.json` });
  if (parsed.kind !== 'index') throw invalidArgument(`${CONTEXT}: index.json is not an image index`);
  const byDigest = new Map<Digest, IndexedImage>();
  for (const [i, top] of parsed.index.manifests.entries()) {
    const what = `index.json manifests[${i}]`;
    let desc = top;
    let doc: ImageManifest | undefined;
    for (let depth = 0; depth < 8 && doc === undefined; depth++) {
      const blob = await readBlob(store, desc.digest, what);
      const inner = parseManifestOrIndex(blob, desc.mediaType, { context: `${CONTEXT} ${what} (${desc.digest})` });
      if (inner.kind === 'manifest') {
        doc = inner.manifest;
        desc = { mediaType: inner.manifest.mediaType, digest: desc.digest, size: blob.length };
      } else {
        desc = selectManifest(inner.index, platform);
      }
    }
    if (doc === undefined) throw invalidArgument(`${CONTEXT}: ${what} nests indexes too deeply`);
    const names = namesFromAnnotations(top.annotations, what);
    const seen = byDigest.get(desc.digest);
    if (seen) seen.names = [...new Set([...seen.names, ...names])];
    else byDigest.set(desc.digest, { manifest: { mediaType: desc.mediaType, digest: desc.digest, size: desc.size }, manifestDoc: doc, names });
  }
  return [...byDigest.values()];
}

/**
 * docker and containerd put the full name in `io.containerd.image.name`;
 * other tools put a full reference in `org.opencontainers.image.ref.name`,
 * where docker puts only the tag — a bare tag names no repository, so it is
 * not taken as a name.
 */
function namesFromAnnotations(annotations: Record<string, string> | undefined, what: string): string[] {
  const full = annotations?.[IMAGE_NAME_ANNOTATION];
  if (full !== undefined) return [normalizeName(full, `${what} annotation ${IMAGE_NAME_ANNOTATION}`)];
  const ref = annotations?.[REF_NAME_ANNOTATION];
  if (ref !== undefined && /[/:@]/.test(ref)) return [normalizeName(ref, `${what} annotation ${REF_NAME_ANNOTATION}`)];
  return [];
}

function normalizeName(text: string, what: string): string {
  try {
    return formatReference(parseReference(text));
  } catch (err) {
    throw invalidArgument(`${CONTEXT}: ${what}: invalid image name ${JSON.stringify(text)}`, err);
  }
}

async function readBlob(store: ContentStore, digest: Digest, what: string): Promise<Buffer> {
  if (!(await store.has(digest))) throw invalidArgument(`${CONTEXT} is incomplete: ${what} refers to ${digest}, which the archive does not contain`);
  return store.readAll(digest);
}

async function requireBlobs(manifest: ImageManifest, manifestDigest: Digest, store: ContentStore): Promise<void> {
  for (const d of [manifest.config, ...manifest.layers]) {
    if (!(await store.has(d.digest))) {
      throw invalidArgument(`${CONTEXT} is incomplete: manifest ${manifestDigest} refers to ${d.digest}, which the archive does not contain`);
    }
  }
}

type Json = Record<string, unknown>;

/** The images of docker's manifest.json; each reuses a manifest of index.json when that one describes exactly its blobs. */
async function imagesFromDockerManifest(bytes: Buffer, view: ArchiveView, fromIndex: IndexedImage[]): Promise<LoadedImage[]> {
  const fail = (path: string, why: string) => invalidArgument(`${CONTEXT}: manifest.json${path}: ${why}`);
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw invalidArgument(`${CONTEXT}: manifest.json is not valid JSON: ${(err as Error).message}`, err);
  }
  if (!Array.isArray(doc)) throw fail('', 'want an array of images');
  const out: LoadedImage[] = [];
  for (const [i, item] of doc.entries()) {
    const at = `[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw fail(at, 'want an object');
    const o = item as Json;
    if (typeof o.Config !== 'string') throw fail(`${at}.Config`, 'want a string');
    if (!Array.isArray(o.Layers) || o.Layers.some((l) => typeof l !== 'string')) throw fail(`${at}.Layers`, 'want an array of strings');
    if (o.RepoTags != null && (!Array.isArray(o.RepoTags) || o.RepoTags.some((t) => typeof t !== 'string'))) {
      throw fail(`${at}.RepoTags`, 'want an array of strings');
    }
    if (o.LayerSources != null && Object.keys(o.LayerSources as object).length > 0) {
      throw invalidArgument(`${CONTEXT}: manifest.json${at} has foreign layers (LayerSources), which are not supported`);
    }
    const configFile = view.file(o.Config, `manifest.json${at}.Config`);
    const configBytes = await view.store.readAll(configFile.digest);
    const config = parseImageConfig(configBytes, { context: `${CONTEXT} ${o.Config}` });
    const layerPaths = o.Layers as string[];
    const diffIds = config.rootfs.diff_ids;
    if (layerPaths.length !== diffIds.length) {
      throw fail(`${at}.Layers`, `lists ${layerPaths.length} layers but config ${o.Config} has ${diffIds.length} diff IDs`);
    }
    const layerFiles = layerPaths.map((p, j) => view.file(p, `manifest.json${at}.Layers[${j}]`));
    const names = ((o.RepoTags as string[] | null) ?? []).map((t, j) => normalizeName(t, `manifest.json${at}.RepoTags[${j}]`));

    const original = fromIndex.find((img) =>
      img.manifestDoc.config.digest === configFile.digest &&
      img.manifestDoc.layers.length === layerFiles.length &&
      img.manifestDoc.layers.every((l, j) => l.digest === layerFiles[j].digest));
    if (original) {
      out.push({ manifest: original.manifest, names: [...new Set([...names, ...original.names])] });
      continue;
    }
    const layers: Descriptor[] = [];
    for (const [j, file] of layerFiles.entries()) {
      const head = await readHead(view.store, file.digest);
      const compression = detectCompression(head);
      if (compression === 'none') {
        if (file.digest !== diffIds[j]) {
          throw dataLoss(`${CONTEXT}: layer ${JSON.stringify(layerPaths[j])} hashes to ${file.digest}, but config ${o.Config} says ${diffIds[j]}`);
        }
        layers.push({ mediaType: MediaType.OciLayer, digest: file.digest, size: file.size });
      } else if (compression === 'gzip' || compression === 'zstd') {
        layers.push({ mediaType: compression === 'gzip' ? MediaType.OciLayerGzip : MediaType.OciLayerZstd, digest: file.digest, size: file.size });
      } else {
        throw invalidArgument(`${CONTEXT}: layer ${JSON.stringify(layerPaths[j])} is ${compression}-compressed, which is not supported`);
      }
    }
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: configFile.digest, size: configBytes.length },
      layers,
    };
    const body = Buffer.from(JSON.stringify(manifest));
    const info = await view.store.put(body);
    out.push({ manifest: { mediaType: MediaType.OciManifest, digest: info.digest, size: body.length }, names });
  }
  return out;
}

async function readHead(store: ContentStore, digest: Digest): Promise<Buffer> {
  const stream = await store.read(digest);
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      if (length >= 6) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks);
}
