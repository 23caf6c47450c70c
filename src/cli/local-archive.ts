import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, link, lstat, lutimes, mkdir, readdir, readlink, realpath, rm, symlink, utimes } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { JanusError, invalidArgument } from '../core/errors.ts';
import { rebaseEntry, splitPathDirEntry } from './cp-paths.ts';

/** Renames the archive's top entry (see cp-paths.ts rebaseEntry). */
export type Rebase = { from: string; to: string } | undefined;

async function addEntry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, body?: AsyncIterable<Buffer>): Promise<void> {
  if (!body) {
    await new Promise<void>((resolve, reject) => pack.entry(header, (err) => (err ? reject(err) : resolve())));
    return;
  }
  const done = new Promise<void>((resolve, reject) => {
    const entry = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    entry.on('error', () => {});
    void (async () => {
      try {
        for await (const chunk of body) if (!entry.write(chunk)) await once(entry, 'drain');
        (entry as unknown as { end(): void }).end();
      } catch (err) {
        entry.destroy(err as Error);
        reject(err);
      }
    })();
  });
  await done;
}

/**
 * A tar of a local path as docker cp sends it: the top entry is the path's
 * base name (or `.` for `dir/.`, whose entries are then `./…`), renamed by
 * `rebase` when given; directories recursively, symlinks as links (never
 * followed), hard links kept, owners and modes recorded (the daemon
 * decides whose they become), sockets, fifos and devices skipped. Counts
 * the bytes of file contents in `stats.bytes`. Errors destroy the stream.
 */
export function packLocalPath(path: string, rebase: Rebase, stats: { bytes: number } = { bytes: 0 }): Readable {
  const pack = tar.pack();
  const { dir, base } = splitPathDirEntry(path);
  const top = base;
  const rootPath = base === '.' ? dir : join(dir, base);
  const links = new Map<string, string>();
  const name = (rel: string): string => {
    const n = rel === '' ? top : top === '.' ? `./${rel}` : `${top}/${rel}`;
    return rebase ? rebaseEntry(n, rebase.from, rebase.to) : n;
  };
  const visit = async (rel: string): Promise<void> => {
    const full = rel === '' ? rootPath : join(rootPath, rel);
    const st = await lstat(full);
    const header: Partial<tar.Header> & { name: string } = { name: name(rel), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    if (st.isDirectory()) {
      await addEntry(pack, { ...header, name: `${header.name.replace(/\/+$/, '')}/`, type: 'directory' });
      const children = (await readdir(full)).sort();
      for (const c of children) await visit(rel === '' ? c : `${rel}/${c}`);
    } else if (st.isSymbolicLink()) {
      await addEntry(pack, { ...header, type: 'symlink', linkname: await readlink(full) });
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? links.get(key) : undefined;
      if (first !== undefined) {
        await addEntry(pack, { ...header, type: 'link', linkname: first });
        return;
      }
      if (st.nlink > 1) links.set(key, header.name);
      stats.bytes += st.size;
      await addEntry(pack, { ...header, type: 'file', size: st.size }, createReadStream(full) as AsyncIterable<Buffer>);
    }
  };
  visit('').then(() => pack.finalize(), (err: unknown) => pack.destroy(err as Error));
  return Readable.from(pack, { objectMode: false });
}

function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep));
}

/**
 * Extracts a tar from the daemon into the local directory `dstDir`, as
 * docker cp does: the top entry renamed by `rebase` first; an existing
 * directory is never replaced by a file nor a file by a directory
 * ("cannot overwrite …"); owners are not changed; modes and modification
 * times are kept; entries that would land outside `dstDir` (`..`, absolute
 * names, or through a symlink) are refused; devices and fifos are
 * skipped. Resolves with the bytes of file contents written.
 */
export async function extractToLocal(source: AsyncIterable<Buffer> & Readable, dstDir: string, rebase: Rebase): Promise<number> {
  const root = await realpath(dstDir);
  const extract = tar.extract();
  let bytes = 0;
  const dirTimes: Array<{ path: string; mtime: Date }> = [];
  const resolveTarget = async (entryName: string): Promise<string> => {
    const n = posix.normalize(entryName.replace(/\/+$/, '') || '.');
    if (n.startsWith('/') || n === '..' || n.startsWith('../')) throw invalidArgument(`invalid archive entry ${JSON.stringify(entryName)}: it would be written outside ${dstDir}`);
    const target = join(root, n);
    // A symlink extracted earlier must not lead a later entry out of the destination.
    const parent = await realpath(join(target, '..')).catch(() => undefined);
    if (parent !== undefined && !within(root, parent)) throw invalidArgument(`invalid archive entry ${JSON.stringify(entryName)}: it would be written outside ${dstDir}`);
    return target;
  };
  const existing = async (p: string) => lstat(p).catch(() => undefined);

  extract.on('entry', (header, stream, next) => {
    void (async () => {
      const name = rebase ? rebaseEntry(header.name, rebase.from, rebase.to) : header.name;
      const target = await resolveTarget(name);
      const mode = (header.mode ?? 0o644) & 0o7777;
      const mtime = header.mtime ?? new Date();
      const was = await existing(target);
      switch (header.type) {
        case 'directory': {
          if (was && !was.isDirectory()) throw new JanusError('Conflict', `cannot overwrite non-directory ${target} with directory`);
          if (!was) await mkdir(target, { recursive: true });
          await chmod(target, mode);
          dirTimes.push({ path: target, mtime });
          stream.resume();
          break;
        }
        case 'file': case 'contiguous-file': {
          if (was?.isDirectory()) throw new JanusError('Conflict', `cannot overwrite directory ${target} with non-directory`);
          if (was) await rm(target, { force: true });
          await pipeline(stream, createWriteStream(target, { mode }));
          await chmod(target, mode);
          await utimes(target, mtime, mtime);
          bytes += header.size ?? 0;
          break;
        }
        case 'symlink': {
          if (was?.isDirectory()) throw new JanusError('Conflict', `cannot overwrite directory ${target} with non-directory`);
          if (was) await rm(target, { force: true });
          await symlink(header.linkname ?? '', target);
          await lutimes(target, mtime, mtime).catch(() => {});
          stream.resume();
          break;
        }
        case 'link': {
          const from = await resolveTarget(rebase ? rebaseEntry(header.linkname ?? '', rebase.from, rebase.to) : header.linkname ?? '');
          if (was?.isDirectory()) throw new JanusError('Conflict', `cannot overwrite directory ${target} with non-directory`);
          if (was) await rm(target, { force: true });
          await link(from, target);
          stream.resume();
          break;
        }
        default:
          // Devices, fifos and extended headers need nothing here (or root to make them).
          stream.resume();
      }
    })().then(() => next(), (err: unknown) => extract.destroy(err as Error));
  });
  await pipeline(source, extract);
  for (const d of dirTimes.reverse()) await utimes(d.path, d.mtime, d.mtime).catch(() => {});
  return bytes;
}
