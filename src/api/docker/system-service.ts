import type { RegistryCredentials } from '../../core/registry.ts';
import type { HostFacts } from '../../host/host-probe.ts';

/** What `/info` reports of the daemon and its host (domain form; the routes render docker's JSON). */
export interface SystemInfo {
  /** Stable engine ID, kept in the root across restarts. */
  id: string;
  /** The storage root (`--root`). */
  rootDir: string;
  /** Janus's version, e.g. `0.1.0`. */
  serverVersion: string;
  /** The storage driver's name. */
  storageDriver: string;
  /** The OCI runtime containers use by default ('' when none was found). */
  defaultRuntime: string;
  /** Registries reachable over plain http (`--insecure-registry`), as given. */
  insecureRegistries: string[];
  /** True when the daemon logs at debug level. */
  debug: boolean;
  /** The host as probed (cached by the implementation; see its doc). */
  host: HostFacts;
  /** Things the user should know, like docker's `Warnings`. */
  warnings: string[];
  /**
   * Which runtime serves each isolation level after probing (absent level:
   * it does not work here) and why refused runtimes cannot be used.
   */
  levels?: {
    levels: Partial<Record<'container' | 'sandbox' | 'vm', string>>;
    unavailable: Partial<Record<'container' | 'sandbox' | 'vm', string>>;
    refused: Record<string, string>;
    /** The vm level's accelerator once probed by booting a guest (kvm or tcg), and why. */
    vmAccelerator?: { accel: 'kvm' | 'tcg'; reason: string };
  };
  /** Containers by state. */
  containers?: { total: number; running: number; paused: number; stopped: number };
  /** Guest kernels the vm level can boot; `isDefault` marks the one VMs boot. */
  kernels?: { release: string; path: string; modules: boolean; isDefault: boolean }[];
}

/** What `/version` reports (domain form). */
export interface ServerVersion {
  version: string;
  /** Source commit, '' when unknown. */
  gitCommit: string;
  /** RFC 3339 time the source was committed or built, '' when unknown. */
  buildTime: string;
  /** The JavaScript runtime, e.g. `node v24.11.0` (docker's GoVersion slot). */
  runtimeVersion: string;
  /** GOOS spelling. */
  os: string;
  /** GOARCH spelling. */
  arch: string;
  kernelVersion: string;
}

/**
 * Daemon-wide queries and actions of the Docker API that are not about one
 * object kind: `/info`, `/version`, `/auth`. Implemented by the daemon
 * (`DaemonSystemService`); the API routes are its only caller.
 */
export interface SystemService {
  /** Janus's version; constant for the daemon's life (the `Server` header carries it). */
  readonly serverVersion: string;
  info(options?: { signal?: AbortSignal }): Promise<SystemInfo>;
  version(options?: { signal?: AbortSignal }): Promise<ServerVersion>;
  /**
   * Checks credentials against a registry (`host[:port]`, already
   * normalised). Unauthorized when rejected; Unavailable when unreachable.
   */
  login(registry: string, credentials: RegistryCredentials, options?: { signal?: AbortSignal }): Promise<{ identityToken?: string }>;
}
