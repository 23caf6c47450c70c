import { open } from 'node:fs/promises';
import { invalidArgument } from '../../core/errors.ts';

/** What `readElfInfo` learns of an executable. */
export interface ElfInfo {
  /** The GOARCH spelling of `e_machine` (`amd64`, `arm64`, …), undefined when unknown. */
  architecture?: string;
  /** The program interpreter (`PT_INTERP`), present exactly when the binary is dynamically linked. */
  interpreter?: string;
}

const PT_INTERP = 3;
const MACHINES: Record<number, string> = { 3: '386', 8: 'mips', 20: 'ppc', 21: 'ppc64le', 22: 's390x', 40: 'arm', 62: 'amd64', 183: 'arm64', 243: 'riscv64', 258: 'loong64' };

/**
 * Reads the ELF header and program headers of `path` — enough to tell its
 * architecture and whether it needs a dynamic loader (a `PT_INTERP` entry;
 * static-pie binaries have none). InvalidArgument naming the file when it is
 * not an ELF executable.
 */
export async function readElfInfo(path: string): Promise<ElfInfo> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(64);
    const { bytesRead } = await fh.read(head, 0, 64, 0);
    if (bytesRead < 52 || head.readUInt32BE(0) !== 0x7f454c46) throw invalidArgument(`${path} is not an ELF executable`);
    const is64 = head[4] === 2;
    const le = head[5] === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const u64 = (b: Buffer, o: number) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
    const machine = u16(head, 18);
    const phoff = is64 ? u64(head, 32) : u32(head, 28);
    const phentsize = u16(head, is64 ? 54 : 42);
    const phnum = u16(head, is64 ? 56 : 44);
    if (phnum > 4096 || phentsize < (is64 ? 56 : 32)) throw invalidArgument(`${path}: malformed ELF program headers`);
    const table = Buffer.alloc(phentsize * phnum);
    await fh.read(table, 0, table.length, phoff);
    let interpreter: string | undefined;
    for (let i = 0; i < phnum; i++) {
      const ph = table.subarray(i * phentsize, (i + 1) * phentsize);
      if (u32(ph, 0) !== PT_INTERP) continue;
      const offset = is64 ? u64(ph, 8) : u32(ph, 4);
      const size = Math.min(is64 ? u64(ph, 32) : u32(ph, 16), 4096);
      const text = Buffer.alloc(size);
      await fh.read(text, 0, size, offset);
      interpreter = text.toString('latin1').replace(/\0.*$/s, '');
    }
    let architecture = MACHINES[machine];
    if (machine === 21 && !le) architecture = 'ppc64';
    if (machine === 8 && le) architecture = 'mipsle';
    return { architecture, ...(interpreter !== undefined ? { interpreter } : {}) };
  } finally {
    await fh.close();
  }
}
