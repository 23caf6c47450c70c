import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCgroupStats } from './cgroup-stats.ts';

const MiB = 1024 * 1024;
let dir: string;

before(async () => { dir = await mkdtemp(join(tmpdir(), 'janus-cgroup-stats-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

/** Writes `files` (name → content) into a fresh directory standing in for a cgroup. */
async function cgroup(name: string, files: Record<string, string>): Promise<string> {
  const d = join(dir, name);
  await mkdir(d, { recursive: true });
  for (const [f, text] of Object.entries(files)) await writeFile(join(d, f), text);
  return d;
}

test('cgroup v1: usage, limit, memory.stat under v1 names, max usage and failcnt', async () => {
  const memory = await cgroup('v1-memory', {
    'memory.usage_in_bytes': `${40 * MiB}\n`,
    'memory.limit_in_bytes': `${256 * MiB}\n`,
    'memory.max_usage_in_bytes': `${41 * MiB}\n`,
    'memory.failcnt': '3\n',
    'memory.stat': `cache ${36 * MiB}\nrss ${4 * MiB}\ninactive_file ${30 * MiB}\nhierarchical_memory_limit 9223372036854771712\ntotal_inactive_file ${30 * MiB}\n`,
  });
  const cpuacct = await cgroup('v1-cpuacct', { 'cpuacct.usage': '123456789\n' });
  const pids = await cgroup('v1-pids', { 'pids.current': '2\n' });
  const s = await readCgroupStats({ mode: 'v1', dirs: { memory, cpuacct, pids } });
  assert.equal(s.memoryUsageBytes, 40 * MiB);
  assert.equal(s.memoryLimitBytes, 256 * MiB);
  assert.equal(s.memoryMaxUsageBytes, 41 * MiB);
  assert.equal(s.memoryFailcnt, 3);
  assert.deepEqual(s.memoryStat, {
    cache: 36 * MiB, rss: 4 * MiB, inactive_file: 30 * MiB, hierarchical_memory_limit: 9223372036854771712, total_inactive_file: 30 * MiB,
  });
  assert.equal(s.cpuUsageNanos, 123456789n);
  assert.equal(s.pids, 2);
});

test('cgroup v2: memory.current, memory.max, memory.stat under v2 names; no max usage or failcnt', async () => {
  const unified = await cgroup('v2', {
    'memory.current': `${40 * MiB}\n`,
    'memory.max': 'max\n',
    'memory.stat': `anon ${4 * MiB}\nfile ${36 * MiB}\nactive_file ${6 * MiB}\ninactive_file ${30 * MiB}\n`,
    'cpu.stat': 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n',
    'pids.current': '1\n',
  });
  const s = await readCgroupStats({ mode: 'v2', dirs: { unified } });
  assert.equal(s.memoryUsageBytes, 40 * MiB);
  assert.deepEqual(s.memoryStat, { anon: 4 * MiB, file: 36 * MiB, active_file: 6 * MiB, inactive_file: 30 * MiB });
  assert.equal(s.memoryMaxUsageBytes, undefined);
  assert.equal(s.memoryFailcnt, undefined);
  assert.ok(s.memoryLimitBytes > 0 && Number.isFinite(s.memoryLimitBytes), 'no limit reads as the host\'s memory');
  assert.equal(s.cpuUsageNanos, 1_500_000n);
  assert.equal(s.pids, 1);
});

test('a cgroup gone or without memory.stat gives empty counters, not an error', async () => {
  const s = await readCgroupStats({ mode: 'v2', dirs: { unified: join(dir, 'gone') } });
  assert.deepEqual(s.memoryStat, {});
  assert.equal(s.memoryUsageBytes, 0);
});
