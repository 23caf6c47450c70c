import { ramSizeOrUndefined } from '../util/ram-size.ts';
import { unsignedGoDuration } from '../util/go-duration.ts';
import type { VariableLookup } from './interpolate.ts';
import { isIpv4 } from './ip-address.ts';
import type {
  BuildConfig,
  DependsOn,
  HealthcheckConfig,
  JanusExtension,
  PortConfig,
  ResourceLimits,
  ServiceConfig,
  ServiceMount,
  ServiceNetwork,
  VolumeConfig,
} from './model.ts';
import { describe, read } from './node-reader.ts';
import { parseDotenv } from './dotenv.ts';
import { parseJanus } from './parse-janus.ts';
import { hostPath, parseMount } from './parse-mount.ts';
import { parsePorts, range } from './parse-ports.ts';
import { shellSplit } from './shell-split.ts';
import type { ComposeNode, MapNode } from './yaml-nodes.ts';

/** Names of services and top-level objects (the Compose Specification's pattern). */
export const NAME_PATTERN = /^[a-zA-Z0-9._-]+$/;
const PROFILE_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

const SERVICE_KEYS = [
  'image', 'build', 'command', 'entrypoint', 'environment', 'env_file', 'ports', 'expose', 'volumes', 'tmpfs', 'networks',
  'network_mode', 'depends_on', 'healthcheck', 'restart', 'deploy', 'mem_limit', 'mem_reservation', 'cpus', 'cpu_shares',
  'pids_limit', 'user', 'working_dir', 'labels', 'hostname', 'domainname', 'container_name', 'init', 'stop_signal',
  'stop_grace_period', 'cap_add', 'cap_drop', 'privileged', 'read_only', 'security_opt', 'ulimits', 'extra_hosts', 'dns',
  'dns_search', 'tty', 'stdin_open', 'profiles', 'scale', 'pull_policy', 'secrets', 'configs', 'platform', 'logging', 'shm_size',
  'sysctls',
];
const SERVICE_UNSUPPORTED = [
  'devices', 'gpus', 'links', 'external_links', 'volumes_from', 'ipc', 'pid', 'uts', 'userns_mode', 'cgroup', 'cgroup_parent',
  'runtime', 'isolation', 'mac_address', 'dns_opt', 'group_add', 'oom_score_adj',
  'oom_kill_disable', 'mem_swappiness', 'memswap_limit', 'cpu_count', 'cpu_percent', 'cpu_period', 'cpu_quota',
  'cpu_rt_runtime', 'cpu_rt_period', 'cpuset', 'blkio_config', 'credential_spec', 'device_cgroup_rules', 'storage_opt',
  'annotations', 'attach', 'develop', 'label_file', 'post_start', 'pre_stop', 'models', 'provider', 'use_api_socket',
];

const ULIMITS = new Set(['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack', 'as']);

/** A top-level secret or config: a host file bound read-only into the services that name it. */
export interface FileObject {
  /** Absolute path. */
  file: string;
}

/** What parsing a service needs from the project and the loader. */
export interface ServiceContext {
  /** Relative paths resolve against this directory. */
  workingDir: string;
  home: string;
  /** The interpolation environment, for `environment: [NAME]` items without a value and build args. */
  lookup: VariableLookup;
  /** Reads an env file; undefined when it does not exist. */
  readTextFile: (path: string) => string | undefined;
  /** A path as shown in messages. */
  display: (path: string) => string;
  /** Top-level `x-janus`, every service's default. */
  defaults: JanusExtension;
  secrets: Map<string, FileObject>;
  configs: Map<string, FileObject>;
  volumes: Record<string, VolumeConfig>;
  /** Declared top-level networks by key. */
  networks: Map<string, ComposeNode>;
}

/**
 * One service's mapping as a ServiceConfig: every key checked (unknown ones
 * and those Janus cannot honour refused), short syntax expanded, paths made
 * absolute, env files read, durations and sizes converted. References to
 * top-level volumes, networks, secrets and configs are checked here; those
 * between services by checkReferences. Throws InvalidArgument with the
 * file, line and key path.
 */
export function parseService(name: string, map: MapNode, path: string, o: ServiceContext): ServiceConfig {
  const defaults = o.defaults;
  read.keys(map, path, [...SERVICE_KEYS, 'x-janus'], SERVICE_UNSUPPORTED);
  const e = map.entries;
  const p = (k: string) => `${path}.${k}`;
  const s: ServiceConfig = {
    name,
    environment: {},
    ports: [],
    expose: [],
    volumes: [],
    tmpfs: [],
    networks: {},
    dependsOn: {},
    resources: {},
    labels: {},
    capAdd: [],
    capDrop: [],
    privileged: false,
    readOnly: false,
    securityOpt: [],
    ulimits: {},
    extraHosts: [],
    dns: [],
    dnsSearch: [],
    tty: false,
    stdinOpen: false,
    profiles: [],
    scale: 1,
    janus: { ...defaults },
  };
  const str = (k: string) => read.optStr(map, k, path);
  const bool = (k: string) => read.optBool(map, k, path);
  const has = (k: string) => e.has(k) && !(e.get(k)!.kind === 'scalar' && (e.get(k) as { value: unknown }).value === null);

  const image = str('image');
  if (image !== undefined) {
    if (image === '' || /\s/.test(image)) throw read.fail(e.get('image')!, p('image'), `${JSON.stringify(image)} is not an image reference`);
    s.image = image;
  }
  if (has('build')) s.build = parseBuild(e.get('build')!, p('build'), o);
  if (!s.image && !s.build) throw read.fail(map, path, `service "${name}" has neither an image nor a build context`);
  if (has('command')) s.command = commandOf(e.get('command')!, p('command'));
  if (has('entrypoint')) s.entrypoint = commandOf(e.get('entrypoint')!, p('entrypoint'));

  if (has('env_file')) Object.assign(s.environment, envFiles(e.get('env_file')!, p('env_file'), o));
  if (has('environment')) {
    for (const [k, v] of read.keyValues(e.get('environment')!, p('environment'))) s.environment[k] = v ?? o.lookup(k) ?? null;
  }

  if (has('ports')) read.seq(e.get('ports')!, p('ports')).items.forEach((item, i) => s.ports.push(...parsePorts(item, `${p('ports')}[${i}]`)));
  s.ports = dedupe(s.ports);
  if (has('expose')) {
    read.seq(e.get('expose')!, p('expose')).items.forEach((item, i) => {
      const text = read.str(item, `${p('expose')}[${i}]`);
      const m = /^(\d+(?:-\d+)?)(?:\/(tcp|udp))?$/.exec(text);
      const r = m ? range(m[1]) : undefined;
      if (!m || !r || r[0] === 0) throw read.fail(item, `${p('expose')}[${i}]`, `${JSON.stringify(text)} is not a port`);
      for (let port = r[0]; port <= r[1]; port++) {
        const v = m[2] === 'udp' ? `${port}/udp` : String(port);
        if (!s.expose.includes(v)) s.expose.push(v);
      }
    });
  }

  const mountCtx = { projectDir: o.workingDir, home: o.home };
  if (has('volumes')) {
    read.seq(e.get('volumes')!, p('volumes')).items.forEach((item, i) => {
      const at = `${p('volumes')}[${i}]`;
      const m = parseMount(item, at, mountCtx);
      if (m.type === 'volume' && m.source !== undefined && !Object.hasOwn(o.volumes, m.source)) {
        throw read.fail(item, at, `volume "${m.source}" is not declared in the top-level volumes`);
      }
      addMount(s.volumes, m, item, at);
    });
  }
  for (const kind of ['secrets', 'configs'] as const) {
    if (!has(kind)) continue;
    read.seq(e.get(kind)!, p(kind)).items.forEach((item, i) => {
      const at = `${p(kind)}[${i}]`;
      let source: string;
      let target: string | undefined;
      if (item.kind === 'map') {
        read.keys(item, at, ['source', 'target'], ['uid', 'gid', 'mode']);
        const src = read.optStr(item, 'source', at);
        if (!src) throw read.fail(item, at, `needs a source (a top-level ${kind.slice(0, -1)})`);
        source = src;
        target = read.optStr(item, 'target', at);
      } else {
        source = read.str(item, at);
      }
      const obj = o[kind].get(source);
      if (!obj) throw read.fail(item, at, `${kind.slice(0, -1)} "${source}" is not declared in the top-level ${kind}`);
      const dest = kind === 'secrets'
        ? (target?.startsWith('/') ? target : `/run/secrets/${target ?? source}`)
        : (target?.startsWith('/') ? target : `/${target ?? source}`);
      addMount(s.volumes, { type: 'bind', source: obj.file, target: dest, readOnly: true, createHostPath: false }, item, at);
    });
  }
  if (has('tmpfs')) {
    for (const [i, t] of read.strList(e.get('tmpfs')!, p('tmpfs')).entries()) {
      if (!t.startsWith('/')) throw read.fail(e.get('tmpfs')!, `${p('tmpfs')}[${i}]`, `the container path ${JSON.stringify(t)} must be absolute`);
      s.tmpfs.push(t);
    }
  }

  const networkMode = str('network_mode');
  if (networkMode !== undefined) {
    if (!/^(none|host|bridge|service:.+|container:.+)$/.test(networkMode)) {
      throw read.fail(e.get('network_mode')!, p('network_mode'), `${JSON.stringify(networkMode)} is not a network mode (none, host, bridge, service:NAME, container:NAME)`);
    }
    if (has('networks')) throw read.fail(e.get('networks')!, p('networks'), 'cannot be used together with network_mode');
    s.networkMode = networkMode;
  }
  if (has('networks')) {
    const node = e.get('networks')!;
    const entries: [string, ComposeNode | undefined, string][] = node.kind === 'seq'
      ? node.items.map((item, i) => [read.str(item, `${p('networks')}[${i}]`), undefined, `${p('networks')}[${i}]`])
      : [...read.map(node, p('networks')).entries].filter(([k]) => !k.startsWith('x-')).map(([k, v]) => [k, v, `${p('networks')}.${k}`]);
    for (const [key, value, at] of entries) {
      if (key !== 'default' && !o.networks.has(key)) {
        throw read.fail(value ?? node, at, `network "${key}" is not declared in the top-level networks`);
      }
      s.networks[key] = serviceNetwork(value, at);
    }
  } else if (networkMode === undefined) {
    s.networks.default = { aliases: [] };
  }

  if (has('depends_on')) {
    const node = e.get('depends_on')!;
    if (node.kind === 'seq') {
      node.items.forEach((item, i) => {
        s.dependsOn[read.str(item, `${p('depends_on')}[${i}]`)] = { condition: 'service_started', required: true, restart: false };
      });
    } else {
      for (const [dep, value] of read.map(node, p('depends_on')).entries) {
        if (!dep.startsWith('x-')) s.dependsOn[dep] = dependsOn(value, `${p('depends_on')}.${dep}`);
      }
    }
  }
  if (networkMode?.startsWith('service:')) {
    const dep = networkMode.slice(8);
    s.dependsOn[dep] ??= { condition: 'service_started', required: true, restart: false };
  }

  if (has('healthcheck')) {
    const h = healthcheck(e.get('healthcheck')!, p('healthcheck'));
    if (h) s.healthcheck = h;
  }
  const restart = restartOf(map, path);
  if (restart !== undefined) s.restart = restart;
  s.resources = resources(map, path);
  const deploy = read.optMap(e.get('deploy'), p('deploy'));
  let replicas: number | undefined;
  if (deploy) {
    const r = deploy.entries.get('replicas');
    if (r && !(r.kind === 'scalar' && r.value === null)) replicas = read.int(r, `${p('deploy')}.replicas`, 0);
    if (s.restart === undefined) {
      const policy = restartPolicy(deploy, p('deploy'));
      if (policy !== undefined) s.restart = policy;
    } else restartPolicy(deploy, p('deploy'));
  }
  const scaleNode = e.get('scale');
  const scale = scaleNode && !(scaleNode.kind === 'scalar' && scaleNode.value === null) ? read.int(scaleNode, p('scale'), 0) : undefined;
  if (scale !== undefined && replicas !== undefined && scale !== replicas) {
    throw read.fail(scaleNode!, p('scale'), `${scale} conflicts with deploy.replicas ${replicas}`);
  }
  s.scale = scale ?? replicas ?? 1;

  for (const k of ['user', 'working_dir', 'hostname', 'domainname', 'container_name', 'stop_signal'] as const) {
    const v = str(k);
    if (v === undefined) continue;
    if (k === 'working_dir' && !v.startsWith('/')) throw read.fail(e.get(k)!, p(k), `${JSON.stringify(v)} must be an absolute path`);
    if (k === 'container_name' && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(v)) throw read.fail(e.get(k)!, p(k), `${JSON.stringify(v)} is not a valid container name`);
    const field = ({ user: 'user', working_dir: 'workingDir', hostname: 'hostname', domainname: 'domainname', container_name: 'containerName', stop_signal: 'stopSignal' } as const)[k];
    s[field] = v;
  }
  if (s.containerName !== undefined && s.scale > 1) throw read.fail(e.get('container_name')!, p('container_name'), `service "${name}" has a container_name and ${s.scale} replicas: one name cannot name several containers`);
  if (has('labels')) s.labels = read.labels(e.get('labels')!, p('labels'));
  const init = bool('init');
  if (init !== undefined) s.init = init;
  if (has('stop_grace_period')) s.stopGracePeriod = duration(e.get('stop_grace_period')!, p('stop_grace_period'));
  for (const [k, field] of [['cap_add', 'capAdd'], ['cap_drop', 'capDrop'], ['security_opt', 'securityOpt'], ['dns', 'dns'], ['dns_search', 'dnsSearch']] as const) {
    if (has(k)) s[field] = [...new Set(read.strList(e.get(k)!, p(k)))];
  }
  s.privileged = bool('privileged') ?? false;
  s.readOnly = bool('read_only') ?? false;
  s.tty = bool('tty') ?? false;
  s.stdinOpen = bool('stdin_open') ?? false;
  if (has('ulimits')) s.ulimits = ulimits(e.get('ulimits')!, p('ulimits'));
  if (has('shm_size')) s.shmSize = size(e.get('shm_size')!, p('shm_size'));
  if (has('sysctls')) {
    const sysctls: Record<string, string> = {};
    for (const [k, v] of read.keyValues(e.get('sysctls')!, p('sysctls'))) {
      if (v === null) throw read.fail(e.get('sysctls')!, p('sysctls'), `sysctl ${JSON.stringify(k)} has no value (want NAME=VALUE)`);
      sysctls[k] = v;
    }
    s.sysctls = sysctls;
  }
  if (has('logging')) {
    const at = p('logging');
    const lm = read.map(e.get('logging')!, at);
    read.keys(lm, at, ['driver', 'options']);
    const driver = read.optStr(lm, 'driver', at);
    if (driver !== undefined && driver !== 'json-file' && driver !== 'none') {
      throw read.fail(lm.entries.get('driver')!, `${at}.driver`, `log driver ${JSON.stringify(driver)} is not supported by Janus (json-file or none)`);
    }
    s.logging = { ...(driver !== undefined ? { driver } : {}), options: read.stringMap(lm.entries.get('options'), `${at}.options`) };
  }
  if (has('extra_hosts')) s.extraHosts = extraHosts(e.get('extra_hosts')!, p('extra_hosts'));
  if (has('profiles')) {
    const list = read.strSeq(e.get('profiles')!, p('profiles'));
    list.forEach((prof, i) => {
      if (!PROFILE_PATTERN.test(prof)) throw read.fail(e.get('profiles')!, `${p('profiles')}[${i}]`, `${JSON.stringify(prof)} is not a valid profile name`);
    });
    s.profiles = [...new Set(list)];
  }
  const pull = str('pull_policy');
  if (pull !== undefined) {
    const policy = pull === 'if_not_present' ? 'missing' : pull;
    if (policy !== 'always' && policy !== 'never' && policy !== 'missing' && policy !== 'build') {
      throw read.fail(e.get('pull_policy')!, p('pull_policy'), `${JSON.stringify(pull)} is not a pull policy (always, never, missing, build)`);
    }
    if (policy === 'build' && !s.build) throw read.fail(e.get('pull_policy')!, p('pull_policy'), 'is build but the service has no build section');
    s.pullPolicy = policy;
  }
  const platform = str('platform');
  if (platform !== undefined) {
    const host = process.arch === 'x64' ? 'amd64' : process.arch;
    if (platform !== `linux/${host}` && !(host === 'amd64' && platform === 'linux/x86_64')) {
      throw read.fail(e.get('platform')!, p('platform'), `${JSON.stringify(platform)}: only this host's platform (linux/${host}) is supported by Janus`);
    }
  }
  if (e.has('x-janus')) s.janus = parseJanus(e.get('x-janus')!, p('x-janus'), defaults);
  return s;
}

function portKey(port: PortConfig): string {
  return JSON.stringify([port.target, port.published, port.hostIp, port.protocol]);
}

function dedupe(ports: PortConfig[]): PortConfig[] {
  const seen = new Set<string>();
  return ports.filter((port) => {
    const k = portKey(port);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function addMount(list: ServiceMount[], m: ServiceMount, node: ComposeNode, path: string): void {
  if (list.some((x) => x.target === m.target)) throw read.fail(node, path, `${m.target} is mounted twice`);
  list.push(m);
}

function parseBuild(node: ComposeNode, path: string, o: ServiceContext): BuildConfig {
  const ctxOf = (text: string, at: ComposeNode, where: string) => {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || text.startsWith('git@')) throw read.fail(at, where, `a remote build context (${text}) is not supported by Janus; clone it and name the directory`);
    return hostPath(text, { projectDir: o.workingDir, home: o.home });
  };
  if (node.kind === 'scalar') return { context: ctxOf(read.str(node, path), node, path), args: {}, labels: {} };
  const map = read.map(node, path);
  read.keys(map, path, ['context', 'dockerfile', 'args', 'target', 'labels'], [
    'cache_from', 'cache_to', 'network', 'shm_size', 'ssh', 'secrets', 'platforms', 'tags', 'extra_hosts', 'no_cache', 'pull',
    'dockerfile_inline', 'additional_contexts', 'isolation', 'privileged', 'ulimits', 'entitlements', 'provenance', 'sbom',
  ]);
  const b: BuildConfig = { context: ctxOf(read.optStr(map, 'context', path) ?? '.', map.entries.get('context') ?? map, `${path}.context`), args: {}, labels: {} };
  const dockerfile = read.optStr(map, 'dockerfile', path);
  if (dockerfile !== undefined) b.dockerfile = dockerfile;
  const target = read.optStr(map, 'target', path);
  if (target !== undefined) b.target = target;
  const args = map.entries.get('args');
  if (args) {
    for (const [k, v] of read.keyValues(args, `${path}.args`)) {
      const value = v ?? o.lookup(k);
      if (value !== undefined) b.args[k] = value;
    }
  }
  if (map.entries.has('labels')) b.labels = read.labels(map.entries.get('labels')!, `${path}.labels`);
  return b;
}

function commandOf(node: ComposeNode, path: string): string[] {
  if (node.kind === 'scalar' && node.value === null) return [];
  if (node.kind === 'scalar') return shellSplit(read.str(node, path), `${node.loc.file}:${node.loc.line}: ${path}`);
  return read.strSeq(node, path);
}

function envFiles(node: ComposeNode, path: string, o: ServiceContext): Record<string, string> {
  const items: { file: string; required: boolean; node: ComposeNode; at: string }[] = [];
  const list = node.kind === 'seq' ? node.items : [node];
  list.forEach((item, i) => {
    const at = node.kind === 'seq' ? `${path}[${i}]` : path;
    if (item.kind === 'map') {
      read.keys(item, at, ['path', 'required'], ['format']);
      const file = read.optStr(item, 'path', at);
      if (!file) throw read.fail(item, at, 'needs a path');
      items.push({ file, required: read.optBool(item, 'required', at) ?? true, node: item, at });
    } else {
      items.push({ file: read.str(item, at), required: true, node: item, at });
    }
  });
  const env: Record<string, string> = {};
  for (const item of items) {
    const abs = hostPath(item.file, { projectDir: o.workingDir, home: o.home });
    const text = o.readTextFile(abs);
    if (text === undefined) {
      if (!item.required) continue;
      throw read.fail(item.node, item.at, `env file ${o.display(abs)} not found`);
    }
    for (const [k, v] of parseDotenv(text, o.display(abs), o.lookup)) env[k] = v;
  }
  return env;
}

function serviceNetwork(node: ComposeNode | undefined, path: string): ServiceNetwork {
  const map = read.optMap(node, path);
  if (!map) return { aliases: [] };
  read.keys(map, path, ['aliases', 'ipv4_address'], ['ipv6_address', 'link_local_ips', 'mac_address', 'driver_opts', 'priority', 'gw_priority', 'interface_name']);
  const net: ServiceNetwork = { aliases: map.entries.has('aliases') ? [...new Set(read.strList(map.entries.get('aliases')!, `${path}.aliases`))] : [] };
  const ip = read.optStr(map, 'ipv4_address', path);
  if (ip !== undefined) {
    if (!isIpv4(ip)) throw read.fail(map.entries.get('ipv4_address')!, `${path}.ipv4_address`, `${JSON.stringify(ip)} is not an IPv4 address`);
    net.ipv4Address = ip;
  }
  return net;
}

function dependsOn(node: ComposeNode, path: string): DependsOn {
  const d: DependsOn = { condition: 'service_started', required: true, restart: false };
  const map = read.optMap(node, path);
  if (!map) return d;
  read.keys(map, path, ['condition', 'required', 'restart']);
  const c = read.optStr(map, 'condition', path);
  if (c !== undefined) {
    if (c !== 'service_started' && c !== 'service_healthy' && c !== 'service_completed_successfully') {
      throw read.fail(map.entries.get('condition')!, `${path}.condition`, `${JSON.stringify(c)} is not a condition (service_started, service_healthy, service_completed_successfully)`);
    }
    d.condition = c;
  }
  d.required = read.optBool(map, 'required', path) ?? true;
  d.restart = read.optBool(map, 'restart', path) ?? false;
  return d;
}

function duration(node: ComposeNode, path: string): number {
  const text = node.kind === 'scalar' && typeof node.value === 'string' ? node.value : undefined;
  const ns = text === undefined ? undefined : unsignedGoDuration(text);
  if (ns === undefined) throw read.fail(node, path, `${describe(node)} is not a duration (e.g. 30s, 1m30s, 500ms)`);
  return ns;
}

function size(node: ComposeNode, path: string): number {
  if (node.kind === 'scalar' && typeof node.value === 'number') return read.int(node, path, 0);
  const text = read.str(node, path);
  const v = ramSizeOrUndefined(text);
  if (v === undefined) throw read.fail(node, path, `${JSON.stringify(text)} is not a size (e.g. 512m, 1g)`);
  return v;
}

function healthcheck(node: ComposeNode, path: string): HealthcheckConfig | undefined {
  const map = read.map(node, path);
  read.keys(map, path, ['test', 'interval', 'timeout', 'start_period', 'start_interval', 'retries', 'disable']);
  if (read.optBool(map, 'disable', path)) return { test: ['NONE'] };
  const h: HealthcheckConfig = { test: [] };
  const t = map.entries.get('test');
  if (t && !(t.kind === 'scalar' && t.value === null)) {
    if (t.kind === 'scalar') h.test = ['CMD-SHELL', read.str(t, `${path}.test`)];
    else {
      h.test = read.strSeq(t, `${path}.test`);
      const kind = h.test[0];
      if (kind !== 'NONE' && kind !== 'CMD' && kind !== 'CMD-SHELL') {
        throw read.fail(t, `${path}.test`, 'a list must start with "CMD", "CMD-SHELL" or "NONE"');
      }
      if (kind !== 'NONE' && h.test.length < 2) throw read.fail(t, `${path}.test`, `${kind} needs a command after it`);
    }
  }
  for (const [k, field] of [['interval', 'interval'], ['timeout', 'timeout'], ['start_period', 'startPeriod'], ['start_interval', 'startInterval']] as const) {
    const n = map.entries.get(k);
    if (n && !(n.kind === 'scalar' && n.value === null)) h[field] = duration(n, `${path}.${k}`);
  }
  const r = map.entries.get('retries');
  if (r && !(r.kind === 'scalar' && r.value === null)) h.retries = read.int(r, `${path}.retries`, 0);
  if (h.test.length === 0 && Object.keys(h).length === 1) return undefined;
  return h;
}

function restartOf(map: MapNode, path: string): string | undefined {
  const node = map.entries.get('restart');
  if (!node || (node.kind === 'scalar' && node.value === null)) return undefined;
  if (node.kind === 'scalar' && node.value === false) return 'no';
  const v = read.str(node, `${path}.restart`);
  if (!/^(no|always|unless-stopped|on-failure(:\d+)?)$/.test(v)) {
    throw read.fail(node, `${path}.restart`, `${JSON.stringify(v)} is not a restart policy (no, always, on-failure[:N], unless-stopped)`);
  }
  return v;
}

function restartPolicy(deploy: MapNode, path: string): string | undefined {
  const node = read.optMap(deploy.entries.get('restart_policy'), `${path}.restart_policy`);
  if (!node) return undefined;
  const at = `${path}.restart_policy`;
  read.keys(node, at, ['condition', 'max_attempts'], ['delay', 'window']);
  const c = read.optStr(node, 'condition', at) ?? 'any';
  const maxNode = node.entries.get('max_attempts');
  const max = maxNode ? read.int(maxNode, `${at}.max_attempts`, 0) : undefined;
  if (c === 'none') return 'no';
  if (c === 'any') return 'always';
  if (c === 'on-failure') return max ? `on-failure:${max}` : 'on-failure';
  throw read.fail(node.entries.get('condition')!, `${at}.condition`, `${JSON.stringify(c)} is not a condition (none, on-failure, any)`);
}

function resources(map: MapNode, path: string): ResourceLimits {
  const r: ResourceLimits = {};
  const e = map.entries;
  const set = (field: keyof ResourceLimits, value: number, node: ComposeNode, at: string) => {
    if (r[field] !== undefined && r[field] !== value) throw read.fail(node, at, `${value} conflicts with the value ${r[field]} given elsewhere for this service`);
    r[field] = value;
  };
  const get = (m: MapNode, k: string) => {
    const n = m.entries.get(k);
    return n && !(n.kind === 'scalar' && n.value === null) ? n : undefined;
  };
  let n: ComposeNode | undefined;
  if ((n = get(map, 'mem_limit'))) set('memory', size(n, `${path}.mem_limit`), n, `${path}.mem_limit`);
  if ((n = get(map, 'mem_reservation'))) set('memoryReservation', size(n, `${path}.mem_reservation`), n, `${path}.mem_reservation`);
  if ((n = get(map, 'cpus'))) set('cpus', cpus(n, `${path}.cpus`), n, `${path}.cpus`);
  if ((n = get(map, 'cpu_shares'))) {
    const v = read.int(n, `${path}.cpu_shares`, 0);
    if (v > 0) set('cpuShares', v, n, `${path}.cpu_shares`);
  }
  if ((n = get(map, 'pids_limit'))) {
    const v = read.int(n, `${path}.pids_limit`, -1);
    if (v > 0) set('pids', v, n, `${path}.pids_limit`);
  }
  const deploy = read.optMap(e.get('deploy'), `${path}.deploy`);
  if (!deploy) return r;
  const dp = `${path}.deploy`;
  read.keys(deploy, dp, ['replicas', 'resources', 'restart_policy', 'mode'], ['labels', 'placement', 'update_config', 'rollback_config', 'endpoint_mode']);
  const mode = read.optStr(deploy, 'mode', dp);
  if (mode !== undefined && mode !== 'replicated') throw read.fail(deploy.entries.get('mode')!, `${dp}.mode`, `mode ${JSON.stringify(mode)} is not supported by Janus (only replicated)`);
  const res = read.optMap(deploy.entries.get('resources'), `${dp}.resources`);
  if (!res) return r;
  const rp = `${dp}.resources`;
  read.keys(res, rp, ['limits', 'reservations']);
  const limits = read.optMap(res.entries.get('limits'), `${rp}.limits`);
  if (limits) {
    const lp = `${rp}.limits`;
    read.keys(limits, lp, ['cpus', 'memory', 'pids']);
    if ((n = get(limits, 'memory'))) set('memory', size(n, `${lp}.memory`), n, `${lp}.memory`);
    if ((n = get(limits, 'cpus'))) set('cpus', cpus(n, `${lp}.cpus`), n, `${lp}.cpus`);
    if ((n = get(limits, 'pids'))) {
      const v = read.int(n, `${lp}.pids`, -1);
      if (v > 0) set('pids', v, n, `${lp}.pids`);
    }
  }
  const reservations = read.optMap(res.entries.get('reservations'), `${rp}.reservations`);
  if (reservations) {
    const vp = `${rp}.reservations`;
    read.keys(reservations, vp, ['memory'], ['cpus', 'devices', 'generic_resources']);
    if ((n = get(reservations, 'memory'))) set('memoryReservation', size(n, `${vp}.memory`), n, `${vp}.memory`);
  }
  return r;
}

function cpus(node: ComposeNode, path: string): number {
  const v = read.num(node, path);
  if (!(v > 0)) throw read.fail(node, path, `must be more than 0, not ${describe(node)}`);
  return v;
}

function ulimits(node: ComposeNode, path: string): Record<string, { soft: number; hard: number }> {
  const out: Record<string, { soft: number; hard: number }> = {};
  for (const [name, value] of read.map(node, path).entries) {
    const at = `${path}.${name}`;
    if (!ULIMITS.has(name)) throw read.fail(value, at, `unknown ulimit "${name}"`);
    if (value.kind === 'map') {
      read.keys(value, at, ['soft', 'hard']);
      const s = value.entries.get('soft');
      const h = value.entries.get('hard');
      if (!s || !h) throw read.fail(value, at, 'needs both soft and hard');
      const soft = read.int(s, `${at}.soft`, -1);
      const hard = read.int(h, `${at}.hard`, -1);
      if (hard !== -1 && (soft === -1 || soft > hard)) throw read.fail(value, at, `the soft limit ${soft} is above the hard limit ${hard}`);
      out[name] = { soft, hard };
    } else {
      const v = read.int(value, at, -1);
      out[name] = { soft: v, hard: v };
    }
  }
  return out;
}

function extraHosts(node: ComposeNode, path: string): string[] {
  const out: string[] = [];
  const add = (host: string, ip: string, n: ComposeNode, at: string) => {
    if (!host || !ip || !(isIpv4(ip) || (ip.includes(':') && /^[0-9a-fA-F:.]+$/.test(ip)) || ip === 'host-gateway')) {
      throw read.fail(n, at, `${JSON.stringify(`${host}:${ip}`)} is not HOST:IP`);
    }
    const entry = `${host}:${ip}`;
    if (!out.includes(entry)) out.push(entry);
  };
  if (node.kind === 'seq') {
    node.items.forEach((item, i) => {
      const at = `${path}[${i}]`;
      const s = read.str(item, at);
      const eq = s.indexOf('=');
      const sep = eq >= 0 ? eq : s.indexOf(':');
      if (sep < 0) throw read.fail(item, at, `${JSON.stringify(s)} is not HOST:IP`);
      let ip = s.slice(sep + 1);
      if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
      add(s.slice(0, sep), ip, item, at);
    });
    return out;
  }
  for (const [host, value] of read.map(node, path).entries) {
    const at = `${path}.${host}`;
    for (const ip of read.strList(value, at)) add(host, ip, value, at);
  }
  return out;
}
