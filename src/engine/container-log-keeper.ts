import { watch, type FSWatcher } from 'node:fs';
import { link, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from '../util/logger.ts';

/**
 * Keeps a container log's rotated files (`--log-opt max-file=N`: the live
 * file plus N-1 older ones, `PATH.1` the newest) although conmon keeps
 * none: when the live file reaches max-size, conmon opens `PATH.tmp` and
 * renames it over `PATH`, which unlinks the old file. The keeper holds a
 * hard link (`PATH.keep`) to the live file's inode, so the old content
 * survives that rename; on seeing the rename it shifts `PATH.1…` up,
 * renames the link to `PATH.1` and links the new live file.
 *
 * A rotation is only lost when two happen before the keeper reacts (it
 * reacts within milliseconds through inotify), or while no daemon runs:
 * then the first is kept through the link and later ones are lost. Files
 * stay when the keeper stops; they go with the container's directory.
 */
export class ContainerLogKeeper {
  readonly #path: string;
  readonly #rotated: number;
  readonly #log: Logger;
  #watcher: FSWatcher | undefined;
  #busy: Promise<void> = Promise.resolve();
  #stopped = false;

  /** `maxFiles` as docker counts it: the live file included (at least 2). */
  constructor(path: string, maxFiles: number, log: Logger) {
    this.#path = path;
    this.#rotated = maxFiles - 1;
    this.#log = log;
  }

  /** Starts watching; catches up on a rotation that happened while no keeper ran. Call after the log file exists. */
  async start(): Promise<void> {
    const name = basename(this.#path);
    this.#watcher = watch(dirname(this.#path), (_event, file) => {
      if (file === name) this.#schedule();
    });
    this.#watcher.on('error', (err) => this.#log.warn('watching a container log failed; rotated files will not be kept', { path: this.#path, error: err }));
    this.#schedule();
    await this.#busy;
  }

  /** Stops watching after a last check (the final rotation of a run is kept). */
  async stop(): Promise<void> {
    this.#schedule();
    await this.#busy;
    this.#stopped = true;
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#busy = this.#busy.then(() => this.#check()).catch((err: unknown) => {
      this.#log.warn('keeping a rotated container log failed', { path: this.#path, error: err });
    });
  }

  async #check(): Promise<void> {
    const keep = `${this.#path}.keep`;
    const live = await stat(this.#path).catch(() => undefined);
    if (!live) return;
    const kept = await stat(keep).catch(() => undefined);
    if (kept && kept.ino === live.ino) return;
    if (kept) {
      // conmon replaced the live file: what the link holds is the newest rotated file.
      await unlink(`${this.#path}.${this.#rotated}`).catch(() => {});
      for (let i = this.#rotated - 1; i >= 1; i--) {
        await rename(`${this.#path}.${i}`, `${this.#path}.${i + 1}`).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
      }
      await rename(keep, `${this.#path}.1`);
    }
    await link(this.#path, keep);
  }
}
