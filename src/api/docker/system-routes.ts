import type { ImageService } from '../../engine/image-service.ts';
import { invalidArgument } from '../../core/errors.ts';
import { API_VERSION, MIN_API_VERSION } from './api-version.ts';
import { credentialsFromAuthJson, registryFromServerAddress } from './registry-auth.ts';
import type { Router } from './router.ts';
import type { SystemInfo, SystemService } from './system-service.ts';

/** What the system routes need. */
export interface SystemRoutesOptions {
  system: SystemService;
  images: ImageService;
}

/** Adds `/version`, `/info` and `/auth` to `router` (`/_ping` is the server's own). */
export function registerSystemRoutes(router: Router, options: SystemRoutesOptions): void {
  const { system, images } = options;

  router.add('GET', '/version', async (r) => {
    const v = await system.version({ signal: r.signal });
    const details = {
      ApiVersion: API_VERSION,
      Arch: v.arch,
      BuildTime: v.buildTime,
      Experimental: 'false',
      GitCommit: v.gitCommit,
      GoVersion: v.runtimeVersion,
      KernelVersion: v.kernelVersion,
      MinAPIVersion: MIN_API_VERSION,
      Os: v.os,
    };
    r.send(200, {
      Platform: { Name: 'Janus' },
      Components: [{ Name: 'Engine', Version: v.version, Details: details }],
      Version: v.version,
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      GitCommit: v.gitCommit,
      GoVersion: v.runtimeVersion,
      Os: v.os,
      Arch: v.arch,
      KernelVersion: v.kernelVersion,
      BuildTime: v.buildTime,
    });
  });

  router.add('GET', '/info', async (r) => {
    const [info, list] = await Promise.all([system.info({ signal: r.signal }), images.list({ all: true })]);
    r.send(200, infoWire(info, list.length));
  });

  router.add('POST', '/auth', async (r) => {
    const body = await r.jsonBody();
    if (body === undefined) throw invalidArgument('POST /auth needs a JSON body with username and password (or identitytoken)');
    const credentials = credentialsFromAuthJson(body, 'auth body');
    if (!credentials) throw invalidArgument('POST /auth: give username and password, or identitytoken');
    const address = (body as Record<string, unknown>).serveraddress;
    const registry = registryFromServerAddress(typeof address === 'string' ? address : undefined);
    const { identityToken } = await system.login(registry, credentials, { signal: r.signal });
    r.send(200, { Status: 'Login Succeeded', ...(identityToken ? { IdentityToken: identityToken } : {}) });
  });
}

/** Docker's `/info` JSON, with Janus's own facts under `Janus`. Pure. */
export function infoWire(info: SystemInfo, imageCount: number): Record<string, unknown> {
  const h = info.host;
  const runtimes: Record<string, { path: string }> = {};
  for (const rt of h.ociRuntimes) runtimes[rt.name] = { path: rt.path };
  const indexConfigs: Record<string, unknown> = {
    'docker.io': { Name: 'docker.io', Mirrors: [], Secure: true, Official: true },
  };
  for (const reg of info.insecureRegistries) {
    indexConfigs[reg] = { Name: reg, Mirrors: [], Secure: false, Official: false };
  }
  const qemuSystems = h.qemu.filter((q) => q.name.startsWith('qemu-system-'));
  const tool = (t: { name: string; path: string; version: string; versionError?: string }) => ({
    Name: t.name,
    Path: t.path,
    Version: t.version,
    ...(t.versionError ? { VersionError: t.versionError } : {}),
  });
  return {
    ID: info.id,
    Containers: info.containers?.total ?? 0,
    ContainersRunning: info.containers?.running ?? 0,
    ContainersPaused: info.containers?.paused ?? 0,
    ContainersStopped: info.containers?.stopped ?? 0,
    Images: imageCount,
    Driver: info.storageDriver,
    DriverStatus: [['Root Dir', info.rootDir]],
    // The drivers built in (docker lists its built-in ones here too); there are no plugins to add more.
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file', 'none'] },
    MemoryLimit: h.cgroupLayout !== 'none',
    SwapLimit: false,
    KernelMemory: false,
    CpuCfsPeriod: h.cgroupLayout !== 'none',
    CpuCfsQuota: h.cgroupLayout !== 'none',
    CPUShares: h.cgroupLayout !== 'none',
    CPUSet: h.cgroupLayout !== 'none',
    PidsLimit: h.cgroupLayout !== 'none',
    IPv4Forwarding: false,
    Debug: info.debug,
    NFd: 0,
    OomKillDisable: false,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    // Docker reports a hybrid host as v1: the controllers it uses are v1's.
    CgroupVersion: h.cgroupLayout === 'v2' ? '2' : h.cgroupLayout === 'none' ? '' : '1',
    NEventsListener: 0,
    KernelVersion: h.kernelVersion,
    OperatingSystem: h.operatingSystem,
    OSVersion: h.osVersion,
    OSType: 'linux',
    Architecture: h.architecture,
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      InsecureRegistryCIDRs: ['127.0.0.0/8', '::1/128'],
      IndexConfigs: indexConfigs,
      Mirrors: [],
    },
    NCPU: h.ncpu,
    MemTotal: h.memTotal,
    GenericResources: null,
    DockerRootDir: info.rootDir,
    HttpProxy: '',
    HttpsProxy: '',
    NoProxy: '',
    Name: h.hostname,
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: info.serverVersion,
    Runtimes: runtimes,
    DefaultRuntime: info.defaultRuntime,
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    // Containers outlive the daemon (one conmon each) and are re-adopted when it starts again.
    LiveRestoreEnabled: true,
    Isolation: '',
    // --init mounts the host's catatonit (or tini) at docker's path, /sbin/docker-init.
    InitBinary: 'docker-init',
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: '' },
    InitCommit: { ID: '' },
    SecurityOptions: [],
    Warnings: info.warnings,
    Janus: {
      IsolationLevels: info.levels
        ? (['container', 'sandbox', 'vm'] as const).map((level) => ({
            Name: level,
            Backends: info.levels!.levels[level] ? [info.levels!.levels[level]] : [],
            ...(info.levels!.unavailable[level] ? { Unavailable: info.levels!.unavailable[level] } : {}),
            ...(level === 'vm' && info.levels!.levels.vm ? { Accelerator: info.levels!.vmAccelerator?.accel ?? 'probing', AcceleratorReason: info.levels!.vmAccelerator?.reason ?? 'a probe guest is booting' } : {}),
          }))
        : [
            { Name: 'container', Backends: h.ociRuntimes.filter((t) => t.name !== 'runsc').map((t) => t.name) },
            { Name: 'sandbox', Backends: h.ociRuntimes.filter((t) => t.name === 'runsc').map((t) => t.name) },
            { Name: 'vm', Backends: qemuSystems.map((t) => t.name) },
          ],
      ...(info.levels ? { RefusedRuntimes: info.levels.refused } : {}),
      Runtimes: h.ociRuntimes.map(tool),
      Conmon: h.conmon ? tool(h.conmon) : null,
      Qemu: h.qemu.map(tool),
      Accelerators: h.accelerators.map((a) => ({ Name: a.name, Status: a.status })),
      CgroupLayout: h.cgroupLayout,
      ...(h.cgroupV2Mount ? { CgroupV2Mount: h.cgroupV2Mount } : {}),
      KvmDevice: h.kvmDevice,
      Kernels: (info.kernels ?? []).map((k) => ({ Release: k.release, Path: k.path, Modules: k.modules, Default: k.isDefault })),
    },
  };
}
