import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ContentInfo, ContentStore, ContentWriter } from '../../core/content-store.ts';
import { digestAlgorithm, digestHex, isDigest, parseDigest, type Digest } from '../../core/digest.ts';
import { asJanusError, dataLoss, notFound } from '../../core/errors.ts';
import { fsyncDir } from '../../util/atomic-file.ts';

/** Options of a LocalContentStore. */
export interface LocalContentStoreOptions {
  /** Directory owning `blobs/` and `ingest/`; created when missing. */
  root: string;
}

const ALGORITHMS = ['sha256', 'sha512'] as const;

/**
 * A ContentStore on the local file system, laid out like an OCI image layout:
 * committed blobs at `blobs/<alg>/<hex>`, in-flight writes at
 * `ingest/<sha256 of ref>/{data,ref}`. Blobs only ever appear under `blobs/`
 * by a rename of fully written, verified and fsynced data, so a crash leaves
 * either nothing or a whole verified blob there. Safe for concurrent use
 * within one process; the daemon's root lock keeps other processes out.
 */
export class LocalContentStore implements ContentStore {
  readonly #root: string;
  readonly #blobs: string;
  readonly #ingest: string;
  /** Tail of the queue of writers per ref: a new writer waits for it. */
  readonly #refLocks = new Map<string, Promise<void>>();

  constructor(options: LocalContentStoreOptions) {
    this.#root = options.root;
    this.#blobs = join(options.root, 'blobs');
    this.#ingest = join(options.root, 'ingest');
  }

  /** The path a committed blob lives at (whether or not it exists). */
  blobPath(digest: Digest): string {
    return join(this.#blobs, digestAlgorithm(digest), digestHex(digest));
  }

  async info(digest: Digest): Promise<ContentInfo> {
    parseDigest(digest, 'blob digest');
    try {
      const st = await stat(this.blobPath(digest));
      return { digest, size: st.size, createdAt: st.mtime };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`blob ${digest} not found in the content store`);
      throw asJanusError(err, `content store: blob ${digest}`);
    }
  }

  async has(digest: Digest): Promise<boolean> {
    if (!isDigest(digest)) return false;
    try {
      await stat(this.blobPath(digest));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw asJanusError(err, `content store: blob ${digest}`);
    }
  }

  async read(digest: Digest, options: { offset?: number } = {}): Promise<Readable> {
    parseDigest(digest, 'blob digest');
    let fh: FileHandle;
    try {
      // Opening first turns "absent" into NotFound here instead of a later stream error.
      fh = await open(this.blobPath(digest), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`blob ${digest} not found in the content store`);
      throw asJanusError(err, `content store: blob ${digest}`);
    }
    return createReadStream('', { fd: fh, start: options.offset ?? 0, highWaterMark: 256 * 1024 });
  }

  async readAll(digest: Digest): Promise<Buffer> {
    parseDigest(digest, 'blob digest');
    let data: Buffer;
    try {
      data = await readFile(this.blobPath(digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`blob ${digest} not found in the content store`);
      throw asJanusError(err, `content store: blob ${digest}`);
    }
    const actual = `${digestAlgorithm(digest)}:${createHash(digestAlgorithm(digest)).update(data).digest('hex')}`;
    if (actual !== digest) {
      throw dataLoss(`blob ${digest} is corrupted on disk (${this.blobPath(digest)} hashes to ${actual}); remove the image and pull it again`);
    }
    return data;
  }

  async writer(ref: string, options: { resume?: boolean; signal?: AbortSignal } = {}): Promise<ContentWriter> {
    const release = await this.#lock(ref, options.signal);
    try {
      const dir = join(this.#ingest, createHash('sha256').update(ref).digest('hex'));
      await mkdir(dir, { recursive: true });
      const dataPath = join(dir, 'data');
      let offset = 0;
      const hash = createHash('sha256');
      let fh: FileHandle;
      if (options.resume) {
        fh = await open(dataPath, 'a+');
        // Re-hash what an earlier attempt left so the digest covers every byte.
        for await (const chunk of createReadStream('', { fd: fh, autoClose: false, start: 0, highWaterMark: 1024 * 1024 })) {
          hash.update(chunk as Buffer);
          offset += (chunk as Buffer).length;
        }
      } else {
        fh = await open(dataPath, 'w');
      }
      await writeFile(join(dir, 'ref'), ref);
      return new LocalContentWriter({
        publish: (tmp, digest) => this.#publish(tmp, digest),
        has: (digest) => this.has(digest),
        info: (digest) => this.info(digest),
        ref, dir, dataPath, fh, hash, offset, release });
    } catch (err) {
      release();
      throw asJanusError(err, `content store: opening a writer for ${ref}`);
    }
  }

  async put(data: Uint8Array, expected?: Digest): Promise<ContentInfo> {
    const digest = expected ?? `sha256:${createHash('sha256').update(data).digest('hex')}`;
    const w = await this.writer(`put-${digest}`);
    try {
      await w.write(data);
    } catch (err) {
      await w.abort();
      throw err;
    }
    return w.commit(data.length, digest);
  }

  async delete(digest: Digest): Promise<void> {
    parseDigest(digest, 'blob digest');
    try {
      await unlink(this.blobPath(digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`blob ${digest} not found in the content store`);
      throw asJanusError(err, `content store: deleting blob ${digest}`);
    }
  }

  async *walk(): AsyncIterable<ContentInfo> {
    for (const alg of ALGORITHMS) {
      let names: string[];
      try {
        names = await readdir(join(this.#blobs, alg));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw asJanusError(err, 'content store: listing blobs');
      }
      for (const name of names) {
        const digest = `${alg}:${name}`;
        if (!isDigest(digest)) continue;
        try {
          const st = await stat(join(this.#blobs, alg, name));
          yield { digest, size: st.size, createdAt: st.mtime };
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted meanwhile
          throw asJanusError(err, `content store: blob ${digest}`);
        }
      }
    }
  }

  async cleanup(): Promise<void> {
    try {
      await rm(this.#ingest, { recursive: true, force: true });
      await mkdir(this.#ingest, { recursive: true });
      for (const alg of ALGORITHMS) await mkdir(join(this.#blobs, alg), { recursive: true });
    } catch (err) {
      throw asJanusError(err, `content store ${this.#root}: cleanup`);
    }
  }

  /** Makes `tmp` (verified, fsynced, closed) the blob `digest`. */
  async #publish(tmp: string, digest: Digest): Promise<void> {
    const dir = join(this.#blobs, digestAlgorithm(digest));
    await mkdir(dir, { recursive: true });
    await rename(tmp, join(dir, digestHex(digest)));
    await fsyncDir(dir);
  }

  async #lock(ref: string, signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    const previous = this.#refLocks.get(ref) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => { release = resolve; });
    const tail = previous.then(() => mine);
    this.#refLocks.set(ref, tail);
    let released = false;
    const done = () => {
      if (released) return;
      released = true;
      release();
      if (this.#refLocks.get(ref) === tail) this.#refLocks.delete(ref);
    };
    if (!signal) {
      await previous;
      return done;
    }
    try {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(asJanusError(signal.reason ?? new DOMException('aborted', 'AbortError'), `content store: waiting for writer ${ref}`));
        signal.addEventListener('abort', onAbort, { once: true });
        previous.then(() => { signal.removeEventListener('abort', onAbort); resolve(); });
      });
    } catch (err) {
      // Our place in the queue must still pass the lock on once the previous holder is done.
      done();
      throw isAbort(err) ? asJanusError(err, `content store: waiting for writer ${ref}`) : err;
    }
    return done;
  }
}

function isAbort(err: unknown): boolean {
  return (err as Error)?.name === 'AbortError';
}

interface WriterState {
  publish: (tmp: string, digest: Digest) => Promise<void>;
  has: (digest: Digest) => Promise<boolean>;
  info: (digest: Digest) => Promise<ContentInfo>;
  ref: string;
  dir: string;
  dataPath: string;
  fh: FileHandle;
  hash: Hash;
  offset: number;
  release: () => void;
}

/** A writer of one ingest; see ContentWriter. */
class LocalContentWriter implements ContentWriter {
  readonly #s: WriterState;
  #offset: number;
  #done = false;
  /** Serializes writes so bytes land (and are hashed) in call order. */
  #queue: Promise<void> = Promise.resolve();

  constructor(state: WriterState) {
    this.#s = state;
    this.#offset = state.offset;
  }

  get offset(): number {
    return this.#offset;
  }

  write(chunk: Uint8Array): Promise<void> {
    const run = this.#queue.then(async () => {
      if (this.#done) throw new Error(`content writer ${this.#s.ref} is already committed or aborted`);
      try {
        let written = 0;
        while (written < chunk.length) {
          const { bytesWritten } = await this.#s.fh.write(chunk, written, chunk.length - written);
          written += bytesWritten;
        }
      } catch (err) {
        throw asJanusError(err, `content store: writing ${this.#s.ref}`);
      }
      this.#s.hash.update(chunk);
      this.#offset += chunk.length;
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  async commit(size: number | undefined, expected: Digest): Promise<ContentInfo> {
    await this.#queue;
    if (this.#done) throw new Error(`content writer ${this.#s.ref} is already committed or aborted`);
    this.#done = true;
    const s = this.#s;
    try {
      parseDigest(expected, 'expected digest');
      if (size !== undefined && size !== this.#offset) {
        await this.#discard();
        throw dataLoss(`blob ${expected}: size mismatch: expected ${size} bytes, got ${this.#offset}`);
      }
      let actual: Digest;
      if (digestAlgorithm(expected) === 'sha256') {
        actual = `sha256:${s.hash.digest('hex')}`;
      } else {
        const h = createHash(digestAlgorithm(expected));
        for await (const chunk of createReadStream(s.dataPath, { highWaterMark: 1024 * 1024 })) h.update(chunk as Buffer);
        actual = `${digestAlgorithm(expected)}:${h.digest('hex')}`;
      }
      if (actual !== expected) {
        await this.#discard();
        throw dataLoss(`blob digest mismatch: expected ${expected}, got ${actual} (${this.#offset} bytes discarded)`);
      }
      if (await s.has(expected)) {
        await this.#discard();
      } else {
        await s.fh.sync();
        await s.fh.close();
        await s.publish(s.dataPath, expected);
        await rm(s.dir, { recursive: true, force: true });
      }
      return await s.info(expected);
    } catch (err) {
      await s.fh.close().catch(() => {});
      throw asJanusError(err, `content store: committing ${expected}`);
    } finally {
      s.release();
    }
  }

  async abort(): Promise<void> {
    await this.#queue;
    if (this.#done) return;
    this.#done = true;
    await this.#discard();
    this.#s.release();
  }

  async #discard(): Promise<void> {
    await this.#s.fh.close().catch(() => {});
    await rm(this.#s.dir, { recursive: true, force: true }).catch(() => {});
  }
}
