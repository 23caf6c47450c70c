/*
 * Parsers of the kernel's text counters that the dashboard's sampler reads
 * once a second. Pure: each takes a file's text and returns numbers, so the
 * sampler's arithmetic is tested without /proc.
 */

/** Busy and total CPU time of the host in USER_HZ ticks, from `/proc/stat`'s first line. */
export function parseProcStatCpu(text: string): { busy: number; total: number } {
  const end = text.indexOf('\n');
  const f = (end < 0 ? text : text.slice(0, end)).trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
  let total = 0;
  for (let i = 0; i < Math.min(f.length, 8); i++) total += Number.isFinite(f[i]) ? f[i] : 0;
  const idle = (f[3] || 0) + (f[4] || 0);
  return { busy: total - idle, total };
}

/** `MemTotal` and `MemAvailable` of `/proc/meminfo`, in bytes. */
export function parseMeminfo(text: string): { total: number; available: number } {
  const get = (key: string): number => {
    const at = text.indexOf(`${key}:`);
    if (at < 0) return 0;
    const m = /^\s*(\d+)/.exec(text.slice(at + key.length + 1));
    return m ? Number(m[1]) * 1024 : 0;
  };
  return { total: get('MemTotal'), available: get('MemAvailable') };
}

/** Bytes received and sent on every interface but `lo`, from a `/proc/<pid>/net/dev`. */
export function parseNetDev(text: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  const lines = text.split('\n');
  for (let i = 2; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim() === 'lo') continue;
    const f = line.slice(colon + 1).trim().split(/\s+/);
    rx += Number(f[0]) || 0;
    tx += Number(f[8]) || 0;
  }
  return { rx, tx };
}

/** `read_bytes` and `write_bytes` of a `/proc/<pid>/io`: what the process made storage do. */
export function parseProcIo(text: string): { read: number; write: number } {
  const get = (key: string): number => {
    const at = text.indexOf(`\n${key}: `);
    const from = at < 0 ? (text.startsWith(`${key}: `) ? 0 : -1) : at + 1;
    if (from < 0) return 0;
    return Number(/^\S+: (\d+)/.exec(text.slice(from))?.[1] ?? 0);
  };
  return { read: get('read_bytes'), write: get('write_bytes') };
}

/** Whole disks (not partitions, loops or device-mapper volumes, which would count bytes twice). */
const WHOLE_DISK = /^(?:sd[a-z]+|vd[a-z]+|xvd[a-z]+|hd[a-z]+|nvme\d+n\d+|mmcblk\d+)$/;

/** Bytes read and written on the host's whole disks, from `/proc/diskstats` (sectors are 512 bytes there). */
export function parseDiskstats(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !WHOLE_DISK.test(f[2])) continue;
    read += (Number(f[5]) || 0) * 512;
    write += (Number(f[9]) || 0) * 512;
  }
  return { read, write };
}

/** One value of a flat-keyed cgroup file such as `memory.stat` (`key value` lines), or 0. */
export function keyedValue(text: string, key: string): number {
  const at = text.startsWith(`${key} `) ? 0 : text.indexOf(`\n${key} `) + 1;
  if (at <= 0 && !text.startsWith(`${key} `)) return 0;
  const end = text.indexOf('\n', at);
  return Number(text.slice(at + key.length + 1, end < 0 ? undefined : end)) || 0;
}
