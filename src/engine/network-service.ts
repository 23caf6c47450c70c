/** Docker's network drivers as Janus offers them: `bridge` networks plus the predefined `host` and `none`. */
export type NetworkDriverName = 'bridge' | 'host' | 'null';

/** One subnet of a network's IPAM configuration. */
export interface IpamConfig {
  /** CIDR (`172.18.0.0/16`). */
  subnet: string;
  gateway: string;
  /** `--ip-range`: addresses are handed out from this CIDR inside the subnet. */
  ipRange?: string;
}

/** A container's endpoint on a network, as `network inspect` lists it. */
export interface NetworkEndpointView {
  containerId: string;
  name: string;
  endpointId: string;
  macAddress: string;
  /** With prefix (`172.18.0.2/16`), docker's IPv4Address. */
  ipv4Address: string;
}

/** A network as `network ls` and `network inspect` show it. */
export interface NetworkView {
  id: string;
  name: string;
  driver: NetworkDriverName;
  scope: 'local';
  created: Date;
  internal: boolean;
  attachable: boolean;
  /** The predefined networks (`bridge`, `host`, `none`): they cannot be removed. */
  builtin: boolean;
  ipam: { driver: 'default'; config: IpamConfig[]; options: Record<string, string> };
  /** Driver options (`com.docker.network.bridge.name`, `…enable_icc`, `…enable_ip_masquerade`, `…driver.mtu`). */
  options: Record<string, string>;
  labels: Record<string, string>;
  /** Endpoints of running containers (docker lists only those), keyed by container ID. */
  containers: Record<string, NetworkEndpointView>;
}

/** What `network create` takes (docker's NetworkCreateRequest in domain form). */
export interface NetworkCreateRequest {
  /** `bridge` (default); other drivers are refused with NotImplemented. */
  driver?: string;
  internal?: boolean;
  attachable?: boolean;
  labels?: Record<string, string>;
  options?: Record<string, string>;
  /** At most one IPv4 subnet; absent: the next free /16 of docker's default pools (172.17–31, 192.168.x/20). */
  ipam?: { driver?: string; config?: Partial<IpamConfig>[]; options?: Record<string, string> };
  /** IPv6 is not offered: true is refused with NotImplemented. */
  enableIPv6?: boolean;
}

/** How a container joins a network (docker's EndpointSettings: `--network-alias`, `--ip`). */
export interface EndpointRequest {
  aliases?: string[];
  /** A static address inside the subnet; Conflict when taken. */
  ipv4Address?: string;
}

/** Filters of `network ls` and `network prune` (docker's names). */
export interface NetworkFilters {
  driver?: string[];
  /** ID prefixes. */
  id?: string[];
  /** `key` or `key=value`. */
  label?: string[];
  /** Substrings of the name. */
  name?: string[];
  /** `custom` or `builtin`. */
  type?: string[];
  /** Networks no container uses (user-defined only). */
  dangling?: boolean;
  /** Created before this time (prune's `until`). */
  until?: Date;
}

/**
 * Docker's `network` commands. Implemented by `NetworkEngine`; the Docker
 * API calls it. References are a full ID, a unique ID prefix or a name
 * (NotFound "network X not found" otherwise). State survives daemon
 * restarts; addresses are never handed out twice.
 */
export interface NetworkService {
  /**
   * Creates a network. Conflict when the name exists ("network with name X
   * already exists") or the subnet overlaps another network's; InvalidArgument
   * for a bad CIDR, a gateway outside the subnet, or an unknown option.
   */
  create(name: string, request?: NetworkCreateRequest): Promise<{ id: string; warning?: string }>;
  inspect(ref: string): Promise<NetworkView>;
  list(options?: { filters?: NetworkFilters }): Promise<NetworkView[]>;
  /** Conflict while containers use it ("has active endpoints"); Forbidden for a predefined network. */
  remove(ref: string): Promise<void>;
  /** Removes user-defined networks no container uses. */
  prune(options?: { filters?: NetworkFilters }): Promise<{ deleted: string[] }>;
  /**
   * Joins a container (running or not) to a network; a running one gets its
   * interface at once. Conflict when already connected or the address is taken.
   */
  connect(ref: string, container: string, request?: EndpointRequest): Promise<void>;
  /** Leaves a network; Conflict when not connected (ignored with `force`). */
  disconnect(ref: string, container: string, options?: { force?: boolean }): Promise<void>;
}
