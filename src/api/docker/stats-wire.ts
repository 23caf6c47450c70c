import type { ContainerStatsSample } from '../../engine/container-service.ts';
import { ZERO_TIME, formatRfc3339Nano } from './time-format.ts';

/*
 * One docker stats object (`GET /containers/{id}/stats`), computed from the
 * engine's samples. Docker's CLI derives its columns from these fields:
 * CPU % from the cpu_stats − precpu_stats deltas, MEM USAGE as
 * memory_stats.usage minus the droppable page cache in memory_stats.stats
 * (`total_inactive_file` on cgroup v1, `inactive_file` on v2; older CLIs
 * took v1's `cache`), NET and BLOCK I/O from the sums of networks and
 * blkio_stats.io_service_bytes_recursive.
 */

/** Docker's zero-valued CPU stats (what precpu_stats holds before a previous sample exists). */
function cpuWire(s: ContainerStatsSample | undefined): Record<string, unknown> {
  if (!s) return { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
  return {
    cpu_usage: { total_usage: Number(s.cpuUsageNanos), usage_in_kernelmode: 0, usage_in_usermode: 0 },
    system_cpu_usage: Number(s.systemCpuUsageNanos),
    online_cpus: s.onlineCpus,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

/**
 * The stats JSON of a container from `sample` and the one before it
 * (`previous`, for precpu_stats; absent for the first of a stream or a
 * one-shot). Without a sample (a container that is not running) every
 * figure is zero, as docker answers then. Pure.
 */
export function statsWire(container: { id: string; name: string }, sample: ContainerStatsSample | undefined, previous?: ContainerStatsSample): Record<string, unknown> {
  const head = { name: `/${container.name}`, id: container.id };
  if (!sample) {
    return {
      ...head,
      read: ZERO_TIME,
      preread: ZERO_TIME,
      pids_stats: {},
      blkio_stats: { io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null },
      num_procs: 0,
      storage_stats: {},
      cpu_stats: cpuWire(undefined),
      precpu_stats: cpuWire(undefined),
      memory_stats: {},
    };
  }
  return {
    ...head,
    read: formatRfc3339Nano(sample.read),
    preread: formatRfc3339Nano(previous?.read),
    pids_stats: { current: sample.pids },
    blkio_stats: {
      io_service_bytes_recursive: [
        { major: 0, minor: 0, op: 'read', value: sample.blkioReadBytes },
        { major: 0, minor: 0, op: 'write', value: sample.blkioWriteBytes },
      ],
      io_serviced_recursive: null,
      io_queue_recursive: null,
      io_service_time_recursive: null,
      io_wait_time_recursive: null,
      io_merged_recursive: null,
      io_time_recursive: null,
      sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuWire(sample),
    precpu_stats: cpuWire(previous),
    // As dockerd sends them: memory.stat as the kernel names its counters (v1 or v2), max_usage and failcnt on v1 only.
    memory_stats: {
      usage: sample.memoryUsageBytes,
      ...(sample.memoryMaxUsageBytes !== undefined ? { max_usage: sample.memoryMaxUsageBytes } : {}),
      stats: { ...sample.memoryStat },
      ...(sample.memoryFailcnt !== undefined ? { failcnt: sample.memoryFailcnt } : {}),
      limit: sample.memoryLimitBytes,
    },
    ...(sample.netRxBytes > 0 || sample.netTxBytes > 0
      ? {
          networks: {
            eth0: { rx_bytes: sample.netRxBytes, rx_packets: 0, rx_errors: 0, rx_dropped: 0, tx_bytes: sample.netTxBytes, tx_packets: 0, tx_errors: 0, tx_dropped: 0 },
          },
        }
      : {}),
  };
}
