import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * docker's SizeRw of a container: the bytes of what it changed, measured on
 * its writable layer (`upperDir`, the overlay's upper directory) the way
 * docker's overlay2 driver does — apparent sizes of the files in it, each
 * inode once (hard links), directories and empty files counting nothing.
 * A fresh container is 0 B, as in docker, where a block count (the
 * snapshotter's usage) would show the directories runc creates for its
 * mount points. A missing directory is 0 (the container is being removed);
 * files vanishing during the walk are skipped. May be called at any time,
 * also while the container runs; the figure is a snapshot.
 */
export async function writableLayerSize(upperDir: string): Promise<number> {
  const seen = new Set<bigint>();
  let size = 0;
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw err;
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        await walk(path);
        continue;
      }
      const st = await lstat(path, { bigint: true }).catch(() => undefined);
      if (!st || st.size === 0n || seen.has(st.ino)) continue;
      seen.add(st.ino);
      size += Number(st.size);
    }
  };
  await walk(upperDir);
  return size;
}
