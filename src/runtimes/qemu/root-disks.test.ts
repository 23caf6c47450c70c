import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lowerDirsOf, mkfsArgs, overlayDiskArgs } from './root-disks.ts';

test('the image layers are the overlay root\'s lowerdirs, top first', () => {
  assert.deepEqual(lowerDirsOf([{ type: 'overlay', source: 'overlay', options: ['index=off', 'lowerdir=/l/3:/l/2:/l/1', 'upperdir=/u', 'workdir=/w'] }]), ['/l/3', '/l/2', '/l/1']);
  assert.deepEqual(lowerDirsOf([{ type: 'overlay', source: 'overlay', options: ['upperdir=/u', 'workdir=/w'] }]), []);
  assert.throws(() => lowerDirsOf([{ type: 'bind', source: '/x', options: ['rbind'] }]), /needs an overlay root/);
});

test('mkfs makes ext4 from a directory at the given size; qemu-img backs a qcow2 by the raw base', () => {
  const args = mkfsArgs('/view', '/d/x.ext4', 1024 * 1024 + 1);
  assert.deepEqual(args.slice(-2), ['/d/x.ext4', '1025k']);
  assert.equal(args[args.indexOf('-d') + 1], '/view');
  assert.equal(args[args.indexOf('-t') + 1], 'ext4');
  assert.deepEqual(overlayDiskArgs('/d/base.ext4', '/t/root.qcow2'), ['create', '-q', '-f', 'qcow2', '-o', 'cluster_size=65536', '-F', 'raw', '-b', '/d/base.ext4', '/t/root.qcow2']);
});
