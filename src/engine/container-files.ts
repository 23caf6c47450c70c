import { constants as fsc, type Stats } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { Digest } from '../core/digest.ts';
import { invalidArgument, isJanusError, JanusError, notFound, notImplemented } from '../core/errors.ts';
import type { Mount } from '../core/snapshotter.ts';
import { resolveUser } from '../runtimes/oci/spec/resolve-user.ts';
import type { Exec } from '../util/exec.ts';
import { packTree } from './container-archive-pack.ts';
import { ScopedRoot } from './container-archive-root.ts';
import { pathStatOf } from './container-archive-stat.ts';
import { unpackInto } from './container-archive-unpack.ts';
import { LowerLayers } from './container-diff-lower.ts';
import { diffUpper } from './container-diff.ts';
import { commitDefaults } from './container-files-commit.ts';
import { openLiveRoot } from './container-files-live.ts';
import { cleanupContainerViews, mountContainerView, overlayLayersOf, type ContainerFsMount } from './container-files-mount.ts';
import { readXattrsUnder } from './container-files-xattrs.ts';
import type { ContainerRecord } from './container-record.ts';
import type { ChangeEntry, PathStat } from './container-service.ts';
import type { ImageService } from './image-service.ts';

/** What the file operations need of a container; `containerFsOf` builds it from a record. */
export interface ContainerFs {
  /** For messages ("container NAME"). */
  name: string;
  /** The root file system snapshot's mounts: `snapshotter.mounts(rec.snapshotKey)`. */
  rootfs: Mount[];
  /** Volumes, binds, tmpfs and the /etc files mounted over the root. */
  mounts: ContainerFsMount[];
  /** `--read-only`: copying into the root file system (not a writable volume) is Forbidden. */
  readOnlyRootfs: boolean;
  /** Whether a task runs (or is paused). */
  running: boolean;
  /**
   * Host pid of the running init whose `/proc/<pid>/root` is the live
   * view. Absent while running when the runtime's files cannot be reached
   * that way (gVisor): reads then see the layers on disk and writes are
   * refused.
   */
  pid?: number;
}

/** What commit needs of a container besides its file system. */
export type CommitSource = Pick<ContainerRecord, 'imageId' | 'config' | 'request'>;

/** Options of a ContainerFiles. */
export interface ContainerFilesOptions {
  /** Runs mount, umount, getfattr, setfattr, mknod. */
  exec: Exec;
  /** A private directory for temporary mounts of stopped containers; created when missing. */
  tmpDir: string;
  /** Where commit makes its image. */
  images: Pick<ImageService, 'inspect' | 'commitLayer'>;
}

/**
 * The file-system side of docker's container commands — `diff`, `commit`,
 * `cp` both ways (archive HEAD/GET/PUT) and `export` — over a container's
 * overlay layers, volumes and binds. The container engine calls these under
 * the container's lock (which must keep a stopped container from starting
 * until the call, or the returned stream, is done) and pauses a running
 * container for commit when asked. Stopped containers are mounted at a
 * private temporary directory for the duration; running ones are reached
 * through `/proc/<pid>/root`. Paths inside a container are always resolved
 * with the container's root as `/`. Holds only a cache of the image
 * layers' opaque directories (layers are immutable); safe for concurrent
 * calls on different containers.
 */
export class ContainerFiles {
  readonly #exec: Exec;
  readonly #tmpDir: string;
  readonly #images: ContainerFilesOptions['images'];
  readonly #opaque = new Map<string, Promise<ReadonlySet<string>>>();

  constructor(options: ContainerFilesOptions) {
    this.#exec = options.exec;
    this.#tmpDir = options.tmpDir;
    this.#images = options.images;
  }

  /** Unmounts temporary views a crashed daemon left. Call at start-up, before any other method. Never throws. */
  cleanup(): Promise<void> {
    return cleanupContainerViews(this.#exec, this.#tmpDir);
  }

  /** docker's `diff`: changes of the writable layer against the image, sorted by path (see diffUpper). */
  async changes(fs: ContainerFs, options: { signal?: AbortSignal } = {}): Promise<ChangeEntry[]> {
    const context = `container ${fs.name}`;
    const diff = await diffUpper(overlayLayersOf(fs.rootfs, context), { exec: this.#exec, lowerOpaque: (d) => this.#lowerOpaque(d), context, signal: options.signal });
    return diff.changes;
  }

  /**
   * docker's archive HEAD: the PathStat of `path` in the container's view
   * (root file system, volumes, binds). A symlink is not followed (unless
   * the path ends in `/` or `/.`); its `linkTarget` is where it leads in the
   * container. NotFound when absent.
   */
  async statPath(fs: ContainerFs, path: string): Promise<PathStat> {
    const abs = containerPath(path);
    const { root, done } = await this.#view(fs, false);
    try {
      const loc = await this.#locateExisting(root, fs, path, abs);
      try {
        return await this.#pathStat(root, abs, loc.stat!);
      } finally {
        await root.release(loc.parent);
      }
    } finally {
      await done();
    }
  }

  /**
   * docker's archive GET (`docker cp CONTAINER:PATH -`): the PathStat of
   * `path` and a tar of it named by its base name — a directory with
   * everything under it, a symlink as itself unless the path ends in `/`.
   * The view stays mounted until the stream ends or is destroyed.
   * NotFound when absent.
   */
  async getArchive(fs: ContainerFs, path: string, options: { signal?: AbortSignal } = {}): Promise<{ stat: PathStat; archive: Readable }> {
    const abs = containerPath(path);
    const { root, done, hostPath } = await this.#view(fs, false);
    try {
      const loc = await this.#locateExisting(root, fs, path, abs);
      let stat: PathStat;
      let xattrs;
      try {
        stat = await this.#pathStat(root, abs, loc.stat!);
        // File capabilities, docker's only archived xattr; a live container's tree may hold /proc and /sys, which getfattr cannot skip.
        if (hostPath !== undefined) xattrs = await readXattrsUnder(this.#exec, join(hostPath, loc.path), '^security\\.capability$', options.signal);
      } catch (err) {
        await root.release(loc.parent);
        throw err;
      }
      const archive = packTree(root, loc, {
        topName: posixBase(abs),
        xattrs,
        context: `container ${fs.name}: archiving ${abs}`,
        signal: options.signal,
        onClose: done,
      });
      return { stat, archive };
    } catch (err) {
      await done();
      throw err;
    }
  }

  /**
   * docker's archive PUT (`docker cp - CONTAINER:PATH`): extracts `archive`
   * into directory `path` (see unpackInto for the rules on entries).
   * NotFound when `path` is missing, InvalidArgument when it is not a
   * directory, Forbidden when it is on a read-only volume or a read-only
   * root file system. `copyUidGid` gives every entry the container user's
   * uid and gid (docker's copyUIDGID); without a user, the archive's own.
   */
  async putArchive(
    fs: ContainerFs,
    path: string,
    archive: Readable,
    options: { noOverwriteDirNonDir?: boolean; copyUidGid?: boolean; user?: string; signal?: AbortSignal } = {},
  ): Promise<void> {
    if (fs.running && fs.pid === undefined) {
      throw notImplemented(`copying into running container ${fs.name} is not supported at its isolation level; stop it first`);
    }
    const abs = containerPath(path);
    const { root, done } = await this.#view(fs, true);
    try {
      // A missing directory on the way is the same "Could not find" as a missing last one (docker's containerFileNotFound).
      const loc = await root.locate(abs, { followLast: true }).catch((err: unknown) => {
        if (isJanusError(err, 'NotFound')) throw notFound(`Could not find the file ${path} in container ${fs.name}`, err);
        throw err;
      });
      let dest: string;
      try {
        if (!loc.stat) throw notFound(`Could not find the file ${path} in container ${fs.name}`);
        if (!loc.stat.isDirectory()) throw invalidArgument(`extraction point is not a directory: ${path} in container ${fs.name}`);
        dest = loc.path;
      } finally {
        await root.release(loc.parent);
      }
      const mount = mountAt(fs, dest);
      if (mount ? !mount.rw : fs.readOnlyRootfs) {
        throw new JanusError('Forbidden', mount
          ? `container ${fs.name}: ${dest} is on a read-only ${mount.type === 'volume' ? 'volume' : 'mount'}`
          : `container ${fs.name}: its root file system is marked read-only`);
      }
      const owner = options.copyUidGid && options.user ? await containerOwner(root, options.user) : undefined;
      await unpackInto(root, dest, archive, {
        noOverwriteDirNonDir: options.noOverwriteDirNonDir,
        owner,
        exec: this.#exec,
        context: `container ${fs.name}: copying into ${dest}`,
        signal: options.signal,
      });
    } finally {
      await done();
    }
  }

  /**
   * docker's `export`: the merged root file system (no volumes, binds or
   * tmpfs, running or not) as a tar named relative to the root. Mounted
   * read-only until the stream ends or is destroyed.
   */
  async export(fs: ContainerFs, options: { signal?: AbortSignal } = {}): Promise<Readable> {
    const context = `container ${fs.name}`;
    const view = await mountContainerView(this.#exec, { rootfs: fs.rootfs, mounts: [], writable: false, tmpDir: this.#tmpDir, context, signal: options.signal });
    let root: ScopedRoot | undefined;
    try {
      root = await ScopedRoot.open(view.path, { context });
      const xattrs = await readXattrsUnder(this.#exec, view.path, '^security\\.capability$', options.signal);
      const start = await root.locate('/', { followLast: true });
      const opened = root;
      return packTree(opened, start, {
        xattrs,
        context: `${context}: exporting`,
        signal: options.signal,
        onClose: async () => {
          await opened.close();
          await view.release();
        },
      });
    } catch (err) {
      await root?.close();
      await view.release();
      throw err;
    }
  }

  /**
   * docker's `commit`: the writable layer as a new layer on the container's
   * image (overlay whiteouts as `.wh.` files, opaque directories marked,
   * runtime mount points left out, file capabilities kept), with the
   * container's configuration and `changes` as the image's defaults (see
   * commitDefaults) and a history entry holding the command, `message` and
   * `author`. Named `reference` when given. A bad change or reference is
   * refused before anything is read. Does not pause: the caller pauses a
   * running container first when docker would (`pause` defaults to true).
   */
  async commit(
    fs: ContainerFs,
    container: CommitSource,
    options: { reference?: string; message?: string; author?: string; changes?: string[]; signal?: AbortSignal } = {},
  ): Promise<{ id: Digest }> {
    const image = await this.#images.inspect(container.imageId);
    const config = commitDefaults(container, image.config, options.changes ?? []);
    const layer = await this.writableLayer(fs, { signal: options.signal });
    try {
      return await this.#images.commitLayer(container.imageId, layer, {
        config,
        history: {
          // docker records the container's Cmd (not its entrypoint).
          created_by: container.config.cmd.join(' '),
          ...(options.message ? { comment: options.message } : {}),
          ...(options.author ? { author: options.author } : {}),
        },
        ...(options.author ? { author: options.author } : {}),
        ...(options.reference ? { reference: options.reference } : {}),
        signal: options.signal,
      });
    } finally {
      layer.destroy();
    }
  }

  /**
   * The writable layer of a stopped container's (or a prepared snapshot's)
   * root file system as an uncompressed OCI layer tar: what commit stores —
   * overlay whiteouts as `.wh.` files, opaque directories marked, runtime
   * mount points left out, file capabilities kept. The upper directory
   * must not change until the stream ends or is destroyed.
   */
  async writableLayer(fs: Pick<ContainerFs, 'name' | 'rootfs'>, options: { signal?: AbortSignal } = {}): Promise<Readable> {
    const context = `container ${fs.name}`;
    const layers = overlayLayersOf(fs.rootfs, context);
    const diff = await diffUpper(layers, { exec: this.#exec, lowerOpaque: (d) => this.#lowerOpaque(d), context, signal: options.signal });
    const root = await ScopedRoot.open(layers.upperDir, { context });
    try {
      const start = await root.locate('/', { followLast: true });
      return packTree(root, start, {
        layer: { opaque: diff.opaque },
        exclude: diff.excluded,
        xattrs: diff.xattrs,
        context: `${context}: committing`,
        signal: options.signal,
        onClose: () => root.close(),
      });
    } catch (err) {
      await root.close();
      throw err;
    }
  }

  /** The container's view for one operation, and what ends it. `hostPath` is set for a mounted view (no live process in it). */
  async #view(fs: ContainerFs, writable: boolean): Promise<{ root: ScopedRoot; done: () => Promise<void>; hostPath?: string }> {
    const context = `container ${fs.name}`;
    if (fs.running && fs.pid !== undefined) {
      const visible = fs.mounts.map((m) => m.destination);
      const root = await openLiveRoot(fs.pid, overlayLayersOf(fs.rootfs, context), { visibleMounts: visible, context });
      return { root, done: () => root.close() };
    }
    const view = await mountContainerView(this.#exec, {
      rootfs: fs.rootfs, mounts: fs.mounts, writable: writable && !fs.running, tmpDir: this.#tmpDir, context,
    });
    let root: ScopedRoot;
    try {
      root = await ScopedRoot.open(view.path, { context });
    } catch (err) {
      await view.release();
      throw err;
    }
    let closed = false;
    const done = async () => {
      if (closed) return;
      closed = true;
      await root.close();
      await view.release();
    };
    return { root, done, hostPath: view.path };
  }

  async #locateExisting(root: ScopedRoot, fs: ContainerFs, path: string, abs: string) {
    let loc;
    try {
      loc = await root.locate(abs, { followLast: abs.endsWith('/') || abs.endsWith('/.') });
    } catch (err) {
      if (isJanusError(err, 'NotFound')) throw notFound(`Could not find the file ${path} in container ${fs.name}`, err);
      throw err;
    }
    if (!loc.stat) {
      await root.release(loc.parent);
      throw notFound(`Could not find the file ${path} in container ${fs.name}`);
    }
    return loc;
  }

  /** docker's PathStat: named by the asked path's base name; a symlink's target fully resolved in the container. */
  async #pathStat(root: ScopedRoot, abs: string, st: Stats): Promise<PathStat> {
    let linkTarget = '';
    if (st.isSymbolicLink()) {
      const full = await root.locate(abs, { followLast: true }).catch((err: unknown) => {
        if (isJanusError(err, 'NotFound')) return undefined;
        throw err;
      });
      if (full) {
        linkTarget = full.path;
        await root.release(full.parent);
      }
    }
    return pathStatOf(posixBase(abs), st, linkTarget);
  }

  /**
   * An image's root file system merged from its layer directories (bottom
   * first, as images list them) without mounting: whiteouts and opaque
   * directories apply as overlayfs would apply them.
   */
  async imageView(layerDirs: readonly string[]): Promise<LowerLayers> {
    const top = [...layerDirs].reverse();
    return new LowerLayers(top, await Promise.all(top.map((d) => this.#lowerOpaque(d))));
  }

  /** The opaque directories of image layer `dir`, read once per layer (layers never change). */
  #lowerOpaque(dir: string): Promise<ReadonlySet<string>> {
    const read = async () => {
      const real = await realpath(dir);
      const attrs = await readXattrsUnder(this.#exec, real, '^trusted\\.overlay\\.opaque$');
      return new Set([...attrs].filter(([, a]) => a.get('trusted.overlay.opaque')?.toString() === 'y').map(([rel]) => rel));
    };
    let known = this.#opaque.get(dir);
    if (!known) {
      known = read();
      this.#opaque.set(dir, known);
      known.catch(() => this.#opaque.delete(dir));
    }
    return known;
  }
}

/**
 * The ContainerFs of a container record and its root file system mounts
 * (`snapshotter.mounts(rec.snapshotKey)`): its volumes, binds and tmpfs,
 * the /etc files the engine wrote, `--read-only`, and the pid to reach it
 * through while it runs at the container level.
 */
export function containerFsOf(rec: ContainerRecord, rootfs: Mount[]): ContainerFs {
  const readOnly = !!rec.request.run.readOnly;
  const mounts: ContainerFsMount[] = rec.mounts.map((m) => ({ type: m.type, source: m.source, destination: m.destination, rw: m.rw }));
  for (const [source, destination] of [[rec.hostnamePath, '/etc/hostname'], [rec.hostsPath, '/etc/hosts'], [rec.resolvConfPath, '/etc/resolv.conf']] as const) {
    if (source) mounts.push({ type: 'bind', source, destination, rw: !readOnly });
  }
  const running = (rec.state.status === 'running' || rec.state.status === 'paused') && rec.state.pid > 0;
  return {
    name: rec.name,
    rootfs,
    mounts,
    readOnlyRootfs: readOnly,
    running,
    ...(running && rec.isolation === 'container' ? { pid: rec.state.pid } : {}),
  };
}

/** The mount whose destination holds container path `path` (the deepest), if any. */
function mountAt(fs: ContainerFs, path: string): ContainerFsMount | undefined {
  let best: ContainerFsMount | undefined;
  for (const m of fs.mounts) {
    if (m.type === 'tmpfs' && !fs.running) continue;
    const d = posix.normalize(m.destination).replace(/\/+$/, '') || '/';
    if ((path === d || path.startsWith(`${d}/`) || d === '/') && (!best || d.length > best.destination.length)) best = { ...m, destination: d };
  }
  return best;
}

/**
 * `path` as docker's archive endpoints take it: absolute, cleaned, but
 * keeping a trailing `/` or `/.` (they mean "the directory itself, through
 * a symlink" and "its contents").
 */
function containerPath(path: string): string {
  if (path === '') throw invalidArgument('a path in the container is required');
  if (path.includes('\0')) throw invalidArgument(`invalid path ${JSON.stringify(path)}: it contains a NUL byte`);
  let clean = posix.normalize(`/${path}`);
  if (clean.length > 1 && clean.endsWith('/')) clean = clean.slice(0, -1);
  if (path.endsWith('/.') && !clean.endsWith('/.')) return `${clean === '/' ? '' : clean}/.`;
  if (path.endsWith('/') && clean !== '/') return `${clean}/`;
  return clean;
}

/** Go's filepath.Base: the last element, trailing slashes ignored; `/` for the root. */
function posixBase(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** The uid and gid of `user` (`name`, `uid`, `name:group`, …) by the container's /etc/passwd and /etc/group. */
async function containerOwner(root: ScopedRoot, user: string): Promise<{ uid: number; gid: number }> {
  const read = async (path: string): Promise<string | undefined> => {
    const loc = await root.locate(path, { followLast: true }).catch(() => undefined);
    if (!loc) return undefined;
    try {
      if (!loc.stat?.isFile()) return undefined;
      const fh = await open(root.at(loc.parent, loc.name), fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
      try {
        const st = await fh.stat();
        if (!st.isFile() || st.size > 16 * 1024 * 1024) return undefined;
        return (await fh.readFile()).toString('utf8');
      } finally {
        await fh.close();
      }
    } finally {
      await root.release(loc.parent);
    }
  };
  const { user: resolved } = resolveUser(user, { passwd: await read('/etc/passwd'), group: await read('/etc/group') });
  return { uid: resolved.uid, gid: resolved.gid };
}

