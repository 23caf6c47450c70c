import { createHash } from 'node:crypto';
import { invalidArgument, notImplemented } from '../../core/errors.ts';
import type { HealthConfig } from '../../core/oci.ts';
import type { RunOptions } from '../../core/run-options.ts';
import type { ContainerCreateRequest, ContainerNetworkView, ContainerView, MountView, VolumeMountRequest } from '../../engine/container-service.ts';
import type { IsolationChoice } from '../../engine/isolation-advice.ts';
import { parsePlatform } from '../../registry/platform.ts';
import { validateRunOptions } from '../../runtimes/oci/spec/run-options.ts';
import { compareApiVersions } from './api-version.ts';
import { hostConfigWire, parseHostConfig, parsePortKey } from './host-config-wire.ts';
import { formatRfc3339Nano, humanDuration } from './time-format.ts';
import { WireObject } from './wire-object.ts';

/*
 * Docker's container JSON ⇄ the engine's container types: the body of
 * `POST /containers/create`, and `GET /containers/{id}/json` and
 * `GET /containers/json` answers. Pure functions.
 */

const CONTAINER_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const MIN_HEALTH_DURATION_NS = 1_000_000;

/** The query parameters of `POST /containers/create`. */
export interface CreateQuery {
  name?: string;
  platform?: string;
}

function parseHealthcheck(o: WireObject | undefined, apiVersion: string): HealthConfig | undefined {
  if (!o) return undefined;
  const out: HealthConfig = {};
  const test = o.strings('Test');
  if (test !== undefined && test.length > 0) {
    if (!['NONE', 'CMD', 'CMD-SHELL'].includes(test[0])) {
      throw invalidArgument(`invalid Healthcheck.Test: it must start with NONE, CMD or CMD-SHELL, not ${JSON.stringify(test[0])}`);
    }
    if (test[0] !== 'NONE' && test.length < 2) throw invalidArgument(`invalid Healthcheck.Test: ${test[0]} needs a command`);
  }
  if (test !== undefined) out.Test = test;
  const durations: ('Interval' | 'Timeout' | 'StartPeriod' | 'StartInterval')[] = ['Interval', 'Timeout', 'StartPeriod'];
  if (compareApiVersions(apiVersion, '1.44') >= 0) durations.push('StartInterval');
  for (const k of durations) {
    const v = o.int(k);
    if (v === undefined || v === 0) continue;
    if (v < MIN_HEALTH_DURATION_NS) throw invalidArgument(`invalid Healthcheck.${k}: ${k} in Healthcheck cannot be less than 1ms`);
    out[k] = v;
  }
  // StartInterval came in API 1.44; older clients' values are ignored as docker does.
  if (compareApiVersions(apiVersion, '1.44') < 0) o.ignore('StartInterval');
  const retries = o.int('Retries');
  if (retries !== undefined && retries < 0) throw invalidArgument('invalid Healthcheck.Retries: Retries in Healthcheck cannot be negative');
  if (retries) out.Retries = retries;
  o.rejectUnknown();
  return out;
}

/**
 * The body (docker's Config + HostConfig + NetworkingConfig) and query of
 * `POST /containers/create` as the engine's ContainerCreateRequest.
 * Malformed JSON values are InvalidArgument naming the field path; fields
 * Janus cannot honour are NotImplemented naming the field; the resulting
 * run options pass validateRunOptions, so a bad flag value fails here,
 * before the engine is called. Pure.
 */
export function parseContainerCreate(body: unknown, query: CreateQuery, apiVersion: string): ContainerCreateRequest {
  if (body === undefined) throw invalidArgument('invalid JSON: got EOF while reading request body');
  const c = WireObject.from(body, '');
  if (!c) throw invalidArgument('the body of POST /containers/create must be a JSON object (the container config)');
  const image = c.string('Image');
  if (image === undefined || image.trim() === '') throw invalidArgument('Image is required in the body of POST /containers/create');

  const run: RunOptions = {};
  const cmd = c.strSlice('Cmd');
  if (cmd !== undefined) run.cmd = cmd;
  // RunOptions.entrypoint keeps the API's distinction: absent keeps the image's, [] drops it, [""] drops it and the image's Cmd.
  const entrypoint = c.strSlice('Entrypoint');
  if (entrypoint !== undefined) run.entrypoint = entrypoint;
  const env = c.strings('Env');
  if (env && env.length > 0) run.env = env;
  const workingDir = c.string('WorkingDir');
  if (workingDir) run.workingDir = workingDir;
  const user = c.string('User');
  if (user) run.user = user;
  const hostname = c.string('Hostname');
  if (hostname) run.hostname = hostname;
  const domainname = c.string('Domainname');
  if (domainname) run.domainname = domainname;
  const labels = c.stringMap('Labels');
  if (labels && Object.keys(labels).length > 0) run.labels = labels;
  if (c.bool('Tty')) run.tty = true;
  if (c.bool('OpenStdin')) run.openStdin = true;
  const stopSignal = c.string('StopSignal');
  if (stopSignal) run.stopSignal = stopSignal;
  const stopTimeout = c.int('StopTimeout');
  if (stopTimeout !== undefined) run.stopTimeout = stopTimeout;

  const networkDisabled = c.bool('NetworkDisabled');
  const host = parseHostConfig(c.raw('HostConfig'), apiVersion, { networkingConfig: c.raw('NetworkingConfig'), networkDisabled });
  Object.assign(run, host.run);

  const request: ContainerCreateRequest = { ...host, image, run };
  if (query.name !== undefined && query.name !== '') {
    if (!CONTAINER_NAME.test(query.name)) throw invalidArgument(`Invalid container name (${query.name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    request.name = query.name.replace(/^\//, '');
  }
  if (query.platform !== undefined && query.platform !== '') {
    parsePlatform(query.platform);
    request.platform = query.platform;
  }

  // Anonymous volumes (Config.Volumes), unless a bind, volume or tmpfs already covers the path.
  const covered = new Set([
    ...(run.mounts ?? []).map((m) => clean(m.destination)),
    ...Object.keys(run.tmpfs ?? {}).map(clean),
    ...(request.volumes ?? []).map((v) => clean(v.destination)),
  ]);
  const anonymous: VolumeMountRequest[] = [];
  for (const path of Object.keys(c.keyed('Volumes'))) {
    if (!path.startsWith('/')) throw invalidArgument(`invalid Volumes entry ${JSON.stringify(path)}: the path must be absolute`);
    if (!covered.has(clean(path))) anonymous.push({ destination: path });
    covered.add(clean(path));
  }
  if (anonymous.length > 0) request.volumes = [...(request.volumes ?? []), ...anonymous];

  const exposed = Object.keys(c.keyed('ExposedPorts'));
  if (exposed.length > 0) {
    request.exposedPorts = exposed.map((k) => {
      const { port, protocol } = parsePortKey(k, `ExposedPorts ${JSON.stringify(k)}`);
      return `${port}/${protocol}`;
    });
  }
  const healthcheck = parseHealthcheck(c.object('Healthcheck'), apiVersion);
  if (healthcheck) request.healthcheck = healthcheck;
  for (const k of ['AttachStdin', 'AttachStdout', 'AttachStderr', 'StdinOnce'] as const) {
    const v = c.bool(k);
    if (v !== undefined) request[(k[0].toLowerCase() + k.slice(1)) as 'attachStdin' | 'attachStdout' | 'attachStderr' | 'stdinOnce'] = v;
  }
  if (c.string('MacAddress')) throw notImplemented('MacAddress is not supported: a container\'s MAC address is derived from its IP address');
  // Build-time and Windows-only metadata: kept by images, meaningless for a container.
  c.ignore('OnBuild', 'Shell', 'ArgsEscaped');
  c.ignore('HostConfig', 'NetworkingConfig');
  // dockerode sends its whole options object as the body, so the name (already in the query) and the
  // platform come along; docker's decoder ignores them.
  c.ignore('name', 'platform');
  c.rejectUnknown();

  checkDestinations(request);
  validateRunOptions(run);
  return request;
}

function clean(p: string): string {
  return p.replace(/\/+$/, '') || '/';
}

/** One path may be mounted once, whether by a bind, a volume or a tmpfs. */
function checkDestinations(request: ContainerCreateRequest): void {
  const seen = new Set<string>();
  const all = [
    ...(request.run.mounts ?? []).map((m) => m.destination),
    ...Object.keys(request.run.tmpfs ?? {}),
    ...(request.volumes ?? []).map((v) => v.destination),
  ];
  for (const d of all.map(clean)) {
    if (seen.has(d)) throw invalidArgument(`Duplicate mount point: ${d}`);
    seen.add(d);
  }
}

// ------------------------------------------------------------ inspect

/**
 * A stable ID for a network the view carries no endpoint of (`none`,
 * `host`): docker clients expect a 64-hex NetworkID on every endpoint.
 */
function networkId(name: string): string {
  return createHash('sha256').update(`janus network ${name}`).digest('hex');
}

/** Docker's EndpointSettings of one network a container is on. */
function endpointWire(view: ContainerView, name: string, ep: ContainerNetworkView | undefined): Record<string, unknown> {
  // docker lists the names a container answers to on user-defined networks; the default bridge has no DNS.
  const dnsNames = ep && name !== 'bridge' ? [...new Set([view.name, ...ep.aliases])] : null;
  return {
    IPAMConfig: ep?.ipamAddress ? { IPv4Address: ep.ipamAddress } : null,
    Links: null,
    Aliases: ep && ep.aliases.length > 0 ? ep.aliases : null,
    MacAddress: ep?.macAddress ?? '',
    DriverOpts: null,
    GwPriority: 0,
    NetworkID: ep?.networkId || networkId(name),
    EndpointID: ep?.endpointId ?? '',
    Gateway: ep?.gateway ?? '',
    IPAddress: ep?.ipAddress ?? '',
    IPPrefixLen: ep?.prefixLen ?? 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: dnsNames,
  };
}

/**
 * The networks a container is on, by name, in join order: its endpoints;
 * without any, its own mode for none/host, nothing when it shares another
 * container's namespace.
 */
function networksWire(view: ContainerView): Record<string, Record<string, unknown>> {
  const names = Object.keys(view.networks);
  if (names.length > 0) return Object.fromEntries(names.map((n) => [n, endpointWire(view, n, view.networks[n])]));
  if (view.networkMode.startsWith('container:')) return {};
  return { [view.networkMode]: endpointWire(view, view.networkMode, undefined) };
}

/** Docker's PortMap: `80/tcp` → its host bindings, null for a port exposed but not published. */
function portMapWire(view: ContainerView): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const [key, bindings] of Object.entries(view.ports)) {
    out[key] = bindings.length > 0 ? bindings.map((b) => ({ HostIp: b.hostIp, HostPort: b.hostPort })) : null;
  }
  return out;
}

function networkSettingsWire(view: ContainerView): Record<string, unknown> {
  const ownNamespace = view.state.pid > 0 && view.networkMode !== 'host' && !view.networkMode.startsWith('container:');
  // The deprecated top-level fields describe the default bridge network, as docker's do.
  const bridge = view.networks.bridge;
  return {
    Bridge: '',
    SandboxID: '',
    // Usable with nsenter --net=… like docker's, for as long as the container runs.
    SandboxKey: view.sandboxKey || (ownNamespace ? `/proc/${view.state.pid}/ns/net` : ''),
    Ports: portMapWire(view),
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: bridge?.endpointId ?? '',
    Gateway: bridge?.gateway ?? '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: bridge?.ipAddress ?? '',
    IPPrefixLen: bridge?.prefixLen ?? 0,
    IPv6Gateway: '',
    MacAddress: bridge?.macAddress ?? '',
    Networks: networksWire(view),
  };
}

/** Docker's MountPoint. */
export function mountPointWire(m: MountView): Record<string, unknown> {
  return {
    Type: m.type,
    ...(m.name ? { Name: m.name } : {}),
    Source: m.source,
    Destination: m.destination,
    ...(m.driver ? { Driver: m.driver } : {}),
    Mode: m.mode,
    RW: m.rw,
    Propagation: m.propagation,
  };
}

function healthcheckWire(h: HealthConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (h.Test !== undefined) out.Test = h.Test;
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) if (h[k]) out[k] = h[k];
  return out;
}

function configWire(view: ContainerView): Record<string, unknown> {
  const c = view.config;
  return {
    Hostname: c.hostname,
    Domainname: c.domainname,
    User: c.user,
    AttachStdin: c.attachStdin,
    AttachStdout: c.attachStdout,
    AttachStderr: c.attachStderr,
    ...(c.exposedPorts.length > 0 ? { ExposedPorts: Object.fromEntries(c.exposedPorts.map((p) => [p, {}])) } : {}),
    Tty: c.tty,
    OpenStdin: c.openStdin,
    StdinOnce: c.stdinOnce,
    Env: c.env,
    Cmd: c.cmd.length > 0 ? c.cmd : null,
    ...(c.healthcheck ? { Healthcheck: healthcheckWire(c.healthcheck) } : {}),
    Image: view.image,
    Volumes: c.volumes.length > 0 ? Object.fromEntries(c.volumes.map((v) => [v, {}])) : null,
    WorkingDir: c.workingDir,
    Entrypoint: c.entrypoint && c.entrypoint.length > 0 ? c.entrypoint : null,
    OnBuild: null,
    Labels: c.labels,
    ...(c.stopSignal ? { StopSignal: c.stopSignal } : {}),
    ...(c.stopTimeout !== undefined ? { StopTimeout: c.stopTimeout } : {}),
  };
}

function stateWire(view: ContainerView): Record<string, unknown> {
  const s = view.state;
  return {
    Status: s.status,
    // Docker counts a restarting container as running (it is between two runs of one start).
    Running: s.running || s.restarting,
    Paused: s.paused,
    Restarting: s.restarting,
    OOMKilled: s.oomKilled,
    Dead: s.dead,
    Pid: s.pid,
    ExitCode: s.exitCode,
    Error: s.error,
    StartedAt: formatRfc3339Nano(s.startedAt),
    FinishedAt: formatRfc3339Nano(s.finishedAt),
    ...(s.health
      ? {
          Health: {
            Status: s.health.status,
            FailingStreak: s.health.failingStreak,
            Log: s.health.log.map((l) => ({ Start: formatRfc3339Nano(l.start), End: formatRfc3339Nano(l.end), ExitCode: l.exitCode, Output: l.output })),
          },
        }
      : {}),
  };
}

/**
 * `GET /containers/{id}/json` (docker's ContainerJSON, API 1.50 shape),
 * plus a `Janus` object with the isolation level, the runtime and (for
 * VMs) the accelerator actually used.
 */
export function containerInspectWire(view: ContainerView): Record<string, unknown> {
  return {
    Id: view.id,
    Created: formatRfc3339Nano(view.created),
    Path: view.path,
    Args: view.args,
    State: stateWire(view),
    Image: view.imageId,
    ResolvConfPath: view.resolvConfPath,
    HostnamePath: view.hostnamePath,
    HostsPath: view.hostsPath,
    LogPath: view.logPath,
    Name: `/${view.name}`,
    RestartCount: view.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: view.execIds.length > 0 ? view.execIds : null,
    HostConfig: hostConfigWire(view),
    GraphDriver: { Data: view.graphDriver.data, Name: view.graphDriver.name },
    ...(view.sizeRw !== undefined ? { SizeRw: view.sizeRw } : {}),
    ...(view.sizeRootFs !== undefined ? { SizeRootFs: view.sizeRootFs } : {}),
    Mounts: view.mounts.map(mountPointWire),
    Config: configWire(view),
    NetworkSettings: networkSettingsWire(view),
    Janus: {
      Isolation: view.isolation,
      Runtime: view.runtime,
      Accelerator: view.vm?.accelerator ?? '',
      ...(view.vm ? { VM: { Accelerator: view.vm.accelerator, Kernel: view.vm.kernel, MemoryMiB: view.vm.memoryMiB, Cpus: view.vm.cpus, Boot: view.vm.boot } } : {}),
      ...(view.isolationChoice ? { Advice: isolationChoiceWire(view.isolationChoice) } : {}),
    },
  };
}

/** `Janus.Advice` of inspect: what `--isolation auto` chose, with the advisor's reasons (rule, evidence, detail). */
function isolationChoiceWire(c: IsolationChoice): Record<string, unknown> {
  return {
    Requested: c.requested,
    Level: c.level,
    Reasons: c.reasons.map((r) => ({ Rule: r.rule, ...(r.level ? { Level: r.level } : {}), Evidence: r.evidence, Detail: r.detail })),
    Unevaluated: c.unevaluated,
  };
}

// ------------------------------------------------------------ list

/**
 * Docker's one-line state of a container, as `docker ps` shows it: "Up 3
 * seconds", "Up 2 minutes (healthy)", "Up 5 seconds (health: starting)",
 * "Up 1 second (Paused)", "Restarting (1) 4 seconds ago", "Exited (0) 2
 * minutes ago", "Created", "Removal In Progress", "Dead". Pure apart from `now`.
 */
export function containerStatusText(view: ContainerView, now: number = Date.now()): string {
  const s = view.state;
  const since = (d: Date | undefined) => humanDuration(now - (d?.getTime() ?? now));
  if (s.restarting) return `Restarting (${s.exitCode}) ${since(s.finishedAt)} ago`;
  if (s.running) {
    if (s.paused) return `Up ${since(s.startedAt)} (Paused)`;
    if (s.health) return `Up ${since(s.startedAt)} (${s.health.status === 'starting' ? 'health: starting' : s.health.status})`;
    return `Up ${since(s.startedAt)}`;
  }
  if (s.status === 'removing') return 'Removal In Progress';
  if (s.dead) return 'Dead';
  if (!s.startedAt) return 'Created';
  if (!s.finishedAt) return '';
  return `Exited (${s.exitCode}) ${since(s.finishedAt)} ago`;
}

/** Docker's list Command: the path and arguments, arguments with spaces in single quotes. */
function commandText(view: ContainerView): string {
  if (view.args.length === 0) return view.path;
  return `${view.path} ${view.args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`;
}

/**
 * Docker's list Ports: one entry per host binding (`IP`, `PublicPort`),
 * and one without them for each port exposed but not published.
 */
function portsSummaryWire(view: ContainerView): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const [key, bindings] of Object.entries(view.ports)) {
    const [port, type = 'tcp'] = key.split('/');
    const privatePort = Number(port);
    if (!Number.isInteger(privatePort)) continue;
    if (bindings.length === 0) out.push({ PrivatePort: privatePort, Type: type });
    for (const b of bindings) {
      const publicPort = Number(b.hostPort);
      out.push({ IP: b.hostIp || '0.0.0.0', PrivatePort: privatePort, ...(Number.isInteger(publicPort) && publicPort > 0 ? { PublicPort: publicPort } : {}), Type: type });
    }
  }
  return out;
}

/** One entry of `GET /containers/json` (docker's ContainerSummary). */
export function containerSummaryWire(view: ContainerView, now: number = Date.now()): Record<string, unknown> {
  const networks: Record<string, unknown> = {};
  for (const [name, ep] of Object.entries(networksWire(view))) {
    const { Links: _l, Aliases: _a, DriverOpts: _d, DNSNames: _n, ...summary } = ep;
    networks[name] = summary;
  }
  return {
    Id: view.id,
    Names: [`/${view.name}`],
    Image: view.image,
    ImageID: view.imageId,
    Command: commandText(view),
    Created: Math.floor(view.created.getTime() / 1000),
    Ports: portsSummaryWire(view),
    ...(view.sizeRw !== undefined ? { SizeRw: view.sizeRw } : {}),
    ...(view.sizeRootFs !== undefined ? { SizeRootFs: view.sizeRootFs } : {}),
    Labels: view.config.labels,
    State: view.state.status,
    Status: containerStatusText(view, now),
    HostConfig: { NetworkMode: view.networkMode },
    NetworkSettings: { Networks: networks },
    Mounts: view.mounts.map(mountPointWire),
  };
}
