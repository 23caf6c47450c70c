import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ContentInfo, ContentStore, ContentWriter } from '../../src/core/content-store.ts';
import { digestAlgorithm, parseDigest, type Digest } from '../../src/core/digest.ts';
import { dataLoss, invalidArgument, notFound } from '../../src/core/errors.ts';

interface Blob {
  data: Buffer;
  createdAt: Date;
}

/**
 * An in-memory ContentStore for unit tests. Keeps the interface's promises
 * that tests can observe: nothing is readable before `commit` verified size
 * and digest, a mismatch throws DataLoss naming both digests, a second writer
 * on one ref waits for the first, and `readAll` re-verifies. `corrupt` lets a
 * test damage a committed blob to see that readers notice.
 */
export class MemoryContentStore implements ContentStore {
  readonly #blobs = new Map<Digest, Blob>();
  /** Bytes of interrupted writes, kept per ref so `resume` can continue them. */
  readonly #partial = new Map<string, Buffer[]>();
  /** The tail of each ref's queue of writers. */
  readonly #locks = new Map<string, Promise<void>>();

  async info(digest: Digest): Promise<ContentInfo> {
    const blob = this.#blobs.get(digest);
    if (!blob) throw notFound(`content ${digest} not found`);
    return { digest, size: blob.data.length, createdAt: blob.createdAt };
  }

  async has(digest: Digest): Promise<boolean> {
    return this.#blobs.has(digest);
  }

  async read(digest: Digest, options: { offset?: number } = {}): Promise<Readable> {
    const blob = this.#blobs.get(digest);
    if (!blob) throw notFound(`content ${digest} not found`);
    const data = blob.data.subarray(options.offset ?? 0);
    // Chunked so that consumers see more than one `data` event, as from a file.
    const chunks: Buffer[] = [];
    for (let i = 0; i < data.length; i += 64 * 1024) chunks.push(data.subarray(i, i + 64 * 1024));
    return Readable.from(chunks, { objectMode: false });
  }

  async readAll(digest: Digest): Promise<Buffer> {
    const blob = this.#blobs.get(digest);
    if (!blob) throw notFound(`content ${digest} not found`);
    const actual = hash(digestAlgorithm(digest), [blob.data]);
    if (actual !== digest) throw dataLoss(`content ${digest} is corrupted: its bytes hash to ${actual}`);
    return Buffer.from(blob.data);
  }

  async writer(ref: string, options: { resume?: boolean; signal?: AbortSignal } = {}): Promise<ContentWriter> {
    options.signal?.throwIfAborted();
    const previous = this.#locks.get(ref) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => { release = resolve; });
    const tail = previous.then(() => mine);
    this.#locks.set(ref, tail);
    await previous;
    const chunks = options.resume ? (this.#partial.get(ref) ?? []) : [];
    this.#partial.set(ref, chunks);
    let offset = chunks.reduce((n, c) => n + c.length, 0);
    let done = false;
    const finish = () => {
      done = true;
      if (this.#locks.get(ref) === tail) this.#locks.delete(ref);
      release();
    };
    const store = this;
    return {
      get offset() { return offset; },
      async write(chunk: Uint8Array): Promise<void> {
        if (done) throw invalidArgument(`writer ${ref} is already closed`);
        chunks.push(Buffer.from(chunk));
        offset += chunk.length;
      },
      async commit(size: number | undefined, expected: Digest): Promise<ContentInfo> {
        if (done) throw invalidArgument(`writer ${ref} is already closed`);
        parseDigest(expected, 'expected digest');
        try {
          const data = Buffer.concat(chunks);
          store.#partial.delete(ref);
          if (size !== undefined && data.length !== size) {
            throw dataLoss(`content ${expected}: got ${data.length} bytes, want ${size}`);
          }
          const actual = hash(digestAlgorithm(expected), [data]);
          if (actual !== expected) throw dataLoss(`content digest mismatch: want ${expected}, got ${actual}`);
          const existing = store.#blobs.get(expected);
          if (existing) return { digest: expected, size: existing.data.length, createdAt: existing.createdAt };
          const createdAt = new Date();
          store.#blobs.set(expected, { data, createdAt });
          return { digest: expected, size: data.length, createdAt };
        } finally {
          finish();
        }
      },
      async abort(): Promise<void> {
        if (done) return;
        store.#partial.delete(ref);
        finish();
      },
    };
  }

  async put(data: Uint8Array, expected?: Digest): Promise<ContentInfo> {
    const digest = expected ?? hash('sha256', [data]);
    const w = await this.writer(`put-${digest}`);
    await w.write(data);
    return w.commit(data.length, digest);
  }

  async delete(digest: Digest): Promise<void> {
    if (!this.#blobs.delete(digest)) throw notFound(`content ${digest} not found`);
  }

  async *walk(): AsyncIterable<ContentInfo> {
    for (const [digest, blob] of [...this.#blobs]) yield { digest, size: blob.data.length, createdAt: blob.createdAt };
  }

  async cleanup(): Promise<void> {
    this.#partial.clear();
  }

  /** Test hook: flips one byte of a committed blob, as a failing disk would. */
  corrupt(digest: Digest): void {
    const blob = this.#blobs.get(digest);
    if (!blob) throw notFound(`content ${digest} not found`);
    blob.data[0] ^= 0xff;
  }

  /** Test hook: how many interrupted writes are pending. */
  pendingWrites(): number {
    return this.#partial.size;
  }
}

function hash(algorithm: 'sha256' | 'sha512', chunks: Uint8Array[]): Digest {
  const h = createHash(algorithm);
  for (const c of chunks) h.update(c);
  return `${algorithm}:${h.digest('hex')}`;
}
