import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { asJanusError, internal } from '../../core/errors.ts';
import { addTarEntry, type EntryHeader } from '../archive/pack-entry.ts';

/**
 * Streams an uncompressed tar of the tree under `root`, reproducibly:
 * entries sorted by name (byte order, parents first), numeric owners and no
 * user/group names, hard links kept as links to the first name seen, device
 * nodes and fifos kept, sockets and xattrs skipped, mtimes clamped to
 * `clampMtime` when given. Names are relative (`etc/passwd`, `usr/`). The
 * tree must not change while it is read: a file whose size changes fails
 * the stream. Errors and aborts destroy the returned stream.
 */
export function tarDirectory(root: string, options: { clampMtime?: Date; signal?: AbortSignal } = {}): Readable {
  const pack = tar.pack();
  const out = Readable.from(pack, { objectMode: false });
  const links = new Map<string, string>();
  const clamp = (d: Date): Date => {
    const t = options.clampMtime && d.getTime() > options.clampMtime.getTime() ? options.clampMtime : d;
    return new Date(Math.floor(t.getTime() / 1000) * 1000);
  };
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(root, rel))).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const n of names) {
      options.signal?.throwIfAborted();
      const name = rel ? `${rel}/${n}` : n;
      const path = join(root, name);
      const st = await lstat(path);
      const header: EntryHeader = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: clamp(st.mtime) };
      if (st.isDirectory()) {
        await addTarEntry(pack, { ...header, name: `${name}/`, type: 'directory' });
        await walk(name);
      } else if (st.isSymbolicLink()) {
        await addTarEntry(pack, { ...header, type: 'symlink', linkname: await readlink(path) });
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? links.get(key) : undefined;
        if (first !== undefined) {
          await addTarEntry(pack, { ...header, type: 'link', linkname: first });
          continue;
        }
        if (st.nlink > 1) links.set(key, name);
        const size = st.size;
        const body = async function* () {
          let seen = 0;
          for await (const chunk of createReadStream(path)) {
            seen += (chunk as Buffer).length;
            if (seen > size) break;
            yield chunk as Buffer;
          }
          if (seen !== size) throw internal(`${path} changed size while it was archived`);
        };
        await addTarEntry(pack, { ...header, type: 'file', size }, body(), options.signal);
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const rdev = st.rdev;
        const major = Number((BigInt(rdev) >> 8n) & 0xfffn) | Number((BigInt(rdev) >> 32n) & ~0xfffn);
        const minor = Number(BigInt(rdev) & 0xffn) | Number((BigInt(rdev) >> 12n) & ~0xffn);
        await addTarEntry(pack, { ...header, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major, devminor: minor });
      } else if (st.isFIFO()) {
        await addTarEntry(pack, { ...header, type: 'fifo' });
      }
      // sockets are runtime objects and never part of a layer
    }
  };
  walk('').then(() => pack.finalize(), (err: unknown) => pack.destroy(asJanusError(err, `archiving ${root}`)));
  return out;
}
