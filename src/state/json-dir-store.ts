import { mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidArgument } from '../core/errors.ts';
import type { StateStore } from '../core/state-store.ts';
import { fsyncDir, writeFileAtomic } from '../util/atomic-file.ts';

const KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Options of `JsonDirStore`. */
export interface JsonDirStoreOptions {
  /** The directory; one `<id>.json` file per record. Created on first write. */
  dir: string;
  /**
   * Told about a record file that cannot be parsed (a disk error, a hand
   * edit). The file is moved aside to `<id>.json.corrupt` so the rest of the
   * state stays usable and nothing is silently deleted.
   */
  onCorrupt?: (id: string, error: Error) => void;
}

/**
 * A StateStore of one JSON file per record, each replaced atomically (temp
 * file, fsync, rename, directory fsync), so `kill -9` at any moment leaves
 * every record whole. Chosen over one big file so that a write costs one
 * small file, and over SQLite because records are few and independent.
 * Not safe for two processes; the daemon's pid lock guarantees one writer.
 */
export class JsonDirStore<T> implements StateStore<T> {
  readonly #dir: string;
  readonly #onCorrupt: (id: string, error: Error) => void;

  constructor(options: JsonDirStoreOptions) {
    this.#dir = options.dir;
    this.#onCorrupt = options.onCorrupt ?? (() => {});
  }

  async get(id: string): Promise<T | undefined> {
    if (!KEY.test(id)) return undefined;
    let text: string;
    try {
      text = await readFile(this.#path(id), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      await this.#quarantine(id, err as Error);
      return undefined;
    }
  }

  async list(): Promise<T[]> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: T[] = [];
    for (const name of names.sort()) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const value = await this.get(name.slice(0, -'.json'.length));
      if (value !== undefined) out.push(value);
    }
    return out;
  }

  async put(id: string, value: T): Promise<void> {
    if (!KEY.test(id)) throw invalidArgument(`invalid record id: ${JSON.stringify(id)}`);
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.#path(id), JSON.stringify(value), { mode: 0o600 });
  }

  async delete(id: string): Promise<void> {
    if (!KEY.test(id)) return;
    await rm(this.#path(id), { force: true });
    await fsyncDir(this.#dir).catch(() => {});
  }

  /** Removes temp files of writes a crash interrupted. Call once at start-up, before any write. */
  async cleanup(): Promise<void> {
    for (const name of await readdir(this.#dir).catch(() => [] as string[])) {
      if (name.startsWith('.tmp-')) await rm(join(this.#dir, name), { force: true });
    }
  }

  #path(id: string): string {
    return join(this.#dir, `${id}.json`);
  }

  async #quarantine(id: string, error: Error): Promise<void> {
    await rename(this.#path(id), `${this.#path(id)}.corrupt`).catch(() => {});
    this.#onCorrupt(id, error);
  }
}
