import type { Digest } from '../core/digest.ts';
import type { OciRuntimeSpec } from '../core/oci-runtime-spec.ts';
import type { PortMapping } from '../core/network-driver.ts';
import type { VmDetails } from '../core/runtime.ts';
import type { IsolationChoice } from './isolation-choice.ts';
import type { JoinedEndpoint, PortRequest } from './network-engine.ts';
import type {
  ContainerCreateRequest, ContainerNetworkView, ContainerStatus, ContainerView, HealthView, IsolationLevel, LogConfig, MountView, RestartPolicy,
} from './container-service.ts';

/** The part of a container's record that changes as it runs. */
export interface ContainerRunState {
  status: ContainerStatus;
  pid: number;
  exitCode: number;
  error: string;
  startedAt?: string;
  finishedAt?: string;
  oomKilled: boolean;
  restartCount: number;
  /** Stopped by `stop`/`kill`/`pause`-then-stop: restart policies leave it alone (docker's HasBeenManuallyStopped). */
  manuallyStopped: boolean;
  health?: { status: HealthView['status']; failingStreak: number; log: { start: string; end: string; exitCode: number; output: string }[] };
  /** Ports published by the current run (ephemeral host ports as chosen), kept so a restarted daemon publishes the same ones. */
  ports?: PortMapping[];
  /** The machine of the last run at the vm level (accelerator, kernel, sizes). */
  vm?: VmDetails;
}

/**
 * Everything the engine keeps of one container, durable in the state
 * store: what `create` decided (the OCI spec, mounts, files) and the run
 * state. `inspect` is computed from it.
 */
export interface ContainerRecord {
  id: string;
  name: string;
  created: string;
  image: string;
  imageId: Digest;
  request: ContainerCreateRequest;
  config: ContainerView['config'];
  path: string;
  args: string[];
  isolation: IsolationLevel;
  /** `--isolation auto`: what the advisor chose and why. */
  isolationChoice?: IsolationChoice;
  runtime: string;
  restartPolicy: RestartPolicy;
  autoRemove: boolean;
  logConfig: LogConfig;
  logPath: string;
  hostnamePath: string;
  hostsPath: string;
  resolvConfPath: string;
  mounts: MountView[];
  /** Volumes this container holds (acquired at create, released at removal). */
  volumes: string[];
  /** Anonymous volumes made for it (removed with `rm -v`). */
  anonymousVolumes: string[];
  snapshotKey: string;
  graphDriver: { name: string; data: Record<string, string> };
  networkMode: string;
  /** `-p`/`-P` as asked (exposed ports expanded for -P); host ports chosen at each start. */
  portRequests?: PortRequest[];
  spec: OciRuntimeSpec;
  warnings: string[];
  state: ContainerRunState;
}

/** The inspect view of a record, with its endpoints (join order) and, while it runs, its sandbox path. */
export function viewOf(r: ContainerRecord, execIds: string[], net: { endpoints: JoinedEndpoint[]; sandbox?: string } = { endpoints: [] }): ContainerView {
  const s = r.state;
  const running = s.status === 'running' || s.status === 'paused';
  return {
    id: r.id,
    name: r.name,
    created: new Date(r.created),
    image: r.image,
    imageId: r.imageId,
    path: r.path,
    args: r.args,
    config: r.config,
    request: r.request,
    state: {
      status: s.status,
      running,
      paused: s.status === 'paused',
      restarting: s.status === 'restarting',
      oomKilled: s.oomKilled,
      dead: s.status === 'dead',
      pid: running ? s.pid : 0,
      exitCode: s.exitCode,
      error: s.error,
      ...(s.startedAt ? { startedAt: new Date(s.startedAt) } : {}),
      ...(s.finishedAt ? { finishedAt: new Date(s.finishedAt) } : {}),
      ...(s.health
        ? {
            health: {
              status: s.health.status,
              failingStreak: s.health.failingStreak,
              log: s.health.log.map((l) => ({ start: new Date(l.start), end: new Date(l.end), exitCode: l.exitCode, output: l.output })),
            },
          }
        : {}),
    },
    restartCount: s.restartCount,
    isolation: r.isolation,
    ...(r.isolationChoice ? { isolationChoice: r.isolationChoice } : {}),
    runtime: r.runtime,
    ...(s.vm ? { vm: s.vm } : {}),
    restartPolicy: r.restartPolicy,
    autoRemove: r.autoRemove,
    logConfig: r.logConfig,
    logPath: r.logPath,
    hostnamePath: r.hostnamePath,
    hostsPath: r.hostsPath,
    resolvConfPath: r.resolvConfPath,
    mounts: r.mounts,
    graphDriver: r.graphDriver,
    networkMode: r.networkMode,
    networks: networksOf(net.endpoints, running),
    ports: running ? portsOf(r.config.exposedPorts, s.ports ?? []) : {},
    sandboxKey: running ? (net.sandbox ?? '') : '',
    warnings: r.warnings,
    execIds,
  };
}

/** docker's NetworkSettings.Networks: addresses only while running. */
function networksOf(endpoints: JoinedEndpoint[], running: boolean): Record<string, ContainerNetworkView> {
  const out: Record<string, ContainerNetworkView> = {};
  for (const e of endpoints) {
    out[e.networkName] = {
      networkId: e.networkId,
      endpointId: running ? e.endpointId : '',
      aliases: e.aliases,
      ipamAddress: e.static ? e.ip : '',
      ipAddress: running ? e.ip : '',
      prefixLen: running ? e.prefixLen : 0,
      gateway: running ? e.gateway : '',
      macAddress: running ? e.mac : '',
    };
  }
  return out;
}

/** docker's NetworkSettings.Ports: every exposed or published port, with its host bindings. */
function portsOf(exposed: string[], published: PortMapping[]): Record<string, { hostIp: string; hostPort: string }[]> {
  const out: Record<string, { hostIp: string; hostPort: string }[]> = {};
  for (const p of exposed) out[p.includes('/') ? p : `${p}/tcp`] = [];
  for (const m of published) {
    const key = `${m.containerPort}/${m.protocol}`;
    (out[key] ??= []).push({ hostIp: m.hostIp, hostPort: String(m.hostPort) });
  }
  return out;
}
