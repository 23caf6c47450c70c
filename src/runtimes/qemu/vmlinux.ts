import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { internal } from '../../core/errors.ts';
import type { Exec } from '../../util/exec.ts';

/** How a bzImage's kernel is compressed, named after the host tool that undoes it. */
export type PayloadFormat = 'gzip' | 'xz' | 'zstd' | 'bzip2' | 'lzma' | 'lz4';

/** Where a bzImage keeps its compressed kernel, and what it holds. */
export interface KernelPayload {
  /** Byte offset of the compressed stream in the file. */
  offset: number;
  /** Length of the compressed stream (without the size the kernel's build appends to all but gzip). */
  length: number;
  format: PayloadFormat;
  /** The uncompressed vmlinux's size, which the build records in the payload's last 4 bytes. */
  size: number;
}

const MAGIC: [PayloadFormat, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['lzma', [0x5d, 0x00, 0x00]],
  ['lz4', [0x02, 0x21, 0x4c, 0x18]],
];

/**
 * Finds the compressed kernel inside an x86 bzImage from its setup header
 * (boot protocol 2.08+: `payload_offset` at 0x248 and `payload_length` at
 * 0x24c, counted from the end of the real-mode setup, whose size is
 * `setup_sects` at 0x1f1, 0 meaning 4). `file` holds at least the header
 * and the payload. Undefined when the file is not such a bzImage or the
 * payload's format is not one the host's tools undo. Pure.
 */
export function kernelPayload(file: Buffer): KernelPayload | undefined {
  if (file.length < 0x250 || file.toString('latin1', 0x202, 0x206) !== 'HdrS' || file.readUInt16LE(0x206) < 0x208) return undefined;
  const setupSects = file[0x1f1] || 4;
  const start = (setupSects + 1) * 512 + file.readUInt32LE(0x248);
  const total = file.readUInt32LE(0x24c);
  if (total < 8 || start + total > file.length) return undefined;
  const format = MAGIC.find(([, m]) => m.every((b, i) => file[start + i] === b))?.[0];
  if (!format) return undefined;
  // The build appends the uncompressed size (little-endian, 32 bits) to every format but gzip, whose own trailer ends with it.
  const size = file.readUInt32LE(start + total - 4);
  return { offset: start, length: format === 'gzip' ? total : total - 4, format, size };
}

/** The note type of the 32-bit PVH entry point (Xen's `XEN_ELFNOTE_PHYS32_ENTRY`), which QEMU boots an ELF kernel through. */
const PHYS32_ENTRY = 18;

/**
 * Whether `elf` (the ELF header, program headers and note segments, read
 * by `read(offset, length)`) is a 64-bit x86 kernel with a PVH entry
 * point: QEMU boots an ELF `-kernel` only through that note.
 */
export async function hasPvhEntry(read: (offset: number, length: number) => Promise<Buffer>): Promise<boolean> {
  const eh = await read(0, 64);
  if (eh.length < 64 || eh.readUInt32BE(0) !== 0x7f454c46 || eh[4] !== 2 || eh[5] !== 1 || eh.readUInt16LE(18) !== 62) return false;
  const phoff = Number(eh.readBigUInt64LE(32));
  const phentsize = eh.readUInt16LE(54);
  const phnum = eh.readUInt16LE(56);
  if (phentsize < 56 || phnum > 64) return false;
  const ph = await read(phoff, phentsize * phnum);
  for (let i = 0; i < phnum; i++) {
    const p = i * phentsize;
    if (ph.length < p + 56 || ph.readUInt32LE(p) !== 4 /* PT_NOTE */) continue;
    const size = Number(ph.readBigUInt64LE(p + 32));
    if (size > 1 << 20) continue;
    const notes = await read(Number(ph.readBigUInt64LE(p + 8)), size);
    for (let at = 0; at + 12 <= notes.length;) {
      const namesz = notes.readUInt32LE(at);
      const descsz = notes.readUInt32LE(at + 4);
      const type = notes.readUInt32LE(at + 8);
      const name = notes.toString('latin1', at + 12, at + 12 + Math.max(0, namesz - 1));
      if (name === 'Xen' && type === PHYS32_ENTRY) return true;
      at += 12 + Math.ceil(namesz / 4) * 4 + Math.ceil(descsz / 4) * 4;
    }
  }
  return false;
}

/** The host tool that writes a payload of `format` decompressed to stdout. */
function decompressor(format: PayloadFormat, input: string): [string, string[]] {
  switch (format) {
    case 'xz': return ['xz', ['-dc', '--format=xz', '--single-stream', input]];
    case 'lzma': return ['xz', ['-dc', '--format=lzma', input]];
    case 'zstd': return ['zstd', ['-dcq', input]];
    case 'gzip': return ['gzip', ['-dc', input]];
    case 'bzip2': return ['bzip2', ['-dc', input]];
    case 'lz4': return ['lz4', ['-dcq', input]];
  }
}

/**
 * The uncompressed kernel (vmlinux) inside a bzImage, made once and kept
 * in `cacheDir` under the bzImage's content hash, so QEMU can boot it
 * through its PVH entry instead of running the bzImage's own decompressor
 * — under TCG that decompressor alone took about 4 s of every cold boot,
 * while the host's xz does it in under a second, once. Undefined (the
 * caller boots the bzImage as it is) when the file holds no payload the
 * host's tools undo, or the kernel has no PVH entry (built without
 * CONFIG_PVH); throws when the tool is missing or fails, or its output is
 * not the size the bzImage records. Written beside and renamed into
 * place, so a crash or a concurrent extraction never leaves half a kernel
 * in the cache.
 */
export async function extractVmlinux(bzImage: string, options: { cacheDir: string; exec: Exec }): Promise<string | undefined> {
  const fh = await open(bzImage, 'r');
  let payload: KernelPayload | undefined;
  let file: Buffer;
  try {
    const { size } = await fh.stat();
    if (size > 512 << 20) return undefined;
    file = Buffer.alloc(size);
    await fh.read(file, 0, size, 0);
    payload = kernelPayload(file);
    if (!payload) return undefined;
  } finally {
    await fh.close();
  }
  const path = join(options.cacheDir, `vmlinux-${createHash('sha256').update(file).digest('hex').slice(0, 16)}`);
  if (await stat(path).then((s) => s.isFile(), () => false)) return path;

  await mkdir(options.cacheDir, { recursive: true });
  const tmp = `${path}.tmp.${process.pid}.${Date.now()}`;
  const compressed = `${tmp}.${payload.format}`;
  try {
    await writeFile(compressed, file.subarray(payload.offset, payload.offset + payload.length));
    const [tool, args] = decompressor(payload.format, compressed);
    // Exec collects stdout as text, which would mangle a binary: sh sends it to the file.
    await options.exec.run('sh', ['-c', '"$@" > "$0"', tmp, tool, ...args]);
    const out = await stat(tmp);
    if (out.size % 2 ** 32 !== payload.size) throw internal(`${tool} made ${out.size} bytes of ${bzImage}'s kernel, its header says ${payload.size}`);
    const vm = await open(tmp, 'r');
    try {
      const pvh = await hasPvhEntry(async (offset, length) => {
        const b = Buffer.alloc(length);
        const { bytesRead } = await vm.read(b, 0, length, offset);
        return b.subarray(0, bytesRead);
      });
      if (!pvh) return undefined;
    } finally {
      await vm.close();
    }
    await rename(tmp, path);
    return path;
  } finally {
    await rm(compressed, { force: true });
    await rm(tmp, { force: true });
  }
}
