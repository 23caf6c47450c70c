import { isIP } from 'node:net';
import { invalidArgument, notImplemented } from '../../core/errors.ts';
import type { RunOptions, Ulimit } from '../../core/run-options.ts';
import type {
  ContainerCreateRequest, ContainerView, IsolationLevel, LogConfig, NetworkModeRequest, RestartPolicy, VolumeMountRequest,
} from '../../engine/container-service.ts';
import type { EndpointRequest } from '../../engine/network-service.ts';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, DEFAULT_SHM_SIZE } from '../../runtimes/oci/spec/build-oci-spec.ts';
import { compareApiVersions } from './api-version.ts';
import { parseBind, parseMount, type ParsedMount } from './mount-wire.ts';
import { parseEndpointSettings } from './network-wire.ts';
import { WireObject } from './wire-object.ts';

/*
 * Docker's HostConfig ⇄ the engine's create request. Every HostConfig field
 * is either parsed, accepted as informational, or refused by name when it
 * carries a value Janus cannot honour: a limit or a namespace silently
 * dropped would run the workload differently from what was asked.
 */

/** The part of a create request that HostConfig (and NetworkingConfig) decide. */
export type HostConfigRequest = Omit<ContainerCreateRequest, 'image' | 'run' | 'name'> & { run: RunOptions };

const RESTART_NAMES = ['no', 'always', 'unless-stopped', 'on-failure'] as const;

/** `RestartPolicy` of create and update, checked as docker checks it. undefined when absent or `Name` is empty. */
export function parseRestartPolicy(o: WireObject | undefined): RestartPolicy | undefined {
  if (!o) return undefined;
  const name = o.string('Name') ?? '';
  const count = o.int('MaximumRetryCount') ?? 0;
  o.rejectUnknown();
  if (name === '') return undefined;
  if (!(RESTART_NAMES as readonly string[]).includes(name)) {
    throw invalidArgument(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
  if (count < 0) throw invalidArgument('invalid restart policy: maximum retry count cannot be negative');
  if (name !== 'on-failure' && count !== 0) throw invalidArgument("invalid restart policy: maximum retry count can only be used with 'on-failure'");
  return { name: name as RestartPolicy['name'], maximumRetryCount: count };
}

/**
 * The resource fields docker's create and update share (its `Resources`),
 * in RunOptions terms: `NanoCpus` or `CpuQuota`/`CpuPeriod` become `cpus`,
 * a `PidsLimit` of 0 or less means unlimited. Limits Janus does not offer
 * (block I/O, cpusets, devices, real-time, reservations, …) are refused by
 * name.
 */
export function parseResources(o: WireObject, apiVersion: string): Pick<RunOptions, 'memory' | 'memorySwap' | 'cpus' | 'cpuShares' | 'pidsLimit' | 'ulimits'> {
  const out: Pick<RunOptions, 'memory' | 'memorySwap' | 'cpus' | 'cpuShares' | 'pidsLimit' | 'ulimits'> = {};
  const memory = o.int('Memory');
  if (memory) out.memory = memory;
  const swap = o.int('MemorySwap');
  if (swap) out.memorySwap = swap;
  const shares = o.int('CpuShares');
  if (shares) out.cpuShares = shares;

  const nano = o.int('NanoCpus') ?? 0;
  const quota = o.int('CpuQuota') ?? 0;
  const period = o.int('CpuPeriod') ?? 0;
  if (nano < 0) throw invalidArgument(`invalid ${o.field('NanoCpus')}: ${nano} is negative`);
  if (nano > 0 && period > 0) throw invalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && quota > 0) throw invalidArgument('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (period !== 0 && (period < 1000 || period > 1_000_000)) {
    throw invalidArgument(`invalid ${o.field('CpuPeriod')}: CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1 second (i.e. 1000000)`);
  }
  if (quota > 0 && quota < 1000) throw invalidArgument(`invalid ${o.field('CpuQuota')}: CPU cfs quota can not be less than 1ms (i.e. 1000)`);
  if (nano > 0) out.cpus = nano / 1e9;
  else if (quota > 0) out.cpus = quota / (period || 100_000);
  else if (period > 0) throw notImplemented(`${o.field('CpuPeriod')} without CpuQuota is not supported: give a CPU limit with NanoCpus (--cpus) or CpuQuota`);

  const pids = o.int('PidsLimit');
  if (pids !== undefined && pids > 0) out.pidsLimit = pids;

  const ulimits = o.array('Ulimits');
  if (ulimits && ulimits.length > 0) {
    out.ulimits = ulimits.map((u, i): Ulimit => {
      const w = WireObject.from(u, `${o.field('Ulimits')}[${i}]`);
      if (!w) throw invalidArgument(`invalid ${o.field('Ulimits')}[${i}]: want {Name, Soft, Hard}`);
      const name = w.string('Name');
      if (!name) throw invalidArgument(`invalid ${w.field('Name')}: the ulimit name is required`);
      const soft = w.int('Soft') ?? 0;
      const hard = w.int('Hard') ?? 0;
      w.rejectUnknown();
      return { name, soft, hard };
    });
  }

  const swappiness = o.int('MemorySwappiness');
  if (swappiness !== undefined && swappiness !== -1) throw notImplemented(`${o.field('MemorySwappiness')} is not supported: --memory-swappiness is not offered`);
  if (o.bool('OomKillDisable')) throw notImplemented(`${o.field('OomKillDisable')} is not supported: --oom-kill-disable is not offered`);
  // Removed in API 1.42, where docker ignores what old clients still send.
  if (compareApiVersions(apiVersion, '1.42') >= 0) o.ignore('KernelMemory');
  else o.unsupported('KernelMemory', '--kernel-memory is not offered');
  o.unsupported('KernelMemoryTCP', 'kernel TCP memory limits are not offered');
  o.unsupported('MemoryReservation', '--memory-reservation is not offered');
  o.unsupported('CgroupParent', 'Janus places every container in its own cgroup');
  for (const k of ['BlkioWeight', 'BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps']) {
    o.unsupported(k, 'block I/O limits are not offered');
  }
  o.unsupported('CpuRealtimePeriod', 'real-time scheduling is not offered');
  o.unsupported('CpuRealtimeRuntime', 'real-time scheduling is not offered');
  o.unsupported('CpusetCpus', 'pinning to CPUs (--cpuset-cpus) is not offered');
  o.unsupported('CpusetMems', 'pinning to memory nodes (--cpuset-mems) is not offered');
  o.unsupported('Devices', 'host devices (--device) are not offered');
  o.unsupported('DeviceCgroupRules', '--device-cgroup-rule is not offered');
  o.unsupported('DeviceRequests', 'device requests (--gpus) are not offered');
  for (const k of ['CpuCount', 'CpuPercent', 'IOMaximumIOps', 'IOMaximumBandwidth']) o.unsupported(k, 'it applies to Windows containers only');
  return out;
}

/** A size as docker's log options take it (`10m`, `1.5k`, `200`; decimal units, as go-units FromHumanSize). */
export function parseHumanSize(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(text.trim());
  if (!m) throw invalidArgument(`invalid ${what}: ${JSON.stringify(text)} is not a size (like 10m or 512k)`);
  const power = m[2] ? 'kmgtp'.indexOf(m[2].toLowerCase()) + 1 : 0;
  return Math.floor(Number(m[1]) * 1000 ** power);
}

const JSON_FILE_OPTS = new Set(['max-size', 'max-file', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag', 'mode', 'max-buffer-size']);

/**
 * `LogConfig`: `json-file` (the default; `max-size`, `max-file`, and the
 * informational `labels`/`env`/`tag`/`mode`) or `none`. Any other driver is
 * InvalidArgument naming it.
 */
export function parseLogConfig(o: WireObject | undefined): Partial<LogConfig> | undefined {
  if (!o) return undefined;
  const type = o.string('Type') ?? '';
  const config = o.stringMap('Config') ?? {};
  o.rejectUnknown();
  if (type === '' && Object.keys(config).length === 0) return undefined;
  if (type === 'none') {
    const keys = Object.keys(config);
    if (keys.length > 0) throw invalidArgument(`unknown log opt '${keys[0]}' for none log driver`);
    return { type: 'none' };
  }
  if (type !== '' && type !== 'json-file') {
    throw invalidArgument(`logging driver ${JSON.stringify(type)} is not supported: Janus logs with json-file (the default) or none`);
  }
  const out: Partial<LogConfig> = { type: 'json-file' };
  for (const [k, v] of Object.entries(config)) {
    if (!JSON_FILE_OPTS.has(k)) throw invalidArgument(`unknown log opt '${k}' for json-file log driver`);
    if (k === 'max-size') out.maxSize = v === '-1' ? 0 : parseHumanSize(v, 'log opt max-size');
    if (k === 'max-file') {
      if (!/^\d+$/.test(v) || Number(v) < 1) throw invalidArgument(`invalid log opt max-file ${JSON.stringify(v)}: it must be a whole number of at least 1`);
      out.maxFiles = Number(v);
    }
    if (k === 'compress' && v !== 'false' && v !== '') throw notImplemented('log opt compress is not supported: rotated logs are not compressed');
  }
  return out;
}

const ISOLATIONS: readonly IsolationLevel[] = ['container', 'sandbox', 'vm'];

/** `Isolation`: '' or `default` (the daemon's choice), or one of Janus's levels. Docker's Windows values are refused by name. */
export function parseIsolation(value: string | undefined, field = 'HostConfig.Isolation'): IsolationLevel | undefined {
  if (value === undefined || value === '' || value.toLowerCase() === 'default') return undefined;
  const v = value.toLowerCase();
  if ((ISOLATIONS as readonly string[]).includes(v)) return v as IsolationLevel;
  if (v === 'process' || v === 'hyperv') {
    throw invalidArgument(`invalid ${field} ${JSON.stringify(value)}: it is a Windows isolation technology; Janus's isolation levels are container, sandbox and vm`);
  }
  throw invalidArgument(`invalid ${field} ${JSON.stringify(value)}: want default, container, sandbox or vm (auto when creating)`);
}

/** `HostConfig.Isolation` of a create request: a level as `parseIsolation` takes it, or `auto` (the advisor chooses). */
export function parseIsolationRequest(value: string | undefined): IsolationLevel | 'auto' | undefined {
  if (value?.toLowerCase() === 'auto') return 'auto';
  return parseIsolation(value);
}

/**
 * `NetworkMode` as the engine takes it. '' and `default` (what docker's
 * CLI sends without `--network`) leave the choice to the engine: the
 * `bridge` network, or `none` where bridges are not offered (gVisor).
 */
export function parseNetworkMode(mode: string | undefined): NetworkModeRequest | undefined {
  if (mode === undefined || mode === '' || mode === 'default') return undefined;
  if (mode === 'none' || mode === 'host') return { mode };
  if (mode.startsWith('container:')) {
    const container = mode.slice('container:'.length);
    if (container === '') throw invalidArgument('invalid HostConfig.NetworkMode "container:": name the container whose network to join');
    return { mode: 'container', container };
  }
  return { mode: 'network', name: mode };
}

function parsePortBindings(o: WireObject | undefined): ContainerCreateRequest['publish'] {
  if (!o) return undefined;
  const out: NonNullable<ContainerCreateRequest['publish']> = [];
  for (const key of o.keys()) {
    const { port, protocol } = parsePortKey(key, o.field(key));
    const list = o.array(key) ?? [];
    list.forEach((b, i) => {
      const w = WireObject.from(b, `${o.field(key)}[${i}]`);
      const hostIp = w?.string('HostIp') ?? '';
      const hostPort = w?.string('HostPort') ?? '';
      w?.rejectUnknown();
      if (hostIp !== '' && isIP(hostIp) === 0) throw invalidArgument(`invalid ${o.field(key)}[${i}].HostIp: ${JSON.stringify(hostIp)} is not an IP address`);
      if (hostPort !== '' && !/^\d+(-\d+)?$/.test(hostPort)) throw invalidArgument(`invalid ${o.field(key)}[${i}].HostPort: ${JSON.stringify(hostPort)} is not a port`);
      out.push({ hostIp, hostPort, containerPort: port, protocol });
    });
  }
  return out;
}

/** `80`, `80/tcp`, `8000-8010/udp` → the port (or range) and its protocol (tcp by default). */
export function parsePortKey(key: string, field: string): { port: string; protocol: 'tcp' | 'udp' | 'sctp' } {
  const m = /^(\d{1,5}(?:-\d{1,5})?)(?:\/(tcp|udp|sctp))?$/i.exec(key);
  if (!m) throw invalidArgument(`invalid ${field}: ${JSON.stringify(key)} is not a port (want PORT[/tcp|udp|sctp])`);
  for (const p of m[1].split('-')) if (Number(p) < 1 || Number(p) > 65535) throw invalidArgument(`invalid ${field}: port ${p} is out of range`);
  return { port: m[1], protocol: (m[2]?.toLowerCase() ?? 'tcp') as 'tcp' | 'udp' | 'sctp' };
}

function checkExtraHosts(hosts: string[]): void {
  for (const h of hosts) {
    const sep = h.indexOf(':');
    const name = sep < 0 ? '' : h.slice(0, sep);
    const ip = sep < 0 ? '' : h.slice(sep + 1).replace(/^\[(.*)\]$/, '$1');
    if (name === '' || ip === '') throw invalidArgument(`invalid HostConfig.ExtraHosts entry ${JSON.stringify(h)}: want HOST:IP`);
    // host-gateway: the engine puts in the default bridge's gateway, the host's address containers reach.
    if (ip === 'host-gateway') continue;
    if (isIP(ip) === 0) throw invalidArgument(`invalid HostConfig.ExtraHosts entry ${JSON.stringify(h)}: ${JSON.stringify(ip)} is not an IP address`);
  }
}

/**
 * Parses `HostConfig` (and the networking parts of the body) for
 * `POST /containers/create`. Returns the engine's request fields; what
 * Janus cannot honour is NotImplemented naming the field, malformed values
 * InvalidArgument naming the field.
 */
export function parseHostConfig(value: unknown, apiVersion: string, extra: { networkingConfig?: unknown; networkDisabled?: boolean } = {}): HostConfigRequest {
  const hc = WireObject.from(value, 'HostConfig') ?? WireObject.from({}, 'HostConfig')!;
  const out: HostConfigRequest = { run: {} };
  const run = out.run;
  Object.assign(run, parseResources(hc, apiVersion));

  // Mounts: binds and tmpfs go to RunOptions, volumes to the engine.
  const volumeDriver = hc.string('VolumeDriver');
  const mounts: ParsedMount[] = [];
  for (const [i, b] of (hc.strings('Binds') ?? []).entries()) mounts.push(parseBind(b, `HostConfig.Binds[${i}]`, volumeDriver));
  for (const [i, m] of (hc.array('Mounts') ?? []).entries()) mounts.push(parseMount(m, `HostConfig.Mounts[${i}]`));
  const runMounts = mounts.flatMap((m) => (m.kind === 'run' ? [m.mount] : []));
  const volumes: VolumeMountRequest[] = mounts.flatMap((m) => (m.kind === 'volume' ? [m.volume] : []));
  if (runMounts.length > 0) run.mounts = runMounts;
  if (volumes.length > 0) out.volumes = volumes;
  const tmpfs = hc.stringMap('Tmpfs');
  if (tmpfs && Object.keys(tmpfs).length > 0) run.tmpfs = tmpfs;
  hc.unsupported('VolumesFrom', '--volumes-from is not offered; name the volumes instead');

  // Process and security.
  const capAdd = hc.strSlice('CapAdd');
  if (capAdd && capAdd.length > 0) run.capAdd = capAdd;
  const capDrop = hc.strSlice('CapDrop');
  if (capDrop && capDrop.length > 0) run.capDrop = capDrop;
  if (hc.bool('Privileged')) run.privileged = true;
  if (hc.bool('ReadonlyRootfs')) run.readOnly = true;
  const securityOpt = hc.strings('SecurityOpt');
  if (securityOpt && securityOpt.length > 0) run.securityOpt = securityOpt;
  const init = hc.bool('Init');
  if (init !== undefined) run.init = init;
  const shm = hc.int('ShmSize', { min: 0 });
  if (shm) run.shmSize = shm;
  const sysctls = hc.stringMap('Sysctls');
  if (sysctls && Object.keys(sysctls).length > 0) run.sysctls = sysctls;
  if (hc.raw('MaskedPaths') !== undefined || hc.raw('ReadonlyPaths') !== undefined) {
    throw notImplemented('HostConfig.MaskedPaths and ReadonlyPaths are not supported (--security-opt systempaths=unconfined): Janus masks docker\'s default paths unless --privileged');
  }

  // Namespaces Janus always makes private.
  const ipc = hc.string('IpcMode') ?? '';
  if (!['', 'private', 'shareable'].includes(ipc)) throw notImplemented(`HostConfig.IpcMode ${JSON.stringify(ipc)} is not supported: every container has its own IPC namespace`);
  const pid = hc.string('PidMode') ?? '';
  if (pid !== '') throw notImplemented(`HostConfig.PidMode ${JSON.stringify(pid)} is not supported: every container has its own PID namespace`);
  const uts = hc.string('UTSMode') ?? '';
  if (uts !== '') throw notImplemented(`HostConfig.UTSMode ${JSON.stringify(uts)} is not supported: every container has its own UTS namespace`);
  // Janus never remaps users, so `host` (opting out of remapping) is what it does anyway.
  const userns = hc.string('UsernsMode') ?? '';
  if (userns !== '' && userns !== 'host') throw notImplemented(`HostConfig.UsernsMode ${JSON.stringify(userns)} is not supported: Janus does not run containers in user namespaces`);
  const cgroupns = hc.string('CgroupnsMode') ?? '';
  if (cgroupns !== '' && cgroupns !== 'private') throw notImplemented(`HostConfig.CgroupnsMode ${JSON.stringify(cgroupns)} is not supported: Janus chooses the cgroup namespace`);
  hc.unsupported('Cgroup', 'joining another container\'s cgroup is not offered');
  hc.unsupported('GroupAdd', '--group-add is not offered');
  hc.unsupported('OomScoreAdj', '--oom-score-adj is not offered');
  hc.unsupported('Links', 'legacy container links are not offered; use a network');
  hc.unsupported('StorageOpt', 'per-container storage options are not offered');
  hc.unsupported('Annotations', 'OCI annotations are not passed to the runtime');
  hc.unsupported('Capabilities', 'use CapAdd and CapDrop');

  // Networking.
  const networkMode = hc.string('NetworkMode');
  let network = parseNetworkMode(networkMode);
  if (extra.networkDisabled) {
    if (network && network.mode !== 'none') throw invalidArgument(`conflicting options: Config.NetworkDisabled with HostConfig.NetworkMode ${JSON.stringify(networkMode)}`);
    network = { mode: 'none' };
  }
  if (network) out.network = network;
  const endpoints = parseEndpoints(extra.networkingConfig, network, networkMode);
  if (endpoints) out.endpoints = endpoints;
  const publish = parsePortBindings(hc.object('PortBindings'));
  if (publish && publish.length > 0) out.publish = publish;
  if (hc.bool('PublishAllPorts')) out.publishAll = true;
  const extraHosts = hc.strings('ExtraHosts');
  if (extraHosts && extraHosts.length > 0) {
    checkExtraHosts(extraHosts);
    out.extraHosts = extraHosts;
  }
  const dns = hc.strings('Dns');
  if (dns && dns.length > 0) {
    for (const d of dns) if (isIP(d) === 0) throw invalidArgument(`invalid HostConfig.Dns entry ${JSON.stringify(d)}: not an IP address`);
    out.dns = dns;
  }
  const dnsSearch = hc.strings('DnsSearch');
  if (dnsSearch && dnsSearch.length > 0) out.dnsSearch = dnsSearch;
  const dnsOptions = hc.strings('DnsOptions');
  if (dnsOptions && dnsOptions.length > 0) out.dnsOptions = dnsOptions;

  // Lifecycle and placement.
  const restart = parseRestartPolicy(hc.object('RestartPolicy'));
  if (restart) out.restartPolicy = restart;
  // API 1.24 and older: the client removes the container itself.
  const autoRemove = hc.bool('AutoRemove');
  if (autoRemove && compareApiVersions(apiVersion, '1.25') >= 0) out.autoRemove = true;
  const logConfig = parseLogConfig(hc.object('LogConfig'));
  if (logConfig) out.logConfig = logConfig;
  const isolation = parseIsolationRequest(hc.string('Isolation'));
  if (isolation) out.isolation = isolation;
  const runtime = hc.string('Runtime');
  if (runtime) out.runtime = runtime;
  // Janus's extension: the guest kernel of a VM (`--kernel`).
  const vmKernel = hc.string('JanusVmKernel');
  if (vmKernel) out.vmKernel = vmKernel;
  // Janus's extension: `--from-snapshot CONTAINER:SNAPSHOT`.
  const fromSnapshot = hc.string('JanusFromSnapshot');
  if (fromSnapshot) out.fromSnapshot = fromSnapshot;

  // Informational: kept by the client (ContainerIDFile) or applied later by the client (ConsoleSize: it resizes after attaching).
  hc.string('ContainerIDFile');
  hc.array('ConsoleSize');
  hc.rejectUnknown();
  return out;
}

/**
 * `NetworkingConfig.EndpointsConfig` as the engine's per-network endpoint
 * requests. docker's CLI always sends an entry for the network of
 * `NetworkMode` (`default` when none was given, which is the engine's
 * default, `bridge`); entries without settings for that network are left
 * out, since joining it is implied. With `none`, `host` or `container:X`
 * the only entry allowed is the mode's own, without settings.
 */
function parseEndpoints(value: unknown, network: NetworkModeRequest | undefined, networkMode: string | undefined): Record<string, EndpointRequest> | undefined {
  const nc = WireObject.from(value, 'NetworkingConfig');
  if (!nc) return undefined;
  const eps = nc.object('EndpointsConfig');
  nc.rejectUnknown();
  if (!eps) return undefined;
  const primary = network === undefined ? 'bridge' : network.mode === 'network' ? network.name : networkMode ?? network.mode;
  const out: Record<string, EndpointRequest> = {};
  for (const key of eps.keys()) {
    const ep = eps.object(key);
    const request = ep ? parseEndpointSettings(ep) : {};
    const name = key === 'default' ? 'bridge' : key;
    const empty = request.aliases === undefined && request.ipv4Address === undefined;
    if (network !== undefined && network.mode !== 'network') {
      if ((key === primary || key === 'default') && empty) continue;
      throw invalidArgument(`conflicting options: NetworkingConfig.EndpointsConfig ${JSON.stringify(key)} with HostConfig.NetworkMode ${JSON.stringify(primary)}: a container in that mode joins no other network and has no endpoint settings`);
    }
    if (empty && name === primary) continue;
    out[name] = { ...out[name], ...request };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `{Name, MaximumRetryCount}`. */
export function restartPolicyWire(p: RestartPolicy): { Name: string; MaximumRetryCount: number } {
  return { Name: p.name, MaximumRetryCount: p.maximumRetryCount };
}

/**
 * Docker's `HostConfig` of `GET /containers/{id}/json`, rebuilt from the
 * create request with docker's defaults for what was not given. `Binds`
 * lists every bind and named volume in `SRC:DEST[:ro]` form (whether it came
 * from `Binds` or `Mounts`); `Mounts` is left out.
 */
export function hostConfigWire(view: ContainerView): Record<string, unknown> {
  const req = view.request;
  const run = req.run;
  const binds = [
    ...(req.volumes ?? []).filter((v) => v.name).map((v) => `${v.name}:${v.destination}${v.readOnly ? ':ro' : ''}`),
    ...(run.mounts ?? []).filter((m) => m.type === 'bind').map((m) => {
      const opts = [...(m.readOnly ? ['ro'] : []), ...(m.propagation && m.propagation !== 'rprivate' ? [m.propagation] : [])];
      return `${m.source}:${m.destination}${opts.length > 0 ? `:${opts.join(',')}` : ''}`;
    }),
  ];
  const logOpts: Record<string, string> = {};
  if (view.logConfig.type === 'json-file') {
    if (view.logConfig.maxSize > 0) logOpts['max-size'] = String(view.logConfig.maxSize);
    if (view.logConfig.maxFiles > 1) logOpts['max-file'] = String(view.logConfig.maxFiles);
  }
  const ports: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of req.publish ?? []) (ports[`${p.containerPort}/${p.protocol}`] ??= []).push({ HostIp: p.hostIp, HostPort: p.hostPort });
  const omitEmpty = (k: string, v: Record<string, string> | undefined) => (v && Object.keys(v).length > 0 ? { [k]: v } : {});
  return {
    Binds: binds.length > 0 ? binds : null,
    ContainerIDFile: '',
    LogConfig: { Type: view.logConfig.type, Config: logOpts },
    NetworkMode: view.networkMode,
    PortBindings: ports,
    RestartPolicy: restartPolicyWire(view.restartPolicy),
    AutoRemove: view.autoRemove,
    VolumeDriver: '',
    VolumesFrom: null,
    ConsoleSize: [0, 0],
    CapAdd: run.capAdd ?? null,
    CapDrop: run.capDrop ?? null,
    CgroupnsMode: '',
    Dns: req.dns ?? [],
    DnsOptions: req.dnsOptions ?? [],
    DnsSearch: req.dnsSearch ?? [],
    ExtraHosts: req.extraHosts ?? null,
    GroupAdd: null,
    IpcMode: 'private',
    Cgroup: '',
    Links: null,
    OomScoreAdj: 0,
    PidMode: '',
    Privileged: !!run.privileged,
    PublishAllPorts: !!req.publishAll,
    ReadonlyRootfs: !!run.readOnly,
    SecurityOpt: run.securityOpt ?? null,
    ...omitEmpty('Tmpfs', run.tmpfs),
    UTSMode: '',
    UsernsMode: '',
    ShmSize: run.shmSize ?? DEFAULT_SHM_SIZE,
    ...omitEmpty('Sysctls', run.sysctls),
    Runtime: view.runtime,
    Isolation: view.isolation,
    ...(view.request.vmKernel ? { JanusVmKernel: view.request.vmKernel } : {}),
    ...(view.request.fromSnapshot ? { JanusFromSnapshot: view.request.fromSnapshot } : {}),
    CpuShares: run.cpuShares ?? 0,
    Memory: run.memory ?? 0,
    NanoCpus: run.cpus ? Math.round(run.cpus * 1e9) : 0,
    CgroupParent: '',
    BlkioWeight: 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: 0,
    CpuQuota: 0,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: '',
    CpusetMems: '',
    Devices: [],
    DeviceCgroupRules: null,
    DeviceRequests: null,
    MemoryReservation: 0,
    MemorySwap: run.memorySwap ?? 0,
    MemorySwappiness: null,
    OomKillDisable: null,
    PidsLimit: run.pidsLimit ?? null,
    Ulimits: (run.ulimits ?? []).map((u) => ({ Name: u.name, Hard: u.hard, Soft: u.soft })),
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    MaskedPaths: run.privileged ? null : [...DEFAULT_MASKED_PATHS],
    ReadonlyPaths: run.privileged ? null : [...DEFAULT_READONLY_PATHS],
    ...(run.init !== undefined ? { Init: run.init } : {}),
  };
}
