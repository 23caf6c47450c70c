import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isJanusError } from '../core/errors.ts';
import type { IsolationLevel } from './container-service.ts';
import { SNAPSHOT_SPACE_MARGIN, checkSnapshotFits, checkSnapshotName, checkSnapshotSpace, checkMemorySnapshotFits, memorySnapshotRefusal, parseSnapshotRef, type SnapshotTarget } from './snapshot-rules.ts';

const kind = (k: string) => (err: unknown) => isJanusError(err) && err.kind === k;

test('snapshot names: letters, digits and _.- up to 64, not starting with a dot or dash', () => {
  for (const ok of ['s1', 'before-upgrade', 'v1.2_final', 'A'.repeat(64)]) checkSnapshotName(ok);
  for (const bad of ['', '.hidden', '-x', '../evil', 'a/b', 'a b', 'A'.repeat(65), 'é']) {
    assert.throws(() => checkSnapshotName(bad), (err: unknown) => kind('InvalidArgument')(err) && /invalid snapshot name/.test((err as Error).message), bad);
  }
});

test('--from-snapshot takes CONTAINER:SNAPSHOT', () => {
  assert.deepEqual(parseSnapshotRef('web:s1'), { container: 'web', snapshot: 's1' });
  for (const bad of ['web', 'web:', ':s1', '']) assert.throws(() => parseSnapshotRef(bad), kind('InvalidArgument'), bad);
});

const snap = { name: 's1', image: 'busybox', imageId: 'sha256:aaaa', isolation: 'vm' as IsolationLevel, vmKernel: '', kernelRelease: '6.1.0-1-amd64' };

test('a snapshot fits the same image, level and kernel', () => {
  checkSnapshotFits(snap, { imageId: 'sha256:aaaa', isolation: 'vm', vmKernel: '', kernelRelease: '6.1.0-1-amd64' }, 'x');
  // A VM that never ran has no kernel release to compare yet.
  checkSnapshotFits(snap, { imageId: 'sha256:aaaa', isolation: 'vm', vmKernel: '', kernelRelease: '' }, 'x');
});

test('another image, level or kernel is a Conflict that says which', () => {
  const base: SnapshotTarget = { imageId: 'sha256:aaaa', isolation: 'vm', vmKernel: '', kernelRelease: '6.1.0-1-amd64' };
  const cases: [Partial<typeof base>, RegExp][] = [
    [{ imageId: 'sha256:bbbb' }, /needs the same image/],
    [{ isolation: 'container' }, /vm-level workload and x is at the container level/],
    [{ vmKernel: '/boot/other' }, /kernel \(default\) and x boots \/boot\/other/],
    [{ kernelRelease: '6.5.0-2-amd64' }, /guest kernel 6\.1\.0-1-amd64 and x now runs 6\.5\.0-2-amd64/],
  ];
  for (const [change, message] of cases) {
    assert.throws(() => checkSnapshotFits(snap, { ...base, ...change }, 'x'), (err: unknown) => kind('Conflict')(err) && message.test((err as Error).message), JSON.stringify(change));
  }
  // Kernels do not matter below the vm level.
  checkSnapshotFits({ ...snap, isolation: 'container', kernelRelease: '' }, { ...base, isolation: 'container', kernelRelease: 'whatever' }, 'x');
});

test('space: the copy and the margin must fit, else ResourceExhausted naming the figures', () => {
  checkSnapshotSpace(100 * 2 ** 20 + SNAPSHOT_SPACE_MARGIN, 100 * 2 ** 20, '/var');
  assert.throws(() => checkSnapshotSpace(100 * 2 ** 20, 100 * 2 ** 20, '/var'), (err: unknown) => kind('ResourceExhausted')(err) && /not enough disk space in \/var: 100 MiB to copy .* but 100 MiB free/.test((err as Error).message));
});

test('--memory is refused, naming the backend, where it has no checkpoints', () => {
  const err = memorySnapshotRefusal('vm', 'qemu-stack');
  assert.ok(kind('NotImplemented')(err));
  assert.match(err.message, /--memory is not supported for VMs run by qemu-stack/);
  assert.match(memorySnapshotRefusal('sandbox', 'runsc').message, /for sandboxes run by runsc.*without --memory/);
});

test('saved processes continue only with the same resources and network addresses', () => {
  const saved = { memoryLimit: 256 * 2 ** 20, cpuQuota: 0, cpuPeriod: 0, networks: ['bridge 172.17.0.2 02:42:ac:11:00:02'] };
  checkMemorySnapshotFits('s1', saved, { ...saved, networks: [...saved.networks] }, 'container c');
  assert.throws(() => checkMemorySnapshotFits('s1', saved, { ...saved, memoryLimit: 512 * 2 ** 20 }, 'container c'),
    (err: unknown) => kind('Conflict')(err) && /snapshot s1 holds running processes, which cannot continue in container c: its memory limit was 268435456 and is 536870912/.test((err as Error).message));
  assert.throws(() => checkMemorySnapshotFits('s1', saved, { ...saved, networks: ['bridge 172.17.0.3 02:42:ac:11:00:03'] }, 'container c'),
    (err: unknown) => kind('Conflict')(err) && /its networks were \[bridge 172\.17\.0\.2 .*\] and are \[bridge 172\.17\.0\.3/.test((err as Error).message));
  assert.throws(() => checkMemorySnapshotFits('s1', saved, { ...saved, cpuQuota: 50000, cpuPeriod: 100000 }, 'container c'), /CPU limit was 0\/0 and is 50000\/100000/);
});
