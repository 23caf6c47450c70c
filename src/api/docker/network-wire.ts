import { isIP } from 'node:net';
import { invalidArgument, notImplemented } from '../../core/errors.ts';
import type { EndpointRequest, IpamConfig, NetworkCreateRequest, NetworkFilters, NetworkView } from '../../engine/network-service.ts';
import { parseTimestamp } from './timestamps.ts';
import { formatRfc3339Nano } from './time-format.ts';
import { WireObject } from './wire-object.ts';

/*
 * Docker's network JSON ⇄ the engine's network types: the bodies of
 * `POST /networks/create`, `/connect` and `/disconnect`, the `filters` of
 * list and prune, the Network object of list and inspect, and the
 * EndpointSettings a container create request carries per network. Pure.
 */

/**
 * Docker's Network object (API 1.50's `network.Inspect`). `Containers`
 * lists the running containers' endpoints for inspect; docker's list
 * leaves it empty.
 */
export function networkWire(v: NetworkView, options: { containers: boolean }): Record<string, unknown> {
  const containers: Record<string, unknown> = {};
  if (options.containers) {
    for (const [id, e] of Object.entries(v.containers)) {
      containers[id] = { Name: e.name, EndpointID: e.endpointId, MacAddress: e.macAddress, IPv4Address: e.ipv4Address, IPv6Address: '' };
    }
  }
  return {
    Name: v.name,
    Id: v.id,
    Created: formatRfc3339Nano(v.created),
    Scope: v.scope,
    Driver: v.driver,
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: {
      Driver: v.ipam.driver,
      Options: Object.keys(v.ipam.options).length > 0 ? v.ipam.options : null,
      Config: v.ipam.config.map(ipamConfigWire),
    },
    Internal: v.internal,
    Attachable: v.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: v.options,
    Labels: v.labels,
  };
}

function ipamConfigWire(c: IpamConfig): Record<string, string> {
  return { Subnet: c.subnet, ...(c.ipRange ? { IPRange: c.ipRange } : {}), Gateway: c.gateway };
}

/**
 * The body of `POST /networks/create` (docker's NetworkCreateRequest):
 * the name and the engine's request. Swarm-only settings (`Scope` other
 * than local, `Ingress`, `ConfigOnly`, `ConfigFrom`), auxiliary addresses
 * and IPv4 turned off are NotImplemented naming the field; a misspelt
 * field is InvalidArgument. `CheckDuplicate` is accepted and ignored: the
 * engine always refuses a second network of one name, as docker 25+ does.
 */
export function parseNetworkCreate(body: unknown): { name: string; request: NetworkCreateRequest } {
  if (body === undefined) throw invalidArgument('invalid JSON: got EOF while reading request body');
  const b = WireObject.from(body, '');
  if (!b) throw invalidArgument('the body of POST /networks/create must be a JSON object');
  const name = b.string('Name') ?? '';
  if (name.trim() === '') throw invalidArgument('network name is required');
  b.bool('CheckDuplicate');
  const request: NetworkCreateRequest = {};
  const driver = b.string('Driver');
  if (driver) request.driver = driver;
  const scope = b.string('Scope') ?? '';
  if (scope !== '' && scope !== 'local') throw notImplemented(`Scope ${JSON.stringify(scope)} is not supported: Janus networks are local (no swarm)`);
  if (b.bool('Internal')) request.internal = true;
  if (b.bool('Attachable')) request.attachable = true;
  b.unsupported('Ingress', 'ingress networks belong to swarm mode, which Janus does not offer');
  b.unsupported('ConfigOnly', 'configuration-only networks belong to swarm mode, which Janus does not offer');
  const configFrom = b.object('ConfigFrom');
  if (configFrom) {
    configFrom.unsupported('Network', 'configuration-only networks belong to swarm mode, which Janus does not offer');
    configFrom.rejectUnknown();
  }
  if (b.bool('EnableIPv4') === false) throw notImplemented('EnableIPv4 false is not supported: Janus networks are IPv4 networks');
  const ipv6 = b.bool('EnableIPv6');
  if (ipv6 !== undefined) request.enableIPv6 = ipv6;
  const labels = b.stringMap('Labels');
  if (labels && Object.keys(labels).length > 0) request.labels = labels;
  const opts = b.stringMap('Options');
  if (opts && Object.keys(opts).length > 0) request.options = opts;
  const ipam = b.object('IPAM');
  if (ipam) {
    const out: NonNullable<NetworkCreateRequest['ipam']> = {};
    const ipamDriver = ipam.string('Driver');
    if (ipamDriver) out.driver = ipamDriver;
    const ipamOptions = ipam.stringMap('Options');
    if (ipamOptions && Object.keys(ipamOptions).length > 0) out.options = ipamOptions;
    const config = ipam.array('Config');
    if (config && config.length > 0) {
      out.config = config.map((c, i) => {
        const w = WireObject.from(c, `IPAM.Config[${i}]`);
        if (!w) throw invalidArgument(`invalid IPAM.Config[${i}]: want {Subnet, IPRange, Gateway}`);
        const entry: Partial<IpamConfig> = {};
        const subnet = w.string('Subnet');
        if (subnet) entry.subnet = subnet;
        const ipRange = w.string('IPRange');
        if (ipRange) entry.ipRange = ipRange;
        const gateway = w.string('Gateway');
        if (gateway) entry.gateway = gateway;
        w.unsupported('AuxiliaryAddresses', 'auxiliary addresses are not offered');
        w.rejectUnknown();
        return entry;
      });
    }
    ipam.rejectUnknown();
    request.ipam = out;
  }
  b.rejectUnknown();
  return { name, request };
}

/**
 * Docker's EndpointSettings (`NetworkingConfig.EndpointsConfig` values of
 * a create request, `EndpointConfig` of connect) as the engine's endpoint
 * request: `Aliases` and `IPAMConfig.IPv4Address`. What Janus cannot honour
 * (IPv6 and link-local addresses, a MAC address, links, driver options, a
 * gateway priority) is NotImplemented naming the field; the operational
 * fields clients echo back from inspect are ignored.
 */
export function parseEndpointSettings(ep: WireObject): EndpointRequest {
  const out: EndpointRequest = {};
  const aliases = ep.strings('Aliases');
  if (aliases && aliases.length > 0) out.aliases = aliases;
  const ipam = ep.object('IPAMConfig');
  if (ipam) {
    const v4 = ipam.string('IPv4Address');
    if (v4) {
      if (isIP(v4) !== 4) throw invalidArgument(`invalid ${ipam.field('IPv4Address')}: ${JSON.stringify(v4)} is not an IPv4 address`);
      out.ipv4Address = v4;
    }
    ipam.unsupported('IPv6Address', 'Janus networks are IPv4 networks');
    ipam.unsupported('LinkLocalIPs', 'link-local addresses are not offered');
    ipam.rejectUnknown();
  }
  ep.unsupported('Links', 'legacy container links are not offered; use the network\'s names');
  ep.unsupported('MacAddress', 'the MAC address is derived from the IP address');
  ep.unsupported('DriverOpts', 'endpoint driver options are not offered');
  ep.unsupported('GwPriority', 'the first network joined carries the default route');
  // Operational fields (and DNSNames, which the daemon computes) a client may echo back from inspect.
  ep.ignore('NetworkID', 'EndpointID', 'Gateway', 'IPAddress', 'IPPrefixLen', 'IPv6Gateway', 'GlobalIPv6Address', 'GlobalIPv6PrefixLen', 'DNSNames');
  ep.rejectUnknown();
  return out;
}

/** The body of `POST /networks/{id}/connect`: the container and its endpoint settings. */
export function parseNetworkConnect(body: unknown): { container: string; request: EndpointRequest } {
  const b = WireObject.from(body, '');
  if (!b) throw invalidArgument('the body of POST /networks/{id}/connect must be a JSON object with Container');
  const container = b.string('Container') ?? '';
  if (container === '') throw invalidArgument('Container is required in the body of POST /networks/{id}/connect');
  const ep = b.object('EndpointConfig');
  const request = ep ? parseEndpointSettings(ep) : {};
  b.rejectUnknown();
  return { container, request };
}

/** The body of `POST /networks/{id}/disconnect`: the container and `Force`. */
export function parseNetworkDisconnect(body: unknown): { container: string; force: boolean } {
  const b = WireObject.from(body, '');
  if (!b) throw invalidArgument('the body of POST /networks/{id}/disconnect must be a JSON object with Container');
  const container = b.string('Container') ?? '';
  if (container === '') throw invalidArgument('Container is required in the body of POST /networks/{id}/disconnect');
  const force = b.bool('Force') ?? false;
  b.rejectUnknown();
  return { container, force };
}

/** The filters `GET /networks` takes. */
export const NETWORK_LIST_FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'] as const;
/** The filters `POST /networks/prune` takes. */
export const NETWORK_PRUNE_FILTERS = ['label', 'until'] as const;

/**
 * Parsed `filters` as the engine's NetworkFilters, plus `scope` (which
 * the route applies: every Janus network is `local`). Bad values are
 * InvalidArgument in docker's words.
 */
export function networkFilters(f: Map<string, string[]>, now: number = Date.now()): { filters: NetworkFilters; scope?: string[] } {
  const filters: NetworkFilters = {};
  for (const key of ['driver', 'id', 'label', 'name'] as const) {
    const v = f.get(key);
    if (v && v.length > 0) filters[key] = v;
  }
  const type = f.get('type');
  if (type && type.length > 0) {
    for (const t of type) if (t !== 'custom' && t !== 'builtin') throw invalidArgument(`invalid filter: 'type'='${t}'`);
    filters.type = type;
  }
  const dangling = f.get('dangling');
  if (dangling && dangling.length > 0) {
    const v = dangling[dangling.length - 1].toLowerCase();
    if (!['true', 'false', '1', '0'].includes(v)) throw invalidArgument(`invalid filter 'dangling=${dangling[dangling.length - 1]}'`);
    filters.dangling = v === 'true' || v === '1';
  }
  const until = f.get('until');
  if (until && until.length > 1) throw invalidArgument("filter 'until' takes one value");
  if (until && until.length === 1) filters.until = new Date(Number(parseTimestamp(until[0], "filter 'until'", now) / 1_000_000n));
  const scope = f.get('scope');
  for (const s of scope ?? []) if (!['local', 'swarm', 'global'].includes(s)) throw invalidArgument(`invalid filter: 'scope'='${s}'`);
  return { filters, ...(scope && scope.length > 0 ? { scope } : {}) };
}
