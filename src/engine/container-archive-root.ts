import { constants as fsc, type Stats } from 'node:fs';
import { lchown, lstat, mkdir, open, readdir, readlink, type FileHandle } from 'node:fs/promises';
import { asJanusError, invalidArgument, notFound } from '../core/errors.ts';

const OPEN_DIR = fsc.O_RDONLY | fsc.O_DIRECTORY | fsc.O_NOFOLLOW;
/** Symlinks followed while resolving one path, as Linux's MAXSYMLINKS-style bound (docker uses 255). */
const MAX_LINKS = 255;

/** A directory held open inside a ScopedRoot. */
export interface DirRef {
  readonly handle: FileHandle;
  /** Its path in the container, every symlink resolved (`/` for the root). */
  readonly path: string;
  readonly dev: number;
}

/** Where a container path leads: the directory holding it and its last name. */
export interface Located {
  /** Owned by the caller: give it back with `release`. */
  parent: DirRef;
  /** The last component; `''` when `parent` is the target itself (the root, or a path ending in a directory). */
  name: string;
  /** The target's path in the container. */
  path: string;
  /** lstat of the target; absent when it does not exist (only the last component may be missing). */
  stat?: Stats;
}

/**
 * A container's file system seen from the host, with the container's root
 * as `/`: every path is resolved component by component with the
 * container's symlink semantics (an absolute link target starts again at
 * the container's root; `..` never climbs above it), and every step opens
 * the next directory relative to the previous one's descriptor without
 * following a symlink (`/proc/self/fd/N/name` with O_NOFOLLOW, Node's
 * stand-in for openat). A process inside the container that swaps a
 * directory for a symlink mid-operation therefore cannot redirect a read or
 * a write to the host, which path strings through `/proc/<pid>/root` would
 * allow (its absolute links resolve against the reader's root).
 *
 * With `visibleMounts`, a directory on another device than its parent is
 * entered only when its container path is listed: the running container's
 * /proc, /sys and /dev stay out of archives, as they are out of docker's.
 * Not safe for concurrent `close`; any number of concurrent lookups is fine.
 */
export class ScopedRoot {
  readonly root: DirRef;
  readonly #visible: ReadonlySet<string> | undefined;
  readonly #context: string;

  private constructor(root: DirRef, visible: ReadonlySet<string> | undefined, context: string) {
    this.root = root;
    this.#visible = visible;
    this.#context = context;
  }

  /** Opens the directory `hostPath` as the root; `context` (e.g. "container abc") prefixes error messages. */
  static async open(hostPath: string, options: { visibleMounts?: Iterable<string>; context: string }): Promise<ScopedRoot> {
    let handle: FileHandle;
    try {
      handle = await open(hostPath, fsc.O_RDONLY | fsc.O_DIRECTORY);
    } catch (err) {
      throw asJanusError(err, `${options.context}: opening its root file system`);
    }
    const st = await handle.stat();
    const visible = options.visibleMounts ? new Set([...options.visibleMounts].map(cleanPath)) : undefined;
    return new ScopedRoot({ handle, path: '/', dev: st.dev }, visible, options.context);
  }

  /** A path naming `name` inside `dir` that the kernel resolves like openat(dir, name): only `name` itself is looked up. */
  at(dir: DirRef, name: string): string {
    return name === '' ? `/proc/self/fd/${dir.handle.fd}` : `/proc/self/fd/${dir.handle.fd}/${name}`;
  }

  /** The same path for another process (mknod, setfattr): `/proc/<our pid>/fd/N/name`. */
  atForChild(dir: DirRef, name: string): string {
    return name === '' ? `/proc/${process.pid}/fd/${dir.handle.fd}` : `/proc/${process.pid}/fd/${dir.handle.fd}/${name}`;
  }

  /** lstat of `name` in `dir` (of `dir` itself for `''`); undefined when it does not exist. */
  async lstatAt(dir: DirRef, name: string): Promise<Stats | undefined> {
    if (name === '') return dir.handle.stat();
    try {
      return await lstat(this.at(dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /**
   * The names in `dir`, sorted as docker's walk sorts them. A name that is
   * not valid UTF-8 is refused (NotImplemented would hide data; the caller
   * gets InvalidArgument naming the directory), since the tar writer and the
   * wire both carry names as strings.
   */
  async readdir(dir: DirRef): Promise<string[]> {
    const raw = await readdir(this.at(dir, ''), { encoding: 'buffer' });
    const names: string[] = [];
    for (const b of raw) {
      const name = b.toString('utf8');
      if (!Buffer.from(name, 'utf8').equals(b)) {
        throw invalidArgument(`${this.#context}: ${join(dir.path, name)}: file names that are not valid UTF-8 are not supported`);
      }
      names.push(name);
    }
    return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * Opens directory `name` of `dir` without following a symlink. 'hidden'
   * for a mount point the container's visible mounts do not include;
   * undefined when `name` is no longer a directory (ENOENT, ENOTDIR, ELOOP:
   * it changed since it was looked at).
   */
  async openDir(dir: DirRef, name: string): Promise<DirRef | 'hidden' | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(this.at(dir, name), OPEN_DIR);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return undefined;
      throw err;
    }
    const path = join(dir.path, name);
    const st = await handle.stat();
    if (this.#visible && st.dev !== dir.dev && !this.#visible.has(path)) {
      await handle.close();
      return 'hidden';
    }
    return { handle, path, dev: st.dev };
  }

  /** Closes a directory opened by `openDir` or `locate`; the root stays open. */
  async release(dir: DirRef): Promise<void> {
    if (dir !== this.root) await dir.handle.close().catch(() => {});
  }

  /** Closes the root. */
  async close(): Promise<void> {
    await this.root.handle.close().catch(() => {});
  }

  /**
   * Resolves container path `path` (absolute, or relative to `/`) in the
   * container's scope. Every component but the last is followed through
   * symlinks; the last too when `followLast`. Only the last component may be
   * missing (then `stat` is absent); a missing or non-directory intermediate
   * is NotFound — unless `create` is given, which makes missing directories
   * (mode 0755, owned by `create`) as `mkdir -p` would. More than 255
   * symlinks is InvalidArgument.
   */
  async locate(path: string, options: { followLast: boolean; create?: { uid: number; gid: number } }): Promise<Located> {
    const stack: DirRef[] = [this.root];
    const queue = components(path);
    let links = 0;
    const top = () => stack[stack.length - 1]!;
    const fail = (err: unknown) => Promise.all(stack.map((d) => this.release(d))).then(() => { throw err; });
    try {
      while (queue.length > 0) {
        const c = queue.shift()!;
        if (c === '..') {
          if (stack.length > 1) await this.release(stack.pop()!);
          continue;
        }
        const last = queue.length === 0;
        const cur = top();
        let st = await this.lstatAt(cur, c);
        if (!st) {
          if (last) return await this.#found(stack, { parent: cur, name: c, path: join(cur.path, c) });
          if (!options.create) throw notFound(`${this.#context}: ${join(cur.path, c)}: no such file or directory`);
          await mkdir(this.at(cur, c), 0o755).catch((err: NodeJS.ErrnoException) => {
            if (err.code !== 'EEXIST') throw err;
          });
          await lchown(this.at(cur, c), options.create.uid, options.create.gid);
          st = await this.lstatAt(cur, c);
          if (!st) throw notFound(`${this.#context}: ${join(cur.path, c)}: vanished while it was being created`);
        }
        if (st.isSymbolicLink() && (!last || options.followLast)) {
          if (++links > MAX_LINKS) throw invalidArgument(`${this.#context}: ${path}: too many levels of symbolic links`);
          const target = await readlink(this.at(cur, c));
          if (target.startsWith('/')) {
            while (stack.length > 1) await this.release(stack.pop()!);
          }
          queue.unshift(...components(target));
          continue;
        }
        if (last) return await this.#found(stack, { parent: cur, name: c, path: join(cur.path, c), stat: st });
        if (!st.isDirectory()) throw notFound(`${this.#context}: ${join(cur.path, c)}: not a directory`);
        const child = await this.openDir(cur, c);
        if (child === 'hidden') throw notFound(`${this.#context}: ${join(cur.path, c)}: no such file or directory (outside the container's root file system and volumes)`);
        if (!child) {
          // It changed between lstat and open (a concurrent rename or a new symlink): look again.
          if (++links > MAX_LINKS) throw invalidArgument(`${this.#context}: ${path}: the path keeps changing while it is resolved`);
          queue.unshift(c);
          continue;
        }
        stack.push(child);
      }
      // Ended on a directory we hold (the root, `..`, or a link to a directory).
      const dir = top();
      return await this.#found(stack, { parent: dir, name: '', path: dir.path, stat: await dir.handle.stat() });
    } catch (err) {
      return fail(err);
    }
  }

  async #found(stack: DirRef[], result: Located): Promise<Located> {
    for (const d of stack) if (d !== result.parent) await this.release(d);
    return result;
  }
}

/** The non-empty, non-`.` components of a path. */
function components(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}

function join(dir: string, name: string): string {
  if (name === '') return dir;
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** `/a//b/` → `/a/b`, lexically. */
function cleanPath(p: string): string {
  const out: string[] = [];
  for (const c of components(p)) {
    if (c === '..') out.pop();
    else out.push(c);
  }
  return `/${out.join('/')}`;
}
