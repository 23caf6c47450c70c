import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VmLaunchSpec } from './qemu-args.ts';
import { templateKey } from './vm-templates.ts';

const launch: VmLaunchSpec = {
  name: 'janus-a', accel: 'tcg', cpus: 1, memoryMiB: 512, kernel: '/boot/vmlinuz', initrd: '/c/i.cpio', cmdline: 'console=ttyS0',
  rootDisk: '/t/a/root.qcow2', agentSocket: '/s/a.agent', qmpSocket: '/s/a.qmp', consoleLog: '/t/a/console.log', pidFile: '/t/a/pid',
  nic: { tap: 'jtap0', mac: '02:42:ac:11:00:02' }, shares: [{ tag: 'j0', path: '/c/a', readOnly: true }],
};
const parts = { baseDisk: '/d/busybox.ext4', qemuVersion: 'q' };

test('VMs that differ only in their own files, MAC and share paths share a template', () => {
  const other: VmLaunchSpec = {
    ...launch, name: 'janus-b', rootDisk: '/t/b/root.qcow2', agentSocket: '/s/b.agent', qmpSocket: '/s/b.qmp', consoleLog: '/t/b/console.log', pidFile: '/t/b/pid',
    nic: { tap: 'jtap0', mac: '02:42:ac:11:00:03' }, shares: [{ tag: 'j0', path: '/c/b', readOnly: false }],
  };
  assert.equal(templateKey(other, parts), templateKey(launch, parts));
});

test('another image, size, device set, kernel or QEMU needs another template', () => {
  const k = templateKey(launch, parts);
  assert.notEqual(templateKey(launch, { ...parts, baseDisk: '/d/debian.ext4' }), k);
  assert.notEqual(templateKey(launch, { ...parts, qemuVersion: 'q2' }), k);
  assert.notEqual(templateKey({ ...launch, memoryMiB: 256 }, parts), k);
  assert.notEqual(templateKey({ ...launch, cpus: 2 }, parts), k);
  assert.notEqual(templateKey({ ...launch, nic: undefined }, parts), k);
  assert.notEqual(templateKey({ ...launch, shares: [] }, parts), k);
  assert.notEqual(templateKey({ ...launch, kernel: '/boot/other' }, parts), k);
  assert.notEqual(templateKey({ ...launch, accel: 'kvm' }, parts), k);
});
