import { readFile, realpath } from 'node:fs/promises';
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
  // The kernel's table, read directly: `mountpoint -q` costs a process
  // (10–20 ms from the daemon, measured), and this runs on every exit.
  let path: string;
  try {
    path = await realpath(target);
  } catch {
    return false; // gone: nothing is mounted there
  }
  try {
    return mountPointsIn(await readFile('/proc/self/mountinfo', 'utf8')).has(path);
  } catch {
    const r = await exec.run('mountpoint', ['-q', target], { check: false });
    return r.code === 0;
  }
}

/** The mount points listed in a mountinfo text (field 5, octal escapes decoded). Pure, for unit tests. */
export function mountPointsIn(mountinfo: string): Set<string> {
  const points = new Set<string>();
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (field) points.add(field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8))));
  }
  return points;
}

async function unmountOne(exec: Exec, target: string): Promise<void> {
  const r = await exec.run('umount', [target], { check: false });
  // A process still holding the tree (a dying container) makes umount EBUSY; detach it instead.
  if (r.code !== 0) await exec.run('umount', ['-l', target]);
}
