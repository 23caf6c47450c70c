import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { constants as fsc, readFileSync } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, rm, symlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import * as tar from 'tar-stream';
import { asJanusError, dataLoss, invalidArgument, isJanusError, JanusError, notImplemented } from '../core/errors.ts';
import type { AppliedLayer, LayerApplier } from '../core/layer-applier.ts';
import { MediaType } from '../core/oci.ts';
import type { Mount } from '../core/snapshotter.ts';
import type { Exec } from '../util/exec.ts';
import { normalizeLayerPath } from './layer-path.ts';

/** Options of a TarLayerApplier. */
export interface TarLayerApplierOptions {
  /** Runs `mknod`, `mkfifo` and `setfattr`, which Node cannot do itself. */
  exec: Exec;
}

type Compression = 'gzip' | 'zstd' | 'none';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
/** Files up to this size are buffered and written in the background. */
const BACKGROUND_FILE_MAX = 1024 * 1024;
/** How many background file writes may be in flight (libuv's pool has 4 threads; latency hides behind the queue). */
const BACKGROUND_FILES = 16;
const OPEN_NEW_FILE = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW;

/**
 * Applies OCI layer tars onto the upper directory of an overlay snapshot (or
 * the source of a bind snapshot), converting OCI whiteouts to overlayfs's
 * form: `.wh.NAME` becomes a 0:0 character device NAME, `.wh..wh..opq`
 * becomes `trusted.overlay.opaque=y` on its directory. Must run as root
 * (ownership, device nodes, trusted xattrs). Safe to call concurrently for
 * different snapshots.
 *
 * Safety: every entry name is normalised lexically; names that are absolute
 * or climb above the root, hard links whose target does, and entries whose
 * parent directory on disk is (or has become) a symlink are refused with
 * InvalidArgument before anything is written for them. Nothing is ever
 * written outside the root. On error the snapshot holds a partial layer and
 * must be removed by the caller.
 */
export class TarLayerApplier implements LayerApplier {
  readonly #exec: Exec;
  readonly #uid: number;
  readonly #gid: number;
  readonly #umask: number;

  constructor(options: TarLayerApplierOptions) {
    this.#exec = options.exec;
    this.#uid = process.getuid?.() ?? 0;
    this.#gid = process.getgid?.() ?? 0;
    this.#umask = readUmask();
  }

  async apply(
    stream: Readable,
    mounts: Mount[],
    options: { mediaType: string; context: string; signal?: AbortSignal },
  ): Promise<AppliedLayer> {
    const { context, signal } = options;
    const root = upperDir(mounts, context);
    declaredCompression(options.mediaType, context);
    if (signal?.aborted) throw asJanusError(signal.reason, context);

    const hash = createHash('sha256');
    let size = 0;
    const extract = tar.extract();
    const stop = new AbortController();
    // Destroying the source and the parser unblocks whichever side is waiting on a stalled stream.
    const onAbort = () => {
      stop.abort(signal?.reason);
      stream.destroy();
      extract.destroy(asJanusError(signal?.reason, context));
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    const feed = (async () => {
      const iterator = stream[Symbol.asyncIterator]();
      const first = await iterator.next();
      const head: Buffer = first.done ? Buffer.alloc(0) : (first.value as Buffer);
      const compression = sniff(head);
      async function* raw() {
        if (head.length) yield head;
        for (let r = await iterator.next(); !r.done; r = await iterator.next()) yield r.value as Buffer;
      }
      const sink = async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) {
          hash.update(chunk);
          size += chunk.length;
          // The extraction may die (a full disk, a refused entry) while we wait for
          // room: `stop` then ends the wait, or it would never see 'drain'.
          if (!extract.write(chunk)) await once(extract, 'drain', { signal: stop.signal });
        }
        extract.end(undefined);
      };
      const steps: Transform[] = compression === 'gzip' ? [createGunzip({ chunkSize: DECOMPRESS_CHUNK_BYTES })] : compression === 'zstd' ? [createZstdDecompress({ chunkSize: DECOMPRESS_CHUNK_BYTES })] : [];
      try {
        const source = Readable.from(raw(), { objectMode: false });
        if (steps.length) await pipeline(source, steps[0]!, sink, { signal: stop.signal });
        else await pipeline(source, sink, { signal: stop.signal });
      } catch (err) {
        if (stop.signal.aborted && !signal?.aborted) return; // stopped because extraction failed; that error wins
        if (isJanusError(err) || (err as Error).name === 'AbortError') throw err;
        throw dataLoss(`${context}: layer data is not a valid ${compression === 'none' ? 'tar' : `${compression} stream`}: ${(err as Error).message}`, err);
      }
    })();
    feed.catch((err) => extract.destroy(err));

    const x = new Extraction({ root, context, exec: this.#exec, uid: this.#uid, gid: this.#gid, umask: this.#umask, signal });
    try {
      try {
        for await (const entry of extract) {
          signal?.throwIfAborted();
          await x.entry(entry.header as Header, entry as AsyncIterable<Buffer>);
        }
      } catch (err) {
        stop.abort();
        stream.destroy();
        await feed.catch(() => {});
        await x.quiesce();
        if (isJanusError(err)) throw err;
        if ((err as Error).name === 'AbortError' || signal?.aborted) throw asJanusError(signal?.reason ?? err, context);
        // tar-stream's own parse errors: the bytes are not a tar.
        if (!(err as NodeJS.ErrnoException).code) throw dataLoss(`${context}: layer is not a valid tar: ${(err as Error).message}`, err);
        throw asJanusError(err, context);
      }
      try {
        await feed;
        await x.finish();
      } catch (err) {
        await x.quiesce();
        throw err;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return { diffId: `sha256:${hash.digest('hex')}`, size };
  }
}

/** The tar header fields we use: tar-stream's, with its `pax` record typed as it is parsed. */
type Header = Omit<tar.Header, 'pax' | 'type'> & { type: tar.Header['type'] | null; pax?: Record<string, string> | null };

interface ExtractionOptions {
  root: string;
  context: string;
  exec: Exec;
  uid: number;
  gid: number;
  umask: number;
  signal?: AbortSignal;
}

/** The state of one layer extraction: which directories are known safe and whose times are pending. */
class Extraction {
  readonly #o: ExtractionOptions;
  /**
   * Relative paths known to be real directories (not symlinks) because we
   * created or lstat-ed them; only this process writes the snapshot, so
   * the knowledge holds until we remove or replace the path ourselves.
   */
  readonly #safeDirs = new Set<string>(['']);
  /** Directory times, applied after all entries so their children do not disturb them. */
  readonly #dirTimes = new Map<string, [Date, Date]>();
  /** Small regular files being written in the background, by relative path. Their promises never reject. */
  readonly #pending = new Map<string, Promise<void>>();
  #failure: unknown;

  constructor(options: ExtractionOptions) {
    this.#o = options;
  }

  async entry(h: Header, body: AsyncIterable<Buffer>): Promise<void> {
    const name = h.name;
    const norm = normalizeLayerPath(name);
    if ('error' in norm) throw this.#refuse(name, norm.error);
    const rel = norm.path;
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    if (this.#failure) throw this.#failure;
    try {
      const isFile = (h.type === 'file' || h.type === 'contiguous-file') && !base.startsWith(WHITEOUT_PREFIX);
      // Only new regular files run in the background; anything else may depend on or remove what they write.
      if (!isFile) await this.#settle();
      if (base.startsWith(WHITEOUT_PREFIX)) {
        await drain(body);
        await this.#whiteout(name, rel, base);
        return;
      }
      switch (h.type) {
        case 'file':
        case 'contiguous-file':
          await this.#file(name, rel, h, body);
          return;
        case 'directory':
          await drain(body);
          await this.#directory(name, rel, h);
          return;
        case 'symlink':
          await drain(body);
          await this.#symlink(name, rel, h);
          return;
        case 'link':
          await drain(body);
          await this.#hardlink(name, rel, h);
          return;
        case 'character-device':
        case 'block-device':
        case 'fifo':
          await drain(body);
          await this.#special(name, rel, h);
          return;
        default:
          throw notImplemented(`${this.#o.context}: tar entry "${name}" has an unsupported type (${h.type ?? 'unknown'})`);
      }
    } catch (err) {
      if (err instanceof JanusError) throw err;
      throw asJanusError(err, `${this.#o.context}: tar entry "${name}"`);
    }
  }

  /** Sets the times of every directory the layer listed; call after the last entry. */
  async finish(): Promise<void> {
    await this.#settle();
    for (const [rel, [atime, mtime]] of this.#dirTimes) {
      try {
        await lutimes(this.#abs(rel), atime, mtime);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed by a later entry
        throw asJanusError(err, `${this.#o.context}: setting times of "${rel}"`);
      }
    }
  }

  async #file(name: string, rel: string, h: Header, body: AsyncIterable<Buffer>): Promise<void> {
    if (rel === '') throw this.#refuse(name, 'a regular file cannot replace the layer root');
    if (this.#pending.has(rel) || this.#safeDirs.has(rel)) await this.#settle();
    await this.#ensureParent(name, rel);
    if ((h.size ?? 0) > BACKGROUND_FILE_MAX) {
      await this.#writeFile(rel, h, body);
      return;
    }
    // Small files: read the body now (the tar stream is sequential) and let the
    // file system work overlap with parsing the next entries; on this kind of
    // layer the per-file syscall latency, not bandwidth, is the cost.
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk);
    const task = this.#writeFile(rel, h, chunks).then(
      () => { this.#pending.delete(rel); },
      (err: unknown) => {
        this.#pending.delete(rel);
        this.#failure ??= err instanceof JanusError ? err : asJanusError(err, `${this.#o.context}: tar entry "${name}"`);
      },
    );
    this.#pending.set(rel, task);
    if (this.#pending.size >= BACKGROUND_FILES) await Promise.race(this.#pending.values());
  }

  /** Waits for every background file write; throws the first failure. */
  async #settle(): Promise<void> {
    while (this.#pending.size) await Promise.all(this.#pending.values());
    if (this.#failure) throw this.#failure;
  }

  /** Waits for background writes without throwing; for the error path, so the caller can remove the snapshot safely. */
  async quiesce(): Promise<void> {
    while (this.#pending.size) await Promise.all(this.#pending.values());
  }

  async #writeFile(rel: string, h: Header, body: Iterable<Buffer> | AsyncIterable<Buffer>): Promise<void> {
    const abs = this.#abs(rel);
    const m = mode(h);
    let fh: FileHandle;
    try {
      fh = await open(abs, OPEN_NEW_FILE, m & 0o777);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      await this.#removeExisting(rel);
      fh = await open(abs, OPEN_NEW_FILE, m & 0o777);
    }
    try {
      // Decompressed tar data arrives in small chunks; one writev per MiB keeps
      // the syscalls (and their promise round trips) off the hot path.
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      for await (const chunk of body) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= WRITE_BATCH_BYTES) {
          await writeAll(fh, pending);
          pending = [];
          pendingBytes = 0;
        }
      }
      if (pendingBytes > 0) await writeAll(fh, pending);
      const { uid, gid } = owner(h);
      if (uid !== this.#o.uid || gid !== this.#o.gid) await fh.chown(uid, gid);
      // chmod after chown, which clears setuid/setgid; skipped when open's mode already survived the umask.
      if ((m & 0o7000) !== 0 || (m & this.#o.umask) !== 0) await fh.chmod(m);
      const [atime, mtime] = times(h);
      await fh.utimes(atime, mtime);
    } finally {
      await fh.close();
    }
    await this.#xattrs(rel, h);
  }

  async #directory(name: string, rel: string, h: Header): Promise<void> {
    const abs = this.#abs(rel);
    if (rel !== '') {
      await this.#ensureParent(name, rel);
      try {
        await mkdir(abs, 0o700);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (!this.#safeDirs.has(rel)) {
          const st = await lstat(abs);
          if (!st.isDirectory()) {
            // Like tar: a directory replaces a non-directory; an existing directory is merged into.
            await this.#removeExisting(rel);
            await mkdir(abs, 0o700);
          }
        }
      }
      this.#safeDirs.add(rel);
    }
    const { uid, gid } = owner(h);
    await lchown(abs, uid, gid);
    await chmod(abs, mode(h));
    this.#dirTimes.set(rel, times(h));
    await this.#xattrs(rel, h);
  }

  async #symlink(name: string, rel: string, h: Header): Promise<void> {
    if (rel === '') throw this.#refuse(name, 'a symlink cannot replace the layer root');
    if (h.linkname == null || h.linkname === '') throw this.#refuse(name, 'symlink without a target');
    await this.#ensureParent(name, rel);
    const abs = this.#abs(rel);
    try {
      await symlink(h.linkname, abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      await this.#removeExisting(rel);
      await symlink(h.linkname, abs);
    }
    const { uid, gid } = owner(h);
    if (uid !== this.#o.uid || gid !== this.#o.gid) await lchown(abs, uid, gid);
    const [atime, mtime] = times(h);
    await lutimes(abs, atime, mtime);
    await this.#xattrs(rel, h);
  }

  async #hardlink(name: string, rel: string, h: Header): Promise<void> {
    if (rel === '') throw this.#refuse(name, 'a hard link cannot replace the layer root');
    const target = normalizeLayerPath(h.linkname ?? '');
    if ('error' in target) throw this.#refuse(name, `hard link target "${h.linkname}": ${target.error}`);
    if (target.path === '') throw this.#refuse(name, 'hard link to the layer root');
    if (target.path === rel) return; // a link to itself: already there
    await this.#ensureParent(name, target.path);
    await this.#ensureParent(name, rel);
    const from = this.#abs(target.path);
    const abs = this.#abs(rel);
    const st = await lstat(from).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!st) throw this.#refuse(name, `hard link target "${h.linkname}" is not in this layer`);
    if (st.isDirectory()) throw this.#refuse(name, `hard link target "${h.linkname}" is a directory`);
    try {
      await link(from, abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      await this.#removeExisting(rel);
      await link(from, abs);
    }
  }

  async #special(name: string, rel: string, h: Header): Promise<void> {
    if (rel === '') throw this.#refuse(name, 'a device or fifo cannot replace the layer root');
    await this.#ensureParent(name, rel);
    const abs = this.#abs(rel);
    await this.#removeExisting(rel);
    const m = mode(h);
    const modeArg = `0${(m & 0o777).toString(8)}`;
    if (h.type === 'fifo') {
      await this.#o.exec.run('mkfifo', ['-m', modeArg, '--', abs], { signal: this.#o.signal });
    } else {
      const kind = h.type === 'block-device' ? 'b' : 'c';
      await this.#o.exec.run('mknod', ['-m', modeArg, '--', abs, kind, String(h.devmajor ?? 0), String(h.devminor ?? 0)], { signal: this.#o.signal });
    }
    const { uid, gid } = owner(h);
    await lchown(abs, uid, gid);
    await chmod(abs, m);
    const [atime, mtime] = times(h);
    await lutimes(abs, atime, mtime);
    await this.#xattrs(rel, h);
  }

  async #whiteout(name: string, rel: string, base: string): Promise<void> {
    const parent = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    if (base === OPAQUE_MARKER) {
      // The marker's own parent must exist for the flag to have a home.
      await this.#ensureParent(name, rel);
      await this.#setXattr(parent, 'trusted.overlay.opaque', Buffer.from('y'));
      return;
    }
    if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return; // aufs bookkeeping (.wh..wh.plnk etc.), meaningless on overlay
    const hidden = base.slice(WHITEOUT_PREFIX.length);
    if (hidden === '' || hidden === '.' || hidden === '..') throw this.#refuse(name, 'whiteout of an invalid name');
    const targetRel = parent === '' ? hidden : `${parent}/${hidden}`;
    await this.#ensureParent(name, targetRel);
    await this.#removeExisting(targetRel);
    await this.#o.exec.run('mknod', ['-m', '000', '--', this.#abs(targetRel), 'c', '0', '0'], { signal: this.#o.signal });
  }

  /**
   * Makes sure every directory above `rel` exists as a real directory,
   * creating missing ones (mode 0755, like tar) and refusing symlinks, so
   * that no write can be redirected outside the root.
   */
  async #ensureParent(name: string, rel: string): Promise<void> {
    const slash = rel.lastIndexOf('/');
    if (slash < 0) return;
    const parent = rel.slice(0, slash);
    if (this.#safeDirs.has(parent)) return;
    const parts = parent.split('/');
    let prefix = '';
    for (const part of parts) {
      prefix = prefix === '' ? part : `${prefix}/${part}`;
      if (this.#safeDirs.has(prefix)) continue;
      if (this.#pending.has(prefix)) await this.#settle();
      const abs = this.#abs(prefix);
      try {
        await mkdir(abs, 0o755);
        this.#safeDirs.add(prefix);
        continue;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const st = await lstat(abs);
      if (st.isSymbolicLink()) throw this.#refuse(name, `its parent "${prefix}" is a symlink`);
      if (!st.isDirectory()) throw this.#refuse(name, `its parent "${prefix}" is not a directory`);
      this.#safeDirs.add(prefix);
    }
  }

  /** Removes whatever is at `rel` (this layer's own earlier entry) and forgets what we knew of it. */
  async #removeExisting(rel: string): Promise<void> {
    const abs = this.#abs(rel);
    let st;
    try {
      st = await lstat(abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (st.isDirectory()) {
      await rm(abs, { recursive: true, force: true });
      const prefix = `${rel}/`;
      for (const d of this.#safeDirs) if (d === rel || d.startsWith(prefix)) this.#safeDirs.delete(d);
      for (const d of this.#dirTimes.keys()) if (d === rel || d.startsWith(prefix)) this.#dirTimes.delete(d);
    } else {
      await rm(abs, { force: true });
    }
  }

  async #xattrs(rel: string, h: Header): Promise<void> {
    const pax = h.pax;
    if (!pax) return;
    for (const [key, value] of Object.entries(pax)) {
      if (key.startsWith('SCHILY.xattr.')) {
        const attr = key.slice('SCHILY.xattr.'.length);
        // tar-stream decodes PAX values as UTF-8; a replacement character means the raw bytes are lost.
        if (value.includes('\uFFFD')) {
          throw notImplemented(`${this.#o.context}: tar entry "${h.name}": xattr ${attr} has a binary value that is not valid UTF-8, which the tar reader cannot preserve`);
        }
        await this.#setXattr(rel, attr, Buffer.from(value, 'utf8'));
      } else if (key.startsWith('LIBARCHIVE.xattr.')) {
        await this.#setXattr(rel, decodeURIComponent(key.slice('LIBARCHIVE.xattr.'.length)), Buffer.from(value, 'base64'));
      }
    }
  }

  async #setXattr(rel: string, attr: string, value: Buffer): Promise<void> {
    // Hex keeps any byte intact through setfattr's argument parsing; -h never follows a symlink.
    await this.#o.exec.run('setfattr', ['-h', '-n', attr, '-v', `0x${value.toString('hex')}`, '--', this.#abs(rel)], { signal: this.#o.signal });
  }

  #abs(rel: string): string {
    return rel === '' ? this.#o.root : join(this.#o.root, rel);
  }

  #refuse(name: string, why: string): JanusError {
    return invalidArgument(`${this.#o.context}: refusing tar entry ${JSON.stringify(name)}: ${why}`);
  }
}

function owner(h: Header): { uid: number; gid: number } {
  const uid = h.pax?.uid !== undefined ? Number.parseInt(h.pax.uid, 10) : (h.uid ?? 0);
  const gid = h.pax?.gid !== undefined ? Number.parseInt(h.pax.gid, 10) : (h.gid ?? 0);
  return { uid: Number.isSafeInteger(uid) && uid >= 0 ? uid : 0, gid: Number.isSafeInteger(gid) && gid >= 0 ? gid : 0 };
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
  for await (const _ of body) { /* skip data we do not store */ }
}

/** Which decompressor the bytes need, by their magic number. */
function sniff(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

/**
 * The compression a layer media type declares; NotImplemented for media
 * types that are not tar layers. The bytes' magic number decides in the end,
 * since registries and old tools mislabel layers.
 */
function declaredCompression(mediaType: string, context: string): Compression {
  switch (mediaType) {
    case MediaType.OciLayerGzip:
    case MediaType.OciLayerNonDistributableGzip:
    case MediaType.DockerLayerGzip:
    case MediaType.DockerLayerForeignGzip:
      return 'gzip';
    case MediaType.OciLayerZstd:
    case 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd':
      return 'zstd';
    case MediaType.OciLayer:
    case 'application/vnd.oci.image.layer.nondistributable.v1.tar':
    case 'application/vnd.docker.image.rootfs.diff.tar':
      return 'none';
    default:
      throw notImplemented(`${context}: unsupported layer media type ${JSON.stringify(mediaType)}`);
  }
}

/** The directory writes go to: a writable bind's source or an overlay's upperdir. */
function upperDir(mounts: Mount[], context: string): string {
  if (mounts.length !== 1) throw invalidArgument(`${context}: expected one mount to unpack into, got ${mounts.length}`);
  const m = mounts[0]!;
  if (m.type === 'bind') {
    if (m.options.includes('ro')) throw invalidArgument(`${context}: cannot unpack into a read-only bind mount of ${m.source}`);
    return m.source;
  }
  if (m.type === 'overlay') {
    const upper = m.options.find((o) => o.startsWith('upperdir='));
    if (!upper) throw invalidArgument(`${context}: cannot unpack into a read-only overlay view (no upperdir)`);
    return upper.slice('upperdir='.length);
  }
  throw invalidArgument(`${context}: cannot unpack into a ${m.type} mount`);
}

/** The process umask, read without changing it (process.umask() would set it briefly). */
function readUmask(): number {
  try {
    const m = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number.parseInt(m[1]!, 8);
  } catch {
    /* not Linux procfs: assume the common default */
  }
  return 0o022;
}


/** Bytes gathered before one writev. */
const WRITE_BATCH_BYTES = 1 << 20;
/** zlib's output chunk size: larger than its 16 KiB default so fewer callbacks cross into JS. */
const DECOMPRESS_CHUNK_BYTES = 256 * 1024;

/** Writes every byte of `buffers` at the file's current position, however short the kernel's writes are. */
async function writeAll(fh: FileHandle, buffers: Buffer[]): Promise<void> {
  let rest = buffers;
  while (rest.length > 0) {
    let { bytesWritten } = await fh.writev(rest);
    while (rest.length > 0 && bytesWritten >= rest[0]!.length) {
      bytesWritten -= rest[0]!.length;
      rest = rest.slice(1);
    }
    if (bytesWritten > 0) rest = [rest[0]!.subarray(bytesWritten), ...rest.slice(1)];
  }
}
