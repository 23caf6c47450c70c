import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareReleases, installedKernels, kernelRelease, moduleLoadOrder } from './guest-kernel.ts';

const DEP = [
  'kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko',
  'kernel/lib/crc16.ko:',
  'kernel/fs/mbcache.ko:',
  'kernel/fs/jbd2/jbd2.ko:',
  'kernel/drivers/virtio/virtio_mmio.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko',
  'kernel/drivers/virtio/virtio.ko:',
  'kernel/drivers/virtio/virtio_ring.ko:',
  'kernel/drivers/char/hw_random/virtio-rng.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko',
].join('\n');

test('modules load dependencies first, each once; - and _ are one', () => {
  assert.deepEqual(moduleLoadOrder(DEP, ['virtio_mmio', 'ext4', 'virtio_rng']), [
    'kernel/drivers/virtio/virtio.ko', 'kernel/drivers/virtio/virtio_ring.ko', 'kernel/drivers/virtio/virtio_mmio.ko',
    'kernel/lib/crc16.ko', 'kernel/fs/mbcache.ko', 'kernel/fs/jbd2/jbd2.ko', 'kernel/fs/ext4/ext4.ko',
    'kernel/drivers/char/hw_random/virtio-rng.ko',
  ]);
});

test('built-in modules are skipped; unknown ones are named in the error', () => {
  assert.deepEqual(moduleLoadOrder(DEP, ['overlay'], 'kernel/fs/overlayfs/overlay.ko\n'), []);
  assert.throws(() => moduleLoadOrder(DEP, ['9p']), /kernel module 9p is neither in modules.dep nor built in/);
});

test('releases order numerically', () => {
  assert.deepEqual(['6.1.0-9-amd64', '6.1.0-57-amd64', '5.10.0-1-amd64'].sort(compareReleases), ['5.10.0-1-amd64', '6.1.0-9-amd64', '6.1.0-57-amd64']);
});

test('the release comes from the bzImage header; other files are refused', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kernel-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const img = Buffer.alloc(0x600);
  img.write('HdrS', 0x202, 'latin1');
  img.writeUInt16LE(0x300, 0x20e);
  img.write('6.1.0-57-amd64 (debian-kernel@lists.debian.org) #1 SMP\0', 0x500, 'latin1');
  await writeFile(join(dir, 'vmlinuz-x'), img);
  await writeFile(join(dir, 'vmlinuz-bad'), 'not a kernel');
  assert.equal(await kernelRelease(join(dir, 'vmlinuz-x')), '6.1.0-57-amd64');
  await assert.rejects(kernelRelease(join(dir, 'vmlinuz-bad')), /not a Linux kernel image/);
  await assert.rejects(kernelRelease(join(dir, 'nope')), /does not exist/);
  const found = await installedKernels({ bootDir: dir, modulesRoot: join(dir, 'modules') });
  assert.deepEqual(found, [{ path: join(dir, 'vmlinuz-x'), release: '6.1.0-57-amd64' }]);
});
