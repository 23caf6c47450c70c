import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isDigest } from '../core/digest.ts';
import { asJanusError, dataLoss, invalidArgument, notFound } from '../core/errors.ts';
import type { ImageRecord, ImageStore } from '../core/image-store.ts';
import type { Descriptor, Platform } from '../core/oci.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';

/** Options of a FileImageStore. */
export interface FileImageStoreOptions {
  /** The JSON file holding every name, e.g. `<root>/images.json`; created on first write. */
  path: string;
}

const FILE_VERSION = 1;

/**
 * An ImageStore kept in one JSON file. Mutations are serialized within the
 * process and each is written with an atomic replace + fsync before it
 * resolves. A file that does not parse or validate is never overwritten:
 * every call fails with DataLoss saying how to recover, until the user moves
 * it aside.
 */
export class FileImageStore implements ImageStore {
  readonly #path: string;
  #cache: Map<string, ImageRecord> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: FileImageStoreOptions) {
    this.#path = options.path;
  }

  async get(name: string): Promise<ImageRecord> {
    const records = await this.#load();
    const r = records.get(name);
    if (!r) throw notFound(`No such image: ${name}`);
    return copy(r);
  }

  async list(): Promise<ImageRecord[]> {
    const records = await this.#load();
    return [...records.values()].map(copy);
  }

  async set(name: string, target: Descriptor): Promise<ImageRecord> {
    if (typeof name !== 'string' || name === '' || /[\s\0]/.test(name)) throw invalidArgument(`invalid image name ${JSON.stringify(name)}`);
    const problem = descriptorProblem(target);
    if (problem) throw invalidArgument(`image ${name}: invalid target descriptor: ${problem}`);
    return this.#mutate((records) => {
      const now = new Date();
      const old = records.get(name);
      const same = old && old.target.digest === target.digest && old.target.mediaType === target.mediaType;
      const record: ImageRecord = {
        name,
        target: structuredClone(target),
        createdAt: old?.createdAt ?? now,
        updatedAt: same ? old.updatedAt : now,
      };
      records.set(name, record);
      return copy(record);
    });
  }

  delete(name: string): Promise<void> {
    return this.#mutate((records) => {
      if (!records.delete(name)) throw notFound(`No such image: ${name}`);
    });
  }

  /** Runs `change` on a copy of the records and persists the result before the next mutation starts. */
  #mutate<T>(change: (records: Map<string, ImageRecord>) => T): Promise<T> {
    const run = this.#queue.then(async () => {
      const current = await this.#load();
      const next = new Map(current);
      const result = change(next);
      const body = {
        version: FILE_VERSION,
        images: [...next.values()].map((r) => ({
          name: r.name,
          target: r.target,
          createdAt: r.createdAt.toISOString(),
          updatedAt: r.updatedAt.toISOString(),
        })),
      };
      try {
        await mkdir(dirname(this.#path), { recursive: true });
        await writeFileAtomic(this.#path, `${JSON.stringify(body, null, 2)}\n`);
      } catch (err) {
        throw asJanusError(err, `image store ${this.#path}`);
      }
      this.#cache = next;
      return result;
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  async #load(): Promise<Map<string, ImageRecord>> {
    if (this.#cache) return this.#cache;
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.#cache = new Map();
        return this.#cache;
      }
      throw asJanusError(err, `image store ${this.#path}`);
    }
    // A failure is not cached: once the user moved the file aside, the next call recovers.
    this.#cache = parseStoreFile(text, this.#path);
    return this.#cache;
  }
}

function copy(r: ImageRecord): ImageRecord {
  return { name: r.name, target: structuredClone(r.target), createdAt: new Date(r.createdAt), updatedAt: new Date(r.updatedAt) };
}

function corrupt(path: string, why: string): Error {
  return dataLoss(
    `image store ${path} is corrupted (${why}); it was left untouched. To recover, stop the daemon, move it aside ` +
      `(mv ${path} ${path}.corrupt) and start again: image names are lost but blobs and layers are kept, ` +
      'so pull, load or tag the images again.',
  );
}

/** Parses and validates the store file; DataLoss naming the file and the problem otherwise. */
function parseStoreFile(text: string, path: string): Map<string, ImageRecord> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw corrupt(path, `not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw corrupt(path, 'not a JSON object');
  const extra = Object.keys(doc).filter((k) => k !== 'version' && k !== 'images');
  if (extra.length) throw corrupt(path, `unknown field ${JSON.stringify(extra[0])}`);
  if (doc.version !== FILE_VERSION) throw corrupt(path, `unsupported version ${JSON.stringify(doc.version)}, want ${FILE_VERSION}`);
  if (!Array.isArray(doc.images)) throw corrupt(path, '"images" is not an array');
  const out = new Map<string, ImageRecord>();
  doc.images.forEach((raw: unknown, i: number) => {
    const where = `images[${i}]`;
    if (!isObject(raw)) throw corrupt(path, `${where} is not an object`);
    const unknown = Object.keys(raw).filter((k) => !['name', 'target', 'createdAt', 'updatedAt'].includes(k));
    if (unknown.length) throw corrupt(path, `${where} has unknown field ${JSON.stringify(unknown[0])}`);
    if (typeof raw.name !== 'string' || raw.name === '') throw corrupt(path, `${where}.name is not a non-empty string`);
    if (out.has(raw.name)) throw corrupt(path, `${where}: name ${raw.name} appears twice`);
    const problem = descriptorProblem(raw.target);
    if (problem) throw corrupt(path, `${where} (${raw.name}): target ${problem}`);
    const createdAt = parseDate(raw.createdAt);
    const updatedAt = parseDate(raw.updatedAt);
    if (!createdAt) throw corrupt(path, `${where} (${raw.name}): createdAt is not an ISO date`);
    if (!updatedAt) throw corrupt(path, `${where} (${raw.name}): updatedAt is not an ISO date`);
    out.set(raw.name, { name: raw.name, target: raw.target as Descriptor, createdAt, updatedAt });
  });
  return out;
}

function parseDate(v: unknown): Date | undefined {
  if (typeof v !== 'string' || !/^\d{4}-\d\d-\d\dT/.test(v)) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const DESCRIPTOR_FIELDS = new Set(['mediaType', 'digest', 'size', 'urls', 'annotations', 'platform', 'artifactType']);

/** Why `d` is not a valid Descriptor, or undefined when it is. */
function descriptorProblem(d: unknown): string | undefined {
  if (!isObject(d)) return 'is not an object';
  for (const k of Object.keys(d)) if (!DESCRIPTOR_FIELDS.has(k)) return `has unknown field ${JSON.stringify(k)}`;
  if (typeof d.mediaType !== 'string' || d.mediaType === '') return 'mediaType is not a non-empty string';
  if (typeof d.digest !== 'string' || !isDigest(d.digest)) return `digest ${JSON.stringify(d.digest)} is not a valid digest`;
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) return `size ${JSON.stringify(d.size)} is not a non-negative integer`;
  if (d.urls !== undefined && !(Array.isArray(d.urls) && d.urls.every((u) => typeof u === 'string'))) return 'urls is not a list of strings';
  if (d.annotations !== undefined && !isStringMap(d.annotations)) return 'annotations is not a map of strings';
  if (d.artifactType !== undefined && typeof d.artifactType !== 'string') return 'artifactType is not a string';
  if (d.platform !== undefined && !isPlatform(d.platform)) return 'platform is malformed';
  return undefined;
}

function isStringMap(v: unknown): boolean {
  return isObject(v) && Object.values(v).every((x) => typeof x === 'string');
}

function isPlatform(v: unknown): v is Platform {
  if (!isObject(v)) return false;
  if (typeof v.architecture !== 'string' || typeof v.os !== 'string') return false;
  if (v.variant !== undefined && typeof v.variant !== 'string') return false;
  if (v['os.version'] !== undefined && typeof v['os.version'] !== 'string') return false;
  const f = v['os.features'];
  if (f !== undefined && !(Array.isArray(f) && f.every((x) => typeof x === 'string'))) return false;
  return true;
}
