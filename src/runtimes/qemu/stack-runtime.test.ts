import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OciProcess, OciRuntimeSpec } from '../../core/oci-runtime-spec.ts';
import { startRecords } from './guest-spec.ts';
import { stackMountArgs, stackMounts } from './stack-runtime.ts';

const spec = {
  ociVersion: '1.0.2',
  process: { args: ['httpd'] },
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['size=65536k'] },
    { destination: '/site', type: 'bind', source: '/v/site/_data', options: ['rbind', 'rprivate'] },
    { destination: '/etc/hosts', type: 'bind', source: '/c/abc/hosts', options: ['rbind', 'rprivate', 'ro'] },
    { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'size=1m', 'mode=1777'] },
  ],
} as unknown as OciRuntimeSpec;

test('a service\'s binds and tmpfs are mounted by the host in its root; what the agent provides is left out', () => {
  const mounts = stackMounts(spec);
  assert.deepEqual(mounts, [
    { kind: 'bind', source: '/v/site/_data', destination: '/site', readOnly: false, options: [] },
    { kind: 'bind', source: '/c/abc/hosts', destination: '/etc/hosts', readOnly: true, options: [] },
    { kind: 'tmpfs', source: 'tmpfs', destination: '/scratch', readOnly: false, options: ['size=1m', 'mode=1777'] },
  ]);
  assert.deepEqual(stackMountArgs(mounts[0]!, '/s/abc/rootfs/site'), [['--rbind', '/v/site/_data', '/s/abc/rootfs/site']]);
  assert.deepEqual(stackMountArgs(mounts[1]!, '/s/abc/rootfs/etc/hosts'), [['--rbind', '/c/abc/hosts', '/s/abc/rootfs/etc/hosts'], ['-o', 'remount,bind,ro', '/s/abc/rootfs/etc/hosts']]);
  assert.deepEqual(stackMountArgs(mounts[2]!, '/s/abc/rootfs/scratch'), [['-t', 'tmpfs', '-o', 'nosuid,nodev,size=1m,mode=1777', 'tmpfs', '/s/abc/rootfs/scratch']]);
  assert.throws(() => stackMounts({ ...spec, mounts: [{ destination: '/x', type: 'nfs', source: 'h:/x' }] } as OciRuntimeSpec), /nfs mount on \/x is not supported in a vm-stack/);
});

test('START of a stack service names its root and hostname; its execs name the workload', () => {
  const p: OciProcess = { args: ['httpd'], cwd: '/', user: { uid: 0, gid: 0 } };
  const service = startRecords(p, { init: true, tty: false, stdin: false, root: '/janus-stack/abc/rootfs', hostname: 'web' });
  assert.deepEqual(service.filter(([k]) => ['init', 'root', 'hostname', 'workload'].includes(k)), [['init', '1'], ['root', '/janus-stack/abc/rootfs'], ['hostname', 'web']]);
  const exec = startRecords(p, { init: false, tty: false, stdin: false, workload: 3 });
  assert.deepEqual(exec.filter(([k]) => ['init', 'root', 'workload'].includes(k)), [['workload', '3']]);
  // The first workload and its execs say nothing new (older agents understand them unchanged).
  assert.deepEqual(startRecords(p, { init: true, tty: false, stdin: false }).filter(([k]) => ['root', 'workload'].includes(k)), []);
});
