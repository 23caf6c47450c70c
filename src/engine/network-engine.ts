import { createHash, randomBytes } from 'node:crypto';
import { conflict, invalidArgument, isJanusError, JanusError, notFound, notImplemented } from '../core/errors.ts';
import type { EventSink } from '../core/events.ts';
import type { NameServer } from '../core/name-server.ts';
import type { BridgeNetworkSpec, EndpointSpec, NetworkDriver, PortMapping } from '../core/network-driver.ts';
import type { StateStore } from '../core/state-store.ts';
import type { Logger } from '../util/logger.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import {
  contains, defaultGateway, formatCidr, formatIPv4, macFor, nextFreeAddress, overlaps, parseCidr, parseIPv4, pickSubnet, type Cidr,
} from './network-ipam.ts';
import type {
  EndpointRequest, IpamConfig, NetworkCreateRequest, NetworkDriverName, NetworkEndpointView, NetworkFilters, NetworkService, NetworkView,
} from './network-service.ts';

/** A container's durable place on a network: its address is kept from join to leave. */
export interface NetworkEndpointRecord {
  endpointId: string;
  containerName: string;
  /** Interface index in the container (`eth<ifIndex>`), in join order. */
  ifIndex: number;
  ip: string;
  mac: string;
  aliases: string[];
  /** Given with `--ip`. */
  static: boolean;
}

/** A network as the engine stores it (one JSON record per network). */
export interface NetworkRecord {
  id: string;
  name: string;
  driver: NetworkDriverName;
  created: string;
  builtin: boolean;
  internal: boolean;
  attachable: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
  ipamOptions: Record<string, string>;
  /** Bridge networks only. */
  bridge?: { device: string; subnet: string; gateway: string; ipRange?: string; icc: boolean; masquerade: boolean; mtu: number; dns: boolean };
  /** By container ID. */
  endpoints: Record<string, NetworkEndpointRecord>;
  /** The last address handed out (round-robin allocation). */
  cursor?: string;
}

/** What a container needs to know of one of its endpoints. */
export interface JoinedEndpoint {
  networkId: string;
  networkName: string;
  driver: NetworkDriverName;
  endpointId: string;
  ifName: string;
  ip: string;
  prefixLen: number;
  gateway: string;
  mac: string;
  aliases: string[];
  static: boolean;
  /** The network's DNS server (the gateway): container names on user-defined networks, the host's resolvers behind it. */
  nameServer?: string;
  /** Whether the DNS server answers container names (not on the default bridge, as with docker). */
  resolvesNames: boolean;
}

/** A port to publish as the container asked for it (before ephemeral ports are chosen). */
export interface PortRequest {
  protocol: 'tcp' | 'udp';
  hostIp: string;
  /** 0: an ephemeral port; `[from, to]`: any free one of the range. */
  hostPort: number | [number, number];
  containerPort: number;
}

/** What `up` made: the sandbox path and the published ports. */
export interface SandboxState {
  sandbox: string;
  ports: PortMapping[];
}

/** Options of `NetworkEngine`. */
export interface NetworkEngineOptions {
  store: StateStore<NetworkRecord>;
  driver: NetworkDriver;
  names: NameServer;
  /** The host's IPv4 routes (not the default route): subnets that overlap them are not picked. */
  hostRoutes: () => Promise<Cidr[]>;
  events: EventSink;
  logger: Logger;
}

/** What the container engine offers the network engine for `network connect/disconnect`. */
export interface ContainerNetworking {
  connectContainer(container: string, network: string, request: EndpointRequest): Promise<void>;
  disconnectContainer(container: string, network: string, options: { force?: boolean }): Promise<void>;
}

const DEFAULT_BRIDGE_DEVICE = 'janus0';
const OPT_BRIDGE_NAME = 'com.docker.network.bridge.name';
const OPT_ICC = 'com.docker.network.bridge.enable_icc';
const OPT_MASQ = 'com.docker.network.bridge.enable_ip_masquerade';
const OPT_MTU = 'com.docker.network.driver.mtu';
const KNOWN_OPTIONS = new Set([OPT_BRIDGE_NAME, OPT_ICC, OPT_MASQ, OPT_MTU, 'com.docker.network.bridge.default_bridge', 'com.docker.network.bridge.host_binding_ipv4']);
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * Docker's networks over a NetworkDriver: the predefined `bridge`, `host`
 * and `none`, and user-defined bridge networks with IPAM, DNS names and
 * published ports. The only writer of network records; addresses are
 * allocated under the network's lock and durable before they are used, so
 * none is handed out twice, across restarts too. The container engine
 * joins containers to networks at create (`join`), plugs them in at start
 * (`up`) and out at exit (`down`), and lets go at removal (`leaveAll`).
 */
export class NetworkEngine implements NetworkService {
  readonly #o: NetworkEngineOptions;
  readonly #log: Logger;
  readonly #records = new Map<string, NetworkRecord>();
  readonly #locks = new KeyedMutex();
  /** Containers whose sandbox is up, with the path and what was published. */
  readonly #up = new Map<string, SandboxState>();
  /** Networks whose host side was ensured since the daemon started. */
  readonly #ensured = new Set<string>();
  #containers: ContainerNetworking | undefined;

  constructor(options: NetworkEngineOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'networks' });
  }

  /** Loads the networks and creates the predefined ones on first start. Call once, before anything else. */
  async init(): Promise<void> {
    for (const rec of await this.#o.store.list()) this.#records.set(rec.id, rec);
    const byName = (n: string) => [...this.#records.values()].find((r) => r.name === n);
    if (!byName('none')) await this.#put(this.#newRecord('none', 'null', { builtin: true }));
    if (!byName('host')) await this.#put(this.#newRecord('host', 'host', { builtin: true }));
    if (!byName('bridge')) {
      const taken = [...(await this.#o.hostRoutes()), ...this.#subnets()];
      const subnet = pickSubnet(taken);
      const rec = this.#newRecord('bridge', 'bridge', { builtin: true });
      rec.options = { 'com.docker.network.bridge.default_bridge': 'true', [OPT_BRIDGE_NAME]: DEFAULT_BRIDGE_DEVICE, [OPT_ICC]: 'true', [OPT_MASQ]: 'true', [OPT_MTU]: '1500' };
      rec.bridge = { device: DEFAULT_BRIDGE_DEVICE, subnet: formatCidr(subnet), gateway: formatIPv4(defaultGateway(subnet)), icc: true, masquerade: true, mtu: 1500, dns: true };
      await this.#put(rec);
    }
  }

  /** Late binding of the container engine (it needs this engine first). */
  bindContainers(containers: ContainerNetworking): void {
    this.#containers = containers;
  }

  /**
   * Removes host objects (bridges, rules, sandboxes) that no network or
   * running container owns. Call after the container engine re-adopted its
   * containers; `running` are their IDs.
   */
  async removeLeftovers(running: string[]): Promise<void> {
    try {
      const found = await this.#o.driver.leftovers({ networks: [...this.#records.keys()], containers: running });
      if (found.bridges.length > 0 || found.sandboxes.length > 0) {
        this.#log.info('removing network leftovers', { bridges: found.bridges, sandboxes: found.sandboxes });
        await this.#o.driver.removeLeftovers(found);
      }
    } catch (err) {
      this.#log.warn('cannot remove network leftovers', { error: err });
    }
  }

  // ------------------------------------------------------------ NetworkService

  async create(name: string, request: NetworkCreateRequest = {}): Promise<{ id: string; warning?: string }> {
    if (!name) throw invalidArgument('a network name is required');
    if (!NAME.test(name)) throw invalidArgument(`invalid network name ${JSON.stringify(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const driver = request.driver || 'bridge';
    if (driver === 'host' || driver === 'null') throw new JanusError('Forbidden', `only one instance of "${driver}" network is allowed`);
    if (driver !== 'bridge') throw notImplemented(`network driver ${JSON.stringify(driver)} is not supported: Janus offers bridge networks (and the predefined host and none)`);
    if (request.enableIPv6) throw notImplemented('IPv6 networks are not supported: Janus networks are IPv4 only');
    if (request.ipam?.driver && request.ipam.driver !== 'default') throw notImplemented(`IPAM driver ${JSON.stringify(request.ipam.driver)} is not supported: only "default"`);
    const options = request.options ?? {};
    for (const k of Object.keys(options)) {
      if (!KNOWN_OPTIONS.has(k)) throw invalidArgument(`unknown bridge network option ${JSON.stringify(k)}`);
    }
    const configs = request.ipam?.config ?? [];
    if (configs.length > 1) throw notImplemented('a network with several subnets is not supported: give one --subnet');
    return this.#locks.run('networks', async () => {
      if ([...this.#records.values()].some((r) => r.name === name)) throw conflict(`network with name ${name} already exists`);
      const cfg = configs[0] ?? {};
      const others = this.#subnets();
      let subnet: Cidr;
      if (cfg.subnet) {
        subnet = parseCidr(cfg.subnet);
        const clash = [...this.#records.values()].find((r) => r.bridge && overlaps(parseCidr(r.bridge.subnet), subnet));
        if (clash) throw conflict(`invalid pool request: Pool overlaps with other one on this address space: ${cfg.subnet} overlaps network ${clash.name} (${clash.bridge!.subnet})`);
      } else {
        if (cfg.gateway || cfg.ipRange) throw invalidArgument('--gateway and --ip-range need --subnet');
        subnet = pickSubnet([...(await this.#o.hostRoutes()), ...others]);
      }
      let gateway: number;
      if (cfg.gateway) {
        gateway = parseIPv4(cfg.gateway, 'gateway');
        if (!contains(subnet, gateway)) throw invalidArgument(`invalid gateway ${cfg.gateway}: it is not in subnet ${formatCidr(subnet)}`);
      } else {
        gateway = defaultGateway(subnet);
      }
      let ipRange: string | undefined;
      if (cfg.ipRange) {
        const range = parseCidr(cfg.ipRange, 'ip-range');
        if (range.prefix < subnet.prefix || !contains(subnet, range.base)) throw invalidArgument(`invalid ip-range ${cfg.ipRange}: it is not inside subnet ${formatCidr(subnet)}`);
        ipRange = formatCidr(range);
      }
      const bool = (k: string, dflt: boolean) => {
        const v = options[k];
        if (v === undefined) return dflt;
        if (v !== 'true' && v !== 'false') throw invalidArgument(`option ${k}: want true or false, got ${JSON.stringify(v)}`);
        return v === 'true';
      };
      const mtu = options[OPT_MTU] !== undefined ? Number(options[OPT_MTU]) : 1500;
      if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw invalidArgument(`option ${OPT_MTU}: invalid MTU ${JSON.stringify(options[OPT_MTU])}`);
      const rec = this.#newRecord(name, 'bridge', { builtin: false });
      const device = options[OPT_BRIDGE_NAME] ?? `jbr-${rec.id.slice(0, 10)}`;
      if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(device)) throw invalidArgument(`option ${OPT_BRIDGE_NAME}: invalid interface name ${JSON.stringify(device)} (1 to 15 of [a-zA-Z0-9_.-])`);
      if ([...this.#records.values()].some((r) => r.bridge?.device === device)) throw conflict(`bridge device ${device} is already used by another network`);
      rec.internal = !!request.internal;
      rec.attachable = !!request.attachable;
      rec.labels = request.labels ?? {};
      rec.options = options;
      rec.ipamOptions = request.ipam?.options ?? {};
      rec.bridge = { device, subnet: formatCidr(subnet), gateway: formatIPv4(gateway), ...(ipRange ? { ipRange } : {}), icc: bool(OPT_ICC, true), masquerade: bool(OPT_MASQ, true), mtu, dns: true };
      // The host side is made now, so a bad subnet or name fails create rather than the first start.
      await this.#o.driver.ensure(this.#spec(rec));
      try {
        await this.#put(rec);
      } catch (err) {
        await this.#o.driver.destroy(this.#spec(rec)).catch(() => {});
        throw err;
      }
      this.#ensured.add(rec.id);
      await this.#serveNames(rec);
      this.#event(rec, 'create');
      return { id: rec.id };
    });
  }

  async inspect(ref: string): Promise<NetworkView> {
    return this.#view(this.resolve(ref));
  }

  async list(options: { filters?: NetworkFilters } = {}): Promise<NetworkView[]> {
    const f = options.filters ?? {};
    return [...this.#records.values()]
      .filter((r) => matches(r, f))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((r) => this.#view(r));
  }

  async remove(ref: string): Promise<void> {
    const rec = this.resolve(ref);
    if (rec.builtin) throw new JanusError('Forbidden', `${rec.name} is a pre-defined network and cannot be removed`);
    await this.#locks.run('networks', () => this.#locks.run(rec.id, async () => {
      const users = Object.values(rec.endpoints);
      if (users.length > 0) {
        throw conflict(`error while removing network: network ${rec.name} id ${rec.id} has active endpoints (${users.map((e) => e.containerName).join(', ')})`);
      }
      await this.#o.names.stop(rec.id);
      await this.#o.driver.destroy(this.#spec(rec));
      await this.#o.store.delete(rec.id);
      this.#records.delete(rec.id);
      this.#ensured.delete(rec.id);
      this.#event(rec, 'destroy');
    }));
  }

  async prune(options: { filters?: NetworkFilters } = {}): Promise<{ deleted: string[] }> {
    const deleted: string[] = [];
    for (const rec of [...this.#records.values()]) {
      if (rec.builtin || Object.keys(rec.endpoints).length > 0) continue;
      if (!matches(rec, { ...options.filters, dangling: undefined })) continue;
      try {
        await this.remove(rec.id);
        deleted.push(rec.name);
      } catch (err) {
        if (!isJanusError(err, 'Conflict') && !isJanusError(err, 'NotFound')) throw err;
      }
    }
    return { deleted };
  }

  async connect(ref: string, container: string, request: EndpointRequest = {}): Promise<void> {
    const rec = this.resolve(ref);
    await this.#containersOrFail().connectContainer(container, rec.id, request);
  }

  async disconnect(ref: string, container: string, options: { force?: boolean } = {}): Promise<void> {
    const rec = this.resolve(ref);
    await this.#containersOrFail().disconnectContainer(container, rec.id, options);
  }

  // ------------------------------------------------------------ for the container engine

  /** The network named or identified by `ref` (full ID, unique ID prefix, or name). NotFound otherwise. */
  resolve(ref: string): NetworkRecord {
    const byId = this.#records.get(ref);
    if (byId) return byId;
    for (const r of this.#records.values()) if (r.name === ref) return r;
    const prefixed = ref.length >= 1 ? [...this.#records.values()].filter((r) => r.id.startsWith(ref)) : [];
    if (prefixed.length === 1) return prefixed[0]!;
    if (prefixed.length > 1) throw invalidArgument(`network ${ref} is ambiguous (${prefixed.length} matches found based on ID prefix)`);
    throw notFound(`network ${ref} not found`);
  }

  /**
   * Gives a container an address on a bridge network (durable before it
   * returns). Conflict when it is already joined or `--ip` is taken;
   * InvalidArgument when `--ip` is outside the subnet or the network is not
   * a bridge network (host and none are modes, not joinable networks).
   */
  async join(networkRef: string, container: { id: string; name: string }, request: EndpointRequest & { ifIndex: number }): Promise<JoinedEndpoint> {
    const rec = this.resolve(networkRef);
    if (!rec.bridge) throw invalidArgument(`container cannot be connected to network ${rec.name}: it is the ${rec.name} mode, use --network ${rec.name} alone`);
    const b = rec.bridge;
    return this.#locks.run(rec.id, async () => {
      if (rec.endpoints[container.id]) throw conflict(`endpoint with name ${container.name} already exists in network ${rec.name}`);
      const subnet = parseCidr(b.subnet);
      const gateway = parseIPv4(b.gateway);
      const used = new Set(Object.values(rec.endpoints).map((e) => parseIPv4(e.ip)));
      let ip: number;
      if (request.ipv4Address) {
        if (rec.builtin) throw invalidArgument('user specified IP address is supported on user defined networks only');
        ip = parseIPv4(request.ipv4Address, '--ip');
        if (!contains(subnet, ip)) throw invalidArgument(`invalid --ip ${request.ipv4Address}: it is not in network ${rec.name}'s subnet ${b.subnet}`);
        if (ip === gateway || ip === subnet.base) throw invalidArgument(`invalid --ip ${request.ipv4Address}: it is network ${rec.name}'s ${ip === gateway ? 'gateway' : 'network address'}`);
        const holder = Object.values(rec.endpoints).find((e) => e.ip === request.ipv4Address);
        if (holder) throw conflict(`Address already in use: ${request.ipv4Address} is held by container ${holder.containerName} on network ${rec.name}`);
      } else {
        const next = nextFreeAddress(subnet, {
          ...(b.ipRange ? { range: parseCidr(b.ipRange) } : {}),
          gateway,
          used,
          ...(rec.cursor ? { cursor: parseIPv4(rec.cursor) } : {}),
        });
        if (next === undefined) throw conflict(`no available IPv4 addresses on network ${rec.name} (${b.ipRange ?? b.subnet})`);
        ip = next;
        rec.cursor = formatIPv4(ip);
      }
      if (request.aliases?.length && rec.builtin) throw invalidArgument('network-scoped aliases are supported only for user-defined networks');
      const ep: NetworkEndpointRecord = {
        endpointId: randomBytes(32).toString('hex'),
        containerName: container.name,
        ifIndex: request.ifIndex,
        ip: formatIPv4(ip),
        mac: macFor(ip),
        aliases: request.aliases ?? [],
        static: !!request.ipv4Address,
      };
      rec.endpoints[container.id] = ep;
      await this.#put(rec);
      return this.#joined(rec, ep);
    });
  }

  /** Lets go of a container's address on a network (after `down`, or for a stopped container). Absent is fine. */
  async leave(networkId: string, containerId: string): Promise<void> {
    const rec = this.#records.get(networkId);
    if (!rec?.endpoints[containerId]) return;
    await this.#locks.run(rec.id, async () => {
      delete rec.endpoints[containerId];
      await this.#put(rec);
      this.#refreshNames(rec);
    });
    for (const ep of this.endpointsOf(containerId)) this.#refreshNames(this.#records.get(ep.networkId)!);
    this.#event(rec, 'disconnect', { container: containerId });
  }

  /** The container's endpoints, in interface order. */
  endpointsOf(containerId: string): JoinedEndpoint[] {
    const out: JoinedEndpoint[] = [];
    for (const rec of this.#records.values()) {
      const ep = rec.endpoints[containerId];
      if (ep) out.push(this.#joined(rec, ep));
    }
    return out.sort((a, b) => Number(a.ifName.slice(3)) - Number(b.ifName.slice(3)));
  }

  /**
   * The container's endpoints as inspect shows them: its bridge endpoints,
   * or for the `host` and `none` modes the predefined network's entry
   * (no address), so its NetworkID matches `network ls`.
   */
  viewEndpoints(containerId: string, networkMode: string): JoinedEndpoint[] {
    const joined = this.endpointsOf(containerId);
    if (joined.length > 0 || (networkMode !== 'host' && networkMode !== 'none')) return joined;
    const rec = [...this.#records.values()].find((r) => r.builtin && r.name === networkMode);
    if (!rec) return [];
    return [{ networkId: rec.id, networkName: rec.name, driver: rec.driver, endpointId: '', ifName: '', ip: '', prefixLen: 0, gateway: '', mac: '', aliases: [], static: false, resolvesNames: false }];
  }

  /** The sandbox of a running container, if up. */
  sandboxOf(containerId: string): SandboxState | undefined {
    return this.#up.get(containerId);
  }

  /**
   * Brings a container's networking up before its task starts: the sandbox
   * (network namespace), one interface per joined network in join order
   * (the first carries the default route), the published ports, and its
   * names in the networks' DNS. Idempotent: a restarted daemon calls it
   * again for the containers it re-adopts (the ports' reservations are
   * taken again). On failure everything it made is undone.
   */
  async up(containerId: string, ports: PortRequest[], options: { signal?: AbortSignal } = {}): Promise<SandboxState> {
    const endpoints = this.endpointsOf(containerId);
    // docker: the default route goes through the first network that has one (internal networks have none),
    // and ports are published on it; a container only on internal networks publishes nothing.
    const routed = endpoints.find((ep) => !this.#records.get(ep.networkId)!.internal);
    const sandbox = await this.#o.driver.createSandbox(containerId, options);
    try {
      for (const ep of endpoints) {
        const rec = this.#records.get(ep.networkId)!;
        await this.#ensure(rec);
        await this.#o.driver.connect(this.#spec(rec), sandbox, this.#endpointSpec(containerId, ep, ep === routed), options);
      }
      const published = routed ? await this.#publish(containerId, routed, ports, options) : [];
      const state: SandboxState = { sandbox, ports: published };
      this.#up.set(containerId, state);
      for (const ep of endpoints) {
        const rec = this.#records.get(ep.networkId)!;
        this.#refreshNames(rec);
        this.#event(rec, 'connect', { container: containerId });
      }
      return state;
    } catch (err) {
      await this.down(containerId).catch(() => {});
      throw err;
    }
  }

  /** Undoes `up` (ports, interfaces, sandbox, DNS names). Idempotent; never throws for what is already gone. */
  async down(containerId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const sandbox = this.#up.get(containerId)?.sandbox ?? '';
    this.#up.delete(containerId);
    const endpoints = this.endpointsOf(containerId);
    for (const ep of endpoints) this.#refreshNames(this.#records.get(ep.networkId)!);
    await this.#o.driver.unpublish(containerId, options);
    // The host end of each veth is found by name; the sandbox path may be gone already (a daemon restart).
    for (const ep of endpoints) {
      const rec = this.#records.get(ep.networkId)!;
      await this.#o.driver.disconnect(this.#spec(rec), sandbox, this.#endpointSpec(containerId, ep, false), options);
    }
    await this.#o.driver.removeSandbox(containerId, options);
  }

  /** Plugs a running container into one more network (`network connect`). */
  async hotplug(containerId: string, networkId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const state = this.#up.get(containerId);
    if (!state) return;
    const rec = this.#records.get(networkId)!;
    const ep = this.endpointsOf(containerId).find((e) => e.networkId === networkId);
    if (!ep) return;
    await this.#ensure(rec);
    await this.#o.driver.connect(this.#spec(rec), state.sandbox, this.#endpointSpec(containerId, ep, false), options);
    for (const e of this.endpointsOf(containerId)) this.#refreshNames(this.#records.get(e.networkId)!);
    this.#event(rec, 'connect', { container: containerId });
  }

  /** Unplugs a running container from a network (`network disconnect`); then call `leave`. */
  async unplug(containerId: string, networkId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const state = this.#up.get(containerId);
    const rec = this.#records.get(networkId);
    const ep = this.endpointsOf(containerId).find((e) => e.networkId === networkId);
    if (!state || !rec || !ep) return;
    await this.#o.driver.disconnect(this.#spec(rec), state.sandbox, this.#endpointSpec(containerId, ep, false), options);
  }

  /** Stops the DNS listeners; for daemon shutdown. Host objects stay so containers keep their network. */
  async close(): Promise<void> {
    await this.#o.names.close();
  }

  // ------------------------------------------------------------ internals

  async #publish(containerId: string, primary: JoinedEndpoint | undefined, ports: PortRequest[], options: { signal?: AbortSignal }): Promise<PortMapping[]> {
    if (ports.length === 0) {
      await this.#o.driver.unpublish(containerId, options);
      return [];
    }
    if (!primary) throw invalidArgument('publishing ports needs a bridge network');
    const chosen: PortMapping[] = [];
    const fixed = ports.filter((p) => typeof p.hostPort === 'number' && p.hostPort !== 0);
    for (const p of fixed) chosen.push({ protocol: p.protocol, hostIp: p.hostIp, hostPort: p.hostPort as number, containerIp: primary.ip, containerPort: p.containerPort });
    for (const p of ports) {
      if (p.hostPort === 0) {
        chosen.push({ protocol: p.protocol, hostIp: p.hostIp, hostPort: await this.#o.driver.freePort(p.protocol, p.hostIp), containerIp: primary.ip, containerPort: p.containerPort });
      }
    }
    const ranged = ports.filter((p) => Array.isArray(p.hostPort));
    if (ranged.length === 0) {
      await this.#o.driver.publish(containerId, chosen, options);
      return chosen;
    }
    // A host range for one container port: the first port of the range that can be bound.
    for (const p of ranged) {
      const [from, to] = p.hostPort as [number, number];
      let last: unknown;
      let done = false;
      for (let port = from; port <= to && !done; port++) {
        const attempt = [...chosen, { protocol: p.protocol, hostIp: p.hostIp, hostPort: port, containerIp: primary.ip, containerPort: p.containerPort }];
        try {
          await this.#o.driver.publish(containerId, attempt, options);
          chosen.push(attempt.at(-1)!);
          done = true;
        } catch (err) {
          if (!isJanusError(err, 'Conflict')) throw err;
          last = err;
        }
      }
      if (!done) throw last ?? conflict(`no free host port in ${from}-${to}`);
    }
    return chosen;
  }

  async #ensure(rec: NetworkRecord): Promise<void> {
    if (this.#ensured.has(rec.id)) return;
    await this.#o.driver.ensure(this.#spec(rec));
    this.#ensured.add(rec.id);
    await this.#serveNames(rec);
  }

  async #serveNames(rec: NetworkRecord): Promise<void> {
    if (!rec.bridge?.dns) return;
    try {
      await this.#o.names.serve(rec.id, rec.bridge.gateway);
      this.#refreshNames(rec);
    } catch (err) {
      this.#log.error('the DNS server of a network cannot start: names will not resolve there', { network: rec.name, error: err });
    }
  }

  /** The names of the network's running containers: name, short ID, aliases. */
  #refreshNames(rec: NetworkRecord): void {
    if (!rec.bridge?.dns) return;
    const names = new Map<string, string[]>();
    const add = (n: string, ip: string) => {
      const k = n.toLowerCase();
      const list = names.get(k) ?? [];
      if (!list.includes(ip)) list.push(ip);
      names.set(k, list);
    };
    for (const [cid, ep] of Object.entries(rec.endpoints)) {
      // docker's default bridge resolves no container names: its server only forwards.
      if (!this.#up.has(cid) || rec.builtin) continue;
      add(ep.containerName, ep.ip);
      add(cid.slice(0, 12), ep.ip);
      for (const a of ep.aliases) add(a, ep.ip);
    }
    this.#o.names.setNames(rec.id, names);
    // Containers also on other networks resolve those networks' names through this server too.
    const peers = new Map<string, string[]>();
    for (const [cid, ep] of Object.entries(rec.endpoints)) {
      const others = [...this.#records.values()].filter((r) => r.id !== rec.id && r.endpoints[cid] && r.bridge?.dns && !r.builtin).map((r) => r.id);
      if (others.length > 0) peers.set(ep.ip, others);
    }
    this.#o.names.setPeers(rec.id, peers);
  }

  /** Call when a container is renamed: its DNS name follows. */
  async renamed(containerId: string, name: string): Promise<void> {
    for (const rec of this.#records.values()) {
      const ep = rec.endpoints[containerId];
      if (!ep) continue;
      await this.#locks.run(rec.id, async () => {
        ep.containerName = name;
        await this.#put(rec);
      });
      this.#refreshNames(rec);
    }
  }

  #containersOrFail(): ContainerNetworking {
    if (!this.#containers) throw new JanusError('Unavailable', 'containers are not available yet');
    return this.#containers;
  }

  #joined(rec: NetworkRecord, ep: NetworkEndpointRecord): JoinedEndpoint {
    const b = rec.bridge!;
    return {
      networkId: rec.id,
      networkName: rec.name,
      driver: rec.driver,
      endpointId: ep.endpointId,
      ifName: `eth${ep.ifIndex}`,
      ip: ep.ip,
      prefixLen: parseCidr(b.subnet).prefix,
      gateway: b.gateway,
      mac: ep.mac,
      aliases: ep.aliases,
      static: ep.static,
      ...(b.dns ? { nameServer: b.gateway } : {}),
      resolvesNames: b.dns && !rec.builtin,
    };
  }

  #endpointSpec(containerId: string, ep: JoinedEndpoint, defaultRoute: boolean): EndpointSpec {
    return { containerId, ifName: ep.ifName, ip: ep.ip, mac: ep.mac, defaultRoute };
  }

  #spec(rec: NetworkRecord): BridgeNetworkSpec {
    const b = rec.bridge!;
    return { id: rec.id, bridge: b.device, subnet: b.subnet, gateway: b.gateway, internal: rec.internal, icc: b.icc, masquerade: b.masquerade, mtu: b.mtu };
  }

  #subnets(): Cidr[] {
    return [...this.#records.values()].flatMap((r) => (r.bridge ? [parseCidr(r.bridge.subnet)] : []));
  }

  #newRecord(name: string, driver: NetworkDriverName, extra: { builtin: boolean }): NetworkRecord {
    // The predefined networks get IDs derived from their names, so every daemon root agrees on them.
    const id = extra.builtin ? createHash('sha256').update(`janus-network:${name}`).digest('hex') : randomBytes(32).toString('hex');
    return { id, name, driver, created: new Date().toISOString(), builtin: extra.builtin, internal: false, attachable: false, labels: {}, options: {}, ipamOptions: {}, endpoints: {} };
  }

  async #put(rec: NetworkRecord): Promise<void> {
    await this.#o.store.put(rec.id, rec);
    this.#records.set(rec.id, rec);
  }

  #view(rec: NetworkRecord): NetworkView {
    const containers: Record<string, NetworkEndpointView> = {};
    if (rec.bridge) {
      const prefix = parseCidr(rec.bridge.subnet).prefix;
      for (const [cid, ep] of Object.entries(rec.endpoints)) {
        if (!this.#up.has(cid)) continue;
        containers[cid] = { containerId: cid, name: ep.containerName, endpointId: ep.endpointId, macAddress: ep.mac, ipv4Address: `${ep.ip}/${prefix}` };
      }
    }
    const config: IpamConfig[] = rec.bridge ? [{ subnet: rec.bridge.subnet, gateway: rec.bridge.gateway, ...(rec.bridge.ipRange ? { ipRange: rec.bridge.ipRange } : {}) }] : [];
    return {
      id: rec.id,
      name: rec.name,
      driver: rec.driver,
      scope: 'local',
      created: new Date(rec.created),
      internal: rec.internal,
      attachable: rec.attachable,
      builtin: rec.builtin,
      ipam: { driver: 'default', config, options: rec.ipamOptions },
      options: rec.options,
      labels: rec.labels,
      containers,
    };
  }

  #event(rec: NetworkRecord, action: string, extra: Record<string, string> = {}): void {
    this.#o.events.publish({ type: 'network', action, id: rec.id, attributes: { name: rec.name, type: rec.driver, ...extra } });
  }
}

function matches(r: NetworkRecord, f: NetworkFilters): boolean {
  if (f.driver?.length && !f.driver.includes(r.driver)) return false;
  if (f.id?.length && !f.id.some((p) => r.id.startsWith(p))) return false;
  if (f.name?.length && !f.name.some((n) => r.name.includes(n))) return false;
  if (f.type?.length && !f.type.includes(r.builtin ? 'builtin' : 'custom')) return false;
  if (f.label?.length) {
    for (const l of f.label) {
      const eq = l.indexOf('=');
      const k = eq < 0 ? l : l.slice(0, eq);
      if (!(k in r.labels)) return false;
      if (eq >= 0 && r.labels[k] !== l.slice(eq + 1)) return false;
    }
  }
  if (f.dangling !== undefined) {
    const dangling = !r.builtin && Object.keys(r.endpoints).length === 0;
    if (dangling !== f.dangling) return false;
  }
  if (f.until && new Date(r.created) >= f.until) return false;
  return true;
}
