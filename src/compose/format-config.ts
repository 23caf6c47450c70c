import { stringify } from 'yaml';
import { formatGoDuration } from '../util/go-duration.ts';
import type { ComposeProject, NetworkConfig, ServiceConfig, ServiceMount, VolumeConfig } from './model.ts';

/**
 * The normalised compose file `compose config` prints: `name:` first, every
 * service in long syntax (ports, volumes, depends_on, networks), absolute
 * paths, env files already merged into `environment`, durations as Go
 * durations, sizes in bytes, `$` written as `$$`. Loading the output again
 * (from the same directory, with the same environment and profiles) gives the
 * same project. Services disabled by profiles are left out, as docker compose does.
 */
export function formatConfig(project: ComposeProject): string {
  const doc: Record<string, unknown> = { name: project.name, services: {} };
  for (const [name, s] of Object.entries(project.services)) (doc.services as Record<string, unknown>)[name] = service(s);
  if (Object.keys(project.networks).length) doc.networks = mapValues(project.networks, network);
  if (Object.keys(project.volumes).length) doc.volumes = mapValues(project.volumes, volume);
  return stringify(escape(doc), { lineWidth: 0, aliasDuplicateObjects: false, version: '1.2' });
}

function service(s: ServiceConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (key: string, value: unknown) => {
    if (value === undefined) return;
    if (Array.isArray(value) && value.length === 0 && key !== 'command' && key !== 'entrypoint') return;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) return;
    out[key] = value;
  };
  if (s.build) {
    put('build', {
      context: s.build.context,
      ...(s.build.dockerfile !== undefined ? { dockerfile: s.build.dockerfile } : {}),
      ...(Object.keys(s.build.args).length ? { args: s.build.args } : {}),
      ...(s.build.target !== undefined ? { target: s.build.target } : {}),
      ...(Object.keys(s.build.labels).length ? { labels: s.build.labels } : {}),
    });
  }
  put('cap_add', s.capAdd);
  put('cap_drop', s.capDrop);
  put('command', s.command);
  put('container_name', s.containerName);
  put('cpu_shares', s.resources.cpuShares);
  put('depends_on', mapValues(s.dependsOn, (d) => ({ condition: d.condition, required: d.required, restart: d.restart })));
  // Byte sizes are strings of digits, as docker compose prints them (its UnitBytes).
  const bytes = (n?: number) => (n === undefined ? undefined : String(n));
  const limits = dropUndefined({ cpus: s.resources.cpus, memory: bytes(s.resources.memory), pids: s.resources.pids });
  const reservations = dropUndefined({ memory: bytes(s.resources.memoryReservation) });
  const resources = dropUndefined({ limits: limits ?? undefined, reservations: reservations ?? undefined });
  if (resources) put('deploy', { resources });
  put('dns', s.dns);
  put('dns_search', s.dnsSearch);
  put('domainname', s.domainname);
  put('entrypoint', s.entrypoint);
  put('environment', s.environment);
  put('expose', s.expose);
  put('extra_hosts', s.extraHosts);
  if (s.healthcheck) {
    const h = s.healthcheck;
    const d = (ns?: number) => (ns === undefined ? undefined : formatGoDuration(ns));
    out.healthcheck = dropUndefined({
      test: h.test.length ? h.test : undefined,
      interval: d(h.interval),
      timeout: d(h.timeout),
      start_period: d(h.startPeriod),
      start_interval: d(h.startInterval),
      retries: h.retries,
    }) ?? {};
  }
  put('hostname', s.hostname);
  put('image', s.image);
  put('init', s.init);
  put('labels', s.labels);
  if (s.logging) out.logging = { ...(s.logging.driver !== undefined ? { driver: s.logging.driver } : {}), ...(Object.keys(s.logging.options).length ? { options: s.logging.options } : {}) };
  put('network_mode', s.networkMode);
  put('networks', mapValues(s.networks, (n) => (n.aliases.length === 0 && n.ipv4Address === undefined ? null : dropUndefined({ aliases: n.aliases.length ? n.aliases : undefined, ipv4_address: n.ipv4Address }))));
  put('ports', s.ports.map((p) => dropUndefined({ mode: 'ingress', host_ip: p.hostIp, target: p.target, published: p.published, protocol: p.protocol })));
  if (s.privileged) out.privileged = true;
  put('profiles', s.profiles);
  put('pull_policy', s.pullPolicy);
  if (s.readOnly) out.read_only = true;
  put('restart', s.restart);
  if (s.scale !== 1) out.scale = s.scale;
  put('security_opt', s.securityOpt);
  put('shm_size', bytes(s.shmSize));
  if (s.stdinOpen) out.stdin_open = true;
  put('stop_grace_period', s.stopGracePeriod === undefined ? undefined : formatGoDuration(s.stopGracePeriod));
  put('stop_signal', s.stopSignal);
  put('sysctls', s.sysctls);
  put('tmpfs', s.tmpfs);
  if (s.tty) out.tty = true;
  put('ulimits', s.ulimits);
  put('user', s.user);
  put('volumes', s.volumes.map(mount));
  put('working_dir', s.workingDir);
  const janus = dropUndefined({ isolation: s.janus.isolation, trust: s.janus.trust, compliance: s.janus.compliance });
  if (janus) out['x-janus'] = janus;
  return out;
}

function mount(m: ServiceMount): Record<string, unknown> {
  const out: Record<string, unknown> = { type: m.type };
  if (m.source !== undefined) out.source = m.source;
  out.target = m.target;
  if (m.readOnly) out.read_only = true;
  if (m.type === 'bind' && m.createHostPath) out.bind = { create_host_path: true };
  if (m.type === 'tmpfs' && m.tmpfsSize !== undefined) out.tmpfs = { size: String(m.tmpfsSize) };
  return out;
}

function network(n: NetworkConfig): Record<string, unknown> {
  if (n.external) return { name: n.name, external: true };
  const out: Record<string, unknown> = { name: n.name };
  if (n.driver !== undefined) out.driver = n.driver;
  if (Object.keys(n.driverOpts).length) out.driver_opts = n.driverOpts;
  if (n.internal) out.internal = true;
  if (Object.keys(n.labels).length) out.labels = n.labels;
  if (n.ipam.length) out.ipam = { config: n.ipam.map((c) => dropUndefined({ subnet: c.subnet, gateway: c.gateway, ip_range: c.ipRange }) ?? {}) };
  return out;
}

function volume(v: VolumeConfig): Record<string, unknown> {
  if (v.external) return { name: v.name, external: true };
  const out: Record<string, unknown> = { name: v.name };
  if (v.driver !== undefined) out.driver = v.driver;
  if (Object.keys(v.driverOpts).length) out.driver_opts = v.driverOpts;
  if (Object.keys(v.labels).length) out.labels = v.labels;
  return out;
}

function mapValues<T, U>(record: Record<string, T>, fn: (v: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fn(v)]));
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> | undefined {
  const entries = Object.entries(o).filter(([, v]) => v !== undefined);
  return entries.length ? Object.fromEntries(entries) : undefined;
}

/** Every string value with `$` doubled, so that loading the output does not interpolate it again; keys are never interpolated. */
function escape(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll('$', '$$$$');
  if (Array.isArray(value)) return value.map(escape);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escape(v)]));
  return value;
}
