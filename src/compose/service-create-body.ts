import type { ContainerCreateBody, EndpointSettingsWire, HostConfigWire, MountWire, PortBindingWire, RestartPolicyWire } from '../api/client/types.ts';
import { invalidArgument } from '../core/errors.ts';
import { COMPOSE_LABELS } from './labels.ts';
import type { ComposeProject, ServiceConfig } from './model.ts';

/** What `serviceCreateBody` needs besides the project and the service. */
export interface ServiceContainerOptions {
  /** The container's name (`<project>-<service>-<n>`, or a one-off's). */
  name: string;
  /** The replica number (com.docker.compose.container-number). */
  number: number;
  /** The service's config hash (com.docker.compose.config-hash). */
  configHash: string;
  /** The compose version written in com.docker.compose.version. */
  version: string;
  /** A `run` container: labelled oneoff=True, ports published only when asked. */
  oneoff?: boolean;
  /** Publish the service's `ports:` (default true; `run` without --service-ports does not). */
  publishPorts?: boolean;
  /** The image ID the service's image resolved to (com.docker.compose.image), when known. */
  imageId?: string;
  /** For `network_mode: service:NAME`: the container of NAME to share the network namespace with. */
  serviceContainer?: (service: string) => string;
}

/**
 * The body of `POST /containers/create` for replica `options.number` of
 * `service`: the normalised model mapped field by field onto the Engine
 * API (docker compose's createContainer), with compose's labels, the
 * service's name and the container's name as aliases on every network it
 * joins, and `x-janus.isolation` as HostConfig.Isolation (`auto` included:
 * the daemon's advisor chooses). Pure; throws InvalidArgument only for an
 * unknown restart policy or an undefined network.
 */
export function serviceCreateBody(project: ComposeProject, service: ServiceConfig, options: ServiceContainerOptions): ContainerCreateBody {
  const labels: Record<string, string> = {
    ...service.labels,
    [COMPOSE_LABELS.project]: project.name,
    [COMPOSE_LABELS.service]: service.name,
    [COMPOSE_LABELS.containerNumber]: String(options.number),
    [COMPOSE_LABELS.configHash]: options.configHash,
    [COMPOSE_LABELS.oneoff]: options.oneoff ? 'True' : 'False',
    [COMPOSE_LABELS.workingDir]: project.workingDir,
    [COMPOSE_LABELS.configFiles]: project.files.join(','),
    [COMPOSE_LABELS.dependsOn]: Object.entries(service.dependsOn).map(([dep, d]) => `${dep}:${d.condition}:${d.restart}`).join(','),
    [COMPOSE_LABELS.version]: options.version,
  };
  if (options.imageId) labels[COMPOSE_LABELS.image] = options.imageId;
  // x-janus trust and compliance reach the daemon's advisor (isolation: auto) as the labels it reads on any
  // container; x-janus wins over a label of the same name, as it does in `janus advise -f`.
  if (service.janus.trust) labels['janus.trust'] = service.janus.trust;
  if (service.janus.compliance) labels['janus.compliance'] = service.janus.compliance;

  const body: ContainerCreateBody = { Image: serviceImage(project, service), Labels: labels };
  const hc: HostConfigWire = {};
  if (service.command) body.Cmd = service.command;
  if (service.entrypoint) body.Entrypoint = service.entrypoint;
  const env = Object.entries(service.environment).filter((e): e is [string, string] => e[1] !== null).map(([k, v]) => `${k}=${v}`);
  if (env.length > 0) body.Env = env;
  if (service.user) body.User = service.user;
  if (service.workingDir) body.WorkingDir = service.workingDir;
  if (service.hostname) body.Hostname = service.hostname;
  if (service.domainname) body.Domainname = service.domainname;
  if (service.stopSignal) body.StopSignal = service.stopSignal;
  if (service.stopGracePeriod !== undefined) body.StopTimeout = Math.ceil(service.stopGracePeriod / 1e9);
  if (service.tty) body.Tty = true;
  if (service.stdinOpen) body.OpenStdin = true;

  // Ports.
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, PortBindingWire[]> = {};
  for (const p of service.ports) {
    const key = `${p.target}/${p.protocol}`;
    exposed[key] = {};
    if (options.publishPorts === false) continue;
    (bindings[key] ??= []).push({ HostIp: p.hostIp ?? '', HostPort: hostPort(p.published, options.number) });
  }
  for (const e of service.expose) exposed[e.includes('/') ? e : `${e}/tcp`] = {};
  if (Object.keys(exposed).length > 0) body.ExposedPorts = exposed;
  if (Object.keys(bindings).length > 0) hc.PortBindings = bindings;

  // Mounts.
  const mounts: MountWire[] = [];
  const binds: string[] = [];
  for (const m of service.volumes) {
    if (m.type === 'volume') {
      const vol = m.source === undefined ? undefined : project.volumes[m.source];
      // A source that is no top-level volume key is a volume name the loader passed through (e.g. external by name).
      const source = m.source === undefined ? undefined : vol?.name ?? m.source;
      mounts.push({ Type: 'volume', ...(source !== undefined ? { Source: source } : {}), Target: m.target, ...(m.readOnly ? { ReadOnly: true } : {}) });
    } else if (m.type === 'bind') {
      // Binds create a missing host path (short syntax); Mounts refuse it (long syntax without create_host_path).
      if (m.createHostPath) binds.push(`${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`);
      else mounts.push({ Type: 'bind', Source: m.source, Target: m.target, ...(m.readOnly ? { ReadOnly: true } : {}) });
    } else {
      mounts.push({ Type: 'tmpfs', Target: m.target, ...(m.tmpfsSize !== undefined ? { TmpfsOptions: { SizeBytes: m.tmpfsSize } } : {}) });
    }
  }
  if (binds.length > 0) hc.Binds = binds;
  if (mounts.length > 0) hc.Mounts = mounts;
  if (service.tmpfs.length > 0) {
    hc.Tmpfs = Object.fromEntries(service.tmpfs.map((t) => {
      const colon = t.indexOf(':');
      return colon < 0 ? [t, ''] : [t.slice(0, colon), t.slice(colon + 1)];
    }));
  }

  // Networks.
  if (service.networkMode !== undefined) {
    const mode = service.networkMode;
    hc.NetworkMode = mode.startsWith('service:') && options.serviceContainer ? `container:${options.serviceContainer(mode.slice(8))}` : mode;
  } else {
    const endpoints: Record<string, EndpointSettingsWire> = {};
    for (const [key, sn] of Object.entries(service.networks)) {
      const net = project.networks[key];
      if (!net) throw invalidArgument(`service ${JSON.stringify(service.name)} uses network ${JSON.stringify(key)}, which the project does not define`);
      const aliases = [...new Set([...(options.oneoff ? [] : [service.name]), options.name, ...sn.aliases])];
      endpoints[net.name] = { Aliases: aliases, ...(sn.ipv4Address ? { IPAMConfig: { IPv4Address: sn.ipv4Address } } : {}) };
    }
    const names = Object.keys(endpoints);
    if (names.length > 0) {
      hc.NetworkMode = names[0];
      body.NetworkingConfig = { EndpointsConfig: endpoints };
    }
  }
  if (service.extraHosts.length > 0) hc.ExtraHosts = service.extraHosts;
  if (service.dns.length > 0) hc.Dns = service.dns;
  if (service.dnsSearch.length > 0) hc.DnsSearch = service.dnsSearch;

  // Resources, security, lifecycle.
  const r = service.resources;
  if (r.memory !== undefined) hc.Memory = r.memory;
  if (r.memoryReservation !== undefined) hc.MemoryReservation = r.memoryReservation;
  if (r.cpus !== undefined) hc.NanoCpus = Math.round(r.cpus * 1e9);
  if (r.pids !== undefined) hc.PidsLimit = r.pids;
  if (r.cpuShares !== undefined) hc.CpuShares = r.cpuShares;
  if (service.shmSize !== undefined) hc.ShmSize = service.shmSize;
  if (service.sysctls && Object.keys(service.sysctls).length > 0) hc.Sysctls = service.sysctls;
  if (service.logging) {
    const opts = service.logging.options;
    hc.LogConfig = { Type: service.logging.driver ?? '', ...(Object.keys(opts).length > 0 ? { Config: opts } : {}) };
  }
  const ulimits = Object.entries(service.ulimits).map(([Name, u]) => ({ Name, Soft: u.soft, Hard: u.hard }));
  if (ulimits.length > 0) hc.Ulimits = ulimits;
  if (service.capAdd.length > 0) hc.CapAdd = service.capAdd;
  if (service.capDrop.length > 0) hc.CapDrop = service.capDrop;
  if (service.privileged) hc.Privileged = true;
  if (service.readOnly) hc.ReadonlyRootfs = true;
  if (service.securityOpt.length > 0) hc.SecurityOpt = service.securityOpt;
  if (service.init !== undefined) hc.Init = service.init;
  if (service.restart !== undefined && !options.oneoff) hc.RestartPolicy = restartPolicy(service.restart);
  if (service.healthcheck) {
    const h = service.healthcheck;
    body.Healthcheck = {
      Test: h.test,
      ...(h.interval !== undefined ? { Interval: h.interval } : {}),
      ...(h.timeout !== undefined ? { Timeout: h.timeout } : {}),
      ...(h.startPeriod !== undefined ? { StartPeriod: h.startPeriod } : {}),
      ...(h.startInterval !== undefined ? { StartInterval: h.startInterval } : {}),
      ...(h.retries !== undefined ? { Retries: h.retries } : {}),
    };
  }
  // `auto` goes to the daemon as is: its advisor picks the level (and inspect shows why).
  const isolation = service.janus.isolation;
  if (isolation !== undefined) hc.Isolation = isolation;
  body.HostConfig = hc;
  return body;
}

/** The image a service runs: `image:`, else the name compose gives a built image, `<project>-<service>`. */
export function serviceImage(project: ComposeProject, service: ServiceConfig): string {
  return service.image ?? `${project.name}-${service.name}`;
}

/** A published `8080` as is; a range `8080-8090` gives replica N the Nth port of it, as compose spreads replicas. */
function hostPort(published: string | undefined, number: number): string {
  if (published === undefined) return '';
  const m = /^(\d+)-(\d+)$/.exec(published);
  if (!m) return published;
  const port = Number(m[1]) + number - 1;
  if (port > Number(m[2])) throw invalidArgument(`the published range ${published} has no port left for replica ${number}`);
  return String(port);
}

function restartPolicy(text: string): RestartPolicyWire {
  const [name, count] = text.split(':');
  if (name !== 'no' && name !== 'always' && name !== 'on-failure' && name !== 'unless-stopped') throw invalidArgument(`unknown restart policy ${JSON.stringify(text)}`);
  return { Name: name, ...(count !== undefined ? { MaximumRetryCount: Number(count) } : {}) };
}
