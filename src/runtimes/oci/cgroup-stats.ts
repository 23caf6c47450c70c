import { readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskStats } from '../../core/runtime.ts';

const CGROUP2_SUPER_MAGIC = 0x63677270;

/**
 * Where one task's cgroups are, read from `/proc/<pid>/cgroup` while it
 * runs. Kept in the task's state file so memory counters (OOM kills) can
 * still be read after the process is gone and until `delete` removes them.
 */
export interface CgroupPaths {
  /** `v2`: only the unified hierarchy; `v1`: controllers (hybrid hosts have both, v1 holds the controllers). */
  mode: 'v1' | 'v2';
  /** Controller → absolute directory (v1), or `unified` → directory (v2). */
  dirs: Record<string, string>;
}

/**
 * Reads `/proc/<pid>/cgroup` and resolves each hierarchy under `root`. On a
 * hybrid host (v1 controllers plus a v2 tree at `<root>/unified`, where the
 * `0::` line has no controllers) the v1 controllers are used, because that
 * is where runc puts the limits.
 */
export async function cgroupPathsOf(pid: number, options: { root?: string; proc?: string } = {}): Promise<CgroupPaths> {
  const root = options.root ?? '/sys/fs/cgroup';
  const text = await readFile(join(options.proc ?? '/proc', String(pid), 'cgroup'), 'utf8');
  const unifiedOnly = (await statfs(root)).type === CGROUP2_SUPER_MAGIC;
  const dirs: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (controllers === '') {
      dirs.unified = unifiedOnly ? join(root, path) : join(root, 'unified', path);
      continue;
    }
    for (const c of controllers.split(',')) dirs[c.replace(/^name=/, '')] = join(root, controllers, path);
  }
  return { mode: unifiedOnly ? 'v2' : 'v1', dirs };
}

async function readNumber(path: string): Promise<number | undefined> {
  try {
    const t = (await readFile(path, 'utf8')).trim();
    if (t === 'max') return Number.POSITIVE_INFINITY;
    const n = Number(t);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

async function readKeyed(path: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  try {
    for (const line of (await readFile(path, 'utf8')).split('\n')) {
      const [k, v] = line.split(/\s+/);
      if (k && v !== undefined) out.set(k, v);
    }
  } catch {
    /* absent on this kernel or already removed: the caller treats it as unknown */
  }
  return out;
}

/** A flat-keyed cgroup file (`memory.stat`) as numbers; lines whose value is not a number are left out. */
async function readCounters(path: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [k, v] of await readKeyed(path)) {
    const n = Number(v);
    if (v !== '' && Number.isFinite(n)) out[k] = n;
  }
  return out;
}

/** The host's memory, the limit docker reports when none is set. */
async function hostMemory(): Promise<number> {
  const info = await readKeyed('/proc/meminfo');
  return Number(info.get('MemTotal:') ?? 0) * 1024;
}

/**
 * Live usage from the task's cgroups. Memory usage is the cgroup's whole
 * charge (v1 `usage_in_bytes` / v2 `memory.current`, page cache included),
 * with `memory.stat` beside it so a reader can take the droppable cache out
 * (docker's CLI subtracts v1 `total_inactive_file` / v2 `inactive_file`); a
 * limit of "unlimited" becomes the host's memory, as `docker stats` shows it.
 */
export async function readCgroupStats(paths: CgroupPaths): Promise<TaskStats> {
  const d = paths.dirs;
  let cpu = 0n;
  let mem: number | undefined;
  let limit: number | undefined;
  let pids: number | undefined;
  let memoryStat: Record<string, number> = {};
  let memoryMaxUsageBytes: number | undefined;
  let memoryFailcnt: number | undefined;
  if (paths.mode === 'v2') {
    const u = d.unified;
    const usec = (await readKeyed(join(u, 'cpu.stat'))).get('usage_usec');
    cpu = usec ? BigInt(usec) * 1000n : 0n;
    mem = await readNumber(join(u, 'memory.current'));
    limit = await readNumber(join(u, 'memory.max'));
    memoryStat = await readCounters(join(u, 'memory.stat'));
    pids = await readNumber(join(u, 'pids.current'));
  } else {
    const acct = d.cpuacct ?? d.cpu;
    if (acct) {
      try {
        cpu = BigInt((await readFile(join(acct, 'cpuacct.usage'), 'utf8')).trim());
      } catch {
        cpu = 0n;
      }
    }
    if (d.memory) {
      mem = await readNumber(join(d.memory, 'memory.usage_in_bytes'));
      limit = await readNumber(join(d.memory, 'memory.limit_in_bytes'));
      memoryStat = await readCounters(join(d.memory, 'memory.stat'));
      memoryMaxUsageBytes = await readNumber(join(d.memory, 'memory.max_usage_in_bytes'));
      memoryFailcnt = await readNumber(join(d.memory, 'memory.failcnt'));
    }
    if (d.pids) pids = await readNumber(join(d.pids, 'pids.current'));
  }
  const host = await hostMemory();
  // v1 reports "no limit" as a huge page-aligned number rather than "max".
  if (limit === undefined || !Number.isFinite(limit) || (host > 0 && limit > host)) limit = host;
  return {
    cpuUsageNanos: cpu,
    memoryUsageBytes: mem ?? 0,
    memoryLimitBytes: limit,
    memoryStat,
    ...(memoryMaxUsageBytes !== undefined ? { memoryMaxUsageBytes } : {}),
    ...(memoryFailcnt !== undefined ? { memoryFailcnt } : {}),
    pids: pids ?? 0,
    readAt: new Date(),
  };
}

/**
 * Whether the memory cgroup's OOM killer killed a process of the task
 * (v2 `memory.events` / v1 `memory.oom_control` `oom_kill`, kernel 4.13+).
 * Best effort: false when the counters are unreadable.
 */
export async function oomKilled(paths: CgroupPaths): Promise<boolean> {
  const file = paths.mode === 'v2' ? join(paths.dirs.unified, 'memory.events')
    : paths.dirs.memory ? join(paths.dirs.memory, 'memory.oom_control') : undefined;
  if (!file) return false;
  const n = Number((await readKeyed(file)).get('oom_kill') ?? 0);
  return n > 0;
}
