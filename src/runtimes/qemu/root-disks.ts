import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidArgument } from '../../core/errors.ts';
import type { Mount } from '../../core/snapshotter.ts';
import type { Exec } from '../../util/exec.ts';

/** Free space every root disk gets above its image's content (the disk is sparse, so unused space costs nothing). */
export const ROOT_DISK_HEADROOM = 2 * 1024 * 1024 * 1024;

/**
 * The image layers below a container's overlay root (`lowerdir=top:…:base`),
 * top first. Throws InvalidArgument for a root that is not an overlay with
 * lower layers (the vm level needs an image to make a disk of).
 */
export function lowerDirsOf(rootfs: readonly Mount[]): string[] {
  const overlay = rootfs.find((m) => m.type === 'overlay');
  const lower = overlay?.options.find((o) => o.startsWith('lowerdir='));
  if (!lower) {
    // A scratch image with only an upper layer: the VM's disk starts empty.
    if (overlay) return [];
    throw invalidArgument('the vm level needs an overlay root filesystem made from image layers');
  }
  return lower.slice('lowerdir='.length).split(':').filter(Boolean);
}

/** `mkfs.ext4` arguments for a root disk made from `contentDir`, sized `sizeBytes`; pure, for unit tests. */
export function mkfsArgs(contentDir: string, disk: string, sizeBytes: number): string[] {
  const kib = Math.ceil(sizeBytes / 1024);
  // -m 0: no blocks reserved for root (the workload is the only user); an 8 MiB journal instead of the
  // default 64 MiB, which every image's disk would otherwise carry on the host.
  return ['-q', '-F', '-t', 'ext4', '-L', 'janus-root', '-m', '0', '-J', 'size=8', '-E', 'root_owner=0:0,lazy_itable_init=1,lazy_journal_init=1', '-d', contentDir, disk, `${kib}k`];
}

/** `qemu-img create` arguments for a VM's copy-on-write disk over a base; pure. */
export function overlayDiskArgs(base: string, disk: string): string[] {
  return ['create', '-q', '-f', 'qcow2', '-o', 'cluster_size=65536', '-F', 'raw', '-b', base, disk];
}

/**
 * Root disks of microVMs. Each distinct stack of image layers becomes one
 * ext4 disk (made once with `mkfs.ext4 -d` from the merged layers, then
 * read-only and shared); every VM gets a qcow2 disk backed by it, so ten
 * VMs of one image copy nothing and each writes only its own changes.
 */
export class RootDisks {
  readonly #dir: string;
  readonly #exec: Exec;
  readonly #building = new Map<string, Promise<string>>();

  constructor(options: { dir: string; exec: Exec }) {
    this.#dir = options.dir;
    this.#exec = options.exec;
  }

  /** The shared base disk of these layers (top first), made on first use. Concurrent calls share one build. */
  base(lowerDirs: readonly string[]): Promise<string> {
    const key = createHash('sha256').update(lowerDirs.join('\n')).digest('hex').slice(0, 32);
    const path = join(this.#dir, `${key}.ext4`);
    let p = this.#building.get(key);
    if (!p) {
      p = this.#build(lowerDirs, path).finally(() => this.#building.delete(key));
      this.#building.set(key, p);
    }
    return p;
  }

  /** Creates `disk`, a qcow2 that reads through to `base` and keeps its own writes. */
  async overlay(base: string, disk: string): Promise<void> {
    await this.#exec.run('qemu-img', overlayDiskArgs(base, disk));
  }

  async #build(lowerDirs: readonly string[], path: string): Promise<string> {
    if (await stat(path).then(() => true, () => false)) return path;
    await mkdir(this.#dir, { recursive: true });
    const work = await mkdtemp(join(this.#dir, '.build-'));
    const view = join(work, 'view');
    let mounted = false;
    try {
      await mkdir(view);
      let content = view;
      if (lowerDirs.length === 1) content = lowerDirs[0];
      else if (lowerDirs.length > 1) {
        // overlayfs merges the layers and hides whiteouts; read-only, so no upper layer is needed.
        await this.#exec.run('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${lowerDirs.join(':')}`, view]);
        mounted = true;
      }
      const { stdout } = await this.#exec.run('du', ['-sxb', content]);
      const used = Number(stdout.split(/\s/)[0]) || 0;
      const tmp = join(work, 'disk.ext4');
      await this.#exec.run('mkfs.ext4', mkfsArgs(content, tmp, Math.ceil((used * 1.2 + ROOT_DISK_HEADROOM) / 4096) * 4096));
      await rename(tmp, path);
      return path;
    } finally {
      if (mounted) await this.#exec.run('umount', [view]).catch(() => {});
      await rm(work, { recursive: true, force: true });
    }
  }
}
