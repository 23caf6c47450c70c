import { once } from 'node:events';
import type tar from 'tar-stream';

/** A tar header as `addTarEntry` takes it: the name and whatever else differs from the defaults. */
export type EntryHeader = Partial<tar.Header> & { name: string };

/**
 * Appends one entry to `pack` and resolves once its bytes are queued,
 * honouring back-pressure. `body` is a buffer or a stream of exactly
 * `header.size` bytes (tar-stream fails the entry otherwise). Defaults
 * fixed for reproducible output: uid/gid 0 and mtime epoch when not given.
 * Must be awaited before the next entry is added.
 */
export async function addTarEntry(pack: tar.Pack, header: EntryHeader, body?: Uint8Array | AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<void> {
  const full: EntryHeader = { uid: 0, gid: 0, mtime: new Date(0), ...header };
  if (body === undefined || body instanceof Uint8Array) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body === undefined) pack.entry(full, cb);
      else pack.entry({ ...full, size: body.length }, body, cb);
    });
    return;
  }
  let failed: Error | undefined;
  const done = new Promise<void>((resolve, reject) => {
    const entry = pack.entry(full, (err) => (err ? reject(err) : resolve()));
    entry.on('error', () => {}); // reported through the callback / rejection
    void (async () => {
      try {
        for await (const chunk of body) {
          signal?.throwIfAborted();
          if (!entry.write(chunk)) await once(entry, 'drain', { signal });
        }
        (entry as unknown as { end(): void }).end();
      } catch (err) {
        failed = err as Error;
        entry.destroy(failed);
        reject(failed);
      }
    })();
  });
  await done.catch((err: unknown) => {
    throw failed ?? err;
  });
}
