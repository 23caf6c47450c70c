import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Where a full init system lives in a Linux image (systemd's binaries across distributions). */
export const SYSTEMD_PATHS: readonly string[] = ['/lib/systemd/systemd', '/usr/lib/systemd/systemd', '/bin/systemctl', '/usr/bin/systemctl'];

/**
 * The systemd files present in an image, found by looking them up in its
 * unpacked layer directories (`layerDirs`, bottom first, as image inspect
 * gives them) from the top down, with overlay's whiteouts honoured (a
 * character device 0:0 in an upper layer deletes the path). Also reports
 * `/sbin/init` when it is a link to systemd. A handful of lstat calls per
 * layer: cheap enough to run on every `--isolation auto` create. Throws
 * only when no layer directory can be read at all.
 */
export async function findInitSystemFiles(layerDirs: readonly string[]): Promise<string[]> {
  const readable = (await Promise.all(layerDirs.map((d) => lstat(d).then(() => true, () => false)))).filter(Boolean).length;
  if (layerDirs.length > 0 && readable === 0) throw new Error(`none of the image's ${layerDirs.length} layer directories can be read`);
  const top = [...layerDirs].reverse();
  const lookup = async (path: string): Promise<{ link?: string } | undefined> => {
    for (const dir of top) {
      const p = join(dir, path);
      const st = await lstat(p).catch(() => undefined);
      if (!st) continue;
      if (st.isCharacterDevice() && st.rdev === 0) return undefined;
      return st.isSymbolicLink() ? { link: await readlink(p).catch(() => '') } : {};
    }
    return undefined;
  };
  const found: string[] = [];
  for (const p of SYSTEMD_PATHS) if (await lookup(p)) found.push(p);
  const init = await lookup('/sbin/init');
  if (init?.link && /systemd/.test(init.link)) found.push(`/sbin/init -> ${init.link}`);
  return found;
}
