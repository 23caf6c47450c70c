import type { PortConfig } from './model.ts';
import { describe, read } from './node-reader.ts';
import type { ComposeNode } from './yaml-nodes.ts';

const PORT_KEYS = ['target', 'published', 'host_ip', 'protocol', 'mode', 'name', 'app_protocol'];

/**
 * One `ports:` item in short (`"127.0.0.1:8080-8081:80-81/udp"`, `80`) or
 * long syntax as PortConfigs: a container port range becomes one entry per
 * port, paired with a host range of the same length. Throws InvalidArgument
 * naming the item's file, line and `path`.
 */
export function parsePorts(node: ComposeNode, path: string): PortConfig[] {
  if (node.kind === 'map') return [parseLong(node, path)];
  if (node.kind !== 'scalar' || node.value === null || typeof node.value === 'boolean') {
    throw read.fail(node, path, `must be a port specification or a mapping, not ${describe(node)}`);
  }
  const spec = String(node.value);
  const bad = (why: string) => read.fail(node, path, `${JSON.stringify(spec)} is not a port${why ? ` (${why})` : ''}`);
  let rest = spec;
  let protocol: PortConfig['protocol'] = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    protocol = parseProtocol(rest.slice(slash + 1), () => bad('the protocol must be tcp or udp'));
    rest = rest.slice(0, slash);
  }
  let hostIp: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0 || rest[close + 1] !== ':') throw bad('an IPv6 host address is written [ADDR]:PORT:PORT');
    hostIp = rest.slice(1, close);
    rest = rest.slice(close + 2);
  }
  const parts = rest.split(':');
  let published: string | undefined;
  let container: string;
  if (parts.length === 1) {
    if (hostIp !== undefined) throw bad('a host address needs a container port after it');
    container = parts[0];
  } else if (parts.length === 2) {
    [published, container] = parts;
  } else if (parts.length === 3 && hostIp === undefined) {
    [hostIp, published, container] = parts;
  } else {
    throw bad('');
  }
  if (hostIp !== undefined && !isIp(hostIp)) throw bad(`${JSON.stringify(hostIp)} is not an IP address`);
  if (published === '') published = undefined;
  const targets = range(container);
  if (!targets || targets[0] === 0) throw bad('');
  const host = published === undefined ? undefined : range(published);
  if (published !== undefined && !host) throw bad('');
  if (targets[1] > targets[0]) {
    const count = targets[1] - targets[0] + 1;
    if (host && host[1] - host[0] + 1 !== count) throw bad('the host and container port ranges differ in length');
    return Array.from({ length: count }, (_, i) => port(targets[0] + i, host ? String(host[0] + i) : undefined, hostIp, protocol));
  }
  return [port(targets[0], published === undefined ? undefined : rangeText(host!), hostIp, protocol)];
}

function parseLong(map: ComposeNode & { kind: 'map' }, path: string): PortConfig {
  read.keys(map, path, PORT_KEYS);
  const t = map.entries.get('target');
  if (!t) throw read.fail(map, path, 'a port mapping needs a target (the container port)');
  const target = read.int(t, `${path}.target`, 1);
  if (target > 65535) throw read.fail(t, `${path}.target`, `${target} is not a port`);
  const p = map.entries.get('published');
  let published: string | undefined;
  if (p && !(p.kind === 'scalar' && (p.value === null || p.value === ''))) {
    const text = read.str(p, `${path}.published`);
    const r = range(text);
    if (!r) throw read.fail(p, `${path}.published`, `${JSON.stringify(text)} is not a port`);
    published = rangeText(r);
  }
  const hostIp = read.optStr(map, 'host_ip', path);
  if (hostIp !== undefined && !isIp(hostIp)) throw read.fail(map.entries.get('host_ip')!, `${path}.host_ip`, `${JSON.stringify(hostIp)} is not an IP address`);
  const protoNode = map.entries.get('protocol');
  const protocol = protoNode
    ? parseProtocol(read.str(protoNode, `${path}.protocol`), () => read.fail(protoNode, `${path}.protocol`, 'must be tcp or udp'))
    : 'tcp';
  const mode = read.optStr(map, 'mode', path);
  if (mode !== undefined && mode !== 'ingress' && mode !== 'host') throw read.fail(map.entries.get('mode')!, `${path}.mode`, 'must be ingress or host');
  read.optStr(map, 'name', path);
  read.optStr(map, 'app_protocol', path);
  return port(target, published, hostIp || undefined, protocol);
}

function port(target: number, published: string | undefined, hostIp: string | undefined, protocol: PortConfig['protocol']): PortConfig {
  const p: PortConfig = { target, protocol };
  if (published !== undefined) p.published = published;
  if (hostIp !== undefined && hostIp !== '') p.hostIp = hostIp;
  return p;
}

function parseProtocol(text: string, fail: () => Error): PortConfig['protocol'] {
  const p = text.toLowerCase();
  if (p === 'tcp' || p === 'udp') return p;
  throw fail();
}

/** "80" → [80, 80]; "8000-8010" → [8000, 8010]; undefined when not ports (0 is allowed: an ephemeral host port). */
export function range(text: string): [number, number] | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  if (!m) return undefined;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo > 65535 || hi > 65535 || hi < lo) return undefined;
  return [lo, hi];
}

function rangeText([lo, hi]: [number, number]): string {
  return lo === hi ? String(lo) : `${lo}-${hi}`;
}

function isIp(s: string): boolean {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s)) return s.split('.').every((o) => Number(o) <= 255);
  return s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s);
}
