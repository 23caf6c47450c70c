import { constants as fsc, type Stats } from 'node:fs';
import { open, readlink, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { asJanusError } from '../core/errors.ts';
import { addTarEntry, type EntryHeader } from '../images/archive/pack-entry.ts';
import type { DirRef, Located, ScopedRoot } from './container-archive-root.ts';
import { deviceNumbers } from './container-archive-stat.ts';
import type { XattrMap } from './container-files-xattrs.ts';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
/** Files up to this size are read whole; larger ones are streamed. */
const SMALL_FILE = 1024 * 1024;
const CHUNK = 256 * 1024;
/** ustar's octal uid/gid fields hold 7 digits; larger ids go into PAX records. */
const USTAR_ID_MAX = 0o7777777;
const OPEN_FILE = fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK;

/** Options of `packTree`. */
export interface PackTreeOptions {
  /**
   * The archive name of the start (docker's rebase): its children are
   * `NAME/child`; `/` gives docker's names for a container's root (`/`,
   * `/bin/`). Absent: the start itself is left out and its children are
   * named by their relative paths (`bin/`, as `export` and layers are).
   */
  topName?: string;
  /** Extended attributes to record, by path relative to the start. */
  xattrs?: XattrMap;
  /**
   * Writes an overlay upper directory as an OCI layer: 0:0 character
   * devices become `.wh.NAME` files and each directory in `opaque`
   * (relative paths) gets a `.wh..wh..opq` marker.
   */
  layer?: { opaque: ReadonlySet<string> };
  /** Relative paths left out, with everything under them. */
  exclude?: ReadonlySet<string>;
  /** Prefixes error messages (e.g. "container abc: archiving /etc"). */
  context: string;
  signal?: AbortSignal;
  /** Runs once the archive is complete, failed or abandoned (unmounting a temporary view). Never throws. */
  onClose?: () => Promise<void>;
}

/**
 * Streams the tree at `start` (a file, link or directory found by
 * `root.locate`) as a tar, docker's way: a directory before its children,
 * children in name order, directory names ending in `/`, times truncated to
 * seconds, hard links within the archive as link entries, sockets left out.
 * Nothing is followed: every directory is entered through its parent's
 * descriptor without following symlinks, and files are opened with
 * O_NOFOLLOW, so a concurrent change inside a running container cannot
 * redirect the walk. A file that shrinks while it is read is padded with
 * zeros, one that grows is cut at its size: the tar stays well formed.
 * Takes ownership of `start.parent`. Errors destroy the stream; so does
 * `signal`, and the walk stops when the reader destroys it.
 */
export function packTree(root: ScopedRoot, start: Located, options: PackTreeOptions): Readable {
  const pack = tar.pack();
  const stop = new AbortController();
  const onAbort = () => stop.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  let finished = false;
  const walker = new Walker(root, pack, options, stop.signal);
  const closed = (async () => {
    try {
      await walker.run(start);
      pack.finalize();
    } catch (err) {
      pack.destroy(asJanusError(err, options.context));
    } finally {
      finished = true;
      options.signal?.removeEventListener('abort', onAbort);
      await root.release(start.parent);
      await options.onClose?.().catch(() => {});
    }
  })();
  // The stream ends only once everything is released, so a reader that saw the end may unmount, remove or restart freely.
  async function* body(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of pack) yield chunk as Buffer;
    } finally {
      if (!finished) stop.abort(new Error('archive stream closed by its reader'));
      await closed;
    }
  }
  // tar-stream's streams are streamx ones; hand callers a genuine node Readable.
  return Readable.from(body(), { objectMode: false });
}

class Walker {
  readonly #root: ScopedRoot;
  readonly #pack: tar.Pack;
  readonly #o: PackTreeOptions;
  readonly #signal: AbortSignal;
  /** First archive name of each multiply linked file, by device and inode. */
  readonly #links = new Map<string, string>();

  constructor(root: ScopedRoot, pack: tar.Pack, options: PackTreeOptions, signal: AbortSignal) {
    this.#root = root;
    this.#pack = pack;
    this.#o = options;
    this.#signal = signal;
  }

  async run(start: Located): Promise<void> {
    if (!start.stat) return;
    const top = this.#o.topName;
    if (start.name === '') {
      await this.#directory(start.parent, '', top, start.stat);
      return;
    }
    await this.#entry(start.parent, start.name, '', top ?? start.name, start.stat);
  }

  /** Archive name of relative path `rel` under the start. */
  #name(rel: string): string {
    const top = this.#o.topName;
    if (top === undefined) return rel;
    if (rel === '') return top;
    if (top === '/') return `/${rel}`;
    return `${top}/${rel}`;
  }

  async #entry(dir: DirRef, name: string, rel: string, archiveName: string, st: Stats): Promise<void> {
    this.#signal.throwIfAborted();
    if (this.#o.exclude?.has(rel)) return;
    if (st.isDirectory()) {
      const child = await this.#root.openDir(dir, name);
      if (child === undefined) return; // removed or replaced meanwhile
      if (child === 'hidden') {
        // A mount docker's view does not have (/proc, /sys, /dev): its mount point, empty.
        await this.#add(this.#header(`${archiveName}/`, 'directory', st, rel));
        return;
      }
      try {
        await this.#directory(child, rel, archiveName, await child.handle.stat());
      } finally {
        await this.#root.release(child);
      }
      return;
    }
    if (st.isFile()) {
      await this.#file(dir, name, rel, archiveName);
      return;
    }
    if (st.isSymbolicLink()) {
      let target: string;
      try {
        target = await readlink(this.#root.at(dir, name));
      } catch (err) {
        if (isGone(err)) return;
        throw err;
      }
      await this.#add({ ...this.#header(archiveName, 'symlink', st, rel), linkname: target });
      return;
    }
    if (st.isCharacterDevice() || st.isBlockDevice()) {
      const { major, minor } = deviceNumbers(st.rdev);
      if (this.#o.layer && st.isCharacterDevice() && major === 0 && minor === 0) {
        // An overlay whiteout: the OCI layer form is an empty `.wh.NAME` file (docker keeps owner and time, mode 0600).
        const slash = archiveName.lastIndexOf('/');
        const whName = `${archiveName.slice(0, slash + 1)}${WHITEOUT_PREFIX}${archiveName.slice(slash + 1)}`;
        await this.#add({ ...this.#header(whName, 'file', st, rel), mode: fsc.S_IFREG | 0o600, size: 0 });
        return;
      }
      const type = st.isCharacterDevice() ? 'character-device' : 'block-device';
      await this.#add({ ...this.#header(archiveName, type, st, rel), devmajor: major, devminor: minor });
      return;
    }
    if (st.isFIFO()) {
      await this.#add(this.#header(archiveName, 'fifo', st, rel));
      return;
    }
    // Sockets: docker leaves them out, and tar cannot hold them.
  }

  async #directory(dir: DirRef, rel: string, archiveName: string | undefined, st: Stats): Promise<void> {
    if (archiveName !== undefined) {
      await this.#add(this.#header(archiveName.endsWith('/') ? archiveName : `${archiveName}/`, 'directory', st, rel));
      if (this.#o.layer?.opaque.has(rel) && rel !== '') {
        await this.#add({
          ...this.#header(`${archiveName.replace(/\/+$/, '')}/${OPAQUE_MARKER}`, 'file', st, rel),
          mode: fsc.S_IFREG | (st.mode & 0o777),
          size: 0,
          pax: undefined,
        });
      }
    }
    for (const name of await this.#root.readdir(dir)) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const st = await this.#root.lstatAt(dir, name);
      if (!st) continue;
      await this.#entry(dir, name, childRel, this.#name(childRel), st);
    }
  }

  async #file(dir: DirRef, name: string, rel: string, archiveName: string): Promise<void> {
    let fh: FileHandle;
    try {
      fh = await open(this.#root.at(dir, name), OPEN_FILE);
    } catch (err) {
      if (isGone(err)) return;
      throw err;
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) return; // replaced by something else since it was listed
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        const first = this.#links.get(key);
        if (first !== undefined) {
          await this.#add({ ...this.#header(archiveName, 'link', st, rel), linkname: first, size: 0 });
          return;
        }
        this.#links.set(key, archiveName);
      }
      const header = { ...this.#header(archiveName, 'file', st, rel), size: st.size };
      if (st.size <= SMALL_FILE) {
        await this.#add(header, await readExactly(fh, st.size));
        return;
      }
      await addTarEntry(this.#pack, header, chunksOf(fh, st.size, this.#signal), this.#signal);
    } finally {
      await fh.close().catch(() => {});
    }
  }

  #header(name: string, type: tar.Header['type'], st: Stats, rel: string): EntryHeader {
    // The type bits keep tar-stream from replacing a mode of 0 by its default (it masks them off).
    const header: EntryHeader = {
      name,
      type,
      mode: st.mode,
      uid: st.uid,
      gid: st.gid,
      mtime: new Date(Math.floor(st.mtimeMs / 1000) * 1000),
    };
    const pax: Record<string, string> = {};
    if (st.uid > USTAR_ID_MAX) {
      pax.uid = String(st.uid);
      header.uid = 0;
    }
    if (st.gid > USTAR_ID_MAX) {
      pax.gid = String(st.gid);
      header.gid = 0;
    }
    const attrs = this.#o.xattrs?.get(rel);
    if (attrs) {
      for (const [key, value] of attrs) {
        if (key.startsWith('trusted.overlay.')) continue; // overlay's bookkeeping, never part of a layer
        Object.assign(pax, paxXattr(key, value));
      }
    }
    if (Object.keys(pax).length > 0) header.pax = pax;
    return header;
  }

  async #add(header: EntryHeader, body?: Uint8Array): Promise<void> {
    await addTarEntry(this.#pack, header, body ?? (header.type === 'file' ? Buffer.alloc(0) : undefined), this.#signal);
  }
}

/**
 * The PAX record of one extended attribute: `SCHILY.xattr.NAME` (what
 * docker and GNU tar write) when the value survives as UTF-8, which is how
 * tar-stream writes PAX values; else `LIBARCHIVE.xattr.NAME` in base64 so
 * binary values (a file capability) are not mangled. Pure.
 */
export function paxXattr(name: string, value: Buffer): Record<string, string> {
  const text = value.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(value) && !text.includes('\n')) return { [`SCHILY.xattr.${name}`]: text };
  return { [`LIBARCHIVE.xattr.${encodeURIComponent(name)}`]: value.toString('base64') };
}

async function readExactly(fh: FileHandle, size: number): Promise<Buffer> {
  const buf = Buffer.alloc(size);
  let offset = 0;
  while (offset < size) {
    const { bytesRead } = await fh.read(buf, offset, size - offset, offset);
    if (bytesRead === 0) break; // shrank: the rest stays zero
    offset += bytesRead;
  }
  return buf;
}

async function* chunksOf(fh: FileHandle, size: number, signal: AbortSignal): AsyncGenerator<Buffer> {
  let offset = 0;
  while (offset < size) {
    signal.throwIfAborted();
    const want = Math.min(CHUNK, size - offset);
    const buf = Buffer.alloc(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await fh.read(buf, got, want - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    // A file that shrank is padded with the zeros already in `buf`.
    offset += want;
    yield buf;
  }
}

function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR' || code === 'ENXIO';
}
