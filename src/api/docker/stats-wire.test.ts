import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerStatsSample } from '../../engine/container-service.ts';
import { statsWire } from './stats-wire.ts';

const MiB = 1024 * 1024;
const container = { id: 'c'.repeat(64), name: 'web' };

/** A sample as the engine reads it, on a host whose memory cgroup is v1 (the development machines) unless overridden. */
const sample = (over: Partial<ContainerStatsSample> = {}): ContainerStatsSample => ({
  read: new Date('2026-01-02T03:04:05.123456789Z'),
  cpuUsageNanos: 3_000_000_000n,
  systemCpuUsageNanos: 90_000_000_000n,
  onlineCpus: 2,
  memoryUsageBytes: 40 * MiB,
  memoryLimitBytes: 256 * MiB,
  memoryStat: { cache: 36 * MiB, rss: 4 * MiB, total_cache: 36 * MiB, total_rss: 4 * MiB, total_inactive_file: 30 * MiB, total_active_file: 6 * MiB, inactive_file: 30 * MiB },
  memoryMaxUsageBytes: 41 * MiB,
  memoryFailcnt: 0,
  pids: 2,
  blkioReadBytes: 4096,
  blkioWriteBytes: 36 * MiB,
  netRxBytes: 0,
  netTxBytes: 0,
  ...over,
});

/**
 * MEM USAGE as docker's CLI (28.x, cli/command/container/stats_helpers.go)
 * computes it from the wire: usage minus v1's total_inactive_file when
 * present and smaller, else minus v2's inactive_file when smaller.
 */
function dockerCliMemUsage(mem: { usage?: number; stats?: Record<string, number> }): number {
  const usage = mem.usage ?? 0;
  const stats = mem.stats ?? {};
  const v1 = stats.total_inactive_file;
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = stats.inactive_file ?? 0;
  return v2 < usage ? usage - v2 : usage;
}

test('cgroup v1: memory_stats carries usage, max_usage, memory.stat as the kernel names it, failcnt and limit', () => {
  const wire = statsWire(container, sample()) as { memory_stats: Record<string, unknown> };
  assert.deepEqual(wire.memory_stats, {
    usage: 40 * MiB,
    max_usage: 41 * MiB,
    stats: { cache: 36 * MiB, rss: 4 * MiB, total_cache: 36 * MiB, total_rss: 4 * MiB, total_inactive_file: 30 * MiB, total_active_file: 6 * MiB, inactive_file: 30 * MiB },
    failcnt: 0,
    limit: 256 * MiB,
  });
  assert.deepEqual(Object.keys(wire.memory_stats), ['usage', 'max_usage', 'stats', 'failcnt', 'limit'], 'dockerd\'s field order');
  // The docker CLI's MEM USAGE leaves the droppable page cache out: 40 MiB charged, 10 MiB shown.
  assert.equal(dockerCliMemUsage(wire.memory_stats as { usage: number; stats: Record<string, number> }), 10 * MiB);
});

test('cgroup v2: memory.stat\'s v2 counters, no max_usage or failcnt (dockerd sends none there)', () => {
  const v2 = sample({
    memoryStat: { anon: 4 * MiB, file: 36 * MiB, active_file: 6 * MiB, inactive_file: 30 * MiB, shmem: 0 },
    memoryMaxUsageBytes: undefined,
    memoryFailcnt: undefined,
  });
  const wire = statsWire(container, v2) as { memory_stats: { usage: number; stats: Record<string, number> } };
  assert.deepEqual(Object.keys(wire.memory_stats), ['usage', 'stats', 'limit']);
  assert.deepEqual(wire.memory_stats.stats, { anon: 4 * MiB, file: 36 * MiB, active_file: 6 * MiB, inactive_file: 30 * MiB, shmem: 0 });
  assert.equal(dockerCliMemUsage(wire.memory_stats), 10 * MiB);
});

test('without memory.stat (a backend with no memory cgroup) the usage is shown whole', () => {
  const wire = statsWire(container, sample({ memoryStat: {}, memoryMaxUsageBytes: undefined, memoryFailcnt: undefined })) as { memory_stats: { usage: number; stats: Record<string, number> } };
  assert.deepEqual(wire.memory_stats.stats, {});
  assert.equal(dockerCliMemUsage(wire.memory_stats), 40 * MiB);
});

test('the rest of the shape the docker CLI reads: name, times, cpu and precpu, pids, blkio, networks', () => {
  const previous = sample({ read: new Date('2026-01-02T03:04:04Z'), cpuUsageNanos: 2_000_000_000n, systemCpuUsageNanos: 88_000_000_000n });
  const wire = statsWire(container, sample({ netRxBytes: 1500, netTxBytes: 700 }), previous) as Record<string, any>;
  assert.equal(wire.name, '/web');
  assert.equal(wire.id, container.id);
  assert.equal(wire.read, '2026-01-02T03:04:05.123Z');
  assert.equal(wire.preread, '2026-01-02T03:04:04Z');
  assert.deepEqual(wire.cpu_stats.cpu_usage.total_usage, 3_000_000_000);
  assert.equal(wire.cpu_stats.system_cpu_usage, 90_000_000_000);
  assert.equal(wire.cpu_stats.online_cpus, 2);
  assert.equal(wire.precpu_stats.cpu_usage.total_usage, 2_000_000_000);
  // docker's CPU %: (Δcontainer / Δsystem) × online CPUs × 100 = (1e9 / 2e9) × 2 × 100.
  const cpuPercent = (wire.cpu_stats.cpu_usage.total_usage - wire.precpu_stats.cpu_usage.total_usage) / (wire.cpu_stats.system_cpu_usage - wire.precpu_stats.system_cpu_usage) * wire.cpu_stats.online_cpus * 100;
  assert.equal(cpuPercent, 100);
  assert.deepEqual(wire.pids_stats, { current: 2 });
  assert.deepEqual(wire.blkio_stats.io_service_bytes_recursive.map((e: { op: string; value: number }) => [e.op, e.value]), [['read', 4096], ['write', 36 * MiB]]);
  assert.deepEqual(wire.networks, { eth0: { rx_bytes: 1500, rx_packets: 0, rx_errors: 0, rx_dropped: 0, tx_bytes: 700, tx_packets: 0, tx_errors: 0, tx_dropped: 0 } });
  assert.equal('networks' in (statsWire(container, sample()) as object), false, 'no network, no networks field');
});

test('a container that is not running: zeros, and empty memory_stats as dockerd answers', () => {
  const wire = statsWire(container, undefined) as Record<string, any>;
  assert.equal(wire.read, '0001-01-01T00:00:00Z');
  assert.deepEqual(wire.memory_stats, {});
  assert.deepEqual(wire.pids_stats, {});
  assert.equal(wire.cpu_stats.cpu_usage.total_usage, 0);
});
