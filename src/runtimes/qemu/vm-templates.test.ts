import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VmLaunchSpec } from './qemu-args.ts';
import { VmTemplates, templateKey } from './vm-templates.ts';

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

test('a template is claimed by one VM at a time, found only once committed, and an abandoned claim leaves nothing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'janus-templates-'));
  try {
    const t = new VmTemplates({ dir });
    const ram = await t.claim('k');
    assert.ok(ram);
    assert.equal(await t.claim('k'), undefined, 'a second VM of the kind boots without saving');
    await writeFile(ram, 'ram');
    await writeFile(ram.replace('.ram.tmp.', '.vmstate.tmp.'), 'state');
    const kept = await t.commit('k', { ram, state: ram.replace('.ram.tmp.', '.vmstate.tmp.') });
    assert.deepEqual(await t.find('k'), kept);
    assert.equal(await readFile(kept.ram, 'utf8'), 'ram');
    assert.equal(await t.claim('k'), undefined, 'a saved template is not saved again');

    const other = await t.claim('other');
    await writeFile(other!, 'ram');
    await t.abandon('other', other!);
    assert.deepEqual((await readdir(dir)).sort(), ['k.ram', 'k.vmstate']);
    assert.ok(await t.claim('other'), 'an abandoned claim can be made again');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a VM looking for a template that another VM is making waits for it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'janus-templates-'));
  try {
    const t = new VmTemplates({ dir });
    const [ram, second] = await Promise.all([t.claim('k'), t.claim('k')]);
    assert.ok(ram);
    assert.equal(second, undefined, 'VMs starting together: one claims');
    const found = t.find('k');
    await writeFile(ram, 'ram');
    await writeFile(ram.replace('.ram.tmp.', '.vmstate.tmp.'), 'state');
    const kept = await t.commit('k', { ram, state: ram.replace('.ram.tmp.', '.vmstate.tmp.') });
    assert.deepEqual(await found, kept);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
