import { access, constants, readdir, readFile, stat } from 'node:fs/promises';
import { availableParallelism, hostname, machine, release, totalmem } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Exec } from '../util/exec.ts';

/**
 * How the cgroup hierarchies are mounted: only v1 controllers, only the
 * unified v2 hierarchy, v1 controllers with a v2 hierarchy beside them
 * ("hybrid", which crun 1.8 refuses), or none at all.
 */
export type CgroupLayout = 'v1' | 'v2' | 'hybrid' | 'none';

/** A host program that was found, with what its `--version` said. */
export interface ToolInfo {
  /** Program name, e.g. `runc`, `qemu-system-x86_64`. */
  name: string;
  /** Absolute path where it was found. */
  path: string;
  /** Version parsed from `--version` (e.g. `1.1.5+ds1`), or '' when it could not be read. */
  version: string;
  /** Why the version could not be read, when it could not. */
  versionError?: string;
}

/** An accelerator a VM could use and how sure we are of it. */
export interface AcceleratorInfo {
  name: 'kvm' | 'tcg';
  /** Human-readable state, e.g. `present (not yet probed by boot)`. */
  status: string;
}

/** What the host offers, as found at one moment. */
export interface HostFacts {
  /** `uname -r`. */
  kernelVersion: string;
  /** PRETTY_NAME of /etc/os-release, e.g. `Debian GNU/Linux 12 (bookworm)`; '' when unknown. */
  operatingSystem: string;
  /** VERSION_ID of /etc/os-release; '' when unknown. */
  osVersion: string;
  /** `uname -m` spelling: x86_64, aarch64, … */
  architecture: string;
  hostname: string;
  ncpu: number;
  /** Bytes of RAM. */
  memTotal: number;
  cgroupLayout: CgroupLayout;
  /** Where the v2 hierarchy is mounted (`/sys/fs/cgroup`, `/sys/fs/cgroup/unified`), if anywhere. */
  cgroupV2Mount?: string;
  /** OCI runtimes found (runc, crun, runsc), in that order of names. Found is not the same as usable: selection is the runtime layer's job. */
  ociRuntimes: ToolInfo[];
  conmon?: ToolInfo;
  /** qemu-system-* and qemu-img binaries found. */
  qemu: ToolInfo[];
  /** True when /dev/kvm exists (not a promise that a guest boots with it). */
  kvmDevice: boolean;
  accelerators: AcceleratorInfo[];
}

/** The few file-system reads the probe needs; injectable for tests. */
export interface HostFs {
  /** Whole file as UTF-8; rejects (ENOENT, EACCES) like fs.readFile. */
  readFile(path: string): Promise<string>;
  /** Entry names of a directory; rejects when it cannot be read. */
  readdir(path: string): Promise<string[]>;
  /** True when `path` is a regular file this process may execute. */
  isExecutable(path: string): Promise<boolean>;
  /** True when `path` exists (any type). */
  exists(path: string): Promise<boolean>;
}

/** Facts of the running system that Node reports without reading files. */
export interface HostSystem {
  ncpu(): number;
  machine(): string;
  hostname(): string;
  release(): string;
  totalmem(): number;
}

/** Options of a HostProbe; everything but `exec` defaults to the real host. */
export interface HostProbeOptions {
  exec: Exec;
  fs?: HostFs;
  system?: HostSystem;
  /** The search path for programs (default: $PATH plus the sbin directories, which root's tools live in). */
  path?: string;
  /** Bound on each `--version` run, so a wedged binary cannot stall daemon start (default 5000 ms). */
  versionTimeoutMs?: number;
}

const OCI_RUNTIMES = ['runc', 'crun', 'runsc'] as const;
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];
const QEMU_RE = /^qemu-system-[a-z0-9_]+$/;

/** Reads the real file system. */
const nodeFs: HostFs = {
  readFile: (path) => readFile(path, 'utf8'),
  readdir: (path) => readdir(path),
  async isExecutable(path) {
    try {
      const s = await stat(path);
      if (!s.isFile()) return false;
      await access(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
  async exists(path) {
    try {
      await stat(path);
      return true;
    } catch {
      return false;
    }
  },
};

const nodeSystem: HostSystem = { ncpu: availableParallelism, machine, hostname, release, totalmem };

/**
 * Finds what this host offers for running workloads: kernel, cgroup layout,
 * OCI runtimes, conmon, QEMU and accelerators, CPUs and memory. Read-only and
 * safe to call at any time; each call probes afresh. Never throws for a
 * missing tool or file: absence is a fact it reports.
 */
export class HostProbe {
  readonly #exec: Exec;
  readonly #fs: HostFs;
  readonly #sys: HostSystem;
  readonly #path: string;
  readonly #timeoutMs: number;

  constructor(options: HostProbeOptions) {
    this.#exec = options.exec;
    this.#fs = options.fs ?? nodeFs;
    this.#sys = options.system ?? nodeSystem;
    this.#path = options.path ?? [process.env.PATH ?? '', ...SBIN_DIRS].join(delimiter);
    this.#timeoutMs = options.versionTimeoutMs ?? 5000;
  }

  /** Probes the host. Runs each found tool's `--version` (in parallel). */
  async probe(): Promise<HostFacts> {
    const dirs = [...new Set(this.#path.split(delimiter).filter((d) => d.startsWith('/')))];
    const [kernel, osRelease, meminfo, cgroups, runtimes, conmon, qemu, kvmDevice] = await Promise.all([
      this.#read('/proc/sys/kernel/osrelease'),
      this.#read('/etc/os-release'),
      this.#read('/proc/meminfo'),
      this.#cgroupLayout(),
      Promise.all(OCI_RUNTIMES.map((name) => this.#tool(name, dirs))),
      this.#tool('conmon', dirs),
      this.#qemu(dirs),
      this.#fs.exists('/dev/kvm'),
    ]);
    const os = parseOsRelease(osRelease ?? '');
    const accelerators: AcceleratorInfo[] = [];
    if (kvmDevice) accelerators.push({ name: 'kvm', status: 'present (not yet probed by boot)' });
    if (qemu.some((t) => t.name.startsWith('qemu-system-'))) {
      accelerators.push({ name: 'tcg', status: 'available (software emulation)' });
    }
    return {
      kernelVersion: kernel?.trim() || this.#sys.release(),
      operatingSystem: os.PRETTY_NAME ?? os.NAME ?? '',
      osVersion: os.VERSION_ID ?? '',
      architecture: this.#sys.machine(),
      hostname: this.#sys.hostname(),
      ncpu: this.#sys.ncpu(),
      memTotal: parseMemTotal(meminfo ?? '') ?? this.#sys.totalmem(),
      cgroupLayout: cgroups.layout,
      ...(cgroups.v2Mount ? { cgroupV2Mount: cgroups.v2Mount } : {}),
      ociRuntimes: runtimes.filter((t): t is ToolInfo => t !== undefined),
      ...(conmon ? { conmon } : {}),
      qemu,
      kvmDevice,
      accelerators,
    };
  }

  async #read(path: string): Promise<string | undefined> {
    try {
      return await this.#fs.readFile(path);
    } catch {
      return undefined;
    }
  }

  async #cgroupLayout(): Promise<{ layout: CgroupLayout; v2Mount?: string }> {
    const mounts = await this.#read('/proc/mounts');
    if (mounts !== undefined) return cgroupLayoutFromMounts(mounts);
    // Without /proc/mounts (an unusual sandbox) the v2 root file is the only clue.
    if (await this.#fs.exists('/sys/fs/cgroup/cgroup.controllers')) return { layout: 'v2', v2Mount: '/sys/fs/cgroup' };
    return { layout: 'none' };
  }

  async #find(name: string, dirs: string[]): Promise<string | undefined> {
    for (const dir of dirs) {
      const p = join(dir, name);
      if (await this.#fs.isExecutable(p)) return p;
    }
    return undefined;
  }

  async #tool(name: string, dirs: string[]): Promise<ToolInfo | undefined> {
    const path = await this.#find(name, dirs);
    return path === undefined ? undefined : this.#version(name, path);
  }

  async #version(name: string, path: string): Promise<ToolInfo> {
    try {
      const r = await this.#exec.run(path, ['--version'], { check: false, signal: AbortSignal.timeout(this.#timeoutMs) });
      const version = parseToolVersion(`${r.stdout}\n${r.stderr}`);
      if (r.code === 0 && version) return { name, path, version };
      const why = r.signal ? `killed by ${r.signal}` : `exit status ${r.code}`;
      return { name, path, version: version ?? '', versionError: `${path} --version: ${version ? why : `no version in its output (${why})`}` };
    } catch (err) {
      return { name, path, version: '', versionError: `${path} --version: ${(err as Error).message}` };
    }
  }

  async #qemu(dirs: string[]): Promise<ToolInfo[]> {
    const found = new Map<string, string>();
    for (const dir of dirs) {
      let names: string[];
      try {
        names = await this.#fs.readdir(dir);
      } catch {
        continue;
      }
      for (const n of names.sort()) {
        if ((QEMU_RE.test(n) || n === 'qemu-img') && !found.has(n) && (await this.#fs.isExecutable(join(dir, n)))) {
          found.set(n, join(dir, n));
        }
      }
    }
    return Promise.all([...found].map(([name, path]) => this.#version(name, path)));
  }
}

/**
 * Classifies the cgroup mounts of a /proc/mounts text. Pure.
 * Hybrid: v1 controllers plus a cgroup2 mount (usually /sys/fs/cgroup/unified).
 */
export function cgroupLayoutFromMounts(mounts: string): { layout: CgroupLayout; v2Mount?: string } {
  let v1 = false;
  let v2Mount: string | undefined;
  for (const line of mounts.split('\n')) {
    const [, target, fstype] = line.split(' ');
    if (fstype === 'cgroup') v1 = true;
    // /proc/mounts escapes spaces as \040; cgroup mount points have none in practice.
    else if (fstype === 'cgroup2' && target && (v2Mount === undefined || target === '/sys/fs/cgroup')) v2Mount = target;
  }
  const layout: CgroupLayout = v1 ? (v2Mount ? 'hybrid' : 'v1') : v2Mount ? 'v2' : 'none';
  return { layout, ...(v2Mount ? { v2Mount } : {}) };
}

/** The version word of a `--version` output (`runc version 1.1.5` → `1.1.5`), or undefined. Pure. */
export function parseToolVersion(output: string): string | undefined {
  const m = /\bversion:?\s+v?([^\s,()]+)/i.exec(output);
  return m?.[1];
}

/** KEY=value pairs of an os-release file, quotes removed. Pure. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2];
    if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.endsWith(v[0])) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    out[m[1]] = v;
  }
  return out;
}

/** Bytes of MemTotal in a /proc/meminfo text, or undefined. Pure. */
export function parseMemTotal(meminfo: string): number | undefined {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(meminfo);
  return m ? Number(m[1]) * 1024 : undefined;
}
