import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { unavailable } from '../../core/errors.ts';
import type { Exec } from '../../util/exec.ts';
import { GUEST_MODULES, moduleLoadOrder, readModuleIndex, type GuestKernel } from './guest-kernel.ts';
import { writeNewcArchive, type NewcEntry } from './newc-archive.ts';

/** What goes into a guest's initramfs. */
export interface InitramfsInputs {
  kernel: GuestKernel;
  /** The static guest agent (build/janus-agent), which becomes /init. */
  agent: string;
  /** busybox-static, at /bin/busybox for debugging inside the guest. */
  busybox?: string;
  /** Where built archives are kept, one per distinct input. */
  cacheDir: string;
}

/**
 * Builds (once per distinct kernel, agent and busybox) the initramfs every
 * microVM of that kernel boots: the agent as /init, /dev/console (the
 * kernel opens it for init before anything is mounted), the kernel's guest
 * modules under /lib/modules with their load order in /etc/janus/modules,
 * and busybox. Returns the archive's path. Written beside and renamed, so a
 * concurrent build or a crash never leaves half an archive in the cache.
 */
export async function buildInitramfs(inputs: InitramfsInputs, exec: Exec): Promise<string> {
  const agent = await readFile(inputs.agent).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT' ? unavailable(`the guest agent ${inputs.agent} is missing: run scripts/setup, which builds it`) : err;
  });
  const busybox = inputs.busybox ? await readFile(inputs.busybox).catch(() => undefined) : undefined;
  const modules: { name: string; data: Buffer }[] = [];
  if (inputs.kernel.modulesDir) {
    const index = await readModuleIndex(inputs.kernel.modulesDir);
    for (const rel of moduleLoadOrder(index.dep, GUEST_MODULES, index.builtin)) {
      modules.push({ name: basename(rel).replace(/\.(xz|zst|gz)$/, ''), data: await readModule(join(inputs.kernel.modulesDir, rel), exec) });
    }
  }
  const hash = createHash('sha256');
  hash.update(inputs.kernel.release).update(agent).update(busybox ?? '');
  for (const m of modules) hash.update(m.name).update(m.data);
  const digest = hash.digest('hex').slice(0, 16);
  const path = join(inputs.cacheDir, `initramfs-${inputs.kernel.release}-${digest}.cpio`);
  if (await stat(path).then(() => true, () => false)) return path;

  const entries: NewcEntry[] = [
    { type: 'dir', path: 'bin' },
    { type: 'dir', path: 'dev' },
    { type: 'char', path: 'dev/console', major: 5, minor: 1 },
    { type: 'dir', path: 'etc' },
    { type: 'dir', path: 'etc/janus' },
    { type: 'dir', path: 'lib' },
    { type: 'dir', path: 'lib/modules' },
    { type: 'dir', path: 'proc' },
    { type: 'dir', path: 'run' },
    { type: 'dir', path: 'sys' },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'file', path: 'init', data: agent, mode: 0o755 },
    ...(busybox ? [{ type: 'file' as const, path: 'bin/busybox', data: busybox, mode: 0o755 }] : []),
    ...modules.map((m) => ({ type: 'file' as const, path: `lib/modules/${m.name}`, data: m.data })),
    { type: 'file', path: 'etc/janus/modules', data: Buffer.from(modules.map((m) => `${m.name}\n`).join('')) },
  ];
  await mkdir(inputs.cacheDir, { recursive: true });
  const tmp = `${path}.tmp.${process.pid}.${Date.now()}`;
  await writeFile(tmp, writeNewcArchive(entries));
  await rename(tmp, path);
  return path;
}

async function readModule(path: string, exec: Exec): Promise<Buffer> {
  if (path.endsWith('.ko')) return readFile(path);
  // Compressed modules (newer Debian kernels): the guest has no decompressor, so unpack here.
  const tool = path.endsWith('.xz') ? 'xz' : path.endsWith('.zst') ? 'zstd' : 'gzip';
  const { stdout } = await exec.run('sh', ['-c', `${tool} -dc "$1" | base64 -w0`, 'sh', path]);
  return Buffer.from(stdout, 'base64');
}
