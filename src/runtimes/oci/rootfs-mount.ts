import type { Mount } from '../../core/snapshotter.ts';
import type { Exec } from '../../util/exec.ts';

/**
 * Mounts a snapshot's `Mount[]` on `target`, in order (later mounts stack
 * on earlier ones, as containerd does), through `mount(8)`. A bind mount is
 * given without `-t` because `bind` is an option, not a filesystem type.
 * On failure the mounts already made are undone before the error is thrown.
 */
export async function mountAll(exec: Exec, mounts: readonly Mount[], target: string): Promise<void> {
  let done = 0;
  try {
    for (const m of mounts) {
      await exec.run('mount', mountArgs(m, target));
      done++;
    }
  } catch (err) {
    for (; done > 0; done--) await unmountOne(exec, target);
    throw err;
  }
}

/** `mount(8)`'s arguments for one Mount; pure, for unit tests. */
export function mountArgs(m: Mount, target: string): string[] {
  const isBind = m.type === 'bind' || m.type === 'rbind' || m.options.includes('bind') || m.options.includes('rbind');
  const options = isBind && !m.options.includes('bind') && !m.options.includes('rbind') ? ['rbind', ...m.options] : m.options;
  const args = isBind ? [] : ['-t', m.type];
  if (options.length) args.push('-o', options.join(','));
  args.push(m.source, target);
  return args;
}

/**
 * Unmounts everything stacked on `target` (`mountCount` layers at most).
 * A target that is no longer a mount point is not an error, so cleanup can
 * be repeated after a crash.
 */
export async function unmountAll(exec: Exec, target: string, mountCount: number): Promise<void> {
  for (let i = 0; i < mountCount; i++) {
    if (!(await isMountPoint(exec, target))) return;
    await unmountOne(exec, target);
  }
}

async function isMountPoint(exec: Exec, target: string): Promise<boolean> {
  const r = await exec.run('mountpoint', ['-q', target], { check: false });
  return r.code === 0;
}

async function unmountOne(exec: Exec, target: string): Promise<void> {
  const r = await exec.run('umount', [target], { check: false });
  // A process still holding the tree (a dying container) makes umount EBUSY; detach it instead.
  if (r.code !== 0) await exec.run('umount', ['-l', target]);
}
