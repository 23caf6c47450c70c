import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cgroupDirs, StatsSampler } from './stats-sampler.ts';

const HYBRID = '12:pids:/janus/c1\n4:memory:/janus/c1\n3:cpu,cpuacct:/janus/c1\n0::/janus/c1\n';

test('a process\'s cgroup directories: v1 controllers on a hybrid host, the unified tree on a v2 host', () => {
  assert.deepEqual(cgroupDirs(HYBRID, '/sys/fs/cgroup', false), { cpu: '/sys/fs/cgroup/cpu,cpuacct/janus/c1', memory: '/sys/fs/cgroup/memory/janus/c1' });
  assert.deepEqual(cgroupDirs('0::/system.slice/x\n', '/sys/fs/cgroup', true), { unified: '/sys/fs/cgroup/system.slice/x' });
});

/** A fake kernel: files by path, changed between samples by the test. */
function kernel(): Map<string, string> {
  return new Map([
    ['/proc/stat', 'cpu  100 0 100 800 0 0 0 0 0 0\n'],
    ['/proc/meminfo', 'MemTotal:       4000 kB\nMemFree:        1000 kB\nMemAvailable:   3000 kB\n'],
    ['/proc/net/dev', 'h\nh\n    lo: 999 0 0 0 0 0 0 0 999 0\n  eth0: 1000 0 0 0 0 0 0 0 2000 0\n'],
    ['/proc/diskstats', '   8       0 sda 1 0 10 0 1 0 20 0 0 0 0\n   8       1 sda1 1 0 10 0 1 0 20 0 0 0 0\n'],
    ['/proc/42/cgroup', HYBRID],
    ['/cg/cpu,cpuacct/janus/c1/cpuacct.usage', '1000000000'],
    ['/cg/memory/janus/c1/memory.usage_in_bytes', '5000'],
    ['/cg/memory/janus/c1/memory.limit_in_bytes', '9223372036854771712'],
    ['/cg/memory/janus/c1/memory.stat', 'cache 10\ntotal_inactive_file 1000\n'],
    ['/proc/42/net/dev', 'h\nh\n  eth0: 100 0 0 0 0 0 0 0 200 0\n'],
    ['/proc/42/io', 'rchar: 1\nread_bytes: 4096\nwrite_bytes: 8192\n'],
  ]);
}

test('rates between samples: CPU as % of one core, bytes per second; memory without the inactive page cache, limited by the host', () => {
  const files = kernel();
  let now = 10_000;
  const s = new StatsSampler({ cpus: 2, read: (p) => files.get(p), cgroupRoot: '/cg', unifiedOnly: false, now: () => now });
  const first = s.sample([{ id: 'c1', pid: 42 }]);
  assert.deepEqual(first.workloads.c1, { cpu: 0, rx: 0, tx: 0, read: 0, write: 0, mem: 4000, memLimit: 4000 * 1024 });
  now += 2000;
  files.set('/cg/cpu,cpuacct/janus/c1/cpuacct.usage', '2000000000');
  files.set('/proc/42/net/dev', 'h\nh\n  eth0: 2100 0 0 0 0 0 0 0 400 0\n');
  files.set('/proc/42/io', 'read_bytes: 8192\nwrite_bytes: 8192\n');
  files.set('/proc/stat', 'cpu  150 0 150 900 0 0 0 0 0 0\n');
  files.set('/proc/diskstats', '   8       0 sda 1 0 30 0 1 0 20 0 0 0 0\n');
  const second = s.sample([{ id: 'c1', pid: 42 }]);
  assert.deepEqual(second.workloads.c1, { cpu: 50, rx: 1000, tx: 100, read: 2048, write: 0, mem: 4000, memLimit: 4000 * 1024 });
  assert.equal(second.host.cpu, 50, '100 busy ticks of 200');
  assert.equal(second.host.mem, 1000 * 1024);
  assert.equal(second.host.read, (20 * 512) / 2, 'sda only, not its partition again');
  assert.equal(second.time, 12_000);
});

test('a workload that ended (its files gone) is left out; a new pid starts its rates afresh', () => {
  const files = kernel();
  let now = 0;
  const s = new StatsSampler({ cpus: 1, read: (p) => files.get(p), cgroupRoot: '/cg', unifiedOnly: false, now: () => now });
  s.sample([{ id: 'c1', pid: 42 }]);
  assert.deepEqual(Object.keys(s.sample([{ id: 'c1', pid: 43 }]).workloads), [], 'pid 43 has no files');
  files.set('/proc/43/cgroup', HYBRID);
  now += 1000;
  assert.equal(s.sample([{ id: 'c1', pid: 43 }]).workloads.c1.cpu, 0, 'first sample of the new process');
  assert.deepEqual(s.sample([]).workloads, {});
});

test('kept descriptors see each new value; with no budget for them files are opened per read; close releases them', async () => {
  const { mkdtemp, mkdir, rm, writeFile, readdir } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = await mkdtemp(join(tmpdir(), 'janus-sampler-'));
  try {
    for (const [path, text] of kernel()) {
      const file = join(dir, path.startsWith('/proc') ? path : path.replace('/cg', '/cgroup'));
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, text);
    }
    const fdCount = async () => (await readdir('/proc/self/fd')).length;
    for (const budget of [100, 0]) {
      let now = 0;
      const s = new StatsSampler({ cpus: 1, proc: join(dir, 'proc'), cgroupRoot: join(dir, 'cgroup'), unifiedOnly: false, now: () => now, fdBudget: budget });
      const before = await fdCount();
      await writeFile(join(dir, 'cgroup/cpu,cpuacct/janus/c1/cpuacct.usage'), '1000000000');
      s.sample([{ id: 'c1', pid: 42 }]);
      assert.equal(await fdCount() - before, budget > 0 ? 6 : 0, `budget ${budget}: descriptors kept`);
      now += 1000;
      await writeFile(join(dir, 'cgroup/cpu,cpuacct/janus/c1/cpuacct.usage'), '1500000000');
      assert.equal(s.sample([{ id: 'c1', pid: 42 }]).workloads.c1.cpu, 50, `budget ${budget}: the new value is read`);
      s.close();
      assert.equal(await fdCount(), before);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
