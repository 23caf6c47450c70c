import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vmCgroupDirs } from './vm-cgroup.ts';

test('v1 (and hybrid) hosts: one directory per mounted controller, named as runc names containers', async () => {
  const present = new Set(['/cg/memory/cgroup.procs', '/cg/pids/cgroup.procs', '/cg/cpu,cpuacct/cgroup.procs']);
  assert.deepEqual(await vmCgroupDirs('abc', async (p) => present.has(p), '/cg'), ['/cg/memory/janus/abc', '/cg/pids/janus/abc', '/cg/cpu,cpuacct/janus/abc']);
  assert.deepEqual(await vmCgroupDirs('abc', async (p) => p === '/cg/memory/cgroup.procs', '/cg'), ['/cg/memory/janus/abc']);
});

test('v2 hosts: the one unified directory', async () => {
  assert.deepEqual(await vmCgroupDirs('abc', async (p) => p === '/cg/cgroup.controllers', '/cg'), ['/cg/janus/abc']);
});
