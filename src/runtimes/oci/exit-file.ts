import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Reads conmon's exit file (`<dir>/<name>`, the status as decimal text:
 * the exit code, or 128+N after signal N). conmon writes it with a rename,
 * so a present file is complete. Undefined when absent.
 */
export async function readExitFile(dir: string, name: string): Promise<number | undefined> {
  try {
    const n = Number.parseInt((await readFile(join(dir, name), 'utf8')).trim(), 10);
    return Number.isNaN(n) ? undefined : n;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Options of `waitExitFile`. */
export interface WaitExitFileOptions {
  /** False once the supervisor is gone: then a missing file will never appear. */
  supervisorAlive: () => Promise<boolean>;
  /** How often to look again when no watch event came (inotify can miss a rename into a directory that is replaced). */
  pollMs?: number;
  signal?: AbortSignal;
}

/**
 * Resolves with the exit status once conmon writes it, however long that
 * takes: an fs.watch on the directory answers at once, a slow poll covers
 * missed events. Resolves undefined when the supervisor died without writing
 * one (killed, or the host rebooted), so callers do not wait forever.
 */
export function waitExitFile(dir: string, name: string, options: WaitExitFileOptions): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    let watcher: FSWatcher | undefined;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    let checking = false;
    let again = false;
    const finish = (err: unknown, value?: number): void => {
      if (done) return;
      done = true;
      watcher?.close();
      if (timer) clearInterval(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(value);
    };
    const onAbort = (): void => finish(options.signal?.reason ?? new Error('aborted'));
    const check = async (probeSupervisor: boolean): Promise<void> => {
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        do {
          again = false;
          const code = await readExitFile(dir, name);
          if (code !== undefined) return finish(undefined, code);
          if (probeSupervisor && !(await options.supervisorAlive())) {
            // conmon writes the file before exiting: a last look closes that race.
            return finish(undefined, await readExitFile(dir, name));
          }
        } while (again && !done);
      } catch (err) {
        finish(err);
      } finally {
        checking = false;
      }
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort);
    try {
      watcher = watch(dir, () => void check(false));
      watcher.on('error', () => {
        /* the poll below still runs */
      });
    } catch {
      /* no inotify (or the directory is gone): poll only */
    }
    timer = setInterval(() => void check(true), options.pollMs ?? 1000);
    void check(true);
  });
}
