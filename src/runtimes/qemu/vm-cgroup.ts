import { mkdir, readFile, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** QEMU's own memory on top of guest RAM: the TCG translation cache (64 MiB), device emulation, I/O buffers. */
export const QEMU_OVERHEAD_BYTES = 256 * 1024 * 1024;

/** The v1 hierarchies a VM's QEMU joins (those the host mounts). */
const V1_CONTROLLERS = ['memory', 'pids', 'cpu,cpuacct'];

/**
 * The cgroup directories for a VM's QEMU, `/janus/<id>` as runc names a
 * container's: the unified one on a v2 host, else one per v1 controller
 * the host mounts. Pure given `exists`.
 */
export async function vmCgroupDirs(id: string, exists: (p: string) => Promise<boolean>, root = '/sys/fs/cgroup'): Promise<string[]> {
  if (await exists(join(root, 'cgroup.controllers'))) return [join(root, 'janus', id)];
  const dirs: string[] = [];
  for (const c of V1_CONTROLLERS) if (await exists(join(root, c, 'cgroup.procs'))) dirs.push(join(root, c, 'janus', id));
  return dirs;
}

/**
 * Moves QEMU (`pid`, all its threads) into its own cgroups and caps its
 * memory at guest RAM plus QEMU's overhead, so a runaway VM cannot take the
 * host's memory. Returns the directories made (for `removeVmCgroups`).
 * Best effort per controller: a host without one still runs the VM.
 */
export async function confineVm(pid: number, id: string, options: { memoryBytes: number; root?: string }): Promise<string[]> {
  const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);
  const root = options.root ?? '/sys/fs/cgroup';
  const made: string[] = [];
  for (const dir of await vmCgroupDirs(id, exists, root)) {
    try {
      if (dir.startsWith(join(root, 'janus'))) {
        // v2: the parent must hand the memory and pids controllers down.
        await mkdir(join(root, 'janus'), { recursive: true });
        const enabled = await readFile(join(root, 'cgroup.subtree_control'), 'utf8').catch(() => '');
        for (const c of ['memory', 'pids']) {
          if (!enabled.includes(c)) await writeFile(join(root, 'cgroup.subtree_control'), `+${c}`).catch(() => {});
          await writeFile(join(root, 'janus', 'cgroup.subtree_control'), `+${c}`).catch(() => {});
        }
      }
      await mkdir(dir, { recursive: true });
      made.push(dir);
      const limit = String(options.memoryBytes + QEMU_OVERHEAD_BYTES);
      if (dir.includes('/memory/')) await writeFile(join(dir, 'memory.limit_in_bytes'), limit).catch(() => {});
      if (dir.startsWith(join(root, 'janus'))) await writeFile(join(dir, 'memory.max'), limit).catch(() => {});
      await writeFile(join(dir, 'cgroup.procs'), String(pid));
    } catch {
      // A controller we cannot use (read-only, delegated elsewhere) leaves QEMU where it was for that one.
    }
  }
  return made;
}

/** Removes a VM's cgroup directories once QEMU is gone. Safe to repeat. */
export async function removeVmCgroups(dirs: readonly string[]): Promise<void> {
  for (const d of dirs) {
    for (let i = 0; i < 50; i++) {
      try {
        await rmdir(d);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        // EBUSY until the kernel has finished with QEMU's exit.
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}
