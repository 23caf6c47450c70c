import { once } from 'node:events';
import { constants as fsc } from 'node:fs';
import { lchown, link, lutimes, mkdir, open, rmdir, symlink, unlink, type FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { asJanusError, conflict, invalidArgument, isJanusError, JanusError, notImplemented } from '../core/errors.ts';
import { openDecompressed } from '../images/archive/sniff-compression.ts';
import type { Exec } from '../util/exec.ts';
import type { DirRef, ScopedRoot } from './container-archive-root.ts';

const OPEN_NEW_FILE = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW;
const OPEN_DIR = fsc.O_RDONLY | fsc.O_DIRECTORY | fsc.O_NOFOLLOW;
/** Resolved parent directories kept open between entries (archives list a directory's files together). */
const PARENT_CACHE = 64;

/** Options of `unpackInto`. */
export interface UnpackOptions {
  /** docker's noOverwriteDirNonDir: replacing a directory by a non-directory, or the reverse, is a Conflict. */
  noOverwriteDirNonDir?: boolean;
  /** Owner of every entry (docker's copyUIDGID with a container user); absent: the archive's own ids. */
  owner?: { uid: number; gid: number };
  /** Runs mknod, mkfifo and setfattr. */
  exec: Exec;
  /** Prefixes error messages (e.g. "container abc"). */
  context: string;
  signal?: AbortSignal;
}

type Header = Omit<tar.Header, 'pax' | 'type'> & { type: tar.Header['type'] | null; pax?: Record<string, string> | null };

/**
 * Extracts a tar (plain, gzip or zstd) into directory `destPath` of a
 * container, as docker's PUT archive does. Entry names are taken relative
 * to the destination: a leading `/` is dropped and `..` applied lexically,
 * and a name, hard-link target or relative symlink target that climbs out
 * of the destination is refused with InvalidArgument naming the entry.
 * Directories inside are resolved in the container's scope (a symlink
 * `lib -> usr/lib` is followed, within the container's root), missing ones
 * made (0755, root). An existing entry is replaced unless both are
 * directories (then modes, owners and times are applied to it, as docker
 * does); with `noOverwriteDirNonDir` replacing a directory by a
 * non-directory or the reverse is a Conflict. Owners are the archive's, or
 * `owner`. Every write goes through descriptors without following symlinks
 * (see ScopedRoot). bzip2 and xz are refused (InvalidArgument). Stops on the
 * first error; what was extracted until then stays, as with docker.
 */
export async function unpackInto(root: ScopedRoot, destPath: string, archive: Readable, options: UnpackOptions): Promise<void> {
  const { stream } = await openDecompressed(archive, `${options.context}: archive`);
  const extract = tar.extract();
  const stop = new AbortController();
  const onAbort = () => {
    stop.abort(options.signal?.reason);
    stream.destroy();
    extract.destroy(asJanusError(options.signal?.reason, options.context));
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const feed = (async () => {
    try {
      for await (const chunk of stream) {
        if (!extract.write(chunk as Buffer)) await once(extract, 'drain', { signal: stop.signal });
      }
      extract.end(undefined);
    } catch (err) {
      if (stop.signal.aborted) return;
      extract.destroy(isJanusError(err) ? err : invalidArgument(`${options.context}: reading the archive: ${(err as Error).message}`, err));
    }
  })();
  const x = new Extraction(root, destPath, options);
  try {
    for await (const entry of extract) {
      options.signal?.throwIfAborted();
      await x.entry(entry.header as Header, entry as AsyncIterable<Buffer>);
    }
    await x.finish();
  } catch (err) {
    stop.abort();
    stream.destroy();
    if (err instanceof JanusError) throw err;
    if (options.signal?.aborted) throw asJanusError(options.signal.reason ?? err, options.context);
    if (!(err as NodeJS.ErrnoException).code) throw invalidArgument(`${options.context}: the archive is not a valid tar: ${(err as Error).message}`, err);
    throw fsError(err, options.context);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await feed.catch(() => {});
    await x.close();
  }
}

class Extraction {
  readonly #root: ScopedRoot;
  readonly #dest: string;
  readonly #o: UnpackOptions;
  /** Open parent directories by path relative to the destination. */
  readonly #parents = new Map<string, DirRef>();
  /** Directory times, set after every entry so that children do not disturb them (relative paths). */
  readonly #dirTimes = new Map<string, [Date, Date]>();
  /** The parent of the entry being extracted: never closed while the entry needs it. */
  #current: DirRef | undefined;

  constructor(root: ScopedRoot, destPath: string, options: UnpackOptions) {
    this.#root = root;
    this.#dest = destPath;
    this.#o = options;
  }

  async entry(h: Header, body: AsyncIterable<Buffer>): Promise<void> {
    const name = h.name;
    const rel = this.#relative(name, name);
    try {
      if (rel === '') {
        await drain(body);
        if (h.type === 'directory') return; // docker skips the archive's own `.`
        throw this.#refuse(name, 'it would replace the destination directory itself');
      }
      // docker's AUFS metadata at the top of an archive: never extracted.
      if (rel.split('/')[0]!.startsWith('.wh..wh.')) {
        await drain(body);
        return;
      }
      const slash = rel.lastIndexOf('/');
      const parentRel = slash < 0 ? '' : rel.slice(0, slash);
      const base = rel.slice(slash + 1);
      const parent = await this.#parent(parentRel, name);
      this.#current = parent;
      const isDir = h.type === 'directory';
      const existing = await this.#root.lstatAt(parent, base);
      if (existing) {
        const where = posix.join(parent.path, base);
        if (this.#o.noOverwriteDirNonDir && existing.isDirectory() && !isDir) {
          throw conflict(`${this.#o.context}: cannot overwrite directory ${JSON.stringify(where)} with non-directory ${JSON.stringify(name)}`);
        }
        if (this.#o.noOverwriteDirNonDir && !existing.isDirectory() && isDir) {
          throw conflict(`${this.#o.context}: cannot overwrite non-directory ${JSON.stringify(where)} with directory ${JSON.stringify(name)}`);
        }
        if (!(existing.isDirectory() && isDir)) {
          await this.#remove(parent, base, existing.isDirectory());
          // Cached directories may have been reached through what was just removed.
          if (existing.isDirectory() || existing.isSymbolicLink()) await this.#forgetParents(parent);
        }
      }
      switch (h.type) {
        case 'file':
        case 'contiguous-file':
          await this.#file(parent, base, h, body);
          break;
        case 'directory':
          await drain(body);
          await this.#directory(parent, base, rel, h, existing?.isDirectory() ?? false);
          break;
        case 'symlink':
          await drain(body);
          await this.#symlink(parent, base, rel, h);
          break;
        case 'link':
          await drain(body);
          await this.#hardlink(parent, base, h);
          break;
        case 'character-device':
        case 'block-device':
        case 'fifo':
          await drain(body);
          await this.#special(parent, base, h);
          break;
        default:
          await drain(body);
          throw notImplemented(`${this.#o.context}: archive entry ${JSON.stringify(name)} has an unsupported type (${h.type ?? 'unknown'})`);
      }
    } catch (err) {
      if (err instanceof JanusError) throw err;
      throw fsError(err, `${this.#o.context}: archive entry ${JSON.stringify(name)}`);
    }
  }

  /** Sets the times of every directory the archive listed; call after the last entry. */
  async finish(): Promise<void> {
    await this.#forgetParents();
    for (const [rel, [atime, mtime]] of this.#dirTimes) {
      const loc = await this.#root.locate(posix.join(this.#dest, rel), { followLast: false }).catch(() => undefined);
      if (!loc) continue;
      try {
        if (!loc.stat?.isDirectory()) continue;
        const fh = loc.name === '' ? undefined : await open(this.#root.at(loc.parent, loc.name), OPEN_DIR).catch(() => undefined);
        if (!fh) continue;
        try {
          await fh.utimes(atime, mtime);
        } finally {
          await fh.close();
        }
      } finally {
        await this.#root.release(loc.parent);
      }
    }
  }

  async close(): Promise<void> {
    await this.#forgetParents();
  }

  async #file(parent: DirRef, base: string, h: Header, body: AsyncIterable<Buffer>): Promise<void> {
    let fh: FileHandle;
    try {
      fh = await open(this.#root.at(parent, base), OPEN_NEW_FILE, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // Something appeared meanwhile (a running container): replace it, as docker would have.
      await this.#remove(parent, base, false);
      fh = await open(this.#root.at(parent, base), OPEN_NEW_FILE, 0o600);
    }
    try {
      for await (const chunk of body) await writeAll(fh, chunk);
      const { uid, gid } = this.#owner(h);
      await fh.chown(uid, gid);
      // After chown, which clears setuid and setgid.
      await fh.chmod(mode(h));
      const [atime, mtime] = times(h);
      await fh.utimes(atime, mtime);
    } finally {
      await fh.close();
    }
    await this.#xattrs(parent, base, h);
  }

  async #directory(parent: DirRef, base: string, rel: string, h: Header, exists: boolean): Promise<void> {
    if (!exists) {
      await mkdir(this.#root.at(parent, base), 0o700).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
    }
    const fh = await open(this.#root.at(parent, base), OPEN_DIR);
    try {
      const { uid, gid } = this.#owner(h);
      await fh.chown(uid, gid);
      await fh.chmod(mode(h));
    } finally {
      await fh.close();
    }
    this.#dirTimes.set(rel, times(h));
    await this.#xattrs(parent, base, h);
  }

  async #symlink(parent: DirRef, base: string, rel: string, h: Header): Promise<void> {
    const target = h.linkname ?? '';
    if (target === '') throw this.#refuse(h.name, 'symlink without a target');
    if (!target.startsWith('/')) {
      // docker's rule: a relative target must stay inside the destination (an absolute one is the container's own path).
      this.#relative(posix.join(posix.dirname(rel), target), h.name, `its symlink target ${JSON.stringify(target)} leads outside ${this.#dest}`);
    }
    const at = this.#root.at(parent, base);
    await symlink(target, at);
    const { uid, gid } = this.#owner(h);
    await lchown(at, uid, gid);
    const [atime, mtime] = times(h);
    await lutimes(at, atime, mtime);
    await this.#xattrs(parent, base, h);
  }

  async #hardlink(parent: DirRef, base: string, h: Header): Promise<void> {
    const targetRel = this.#relative(h.linkname ?? '', h.name, `its hard link target ${JSON.stringify(h.linkname)} leads outside ${this.#dest}`);
    if (targetRel === '') throw this.#refuse(h.name, 'a hard link to the destination directory');
    const slash = targetRel.lastIndexOf('/');
    const targetParent = await this.#parent(slash < 0 ? '' : targetRel.slice(0, slash), h.name);
    const targetBase = targetRel.slice(slash + 1);
    const st = await this.#root.lstatAt(targetParent, targetBase);
    if (!st) throw this.#refuse(h.name, `its hard link target ${JSON.stringify(h.linkname)} does not exist`);
    if (st.isDirectory()) throw this.#refuse(h.name, `its hard link target ${JSON.stringify(h.linkname)} is a directory`);
    await link(this.#root.at(targetParent, targetBase), this.#root.at(parent, base));
  }

  async #special(parent: DirRef, base: string, h: Header): Promise<void> {
    const path = this.#root.atForChild(parent, base);
    const modeArg = `0${(mode(h) & 0o777).toString(8)}`;
    if (h.type === 'fifo') {
      await this.#o.exec.run('mkfifo', ['-m', modeArg, '--', path], { signal: this.#o.signal });
    } else {
      const kind = h.type === 'block-device' ? 'b' : 'c';
      await this.#o.exec.run('mknod', ['-m', modeArg, '--', path, kind, String(h.devmajor ?? 0), String(h.devminor ?? 0)], { signal: this.#o.signal });
    }
    const at = this.#root.at(parent, base);
    const { uid, gid } = this.#owner(h);
    await lchown(at, uid, gid);
    const [atime, mtime] = times(h);
    await lutimes(at, atime, mtime);
    await this.#xattrs(parent, base, h);
  }

  /**
   * The directory `parentRel` (relative to the destination), resolved in
   * the container's scope and made when missing. Cached: archives list a
   * directory's entries together.
   */
  async #parent(parentRel: string, entryName: string): Promise<DirRef> {
    const cached = this.#parents.get(parentRel);
    if (cached) return cached;
    const path = parentRel === '' ? this.#dest : posix.join(this.#dest, parentRel);
    const loc = await this.#root.locate(path, { followLast: true, create: { uid: 0, gid: 0 } });
    let dir: DirRef | 'hidden' | undefined = loc.parent;
    if (loc.name !== '') {
      try {
        if (!loc.stat) {
          await mkdir(this.#root.at(loc.parent, loc.name), 0o755).catch((err: NodeJS.ErrnoException) => {
            if (err.code !== 'EEXIST') throw err;
          });
          await lchown(this.#root.at(loc.parent, loc.name), 0, 0);
        } else if (!loc.stat.isDirectory()) {
          throw conflict(`${this.#o.context}: cannot extract ${JSON.stringify(entryName)}: ${loc.path} is not a directory`);
        }
        dir = await this.#root.openDir(loc.parent, loc.name);
      } finally {
        await this.#root.release(loc.parent);
      }
      if (dir === 'hidden' || dir === undefined) {
        throw conflict(`${this.#o.context}: cannot extract ${JSON.stringify(entryName)}: ${loc.path} is not a directory of the container's file system`);
      }
    }
    if (this.#parents.size >= PARENT_CACHE) await this.#forgetParents(this.#current);
    this.#parents.set(parentRel, dir);
    return dir;
  }

  /** Closes the cached directories, but for `keep` (still in use, and unaffected by a removal inside it). */
  async #forgetParents(keep?: DirRef): Promise<void> {
    const entries = [...this.#parents];
    this.#parents.clear();
    for (const [rel, d] of entries) {
      if (d === keep) this.#parents.set(rel, d);
      else await this.#root.release(d);
    }
  }

  /** Removes `base` from `parent`; a directory with everything in it, never following a symlink. */
  async #remove(parent: DirRef, base: string, isDir: boolean): Promise<void> {
    if (!isDir) {
      await unlink(this.#root.at(parent, base)).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EISDIR' || err.code === 'EPERM') return this.#remove(parent, base, true);
        if (err.code !== 'ENOENT') throw err;
      });
      return;
    }
    const dir = await this.#root.openDir(parent, base);
    if (dir === 'hidden') throw conflict(`${this.#o.context}: ${posix.join(parent.path, base)} is a mount point and cannot be replaced`);
    if (dir === undefined) return this.#remove(parent, base, false);
    try {
      for (const name of await this.#root.readdir(dir)) {
        const st = await this.#root.lstatAt(dir, name);
        if (st) await this.#remove(dir, name, st.isDirectory());
      }
    } finally {
      await this.#root.release(dir);
    }
    await rmdir(this.#root.at(parent, base));
  }

  async #xattrs(parent: DirRef, base: string, h: Header): Promise<void> {
    if (!h.pax) return;
    for (const [key, value] of Object.entries(h.pax)) {
      let attr: string;
      let bytes: Buffer;
      if (key.startsWith('SCHILY.xattr.')) {
        attr = key.slice('SCHILY.xattr.'.length);
        bytes = Buffer.from(value, 'utf8');
      } else if (key.startsWith('LIBARCHIVE.xattr.')) {
        attr = decodeURIComponent(key.slice('LIBARCHIVE.xattr.'.length));
        bytes = Buffer.from(value, 'base64');
      } else {
        continue;
      }
      // As docker: a file system that refuses an attribute does not fail the copy.
      await this.#o.exec.run('setfattr', ['-h', '-n', attr, '-v', `0x${bytes.toString('hex')}`, '--', this.#root.atForChild(parent, base)], {
        check: false, signal: this.#o.signal,
      });
    }
  }

  #owner(h: Header): { uid: number; gid: number } {
    if (this.#o.owner) return this.#o.owner;
    const uid = h.pax?.uid !== undefined ? Number.parseInt(h.pax.uid, 10) : (h.uid ?? 0);
    const gid = h.pax?.gid !== undefined ? Number.parseInt(h.pax.gid, 10) : (h.gid ?? 0);
    return { uid: Number.isSafeInteger(uid) && uid >= 0 ? uid : 0, gid: Number.isSafeInteger(gid) && gid >= 0 ? gid : 0 };
  }

  /**
   * An entry name (or link target) as a path relative to the destination:
   * leading `/` dropped, `.` and empty components skipped, `..` applied.
   * InvalidArgument naming `entry` when it climbs above the destination.
   */
  #relative(name: string, entry: string, why?: string): string {
    if (name.includes('\0')) throw this.#refuse(entry, 'its name contains a NUL byte');
    const out: string[] = [];
    for (const part of name.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (out.length === 0) throw this.#refuse(entry, why ?? `it leads outside ${this.#dest}`);
        out.pop();
        continue;
      }
      out.push(part);
    }
    return out.join('/');
  }

  #refuse(entry: string, why: string): JanusError {
    return invalidArgument(`${this.#o.context}: refusing archive entry ${JSON.stringify(entry)}: ${why}`);
  }
}

/** A file system error as the user should see it: a read-only file system or a refusal is Forbidden. */
function fsError(err: unknown, context: string): JanusError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EROFS') return new JanusError('Forbidden', `${context}: the file system is read-only`, { cause: err });
  if (code === 'EACCES' || code === 'EPERM') return new JanusError('Forbidden', `${context}: permission denied`, { cause: err });
  return asJanusError(err, context);
}

function mode(h: Header): number {
  return (h.mode ?? 0o644) & 0o7777;
}

function times(h: Header): [Date, Date] {
  const pm = h.pax?.mtime !== undefined ? Number.parseFloat(h.pax.mtime) : Number.NaN;
  const mtime = Number.isFinite(pm) ? new Date(pm * 1000) : (h.mtime ?? new Date(0));
  const pa = h.pax?.atime !== undefined ? Number.parseFloat(h.pax.atime) : Number.NaN;
  const atime = Number.isFinite(pa) ? new Date(pa * 1000) : mtime;
  return [atime, mtime];
}

async function drain(body: AsyncIterable<Buffer>): Promise<void> {
  for await (const _ of body) { /* skip */ }
}

async function writeAll(fh: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}
