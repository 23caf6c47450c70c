import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkpointMismatch, type VmCheckpointShape } from './vm-checkpoint.ts';

const saved: VmCheckpointShape = { format: 1, accel: 'tcg', cpus: 1, memoryMiB: 256, kernelRelease: '6.1.0-28-amd64', ramObject: true, nics: 1 };
const same = { accel: 'tcg' as const, cpus: 1, memoryMiB: 256, kernelRelease: '6.1.0-28-amd64', nics: 1 };

test('a checkpoint loads into a machine of its own shape', () => {
  assert.equal(checkpointMismatch(saved, same), undefined);
});

test('every difference of the machine is named', () => {
  const why = checkpointMismatch(saved, { accel: 'kvm', cpus: 2, memoryMiB: 512, kernelRelease: '6.1.0-30-amd64', nics: 0 });
  assert.match(why!, /256 MiB of memory and now has 512 MiB/);
  assert.match(why!, /1 vCPUs and now has 2/);
  assert.match(why!, /TCG and this host now uses KVM/);
  assert.match(why!, /guest kernel 6\.1\.0-28-amd64 and would now boot 6\.1\.0-30-amd64/);
  assert.match(why!, /1 network interface and now has 0/);
});

test('a checkpoint of an unknown format is refused', () => {
  assert.match(checkpointMismatch({ ...saved, format: 2 as 1 }, same)!, /unknown format \(2\)/);
});
