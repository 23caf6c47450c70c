import { constants as fsc } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rmdir, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { invalidArgument, isJanusError } from '../core/errors.ts';
import type { Mount } from '../core/snapshotter.ts';
import { mountArgs } from '../runtimes/oci/rootfs-mount.ts';
import type { Exec } from '../util/exec.ts';
import { ScopedRoot } from './container-archive-root.ts';
import type { OverlayLayers } from './container-diff.ts';

/** A mount over a container's root file system, as the container sees it. */
export interface ContainerFsMount {
  type: 'bind' | 'volume' | 'tmpfs';
  /** Host path ('' for tmpfs). */
  source: string;
  destination: string;
  rw: boolean;
}

/** A mounted view of a stopped container's file system; `release` unmounts it. */
export interface MountedView {
  path: string;
  release(): Promise<void>;
}

/**
 * The overlay layers of a container's root file system snapshot
 * (`Snapshotter.mounts(key)`): an overlay's upperdir and lowerdirs (top
 * first), or a parentless snapshot's bind source as an upper without
 * lowers. InvalidArgument for anything else (a read-only view, a disk).
 */
export function overlayLayersOf(rootfs: readonly Mount[], context: string): OverlayLayers {
  if (rootfs.length !== 1) throw invalidArgument(`${context}: expected one root file system mount, got ${rootfs.length}`);
  const m = rootfs[0]!;
  if (m.type === 'bind') return { upperDir: m.source, lowerDirs: [] };
  if (m.type !== 'overlay') throw invalidArgument(`${context}: its root file system is a ${m.type} mount, not an overlay`);
  const option = (key: string) => m.options.find((o) => o.startsWith(`${key}=`))?.slice(key.length + 1);
  const upperDir = option('upperdir');
  if (!upperDir) throw invalidArgument(`${context}: its root file system has no writable layer`);
  const lower = option('lowerdir');
  return { upperDir, lowerDirs: lower ? lower.split(':') : [] };
}

/**
 * Mounts a stopped container's file system at a new directory under
 * `tmpDir`, as docker does for `cp`: the root file system — read-write
 * through the snapshot's own mount, or read-only as an overlay whose lowest
 * layers are the image's and top layer the writable one — with volumes and
 * bind mounts at their destinations (resolved in the container's scope,
 * parents first). tmpfs mounts have no content while stopped and are left
 * out. Read-only, a destination missing from the image is left unmounted;
 * read-write it is made, as docker makes it. The mounts are private (they
 * never propagate). The caller must keep the container from starting until
 * `release`, which unmounts everything and never throws.
 */
export async function mountContainerView(
  exec: Exec,
  options: { rootfs: readonly Mount[]; mounts: readonly ContainerFsMount[]; writable: boolean; tmpDir: string; context: string; signal?: AbortSignal },
): Promise<MountedView> {
  const { context, signal } = options;
  await mkdir(options.tmpDir, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(options.tmpDir, 'view-'));
  let mounted = false;
  const release = async () => {
    if (mounted) {
      const r = await exec.run('umount', ['-R', dir], { check: false });
      // Busy (a descriptor still open): detach; the kernel finishes once it is closed.
      if (r.code !== 0) await exec.run('umount', ['-R', '-l', dir], { check: false });
    }
    await rmdir(dir).catch(() => {});
  };
  try {
    const m = options.rootfs[0];
    if (options.rootfs.length !== 1 || !m) throw invalidArgument(`${context}: expected one root file system mount, got ${options.rootfs.length}`);
    let args: string[];
    if (options.writable) {
      args = mountArgs(m, dir);
    } else if (m.type === 'bind') {
      args = mountArgs({ type: 'bind', source: m.source, options: ['rbind', 'ro'] }, dir);
    } else {
      const layers = overlayLayersOf(options.rootfs, context);
      // index=off: while the container runs, its upper directory is another mount's; overlayfs would otherwise refuse it as a lower layer.
      args = ['-t', 'overlay', '-o', `ro,index=off,lowerdir=${[layers.upperDir, ...layers.lowerDirs].join(':')}`, 'overlay', dir];
    }
    await exec.run('mount', args, { signal });
    mounted = true;
    await exec.run('mount', ['--make-rprivate', dir], { signal });
    await bindMounts(exec, dir, options);
    return { path: dir, release };
  } catch (err) {
    await release();
    throw err;
  }
}

async function bindMounts(
  exec: Exec,
  dir: string,
  options: { mounts: readonly ContainerFsMount[]; writable: boolean; context: string; signal?: AbortSignal },
): Promise<void> {
  const wanted = options.mounts
    .filter((m) => m.type !== 'tmpfs' && isAbsolute(m.source))
    .sort((a, b) => depth(a.destination) - depth(b.destination) || a.destination.localeCompare(b.destination));
  for (const m of wanted) {
    const source = await stat(m.source).catch(() => undefined);
    if (!source) continue; // a bind source removed since create: start would fail on it, cp need not
    // A fresh scope per mount: earlier mounts change what the path crosses.
    const root = await ScopedRoot.open(dir, { context: options.context });
    try {
      let loc;
      try {
        loc = await root.locate(m.destination, { followLast: true, create: options.writable ? { uid: 0, gid: 0 } : undefined });
      } catch (err) {
        if (!options.writable && isJanusError(err, 'NotFound')) continue;
        throw err;
      }
      try {
        if (!loc.stat) {
          if (!options.writable) continue;
          if (source.isDirectory()) await mkdir(root.at(loc.parent, loc.name), 0o755);
          else await (await open(root.at(loc.parent, loc.name), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o755)).close();
        } else if (loc.stat.isDirectory() !== source.isDirectory()) {
          continue; // the runtime could not mount it there either
        }
        // The container is stopped: nothing races this path between resolving and mounting.
        const rw = m.rw && options.writable; // a view for reading never writes, whatever the mount allows
        await exec.run('mount', mountArgs({ type: 'bind', source: m.source, options: ['rbind', rw ? 'rw' : 'ro'] }, join(dir, loc.path)), { signal: options.signal });
      } finally {
        await root.release(loc.parent);
      }
    } finally {
      await root.close();
    }
  }
}

/**
 * Unmounts and removes views a crashed daemon left under `tmpDir`. Call at
 * daemon start, before any file operation. Never throws.
 */
export async function cleanupContainerViews(exec: Exec, tmpDir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(tmpDir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith('view-')) continue;
    const dir = join(tmpDir, name);
    const r = await exec.run('mountpoint', ['-q', dir], { check: false }).catch(() => undefined);
    if (r?.code === 0) await exec.run('umount', ['-R', '-l', dir], { check: false }).catch(() => {});
    await rmdir(dir).catch(() => {});
  }
}

function depth(path: string): number {
  return path.split('/').filter((c) => c !== '' && c !== '.').length;
}
