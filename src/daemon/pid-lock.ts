import { open, readFile, unlink } from 'node:fs/promises';
import { conflict, internal } from '../core/errors.ts';

/**
 * Exclusive use of a daemon root: `<root>/janus.pid`, created with O_EXCL
 * and holding our pid. A leftover file is stale when its pid is dead or
 * belongs to a process that is not a janus daemon (pids are reused after a
 * crash and reboot), and is then replaced. Two daemons racing over the same
 * stale file can both remove it; the O_EXCL create still lets only one win.
 */
export class PidLock {
  readonly path: string;
  #released = false;

  private constructor(path: string) {
    this.path = path;
  }

  /** Takes the lock or throws Conflict: "another janus daemon (pid N) is using root DIR". */
  static async acquire(path: string, options: { root: string }): Promise<PidLock> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fh = await open(path, 'wx', 0o644);
        try {
          await fh.writeFile(`${process.pid}\n`);
          await fh.sync();
        } finally {
          await fh.close();
        }
        return new PidLock(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw internal(`cannot create ${path}: ${(err as Error).message}`, err);
        }
      }
      const holder = await readPid(path);
      if (holder !== undefined && (await isJanusDaemon(holder))) {
        throw conflict(`another janus daemon (pid ${holder}) is using root ${options.root}`);
      }
      await unlink(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw internal(`cannot remove stale ${path}: ${err.message}`, err);
      });
    }
    throw conflict(`cannot take ${path}: another janus daemon keeps creating it (root ${options.root})`);
  }

  /** Removes the pid file if it is still ours. Idempotent; never throws. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    if ((await readPid(this.path)) === process.pid) await unlink(this.path).catch(() => {});
  }
}

async function readPid(path: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(path, 'utf8')).trim());
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` is alive and runs a janus daemon (this process counts:
 * a second daemon started in-process must be refused too). When /proc is
 * unreadable for a live pid we cannot tell, and assume it is one.
 */
async function isJanusDaemon(pid: number): Promise<boolean> {
  if (pid === process.pid) return true;
  let cmdline: string;
  try {
    cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
  const args = cmdline.split('\0').filter((a) => a !== '');
  if (args.length === 0) return false; // a zombie: dead for our purposes
  return args.some((a) => /(^|\/)daemon\/main\.(ts|js|mjs)$/.test(a)) ||
    (/(^|\/)janus$/.test(args[0] ?? '') && args.includes('daemon'));
}
