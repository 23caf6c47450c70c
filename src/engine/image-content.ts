import { chmod, copyFile, lchown, lutimes, mkdir, readFile, readlink, symlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { LowerLayers } from './container-diff-lower.ts';

/**
 * /etc/passwd and /etc/group as the image's merged root file system has
 * them (a file deleted by an upper layer is absent). Only regular files
 * are read: a symlink in a layer is never followed out of it.
 */
export async function readUserDb(image: LowerLayers): Promise<{ passwd?: string; group?: string }> {
  const read = async (rel: string): Promise<string | undefined> => {
    const found = await image.locate(rel);
    return found?.stat.isFile() ? readFile(found.path, 'utf8') : undefined;
  };
  return { passwd: await read('etc/passwd'), group: await read('etc/group') };
}

/**
 * Fills a new volume with what the image has at `destination` (docker's
 * copy-up): the merged directory's entries with their modes, owners and
 * times; files deleted by an upper layer stay out. Nothing happens when the
 * image has no directory there. Devices, fifos and sockets are not copied
 * (docker copies none into a volume either).
 */
export async function copyImageContent(image: LowerLayers, destination: string, volumePath: string): Promise<void> {
  const rel = posix.normalize(destination).replace(/^\/+|\/+$/g, '');
  if (rel === '.' || rel === '') return;
  const top = await image.locate(rel);
  if (!top?.stat.isDirectory()) return;
  await copyChildren(image, rel, volumePath);
  await chmod(volumePath, top.stat.mode & 0o7777);
  await lchown(volumePath, top.stat.uid, top.stat.gid);
}

async function copyChildren(image: LowerLayers, rel: string, to: string): Promise<void> {
  for (const name of await image.children(rel)) {
    const childRel = `${rel}/${name}`;
    const found = await image.locate(childRel);
    if (!found) continue;
    const { path, stat: st } = found;
    const dest = join(to, name);
    if (st.isDirectory()) {
      await mkdir(dest, { recursive: true });
      await copyChildren(image, childRel, dest);
      await chmod(dest, st.mode & 0o7777);
    } else if (st.isFile()) {
      await copyFile(path, dest);
      await chmod(dest, st.mode & 0o7777);
    } else if (st.isSymbolicLink()) {
      await symlink(await readlink(path), dest);
    } else {
      continue;
    }
    await lchown(dest, st.uid, st.gid);
    await lutimes(dest, st.atime, st.mtime);
  }
}
