import { invalidArgument } from '../core/errors.ts';
import { checkReferences } from './check-references.ts';
import type { VariableLookup } from './interpolate.ts';
import { isCidr, isIpv4 } from './ip-address.ts';
import type { ComposeProject, NetworkConfig, ServiceConfig, VolumeConfig } from './model.ts';
import { read } from './node-reader.ts';
import { parseJanus } from './parse-janus.ts';
import { hostPath } from './parse-mount.ts';
import { NAME_PATTERN, parseService, type FileObject } from './parse-service.ts';
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
    if (!NAME_PATTERN.test(name)) throw read.fail(node, path, `${JSON.stringify(name)} is not a valid service name (letters, digits, "_", "." and "-")`);
    const map = read.optMap(node, path) ?? { kind: 'map' as const, entries: new Map(), loc: node.loc };
    nodes[name] = map;
    all[name] = parseService(name, map, path, { ...o, defaults, secrets, configs, volumes, networks: networkNodes });
  }

  const active = new Set(o.profiles);
  const enabled = (s: ServiceConfig) => s.profiles.length === 0 || active.has('*') || s.profiles.some((p) => active.has(p));
  const services: Record<string, ServiceConfig> = {};
  const disabledServices: Record<string, ServiceConfig> = {};
  for (const [name, s] of Object.entries(all)) (enabled(s) ? services : disabledServices)[name] = s;

  checkReferences(all, services, nodes);

  // Every declared network is checked; the project lists those its services (enabled or not) use, as docker compose drops unused ones.
  const declared = new Map([...networkNodes].map(([key, node]) => [key, parseNetwork(key, node, o.name)]));
  const networks: Record<string, NetworkConfig> = {};
  for (const s of Object.values(all)) {
    for (const key of Object.keys(s.networks)) {
      if (!Object.hasOwn(networks, key)) networks[key] = declared.get(key) ?? defaultNetwork(key, o.name);
    }
  }
  // As docker compose does, declared volumes no service mounts are left out (nothing creates them).
  const used = new Set(Object.values(all).flatMap((s) => s.volumes.filter((m) => m.type === 'volume' && m.source !== undefined).map((m) => m.source!)));
  const usedVolumes = Object.fromEntries(Object.entries(volumes).filter(([key]) => used.has(key)));
  return { name: o.name, workingDir: o.workingDir, files: o.files, services, networks, volumes: usedVolumes, disabledServices };
}

function topLevel(root: MapNode, key: string): Map<string, ComposeNode> {
  const map = read.optMap(root.entries.get(key), key);
  const out = new Map<string, ComposeNode>();
  for (const [k, v] of map?.entries ?? []) {
    if (k.startsWith('x-')) continue;
    if (!NAME_PATTERN.test(k)) throw read.fail(v, `${key}.${k}`, `${JSON.stringify(k)} is not a valid name`);
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
  read.keys(map, path, ['name', 'external', 'driver', 'driver_opts', 'internal', 'labels', 'ipam', 'attachable', 'enable_ipv6', 'enable_ipv4']);
  if (read.optBool(map, 'enable_ipv4', path) === false) throw read.fail(map.entries.get('enable_ipv4')!, `${path}.enable_ipv4`, 'networks without IPv4 are not supported by Janus');
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
  net.driverOpts = read.stringMap(map.entries.get('driver_opts'), `${path}.driver_opts`);
  net.internal = read.optBool(map, 'internal', path) ?? false;
  net.labels = read.labels(map.entries.get('labels'), `${path}.labels`);
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
  vol.driverOpts = read.stringMap(map.entries.get('driver_opts'), `${path}.driver_opts`);
  vol.labels = read.labels(map.entries.get('labels'), `${path}.labels`);
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

