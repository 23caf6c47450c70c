import { invalidArgument } from '../core/errors.ts';
import { parseByteSize } from './byte-size.ts';
import { parseGoDuration } from './go-duration.ts';
import type { VariableLookup } from './interpolate.ts';
import type {
  BuildConfig,
  ComposeProject,
  DependsOn,
  HealthcheckConfig,
  JanusExtension,
  NetworkConfig,
  PortConfig,
  ResourceLimits,
  ServiceConfig,
  ServiceMount,
  ServiceNetwork,
  VolumeConfig,
} from './model.ts';
import { describe, read } from './node-reader.ts';
import { parseMount, hostPath } from './parse-mount.ts';
import { parsePorts, range } from './parse-ports.ts';
import { parseDotenv } from './dotenv.ts';
import { shellSplit } from './shell-split.ts';
import type { ComposeNode, MapNode } from './yaml-nodes.ts';

/** What turning a merged, interpolated compose tree into a project needs. */
export interface BuildOptions {
  /** The project name, already chosen and checked. */
  name: string;
  workingDir: string;
  files: string[];
  /** Active profiles; `*` activates all. */
  profiles: string[];
  /** The interpolation environment, for `environment: [NAME]` items without a value. */
  lookup: VariableLookup;
  home: string;
  /** Reads an env file; undefined when it does not exist. */
  readTextFile: (path: string) => string | undefined;
  /** A path as shown in messages. */
  display: (path: string) => string;
}

const TOP_KEYS = ['version', 'name', 'services', 'networks', 'volumes', 'secrets', 'configs'];
const TOP_UNSUPPORTED = ['models'];

const SERVICE_KEYS = [
  'image', 'build', 'command', 'entrypoint', 'environment', 'env_file', 'ports', 'expose', 'volumes', 'tmpfs', 'networks',
  'network_mode', 'depends_on', 'healthcheck', 'restart', 'deploy', 'mem_limit', 'mem_reservation', 'cpus', 'cpu_shares',
  'pids_limit', 'user', 'working_dir', 'labels', 'hostname', 'domainname', 'container_name', 'init', 'stop_signal',
  'stop_grace_period', 'cap_add', 'cap_drop', 'privileged', 'read_only', 'security_opt', 'ulimits', 'extra_hosts', 'dns',
  'dns_search', 'tty', 'stdin_open', 'profiles', 'scale', 'pull_policy', 'secrets', 'configs', 'platform',
];
const SERVICE_UNSUPPORTED = [
  'devices', 'gpus', 'links', 'external_links', 'volumes_from', 'ipc', 'pid', 'uts', 'userns_mode', 'cgroup', 'cgroup_parent',
  'sysctls', 'shm_size', 'logging', 'runtime', 'isolation', 'mac_address', 'dns_opt', 'group_add', 'oom_score_adj',
  'oom_kill_disable', 'mem_swappiness', 'memswap_limit', 'cpu_count', 'cpu_percent', 'cpu_period', 'cpu_quota',
  'cpu_rt_runtime', 'cpu_rt_period', 'cpuset', 'blkio_config', 'credential_spec', 'device_cgroup_rules', 'storage_opt',
  'annotations', 'attach', 'develop', 'label_file', 'post_start', 'pre_stop', 'models', 'provider', 'use_api_socket',
];

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const ULIMITS = new Set(['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack', 'as']);

/** A top-level secret or config: a host file bound read-only into the services that name it. */
interface FileObject {
  file: string;
}

/**
 * Validates a merged, interpolated compose tree and builds the normalised
 * project: short syntax expanded, paths absolute, durations and sizes in
 * numbers, profiles applied, cross-references (depends_on, networks,
 * volumes, published ports) checked. Throws InvalidArgument with the file,
 * line and key path of the first problem; nothing is created either way.
 */
export function buildProject(root: MapNode, o: BuildOptions): ComposeProject {
  read.keys(root, '', [...TOP_KEYS, 'x-janus'], TOP_UNSUPPORTED);
  const defaults = root.entries.has('x-janus') ? parseJanus(root.entries.get('x-janus')!, 'x-janus', {}) : {};
  const networkNodes = topLevel(root, 'networks');
  const volumeNodes = topLevel(root, 'volumes');
  const volumes: Record<string, VolumeConfig> = {};
  for (const [key, node] of volumeNodes) volumes[key] = parseVolume(key, node, o.name);
  const secrets = fileObjects(root, 'secrets', o);
  const configs = fileObjects(root, 'configs', o);

  const servicesNode = read.optMap(root.entries.get('services'), 'services');
  if (!servicesNode || servicesNode.entries.size === 0) {
    throw invalidArgument(`${root.loc.file}: no services are defined (a compose file needs a services: mapping)`);
  }
  const all: Record<string, ServiceConfig> = {};
  const nodes: Record<string, MapNode> = {};
  for (const [name, node] of servicesNode.entries) {
    if (name.startsWith('x-')) continue;
    const path = `services.${name}`;
    if (!NAME_RE.test(name)) throw read.fail(node, path, `${JSON.stringify(name)} is not a valid service name (letters, digits, "_", "." and "-")`);
    const map = read.optMap(node, path) ?? { kind: 'map' as const, entries: new Map(), loc: node.loc };
    nodes[name] = map;
    all[name] = parseService(name, map, path, o, defaults, { secrets, configs, volumes, networks: networkNodes });
  }

  const active = new Set(o.profiles);
  const enabled = (s: ServiceConfig) => s.profiles.length === 0 || active.has('*') || s.profiles.some((p) => active.has(p));
  const services: Record<string, ServiceConfig> = {};
  const disabledServices: Record<string, ServiceConfig> = {};
  for (const [name, s] of Object.entries(all)) (enabled(s) ? services : disabledServices)[name] = s;

  checkDependencies(all, services, nodes);
  checkPorts(services, nodes);
  checkContainerNames(all, nodes);

  // Every declared network is checked; the project lists those its services (enabled or not) use.
  const declared = new Map([...networkNodes].map(([key, node]) => [key, parseNetwork(key, node, o.name)]));
  const networks: Record<string, NetworkConfig> = {};
  for (const s of Object.values(all)) {
    for (const key of Object.keys(s.networks)) networks[key] ??= declared.get(key) ?? defaultNetwork(key, o.name);
  }
  return { name: o.name, workingDir: o.workingDir, files: o.files, services, networks, volumes, disabledServices };
}

function topLevel(root: MapNode, key: string): Map<string, ComposeNode> {
  const map = read.optMap(root.entries.get(key), key);
  const out = new Map<string, ComposeNode>();
  for (const [k, v] of map?.entries ?? []) {
    if (k.startsWith('x-')) continue;
    if (!NAME_RE.test(k)) throw read.fail(v, `${key}.${k}`, `${JSON.stringify(k)} is not a valid name`);
    out.set(k, v);
  }
  return out;
}

function defaultNetwork(key: string, project: string): NetworkConfig {
  return { name: `${project}_${key}`, external: false, driverOpts: {}, internal: false, labels: {}, ipam: [] };
}

function parseNetwork(key: string, node: ComposeNode, project: string): NetworkConfig {
  const path = `networks.${key}`;
  const map = read.optMap(node, path);
  const net = defaultNetwork(key, project);
  if (!map) return net;
  read.keys(map, path, ['name', 'external', 'driver', 'driver_opts', 'internal', 'labels', 'ipam', 'attachable', 'enable_ipv6'], ['enable_ipv4']);
  const external = externalOf(map, path);
  const name = read.optStr(map, 'name', path) ?? external.name;
  if (external.external) {
    for (const k of map.entries.keys()) {
      if (!['name', 'external'].includes(k) && !k.startsWith('x-')) throw read.fail(map.entries.get(k)!, `${path}.${k}`, 'an external network is not configured by the project');
    }
    return { ...net, name: name ?? key, external: true };
  }
  if (name !== undefined) net.name = name;
  net.driver = read.optStr(map, 'driver', path);
  if (net.driver === undefined) delete net.driver;
  net.driverOpts = strMap(map.entries.get('driver_opts'), `${path}.driver_opts`);
  net.internal = read.optBool(map, 'internal', path) ?? false;
  net.labels = labelsOf(map.entries.get('labels'), `${path}.labels`);
  read.optBool(map, 'attachable', path);
  if (read.optBool(map, 'enable_ipv6', path)) throw read.fail(map.entries.get('enable_ipv6')!, `${path}.enable_ipv6`, 'IPv6 networks are not supported by Janus');
  const ipam = read.optMap(map.entries.get('ipam'), `${path}.ipam`);
  if (ipam) {
    read.keys(ipam, `${path}.ipam`, ['driver', 'config'], ['options']);
    const driver = read.optStr(ipam, 'driver', `${path}.ipam`);
    if (driver !== undefined && driver !== 'default') throw read.fail(ipam.entries.get('driver')!, `${path}.ipam.driver`, `IPAM driver ${JSON.stringify(driver)} is not supported by Janus (only default)`);
    const config = ipam.entries.get('config');
    if (config && !(config.kind === 'scalar' && config.value === null)) {
      read.seq(config, `${path}.ipam.config`).items.forEach((item, i) => {
        const p = `${path}.ipam.config[${i}]`;
        const c = read.map(item, p);
        read.keys(c, p, ['subnet', 'gateway', 'ip_range'], ['aux_addresses']);
        const entry: NetworkConfig['ipam'][number] = {};
        const subnet = read.optStr(c, 'subnet', p);
        const gateway = read.optStr(c, 'gateway', p);
        const ipRange = read.optStr(c, 'ip_range', p);
        if (subnet !== undefined) {
          if (!isCidr(subnet)) throw read.fail(c.entries.get('subnet')!, `${p}.subnet`, `${JSON.stringify(subnet)} is not a subnet (e.g. 172.28.0.0/16)`);
          entry.subnet = subnet;
        }
        if (gateway !== undefined) {
          if (!isIpv4(gateway)) throw read.fail(c.entries.get('gateway')!, `${p}.gateway`, `${JSON.stringify(gateway)} is not an IPv4 address`);
          entry.gateway = gateway;
        }
        if (ipRange !== undefined) {
          if (!isCidr(ipRange)) throw read.fail(c.entries.get('ip_range')!, `${p}.ip_range`, `${JSON.stringify(ipRange)} is not a subnet`);
          entry.ipRange = ipRange;
        }
        net.ipam.push(entry);
      });
    }
  }
  return net;
}

function parseVolume(key: string, node: ComposeNode, project: string): VolumeConfig {
  const path = `volumes.${key}`;
  const map = read.optMap(node, path);
  const vol: VolumeConfig = { name: `${project}_${key}`, external: false, driverOpts: {}, labels: {} };
  if (!map) return vol;
  read.keys(map, path, ['name', 'external', 'driver', 'driver_opts', 'labels']);
  const external = externalOf(map, path);
  const name = read.optStr(map, 'name', path) ?? external.name;
  if (external.external) {
    for (const k of map.entries.keys()) {
      if (!['name', 'external'].includes(k) && !k.startsWith('x-')) throw read.fail(map.entries.get(k)!, `${path}.${k}`, 'an external volume is not configured by the project');
    }
    return { ...vol, name: name ?? key, external: true };
  }
  if (name !== undefined) vol.name = name;
  const driver = read.optStr(map, 'driver', path);
  if (driver !== undefined) vol.driver = driver;
  vol.driverOpts = strMap(map.entries.get('driver_opts'), `${path}.driver_opts`);
  vol.labels = labelsOf(map.entries.get('labels'), `${path}.labels`);
  return vol;
}

/** `external: true` or the legacy `external: {name: X}`. */
function externalOf(map: MapNode, path: string): { external: boolean; name?: string } {
  const node = map.entries.get('external');
  if (!node || (node.kind === 'scalar' && node.value === null)) return { external: false };
  if (node.kind === 'map') {
    read.keys(node, `${path}.external`, ['name']);
    return { external: true, name: read.optStr(node, 'name', `${path}.external`) };
  }
  return { external: read.bool(node, `${path}.external`) };
}

function fileObjects(root: MapNode, key: 'secrets' | 'configs', o: BuildOptions): Map<string, FileObject> {
  const out = new Map<string, FileObject>();
  for (const [name, node] of topLevel(root, key)) {
    const path = `${key}.${name}`;
    const map = read.map(node, path);
    read.keys(map, path, ['file', 'name'], ['external', 'environment', 'content', 'driver', 'driver_opts', 'template_driver', 'labels']);
    const file = read.optStr(map, 'file', path);
    if (file === undefined) throw read.fail(map, path, `a ${key.slice(0, -1)} needs a file (Janus binds it read-only into the services)`);
    out.set(name, { file: hostPath(file, { projectDir: o.workingDir, home: o.home }) });
  }
  return out;
}

interface TopLevel {
  secrets: Map<string, FileObject>;
  configs: Map<string, FileObject>;
  volumes: Record<string, VolumeConfig>;
  networks: Map<string, ComposeNode>;
}

function parseService(name: string, map: MapNode, path: string, o: BuildOptions, defaults: JanusExtension, top: TopLevel): ServiceConfig {
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
      if (m.type === 'volume' && m.source !== undefined && !top.volumes[m.source]) {
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
      const obj = top[kind].get(source);
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
      if (key !== 'default' && !top.networks.has(key)) {
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
  if (has('labels')) s.labels = labelsOf(e.get('labels')!, p('labels'));
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
  if (has('extra_hosts')) s.extraHosts = extraHosts(e.get('extra_hosts')!, p('extra_hosts'));
  if (has('profiles')) {
    const list = read.strSeq(e.get('profiles')!, p('profiles'));
    list.forEach((prof, i) => {
      if (!NAME_RE.test(prof)) throw read.fail(e.get('profiles')!, `${p('profiles')}[${i}]`, `${JSON.stringify(prof)} is not a valid profile name`);
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

function parseBuild(node: ComposeNode, path: string, o: BuildOptions): BuildConfig {
  const ctxOf = (text: string) => (/^[a-z]+:\/\//i.test(text) || text.startsWith('git@') ? text : hostPath(text, { projectDir: o.workingDir, home: o.home }));
  if (node.kind === 'scalar') return { context: ctxOf(read.str(node, path)), args: {}, labels: {} };
  const map = read.map(node, path);
  read.keys(map, path, ['context', 'dockerfile', 'args', 'target', 'labels'], [
    'cache_from', 'cache_to', 'network', 'shm_size', 'ssh', 'secrets', 'platforms', 'tags', 'extra_hosts', 'no_cache', 'pull',
    'dockerfile_inline', 'additional_contexts', 'isolation', 'privileged', 'ulimits', 'entitlements', 'provenance', 'sbom',
  ]);
  const b: BuildConfig = { context: ctxOf(read.optStr(map, 'context', path) ?? '.'), args: {}, labels: {} };
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
  if (map.entries.has('labels')) b.labels = labelsOf(map.entries.get('labels')!, `${path}.labels`);
  return b;
}

function commandOf(node: ComposeNode, path: string): string[] {
  if (node.kind === 'scalar' && node.value === null) return [];
  if (node.kind === 'scalar') return shellSplit(read.str(node, path), `${node.loc.file}:${node.loc.line}: ${path}`);
  return read.strSeq(node, path);
}

function envFiles(node: ComposeNode, path: string, o: BuildOptions): Record<string, string> {
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
  const ns = text === undefined ? undefined : parseGoDuration(text);
  if (ns === undefined) throw read.fail(node, path, `${describe(node)} is not a duration (e.g. 30s, 1m30s, 500ms)`);
  return ns;
}

function size(node: ComposeNode, path: string): number {
  if (node.kind === 'scalar' && typeof node.value === 'number') return read.int(node, path, 0);
  const text = read.str(node, path);
  const v = parseByteSize(text);
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

function labelsOf(node: ComposeNode | undefined, path: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!node) return out;
  for (const [k, v] of read.keyValues(node, path)) out[k] = v ?? '';
  return out;
}

function strMap(node: ComposeNode | undefined, path: string): Record<string, string> {
  const out: Record<string, string> = {};
  const map = read.optMap(node, path);
  for (const [k, v] of map?.entries ?? []) {
    if (v.kind !== 'scalar' || v.value === null) throw read.fail(v, `${path}.${k}`, `must be a string, not ${describe(v)}`);
    out[k] = String(v.value);
  }
  return out;
}

function parseJanus(node: ComposeNode, path: string, defaults: JanusExtension): JanusExtension {
  const map = read.map(node, path);
  read.keys(map, path, ['isolation', 'trust', 'compliance']);
  for (const key of map.entries.keys()) {
    if (key.startsWith('x-')) throw read.fail(map.entries.get(key)!, `${path}.${key}`, 'unknown key (x-janus knows isolation, trust and compliance)');
  }
  const out: JanusExtension = { ...defaults };
  const isolation = read.optStr(map, 'isolation', path);
  if (isolation !== undefined) {
    if (isolation !== 'container' && isolation !== 'sandbox' && isolation !== 'vm' && isolation !== 'auto') {
      throw read.fail(map.entries.get('isolation')!, `${path}.isolation`, `${JSON.stringify(isolation)} is not an isolation level (container, sandbox, vm, auto)`);
    }
    out.isolation = isolation;
  }
  const trust = read.optStr(map, 'trust', path);
  if (trust !== undefined) {
    if (trust !== 'trusted' && trust !== 'untrusted') throw read.fail(map.entries.get('trust')!, `${path}.trust`, `${JSON.stringify(trust)} is not a trust level (trusted, untrusted)`);
    out.trust = trust;
  }
  const compliance = read.optStr(map, 'compliance', path);
  if (compliance !== undefined) {
    if (compliance === '') throw read.fail(map.entries.get('compliance')!, `${path}.compliance`, 'must not be empty');
    out.compliance = compliance;
  }
  return out;
}

function checkDependencies(all: Record<string, ServiceConfig>, enabled: Record<string, ServiceConfig>, nodes: Record<string, MapNode>): void {
  const depNode = (name: string, dep: string): [ComposeNode, string] => {
    const node = nodes[name].entries.get('depends_on');
    if (node?.kind === 'map' && node.entries.has(dep)) return [node.entries.get(dep)!, `services.${name}.depends_on.${dep}`];
    if (node?.kind === 'seq') {
      const i = node.items.findIndex((it) => it.kind === 'scalar' && it.value === dep);
      if (i >= 0) return [node.items[i], `services.${name}.depends_on[${i}]`];
    }
    const nm = nodes[name].entries.get('network_mode');
    if (nm) return [nm, `services.${name}.network_mode`];
    return [nodes[name], `services.${name}`];
  };
  for (const [name, s] of Object.entries(all)) {
    for (const [dep, d] of Object.entries(s.dependsOn)) {
      if (dep === name) {
        const [n, at] = depNode(name, dep);
        throw read.fail(n, at, `service "${name}" depends on itself`);
      }
      if (!all[dep]) {
        if (!d.required) continue;
        const [n, at] = depNode(name, dep);
        throw read.fail(n, at, `service "${name}" depends on undefined service "${dep}"`);
      }
      if (enabled[name] && !enabled[dep] && d.required) {
        const [n, at] = depNode(name, dep);
        throw read.fail(n, at, `service "${name}" depends on "${dep}", which is disabled by profiles [${all[dep].profiles.join(', ')}] (activate one with --profile)`);
      }
    }
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of Object.keys(all[name].dependsOn)) {
      if (!all[dep]) continue;
      if (state.get(dep) === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(dep)), dep];
        const [n, at] = depNode(name, dep);
        throw read.fail(n, at, `dependency cycle: ${cycle.join(' -> ')}`);
      }
      if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of Object.keys(all)) if (!state.has(name)) visit(name);
}

function checkPorts(services: Record<string, ServiceConfig>, nodes: Record<string, MapNode>): void {
  const taken: { service: string; port: PortConfig; lo: number; hi: number }[] = [];
  const anyIp = (ip?: string) => ip === undefined || ip === '0.0.0.0' || ip === '::';
  for (const [name, s] of Object.entries(services)) {
    const portsNode = nodes[name].entries.get('ports');
    if (!portsNode || portsNode.kind !== 'seq') continue;
    portsNode.items.forEach((item, i) => {
      const at = `services.${name}.ports[${i}]`;
      for (const port of parsePorts(item, at)) {
        if (port.published === undefined) continue;
        const r = range(port.published);
        if (!r || r[0] === 0) continue;
        const fixed = r[0] === r[1];
        if (fixed && s.scale > 1) {
          throw read.fail(item, at, `host port ${port.published}/${port.protocol} is published by ${s.scale} replicas of "${name}"; only one can have it`);
        }
        for (const t of taken) {
          if (t.port.protocol !== port.protocol) continue;
          if (!(anyIp(t.port.hostIp) || anyIp(port.hostIp) || t.port.hostIp === port.hostIp)) continue;
          if (!fixed || t.lo !== t.hi || t.lo !== r[0]) continue;
          if (t.service === name && portKey(t.port) === portKey(port)) continue;
          const ip = port.hostIp ? `${port.hostIp.includes(':') ? `[${port.hostIp}]` : port.hostIp}:` : '';
          const by = t.service === name ? 'another port of this service' : `service "${t.service}"`;
          throw read.fail(item, at, `host port ${ip}${port.published}/${port.protocol} is already published by ${by}`);
        }
        taken.push({ service: name, port, lo: r[0], hi: r[1] });
      }
    });
  }
}

function checkContainerNames(all: Record<string, ServiceConfig>, nodes: Record<string, MapNode>): void {
  const seen = new Map<string, string>();
  for (const [name, s] of Object.entries(all)) {
    if (s.containerName === undefined) continue;
    const other = seen.get(s.containerName);
    if (other) throw read.fail(nodes[name].entries.get('container_name')!, `services.${name}.container_name`, `"${s.containerName}" is already the container name of service "${other}"`);
    seen.set(s.containerName, name);
  }
}

function isIpv4(s: string): boolean {
  return /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s) && s.split('.').every((o) => Number(o) <= 255);
}

function isCidr(s: string): boolean {
  const [ip, bits, extra] = s.split('/');
  return extra === undefined && bits !== undefined && isIpv4(ip) && /^\d{1,2}$/.test(bits) && Number(bits) <= 32;
}
