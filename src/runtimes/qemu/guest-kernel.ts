import { open, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidArgument, notFound } from '../../core/errors.ts';

/** A Linux kernel a microVM can boot. */
export interface GuestKernel {
  /** The bzImage. */
  path: string;
  /** Its release (`uname -r` in the guest), read from the image's header. */
  release: string;
  /** Its modules directory (`/lib/modules/<release>`), when the host has one. */
  modulesDir?: string;
}

/**
 * The modules a guest needs from a kernel that builds drivers as modules
 * (Debian's): virtio over MMIO (the `microvm` machine has no PCI), the root
 * disk (virtio-blk, ext4), the agent's port (virtio-console), the network
 * (virtio-net), volumes (9p over virtio) and entropy (virtio-rng). ext4 asks
 * the crypto API for crc32c, which would need a modprobe the guest lacks, so
 * crc32c is loaded up front.
 */
export const GUEST_MODULES = ['virtio_mmio', 'virtio_blk', 'virtio_console', 'virtio_net', 'crc32c_generic', 'ext4', '9pnet_virtio', '9p', 'overlay', 'virtio-rng'];

/**
 * Reads the release string of an x86 bzImage from its setup header
 * (`kernel_version` at 0x20E points at a NUL-terminated string, offset from
 * 0x200). Throws InvalidArgument when the file is not a bzImage.
 */
export async function kernelRelease(path: string): Promise<string> {
  const fh = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT' ? notFound(`kernel ${path} does not exist`) : err;
  });
  try {
    const head = Buffer.alloc(0x400);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead < 0x210 || head.toString('latin1', 0x202, 0x206) !== 'HdrS') {
      throw invalidArgument(`${path} is not a Linux kernel image (bzImage): no "HdrS" setup header`);
    }
    const at = head.readUInt16LE(0x20e) + 0x200;
    const text = Buffer.alloc(256);
    await fh.read(text, 0, text.length, at);
    const version = text.toString('latin1').split('\0')[0].split(' ')[0];
    if (!/^\d+\.\d+/.test(version)) throw invalidArgument(`${path}: cannot read the kernel release from its header`);
    return version;
  } finally {
    await fh.close();
  }
}

/**
 * The kernels installed on the host (`/boot/vmlinuz-*`), newest release
 * first, each with its modules directory when present.
 */
export async function installedKernels(options: { bootDir?: string; modulesRoot?: string } = {}): Promise<GuestKernel[]> {
  const bootDir = options.bootDir ?? '/boot';
  const modulesRoot = options.modulesRoot ?? '/lib/modules';
  const names = await readdir(bootDir).catch(() => [] as string[]);
  const kernels: GuestKernel[] = [];
  for (const name of names.filter((n) => n.startsWith('vmlinuz-'))) {
    const path = join(bootDir, name);
    const release = await kernelRelease(path).catch(() => undefined);
    if (!release) continue;
    const modulesDir = join(modulesRoot, release);
    const hasModules = await stat(join(modulesDir, 'modules.dep')).then(() => true, () => false);
    kernels.push({ path, release, ...(hasModules ? { modulesDir } : {}) });
  }
  return kernels.sort((a, b) => compareReleases(b.release, a.release));
}

/** Orders kernel releases numerically (`6.1.0-57` after `6.1.0-9`). */
export function compareReleases(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const nx = Number(x);
    const ny = Number(y);
    const c = !Number.isNaN(nx) && !Number.isNaN(ny) && x !== '' && y !== '' ? nx - ny : x.localeCompare(y);
    if (c !== 0) return c;
  }
  return 0;
}

/**
 * The module files to load, dependencies first, for the `wanted` module
 * names, from a `modules.dep` text. Names compare as the kernel does (`-`
 * and `_` are the same). Modules built into the kernel (absent from
 * modules.dep but listed in modules.builtin) are skipped; a module found in
 * neither is an error naming it.
 */
export function moduleLoadOrder(modulesDep: string, wanted: readonly string[], builtin = ''): string[] {
  const norm = (n: string): string => n.replace(/-/g, '_');
  const nameOf = (file: string): string => norm(file.split('/').at(-1)!.replace(/\.ko(\.(xz|zst|gz))?$/, ''));
  const deps = new Map<string, { file: string; deps: string[] }>();
  for (const line of modulesDep.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const file = line.slice(0, colon).trim();
    deps.set(nameOf(file), { file, deps: line.slice(colon + 1).trim().split(/\s+/).filter(Boolean) });
  }
  const builtins = new Set(builtin.split('\n').filter(Boolean).map(nameOf));
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const d of deps.get(nameOf(file))?.deps ?? []) visit(d);
    order.push(file);
  };
  for (const w of wanted) {
    const entry = deps.get(norm(w));
    if (entry) visit(entry.file);
    else if (!builtins.has(norm(w))) throw notFound(`kernel module ${w} is neither in modules.dep nor built in`);
  }
  return order;
}

/** modules.dep and modules.builtin of a modules directory. */
export async function readModuleIndex(modulesDir: string): Promise<{ dep: string; builtin: string }> {
  const dep = await readFile(join(modulesDir, 'modules.dep'), 'utf8');
  const builtin = await readFile(join(modulesDir, 'modules.builtin'), 'utf8').catch(() => '');
  return { dep, builtin };
}

/**
 * A user's kernel (`--kernel PATH`): its release from the image header, and
 * the host's modules of that release when there are any (a kernel with its
 * drivers built in needs none). InvalidArgument when PATH is not a bzImage.
 */
export async function kernelAt(path: string, modulesRoot = '/lib/modules'): Promise<GuestKernel> {
  const release = await kernelRelease(path);
  const modulesDir = join(modulesRoot, release);
  const hasModules = await stat(join(modulesDir, 'modules.dep')).then(() => true, () => false);
  return { path, release, ...(hasModules ? { modulesDir } : {}) };
}
