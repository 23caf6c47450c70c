import { closeSync, openSync, readSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { keyedValue, parseDiskstats, parseMeminfo, parseNetDev, parseProcIo, parseProcStatCpu } from './proc-counters.ts';

const CGROUP2_SUPER_MAGIC = 0x63677270;
/** USER_HZ: /proc/stat and /proc/<pid>/stat count in hundredths of a second on Linux. */
const TICK_NS = 10_000_000;

/** A workload the sampler reads: its ID and the host pid of its init process (QEMU for a VM). */
export interface SampleTarget {
  id: string;
  pid: number;
}

/** One workload's use over the last interval. Rates are per second; `cpu` is in % of one core (docker's CPU %). */
export interface WorkloadRates {
  cpu: number;
  /** Memory in use, bytes, without the droppable page cache (as `docker stats` shows it). */
  mem: number;
  memLimit: number;
  rx: number;
  tx: number;
  read: number;
  write: number;
}

/** The host's use over the last interval; `cpu` is in % of all its cores. */
export interface HostRates {
  cpu: number;
  cpus: number;
  mem: number;
  memTotal: number;
  rx: number;
  tx: number;
  read: number;
  write: number;
}

/** One sample of everything: what the dashboard's stream sends once a second. */
export interface StatsFrame {
  /** Milliseconds since the epoch. */
  time: number;
  host: HostRates;
  workloads: Record<string, WorkloadRates>;
}

/** Options of the StatsSampler. */
export interface StatsSamplerOptions {
  /** The host's CPU count (for the host CPU %). */
  cpus: number;
  /** Reads a small kernel file whole, or undefined when it cannot (the process ended). Default: synchronous reads into one buffer. */
  read?: (path: string) => string | undefined;
  /** Default /proc. */
  proc?: string;
  /** Default /sys/fs/cgroup. */
  cgroupRoot?: string;
  /** Whether the cgroup root is a pure v2 hierarchy; default: from statfs. */
  unifiedOnly?: boolean;
  /** Default Date.now. */
  now?: () => number;
  /**
   * How many descriptors the sampler may keep open; beyond it files are
   * opened for each read. Default: a quarter of the soft RLIMIT_NOFILE, at
   * most 4096, so the daemon's other work never runs short of descriptors.
   */
  fdBudget?: number;
}

/** Cumulative counters of one sample, from which rates are computed. */
export interface RawCounters {
  time: number;
  cpuNs: number;
  rx: number;
  tx: number;
  read: number;
  write: number;
}

interface Cgroup {
  pid: number;
  cpu?: string;
  memory?: string;
  unified?: string;
  /** Open descriptors of this workload's files, read again from offset 0 each sample. */
  fds: Map<string, number>;
  /** The memory limit, re-read every LIMIT_EVERY samples (it changes only with `update`). */
  limit?: number;
  samples: number;
}

/** The memory limit is re-read this often (in samples). */
const LIMIT_EVERY = 10;

/**
 * Samples the host and every running workload from the kernel's files
 * (cgroup counters, /proc), one pass for all viewers — not a docker-style
 * stats stream per container, which would ask the OCI runtime for each
 * one's state. Reads are synchronous on purpose: each is a few
 * microseconds of procfs or cgroupfs, cheaper than a trip through the
 * thread pool, and 200 workloads take a few milliseconds a second.
 * Rates need two samples: a workload's first one reports 0 for them.
 * A workload's files stay open between samples and are read again from
 * offset 0 (the kernel regenerates them): a third of the cost of opening
 * them each time. `close` releases them; so does a workload leaving the
 * targets.
 */
export class StatsSampler {
  readonly #o: StatsSamplerOptions;
  readonly #read: (path: string) => string | undefined;
  readonly #injected: boolean;
  readonly #scratch = Buffer.alloc(64 * 1024);
  readonly #budget: number;
  #kept = 0;
  readonly #proc: string;
  readonly #root: string;
  readonly #unified: boolean;
  readonly #now: () => number;
  readonly #cgroups = new Map<string, Cgroup>();
  readonly #last = new Map<string, RawCounters>();
  #host?: RawCounters & { busy: number; total: number };

  constructor(options: StatsSamplerOptions) {
    this.#o = options;
    this.#injected = options.read !== undefined;
    this.#read = options.read ?? ((path) => readSmallFile(path, this.#scratch));
    this.#proc = options.proc ?? '/proc';
    this.#root = options.cgroupRoot ?? '/sys/fs/cgroup';
    this.#unified = options.unifiedOnly ?? isUnifiedOnly(this.#root);
    this.#now = options.now ?? Date.now;
    this.#budget = options.fdBudget ?? defaultFdBudget();
  }

  /** Takes one sample of the host and of `targets`; forgets workloads no longer among them. */
  sample(targets: readonly SampleTarget[]): StatsFrame {
    const time = this.#now();
    // The host first: workloads without a memory limit report the host's memory.
    const host = this.#sampleHost(time);
    const workloads: Record<string, WorkloadRates> = {};
    const seen = new Set<string>();
    for (const t of targets) {
      if (!(t.pid > 0)) continue;
      seen.add(t.id);
      const rates = this.#sampleWorkload(t, time);
      if (rates) workloads[t.id] = rates;
    }
    for (const id of this.#last.keys()) if (!seen.has(id)) this.#last.delete(id);
    for (const [id, cg] of this.#cgroups) {
      if (seen.has(id)) continue;
      this.#kept -= closeAll(cg);
      this.#cgroups.delete(id);
    }
    return { time, host, workloads };
  }

  /** Releases every open descriptor (the sampler can go on: they are opened again as needed). */
  close(): void {
    for (const cg of this.#cgroups.values()) closeAll(cg);
    this.#kept = 0;
    this.#cgroups.clear();
    this.#last.clear();
  }

  #sampleWorkload(t: SampleTarget, time: number): WorkloadRates | undefined {
    let cg = this.#cgroups.get(t.id);
    if (!cg || cg.pid !== t.pid) {
      if (cg) this.#kept -= closeAll(cg);
      const text = this.#read(join(this.#proc, String(t.pid), 'cgroup'));
      if (text === undefined) return undefined;
      cg = { pid: t.pid, ...cgroupDirs(text, this.#root, this.#unified), fds: new Map(), samples: 0 };
      this.#cgroups.set(t.id, cg);
      this.#last.delete(t.id);
    }
    const kept = cg;
    const r = this.#injected ? this.#read : (path: string): string | undefined => {
      if (!kept.fds.has(path) && this.#kept >= this.#budget) return this.#read(path);
      const before = kept.fds.size;
      const text = readKept(kept.fds, path, this.#scratch);
      this.#kept += kept.fds.size - before;
      return text;
    };
    const limitDue = cg.samples++ % LIMIT_EVERY === 0;
    let cpuNs: number | undefined;
    let mem = 0;
    let limit = Number.POSITIVE_INFINITY;
    if (cg.unified) {
      const stat = r(join(cg.unified, 'cpu.stat'));
      if (stat !== undefined) cpuNs = keyedValue(stat, 'usage_usec') * 1000;
      const memStat = r(join(cg.unified, 'memory.stat')) ?? '';
      mem = Math.max(0, Number(r(join(cg.unified, 'memory.current')) ?? 0) - keyedValue(memStat, 'inactive_file'));
      if (limitDue) {
        const max = r(join(cg.unified, 'memory.max'))?.trim();
        cg.limit = max && max !== 'max' ? Number(max) : Number.POSITIVE_INFINITY;
      }
      limit = cg.limit ?? limit;
    } else {
      if (cg.cpu) {
        const usage = r(join(cg.cpu, 'cpuacct.usage'));
        if (usage !== undefined) cpuNs = Number(usage);
      }
      if (cg.memory) {
        const memStat = r(join(cg.memory, 'memory.stat')) ?? '';
        mem = Math.max(0, Number(r(join(cg.memory, 'memory.usage_in_bytes')) ?? 0) - keyedValue(memStat, 'total_inactive_file'));
        if (limitDue) cg.limit = Number(r(join(cg.memory, 'memory.limit_in_bytes')) ?? Number.POSITIVE_INFINITY);
        limit = cg.limit ?? limit;
      }
    }
    const pidDir = join(this.#proc, String(t.pid));
    if (cpuNs === undefined || !Number.isFinite(cpuNs)) {
      // No cpuacct for this process (a controller the host lacks): its own CPU time, threads included.
      const stat = r(join(pidDir, 'stat'));
      if (stat === undefined) return undefined;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpuNs = ((Number(f[11]) || 0) + (Number(f[12]) || 0)) * TICK_NS;
    }
    const net = parseNetDev(r(join(pidDir, 'net', 'dev')) ?? '');
    const io = parseProcIo(r(join(pidDir, 'io')) ?? '');
    const raw: RawCounters = { time, cpuNs, rx: net.rx, tx: net.tx, read: io.read, write: io.write };
    const prev = this.#last.get(t.id);
    this.#last.set(t.id, raw);
    const hostMem = this.#hostMemTotal;
    if (!Number.isFinite(limit) || (hostMem > 0 && limit > hostMem)) limit = hostMem;
    const rates = prev ? ratesBetween(prev, raw) : { cpu: 0, rx: 0, tx: 0, read: 0, write: 0 };
    // Two decimals are all a chart shows; shorter numbers make a smaller frame to send.
    return { cpu: round2(rates.cpu), mem, memLimit: limit, rx: Math.round(rates.rx), tx: Math.round(rates.tx), read: Math.round(rates.read), write: Math.round(rates.write) };
  }

  #hostMemTotal = 0;

  #sampleHost(time: number): HostRates {
    const cpu = parseProcStatCpu(this.#read(join(this.#proc, 'stat')) ?? '');
    const mem = parseMeminfo(this.#read(join(this.#proc, 'meminfo')) ?? '');
    this.#hostMemTotal = mem.total;
    const net = parseNetDev(this.#read(join(this.#proc, 'net', 'dev')) ?? '');
    const disk = parseDiskstats(this.#read(join(this.#proc, 'diskstats')) ?? '');
    const raw = { time, cpuNs: 0, rx: net.rx, tx: net.tx, read: disk.read, write: disk.write, busy: cpu.busy, total: cpu.total };
    const prev = this.#host;
    this.#host = raw;
    const cpus = this.#o.cpus;
    const base = { cpus, mem: mem.total - mem.available, memTotal: mem.total };
    if (!prev) return { ...base, cpu: 0, rx: 0, tx: 0, read: 0, write: 0 };
    const r = ratesBetween(prev, raw);
    const dt = raw.total - prev.total;
    const busy = dt > 0 ? Math.min(100, Math.max(0, ((raw.busy - prev.busy) / dt) * 100)) : 0;
    return { ...base, cpu: round2(busy), rx: Math.round(r.rx), tx: Math.round(r.tx), read: Math.round(r.read), write: Math.round(r.write) };
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Per-second rates between two raw samples; counters that went backwards (a restart) count as 0. Pure. */
export function ratesBetween(prev: RawCounters, next: RawCounters): { cpu: number; rx: number; tx: number; read: number; write: number } {
  const seconds = (next.time - prev.time) / 1000;
  if (!(seconds > 0)) return { cpu: 0, rx: 0, tx: 0, read: 0, write: 0 };
  const per = (a: number, b: number): number => (b >= a ? (b - a) / seconds : 0);
  return {
    cpu: next.cpuNs >= prev.cpuNs ? ((next.cpuNs - prev.cpuNs) / (seconds * 1e9)) * 100 : 0,
    rx: per(prev.rx, next.rx),
    tx: per(prev.tx, next.tx),
    read: per(prev.read, next.read),
    write: per(prev.write, next.write),
  };
}

/**
 * The cpuacct, memory and unified directories of a process from its
 * `/proc/<pid>/cgroup`. On a hybrid host (v1 controllers beside a v2 tree
 * at `<root>/unified`) the v1 controllers hold the counters. Pure.
 */
export function cgroupDirs(text: string, root: string, unifiedOnly: boolean): { cpu?: string; memory?: string; unified?: string } {
  const out: { cpu?: string; memory?: string; unified?: string } = {};
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (controllers === '') {
      if (unifiedOnly) out.unified = join(root, path);
      continue;
    }
    const list = controllers.split(',');
    if (list.includes('cpuacct')) out.cpu = join(root, controllers, path);
    if (list.includes('memory')) out.memory = join(root, controllers, path);
  }
  return out;
}

/** Closes a workload's kept descriptors; returns how many there were. */
function closeAll(cg: Cgroup): number {
  const n = cg.fds.size;
  for (const fd of cg.fds.values()) {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
  }
  cg.fds.clear();
  return n;
}

function defaultFdBudget(): number {
  const line = readSmallFile('/proc/self/limits', Buffer.alloc(8192))?.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = Number(line?.split(/\s+/)[3]);
  return Number.isFinite(soft) && soft > 0 ? Math.min(4096, Math.floor(soft / 4)) : 256;
}

/**
 * Reads a kernel file through a descriptor kept in `fds` (opened on first
 * use) from offset 0; undefined, and the descriptor closed, when it cannot
 * (the process ended, the cgroup was removed).
 */
function readKept(fds: Map<string, number>, path: string, buffer: Buffer): string | undefined {
  let fd = fds.get(path);
  if (fd === undefined) {
    try {
      fd = openSync(path, 'r');
    } catch {
      return undefined;
    }
    fds.set(path, fd);
  }
  try {
    let n = 0;
    for (;;) {
      const got = readSync(fd, buffer, n, buffer.length - n, n);
      n += got;
      if (got === 0 || n >= buffer.length) break;
    }
    return buffer.toString('latin1', 0, n);
  } catch {
    fds.delete(path);
    try {
      closeSync(fd);
    } catch {
      /* gone */
    }
    return undefined;
  }
}

function isUnifiedOnly(root: string): boolean {
  try {
    return statfsSync(root).type === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/** A kernel file read whole with synchronous calls into the sampler's buffer (they are small); undefined when unreadable. */
function readSmallFile(path: string, buffer: Buffer): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    let n = 0;
    for (;;) {
      const got = readSync(fd, buffer, n, buffer.length - n, null);
      if (got === 0 || n + got >= buffer.length) {
        n += got;
        break;
      }
      n += got;
    }
    return buffer.toString('latin1', 0, n);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
