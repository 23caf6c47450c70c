import type { RegistryCredentials, Registry } from '../core/registry.ts';
import type { HostFacts } from '../host/host-probe.ts';
import type { ServerVersion, SystemInfo, SystemService } from '../api/docker/system-service.ts';

/** Node's process.arch → GOARCH, which docker clients expect in `/version`. */
const GOARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64', mips: 'mips', mipsel: 'mipsle' };

/** What the daemon knows about itself, fixed at start. */
export interface DaemonSystemServiceOptions {
  probe: { probe(): Promise<HostFacts> };
  registry: Registry;
  id: string;
  root: string;
  version: string;
  gitCommit?: string;
  buildTime?: string;
  insecureRegistries?: string[];
  debug?: boolean;
  /** How long a host probe is reused (default 10 s): `info` runs every tool's --version otherwise. */
  probeCacheMs?: number;
  now?: () => number;
  /** The probed runtime of each isolation level (known once the runtimes are probed). */
  levels?: () => SystemInfo['levels'];
  /** Container counts by state. */
  containers?: () => SystemInfo['containers'];
  /** The guest kernels of the vm level. */
  kernels?: () => Promise<NonNullable<SystemInfo['kernels']>>;
}

/**
 * `/info`, `/version` and `/auth` for the running daemon: host facts from
 * the HostProbe (re-probed at most every `probeCacheMs`), daemon settings,
 * and registry logins through the Registry.
 */
export class DaemonSystemService implements SystemService {
  readonly serverVersion: string;
  readonly #o: DaemonSystemServiceOptions;
  readonly #now: () => number;
  #cached: { at: number; facts: Promise<HostFacts> } | undefined;

  constructor(options: DaemonSystemServiceOptions) {
    this.#o = options;
    this.serverVersion = options.version;
    this.#now = options.now ?? Date.now;
  }

  /** The host facts, probing when the cached ones are older than the cache time. */
  hostFacts(): Promise<HostFacts> {
    const t = this.#now();
    if (!this.#cached || t - this.#cached.at > (this.#o.probeCacheMs ?? 10_000)) {
      const facts = this.#o.probe.probe();
      this.#cached = { at: t, facts };
      // A failed probe must not be cached.
      facts.catch(() => { if (this.#cached?.facts === facts) this.#cached = undefined; });
    }
    return this.#cached.facts;
  }

  async info(): Promise<SystemInfo> {
    const host = await this.hostFacts();
    const names = host.ociRuntimes.map((r) => r.name);
    const warnings: string[] = [];
    const levels = this.#o.levels?.();
    for (const [name, why] of Object.entries(levels?.refused ?? {})) warnings.push(`WARNING: ${name} does not work on this host: ${why}`);
    if (names.length === 0) warnings.push('WARNING: no OCI runtime (runc, crun, runsc) found on PATH');
    for (const t of [...host.ociRuntimes, ...(host.conmon ? [host.conmon] : []), ...host.qemu]) {
      if (t.versionError) warnings.push(`WARNING: ${t.versionError}`);
    }
    return {
      id: this.#o.id,
      rootDir: this.#o.root,
      serverVersion: this.#o.version,
      storageDriver: 'overlay',
      defaultRuntime: levels?.levels.container ?? defaultRuntime(host),
      insecureRegistries: this.#o.insecureRegistries ?? [],
      debug: this.#o.debug ?? false,
      host,
      warnings,
      ...(levels ? { levels } : {}),
      ...(this.#o.containers ? { containers: this.#o.containers() } : {}),
      ...(this.#o.kernels ? { kernels: await this.#o.kernels().catch(() => []) } : {}),
    };
  }

  async version(): Promise<ServerVersion> {
    const host = await this.hostFacts();
    return {
      version: this.#o.version,
      gitCommit: this.#o.gitCommit ?? '',
      buildTime: this.#o.buildTime ?? '',
      runtimeVersion: `node ${process.version}`,
      os: 'linux',
      arch: GOARCH[process.arch] ?? process.arch,
      kernelVersion: host.kernelVersion,
    };
  }

  login(registry: string, credentials: RegistryCredentials, options: { signal?: AbortSignal } = {}): Promise<{ identityToken?: string }> {
    return this.#o.registry.login(registry, credentials, options);
  }
}

/**
 * The runtime `/info` names as default: crun (faster) unless the host's
 * hybrid cgroup layout rules it out, then runc, then runsc. Only what is
 * reported; choosing per workload belongs to the runtime layer.
 */
function defaultRuntime(host: HostFacts): string {
  const names = host.ociRuntimes.map((r) => r.name);
  if (names.includes('crun') && host.cgroupLayout !== 'hybrid') return 'crun';
  if (names.includes('runc')) return 'runc';
  return names[0] ?? '';
}
