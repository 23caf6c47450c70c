import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { NodeExec } from '../../util/exec.ts';
import { extractVmlinux, hasPvhEntry, kernelPayload } from './vmlinux.ts';

/** A minimal ELF64 x86-64 file with one PT_NOTE segment holding `notes` ([name, type] each, 4 bytes of description). */
function elf(notes: [string, number][]): Buffer {
  const noteBufs = notes.map(([name, type]) => {
    const n = Buffer.alloc(12 + Math.ceil((name.length + 1) / 4) * 4 + 4);
    n.writeUInt32LE(name.length + 1, 0);
    n.writeUInt32LE(4, 4);
    n.writeUInt32LE(type, 8);
    n.write(name, 12, 'latin1');
    return n;
  });
  const note = Buffer.concat(noteBufs);
  const h = Buffer.alloc(64 + 56);
  h.writeUInt32BE(0x7f454c46, 0);
  h[4] = 2; // ELFCLASS64
  h[5] = 1; // little-endian
  h.writeUInt16LE(62, 18); // EM_X86_64
  h.writeBigUInt64LE(64n, 32); // e_phoff
  h.writeUInt16LE(56, 54);
  h.writeUInt16LE(1, 56);
  h.writeUInt32LE(4, 64); // PT_NOTE
  h.writeBigUInt64LE(BigInt(h.length), 64 + 8); // p_offset
  h.writeBigUInt64LE(BigInt(note.length), 64 + 32); // p_filesz
  return Buffer.concat([h, note]);
}

/** A bzImage-shaped file: setup header (2 setup sectors) and `payload` right after the setup, plus the 4-byte size the build appends unless gzip. */
function bzImage(payload: Buffer, sizeAppended?: number): Buffer {
  const setup = Buffer.alloc(3 * 512);
  setup[0x1f1] = 2;
  setup.write('HdrS', 0x202, 'latin1');
  setup.writeUInt16LE(0x20f, 0x206);
  const tail = sizeAppended === undefined ? Buffer.alloc(0) : Buffer.alloc(4);
  if (sizeAppended !== undefined) tail.writeUInt32LE(sizeAppended, 0);
  setup.writeUInt32LE(0, 0x248);
  setup.writeUInt32LE(payload.length + tail.length, 0x24c);
  return Buffer.concat([setup, payload, tail, Buffer.alloc(100)]);
}

const reader = (b: Buffer) => async (offset: number, length: number) => b.subarray(offset, offset + length);

test('the payload is found from the setup header; its format by its magic; the size from its last 4 bytes', () => {
  const xz = Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(20)]);
  assert.deepEqual(kernelPayload(bzImage(xz, 123456)), { offset: 1536, length: xz.length, format: 'xz', size: 123456 });
  const gz = gzipSync(Buffer.from('kernel'));
  assert.deepEqual(kernelPayload(bzImage(gz)), { offset: 1536, length: gz.length, format: 'gzip', size: 6 });
});

test('no payload: not a bzImage, an old boot protocol, or an unknown compression', () => {
  assert.equal(kernelPayload(Buffer.alloc(4096)), undefined);
  const old = bzImage(gzipSync(Buffer.from('k')));
  old.writeUInt16LE(0x207, 0x206);
  assert.equal(kernelPayload(old), undefined);
  assert.equal(kernelPayload(bzImage(Buffer.alloc(64, 0x33), 64)), undefined);
});

test('a PVH entry is the Xen note of type 18; other notes or other machines are not', async () => {
  assert.equal(await hasPvhEntry(reader(elf([['GNU', 3], ['Xen', 6], ['Xen', 18]]))), true);
  assert.equal(await hasPvhEntry(reader(elf([['Xen', 6], ['GNU', 18]]))), false);
  const arm = elf([['Xen', 18]]);
  arm.writeUInt16LE(183, 18);
  assert.equal(await hasPvhEntry(reader(arm)), false);
  assert.equal(await hasPvhEntry(reader(Buffer.from('not an elf file, no header at all, but long enough to read a header....'))), false);
});

test('a bzImage\'s kernel is decompressed with the host\'s tool once and kept; one without a PVH entry is not', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'janus-vmlinux-'));
  try {
    const kernel = Buffer.concat([elf([['Xen', 18]]), Buffer.alloc(5000, 7)]);
    await writeFile(join(dir, 'vmlinuz'), bzImage(gzipSync(kernel)));
    const cacheDir = join(dir, 'cache');
    const path = await extractVmlinux(join(dir, 'vmlinuz'), { cacheDir, exec: new NodeExec() });
    assert.ok(path?.startsWith(join(cacheDir, 'vmlinux-')));
    assert.deepEqual(await readFile(path!), kernel);
    assert.equal(await extractVmlinux(join(dir, 'vmlinuz'), { cacheDir, exec: { run: () => { throw new Error('not run again'); } } }), path);

    await writeFile(join(dir, 'nopvh'), bzImage(gzipSync(Buffer.concat([elf([['Xen', 6]]), Buffer.alloc(100)]))));
    assert.equal(await extractVmlinux(join(dir, 'nopvh'), { cacheDir, exec: new NodeExec() }), undefined);
    assert.deepEqual((await readdir(cacheDir)).filter((n) => n.includes('.tmp')), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
