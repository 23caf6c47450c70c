import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { conflict, invalidArgument, JanusError, notFound, notImplemented } from '../../src/core/errors.ts';
import type {
  EndpointRequest, NetworkCreateRequest, NetworkEndpointView, NetworkFilters, NetworkService, NetworkView,
} from '../../src/engine/network-service.ts';

/** One recorded call of the fake. */
export interface FakeNetworkCall {
  method: keyof NetworkService;
  args: unknown[];
}

/** A container as the fake's `connect` resolves it. */
export interface FakeNetworkContainer {
  id: string;
  name: string;
}

const ipToInt = (ip: string): number => ip.split('.').reduce((n, b) => n * 256 + Number(b), 0);
const intToIp = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

function parseCidr(text: string, what: string): { base: number; bits: number } {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(text);
  if (!m || isIP(m[1]) !== 4 || Number(m[2]) > 32) throw invalidArgument(`invalid ${what}: ${JSON.stringify(text)} is not an IPv4 CIDR`);
  const bits = Number(m[2]);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (ipToInt(m[1]) & mask) >>> 0, bits };
}

const builtinId = (name: string): string => createHash('sha256').update(`fake network ${name}`).digest('hex');

/**
 * An in-memory NetworkService for API and CLI tests: the predefined
 * `bridge` (172.17.0.0/16), `host` and `none`, user bridge networks with
 * docker's errors (names, overlapping subnets, predefined networks, in
 * use), filters, and endpoints with addresses handed out in order.
 * Containers are whatever `resolveContainer` says (by default the
 * reference is both ID and name). Every call is recorded in `calls`;
 * tests may replace any method.
 */
export class FakeNetworkService implements NetworkService {
  readonly calls: FakeNetworkCall[] = [];
  readonly networks = new Map<string, NetworkView>();
  resolveContainer: (ref: string) => FakeNetworkContainer = (ref) => ({ id: ref, name: ref });
  #nextSubnet = 18;

  constructor() {
    const base = { scope: 'local' as const, created: new Date('2024-01-01T00:00:00Z'), internal: false, attachable: false, builtin: true, labels: {}, containers: {} };
    this.#add({
      ...base, id: builtinId('bridge'), name: 'bridge', driver: 'bridge',
      ipam: { driver: 'default', config: [{ subnet: '172.17.0.0/16', gateway: '172.17.0.1' }], options: {} },
      options: { 'com.docker.network.bridge.default_bridge': 'true', 'com.docker.network.bridge.name': 'janus0' },
    });
    this.#add({ ...base, id: builtinId('host'), name: 'host', driver: 'host', ipam: { driver: 'default', config: [], options: {} }, options: {} });
    this.#add({ ...base, id: builtinId('none'), name: 'none', driver: 'null', ipam: { driver: 'default', config: [], options: {} }, options: {} });
  }

  #add(v: NetworkView): void {
    this.networks.set(v.id, v);
  }

  #call(method: keyof NetworkService, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  #find(ref: string): NetworkView {
    const all = [...this.networks.values()];
    const hit = all.find((n) => n.id === ref) ?? all.find((n) => n.name === ref) ?? (() => {
      const byPrefix = all.filter((n) => n.id.startsWith(ref));
      return byPrefix.length === 1 ? byPrefix[0] : undefined;
    })();
    if (!hit) throw notFound(`network ${ref} not found`);
    return hit;
  }

  async create(name: string, request: NetworkCreateRequest = {}): Promise<{ id: string; warning?: string }> {
    this.#call('create', name, request);
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw invalidArgument(`invalid network name ${JSON.stringify(name)}`);
    if ([...this.networks.values()].some((n) => n.name === name)) throw conflict(`network with name ${name} already exists`);
    const driver = request.driver ?? 'bridge';
    if (driver !== 'bridge') throw notImplemented(`network driver ${JSON.stringify(driver)} is not supported: Janus creates bridge networks`);
    if (request.enableIPv6) throw notImplemented('IPv6 networks are not supported');
    const asked = request.ipam?.config?.[0];
    let subnet = asked?.subnet;
    if (subnet === undefined) subnet = `172.${this.#nextSubnet++}.0.0/16`;
    const cidr = parseCidr(subnet, 'subnet');
    for (const other of this.networks.values()) {
      for (const c of other.ipam.config) {
        const o = parseCidr(c.subnet, 'subnet');
        const bits = Math.min(o.bits, cidr.bits);
        const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
        if (((o.base & mask) >>> 0) === ((cidr.base & mask) >>> 0)) throw conflict(`Pool overlaps with other one on this address space`);
      }
    }
    const gateway = asked?.gateway ?? intToIp(cidr.base + 1);
    const gw = ipToInt(gateway);
    const size = 2 ** (32 - cidr.bits);
    if (isIP(gateway) !== 4 || gw < cidr.base || gw >= cidr.base + size) throw invalidArgument(`invalid gateway ${gateway}: not in subnet ${subnet}`);
    const id = randomBytes(32).toString('hex');
    this.#add({
      id, name, driver: 'bridge', scope: 'local', created: new Date(), internal: !!request.internal, attachable: !!request.attachable, builtin: false,
      ipam: { driver: 'default', config: [{ subnet, gateway, ...(asked?.ipRange ? { ipRange: asked.ipRange } : {}) }], options: request.ipam?.options ?? {} },
      options: request.options ?? {}, labels: request.labels ?? {}, containers: {},
    });
    return { id };
  }

  async inspect(ref: string): Promise<NetworkView> {
    this.#call('inspect', ref);
    return structuredClone(this.#find(ref));
  }

  async list(options: { filters?: NetworkFilters } = {}): Promise<NetworkView[]> {
    this.#call('list', options);
    return [...this.networks.values()].filter((n) => matches(n, options.filters ?? {})).map((n) => structuredClone(n));
  }

  async remove(ref: string): Promise<void> {
    this.#call('remove', ref);
    const n = this.#find(ref);
    if (n.builtin) throw new JanusError('Forbidden', `${n.name} is a pre-defined network and cannot be removed`);
    if (Object.keys(n.containers).length > 0) throw conflict(`error while removing network: network ${n.name} id ${n.id} has active endpoints`);
    this.networks.delete(n.id);
  }

  async prune(options: { filters?: NetworkFilters } = {}): Promise<{ deleted: string[] }> {
    this.#call('prune', options);
    const deleted: string[] = [];
    for (const n of [...this.networks.values()]) {
      if (n.builtin || Object.keys(n.containers).length > 0 || !matches(n, options.filters ?? {})) continue;
      this.networks.delete(n.id);
      deleted.push(n.name);
    }
    return { deleted };
  }

  async connect(ref: string, container: string, request: EndpointRequest = {}): Promise<void> {
    this.#call('connect', ref, container, request);
    const n = this.#find(ref);
    const c = this.resolveContainer(container);
    if (n.builtin && n.name !== 'bridge') throw new JanusError('Forbidden', `container cannot be disconnected from host network or connected to host network`);
    if (n.containers[c.id]) throw conflict(`endpoint with name ${c.name} already exists in network ${n.name}`);
    const cfg = n.ipam.config[0];
    const cidr = parseCidr(cfg.subnet, 'subnet');
    const taken = new Set([cfg.gateway, ...Object.values(n.containers).map((e) => e.ipv4Address.split('/')[0])]);
    let ip = request.ipv4Address;
    if (ip !== undefined && taken.has(ip)) throw conflict(`Address already in use`);
    for (let i = 2; ip === undefined; i++) if (!taken.has(intToIp(cidr.base + i))) ip = intToIp(cidr.base + i);
    const bytes = ip.split('.').map((b) => Number(b).toString(16).padStart(2, '0'));
    const endpoint: NetworkEndpointView = {
      containerId: c.id, name: c.name, endpointId: randomBytes(32).toString('hex'), macAddress: `02:42:${bytes.join(':')}`, ipv4Address: `${ip}/${cidr.bits}`,
    };
    n.containers[c.id] = endpoint;
  }

  async disconnect(ref: string, container: string, options: { force?: boolean } = {}): Promise<void> {
    this.#call('disconnect', ref, container, options);
    const n = this.#find(ref);
    const c = this.resolveContainer(container);
    if (!n.containers[c.id]) {
      if (options.force) return;
      throw conflict(`container ${c.id} is not connected to network ${n.name}`);
    }
    delete n.containers[c.id];
  }
}

/** docker's network filters over a view. */
function matches(n: NetworkView, f: NetworkFilters): boolean {
  if (f.driver && !f.driver.includes(n.driver)) return false;
  if (f.id && !f.id.some((p) => n.id.startsWith(p))) return false;
  if (f.name && !f.name.some((s) => n.name.includes(s))) return false;
  if (f.type && !f.type.includes(n.builtin ? 'builtin' : 'custom')) return false;
  if (f.label && !f.label.every((l) => {
    const eq = l.indexOf('=');
    return eq < 0 ? l in n.labels : n.labels[l.slice(0, eq)] === l.slice(eq + 1);
  })) return false;
  if (f.dangling !== undefined && (n.builtin || (Object.keys(n.containers).length === 0) !== f.dangling)) return false;
  if (f.until && n.created.getTime() >= f.until.getTime()) return false;
  return true;
}
