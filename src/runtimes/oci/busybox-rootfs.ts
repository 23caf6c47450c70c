import { chmod, copyFile, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Exec } from '../../util/exec.ts';

/**
 * Fills `dir` with a minimal root filesystem: a static busybox (Debian's
 * busybox-static) at /bin/busybox, a symlink per applet in /bin, and the
 * empty directories a runtime mounts onto. Used by the runtime probe and by
 * tests; needs no image. Throws when `busybox` is missing.
 */
export async function makeBusyboxRootfs(exec: Exec, dir: string, options: { busybox?: string } = {}): Promise<void> {
  const busybox = options.busybox ?? '/bin/busybox';
  for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc', 'root']) await mkdir(join(dir, d), { recursive: true });
  await chmod(join(dir, 'tmp'), 0o1777);
  await copyFile(busybox, join(dir, 'bin', 'busybox'));
  await chmod(join(dir, 'bin', 'busybox'), 0o755);
  const { stdout } = await exec.run(busybox, ['--list']);
  for (const applet of stdout.split('\n').map((s) => s.trim()).filter((s) => s && s !== 'busybox' && !s.includes('/'))) {
    await symlink('busybox', join(dir, 'bin', applet)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  }
}
