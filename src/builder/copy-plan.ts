import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { createReadStream } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { Digest } from '../core/digest.ts';
import { invalidArgument, isJanusError, notFound } from '../core/errors.ts';
import { openDecompressed } from '../images/archive/sniff-compression.ts';
import { addTarEntry, type EntryHeader } from '../images/archive/pack-entry.ts';
import { globTree, hasWildcard, resolveInTree, type SourceTree } from './source-tree.ts';

/** One thing COPY or ADD puts into the image. */
export interface CopyEntry {
  /** Destination, relative to `/` (no leading slash). */
  dest: string;
  type: 'file' | 'directory' | 'symlink' | 'archive';
  /** Permission bits (setuid/setgid/sticky included), after --chmod. */
  mode: number;
  mtime: Date;
  size: number;
  /** A file's (or archive's) bytes on the host. */
  hostPath?: string;
  /** A here-document's bytes. */
  content?: Buffer;
  /** A symlink's target. */
  linkname?: string;
}

/** A source of COPY/ADD: a path (possibly with wildcards) in the source tree, or a here-document. */
export type CopySource = { path: string } | { inline: string; content: Buffer };

/** What `planCopy` needs. */
export interface CopyPlanOptions {
  /** `COPY` or `ADD` (for messages; ADD extracts local tar archives). */
  instruction: 'COPY' | 'ADD';
  sources: CopySource[];
  tree: SourceTree;
  /** Sources are paths in the build context: `..` may not leave it. */
  fromContext: boolean;
  /** Absolute destination in the image, `/`-separated. */
  dest: string;
  /** The destination is a directory: it ends in `/` (or `/.`), or is a directory in the image already. */
  destIsDir: boolean;
  /** The destination exists in the image (its own metadata is then kept). */
  destExists: boolean;
  /** --chmod as permission bits. */
  chmod?: number;
  signal?: AbortSignal;
}

/**
 * Works out what a COPY or ADD puts where, as docker does: wildcards
 * expanded (Go's filepath.Match per element), a directory's contents
 * copied into the destination (not the directory itself), a file copied
 * to the destination or into it when it is a directory, a top-level
 * symlink followed within the tree, symlinks below kept as they are, and
 * (ADD) a local tar archive — plain, gzip or zstd — marked for extraction
 * into the destination. Also returns a checksum of everything copied
 * (names, types, modes, sizes, contents, link targets; not times or
 * owners) for the layer cache. InvalidArgument for a path that leaves the
 * context, several sources into a non-directory, or no source at all;
 * NotFound for a missing (or .dockerignore'd) source.
 */
export async function planCopy(options: CopyPlanOptions): Promise<{ entries: CopyEntry[]; checksum: Digest; describe: string }> {
  const { tree, instruction } = options;
  const items: Array<{ rel: string; stat: Stats } | { inline: string; content: Buffer }> = [];
  let wildcards = false;
  for (const source of options.sources) {
    if ('inline' in source) {
      items.push(source);
      continue;
    }
    const clean = posix.normalize(`${source.path.replace(/^\/+/, '')}`);
    if (options.fromContext && (clean === '..' || clean.startsWith('../'))) {
      throw invalidArgument(`${instruction} failed: forbidden path outside the build context: ${source.path}`);
    }
    const rel = clean === '.' ? '' : clean.replace(/\/+$/, '');
    if (hasWildcard(rel)) {
      wildcards = true;
      for (const match of await globTree(tree, rel)) {
        const r = await resolveInTree(tree, match, true);
        if (r.stat) items.push({ rel: r.rel, stat: r.stat });
      }
      continue;
    }
    const r = await resolveInTree(tree, rel, true);
    if (!r.stat) {
      throw notFound(options.fromContext
        ? `${instruction} failed: file not found in build context or excluded by .dockerignore: stat ${source.path}: file does not exist`
        : `${instruction} failed: stat ${source.path} in ${tree.what}: file does not exist`);
    }
    items.push({ rel: r.rel, stat: r.stat });
  }
  if (items.length === 0) throw invalidArgument(`${instruction} failed: no source files were specified${wildcards ? ' (no file matches the pattern)' : ''}`);
  if (items.length > 1 && !options.destIsDir) {
    throw invalidArgument(`When using ${instruction} with more than one source file, the destination must be a directory and end with a /`);
  }

  const dest = options.dest.replace(/^\/+/, '').replace(/\/+$/, '');
  const join = (a: string, b: string) => (a === '' ? b : b === '' ? a : `${a}/${b}`);
  const entries: CopyEntry[] = [];
  const mode = (st: Stats) => (options.chmod !== undefined ? options.chmod : st.mode & 0o7777);
  const walk = async (rel: string, to: string): Promise<void> => {
    for (const name of await tree.children(rel)) {
      options.signal?.throwIfAborted();
      const childRel = join(rel, name);
      const st = await tree.lstat(childRel);
      if (!st) continue;
      const childDest = join(to, name);
      const entry = await entryOf(tree, childRel, childDest, st, mode(st));
      if (!entry) continue;
      entries.push(entry);
      if (st.isDirectory()) await walk(childRel, childDest);
    }
  };
  let kinds = new Set<string>();
  for (const item of items) {
    if ('inline' in item) {
      const to = options.destIsDir ? join(dest, item.inline) : dest;
      entries.push({ dest: to, type: 'file', mode: options.chmod ?? 0o644, mtime: new Date(0), size: item.content.length, content: item.content });
      kinds.add('file');
      continue;
    }
    const { rel, stat } = item;
    if (stat.isDirectory()) {
      kinds.add('dir');
      if (!options.destExists && dest !== '') entries.push({ dest, type: 'directory', mode: mode(stat), mtime: stat.mtime, size: 0 });
      await walk(rel, dest);
      continue;
    }
    kinds.add('file');
    const hostPath = await tree.hostPath(rel);
    if (instruction === 'ADD' && stat.isFile() && (await isTarArchive(hostPath))) {
      entries.push({ dest, type: 'archive', mode: 0, mtime: stat.mtime, size: stat.size, hostPath });
      continue;
    }
    const to = options.destIsDir ? join(dest, posix.basename(rel)) : dest;
    if (to === '') throw invalidArgument(`${instruction} failed: cannot copy a file onto /`);
    const entry = await entryOf(tree, rel, to, stat, mode(stat));
    if (entry) entries.push(entry);
  }

  const hash = createHash('sha256');
  for (const e of entries) {
    options.signal?.throwIfAborted();
    const content = e.content ? sha256(e.content) : e.hostPath && e.type !== 'directory' ? await fileSha256(e.hostPath) : '';
    hash.update(`${e.dest}\0${e.type}\0${e.mode.toString(8)}\0${e.size}\0${content}\0${e.linkname ?? ''}\n`);
  }
  const checksum: Digest = `sha256:${hash.digest('hex')}`;
  kinds = kinds.size === 0 ? new Set(['file']) : kinds;
  const describe = `${kinds.size === 1 ? [...kinds][0] : 'multi'}:${checksum.slice(7)}`;
  return { entries, checksum, describe };
}

async function entryOf(tree: SourceTree, rel: string, dest: string, st: Stats, mode: number): Promise<CopyEntry | undefined> {
  if (st.isDirectory()) return { dest, type: 'directory', mode, mtime: st.mtime, size: 0 };
  if (st.isFile()) return { dest, type: 'file', mode, mtime: st.mtime, size: st.size, hostPath: await tree.hostPath(rel) };
  if (st.isSymbolicLink()) return { dest, type: 'symlink', mode: 0o777, mtime: st.mtime, size: 0, linkname: await readlink(await tree.hostPath(rel)) };
  return undefined; // sockets, fifos and devices are not copied
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Whether the file at `path` is a tar archive, plain or gzip/zstd-compressed (ADD's rule for extracting). */
export async function isTarArchive(path: string): Promise<boolean> {
  let opened: Readable | undefined;
  try {
    const { stream } = await openDecompressed(createReadStream(path), path);
    opened = stream;
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      if (length >= 512) break;
    }
    const head = Buffer.concat(chunks);
    return head.length >= 512 && head.subarray(257, 262).toString('latin1') === 'ustar';
  } catch (err) {
    if (isJanusError(err, 'InvalidArgument')) return false;
    throw err;
  } finally {
    opened?.destroy();
  }
}

/**
 * The tar that puts `entries` into an image, named relative to `/`:
 * owned by `owner` (default 0:0, docker's owner of copied files), ADD
 * archives extracted in place (their entries kept inside the destination,
 * their owners kept unless `owner` is given). Errors end the stream.
 */
export function copyArchive(entries: readonly CopyEntry[], options: { owner?: { uid: number; gid: number }; signal?: AbortSignal } = {}): Readable {
  const pack = tar.pack();
  const uid = options.owner?.uid ?? 0;
  const gid = options.owner?.gid ?? 0;
  const put = (header: EntryHeader, body?: Readable | Buffer): Promise<void> => addTarEntry(pack, header, body, options.signal);
  (async () => {
    for (const e of entries) {
      options.signal?.throwIfAborted();
      const base = { name: e.dest, mode: e.mode, uid, gid, mtime: e.mtime };
      if (e.type === 'directory') await put({ ...base, type: 'directory' });
      else if (e.type === 'symlink') await put({ ...base, type: 'symlink', linkname: e.linkname! });
      else if (e.type === 'file') await put({ ...base, type: 'file', size: e.size }, e.content ?? createReadStream(e.hostPath!));
      else await extractArchiveInto(e, put, options.owner);
    }
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(err as Error));
  return pack as unknown as Readable;
}

async function extractArchiveInto(e: CopyEntry, put: (header: EntryHeader, body?: Readable | Buffer) => Promise<void>, owner?: { uid: number; gid: number }): Promise<void> {
  const { stream } = await openDecompressed(createReadStream(e.hostPath!), `ADD ${e.hostPath}`);
  const extract = tar.extract();
  pipeline(stream, extract).catch((err: unknown) => extract.destroy(err as Error));
  const inside = (name: string): string => {
    const clean = posix.normalize(name.replace(/^\/+/, '')).replace(/\/+$/, '');
    if (clean === '..' || clean.startsWith('../')) throw invalidArgument(`ADD: archive entry ${JSON.stringify(name)} leaves the destination`);
    return clean === '.' ? e.dest : e.dest === '' ? clean : `${e.dest}/${clean}`;
  };
  for await (const entry of extract) {
    const h = entry.header;
    const name = inside(h.name);
    const header: EntryHeader = { ...h, name, ...(owner ? { uid: owner.uid, gid: owner.gid, uname: '', gname: '' } : {}) };
    if (h.type === 'link') header.linkname = inside(h.linkname ?? '');
    if (name === '' && h.type === 'directory') {
      entry.resume();
      continue;
    }
    if (h.type === 'file' || h.type === 'contiguous-file') await put(header, entry as unknown as Readable);
    else {
      entry.resume();
      await put(header);
    }
  }
}
