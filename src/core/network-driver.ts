/**
 * The host side of one bridge network, as the engine recorded it. The
 * engine owns the record (name, subnet, addresses handed out); the driver
 * only makes the host match it.
 */
export interface BridgeNetworkSpec {
  /** The network's ID (64 hex); names the host objects, so they can be traced back. */
  id: string;
  /** The Linux bridge device (at most 15 bytes, e.g. `janus0` or `jbr-<id12>`). */
  bridge: string;
  /** IPv4 subnet in CIDR form (`172.18.0.0/16`). */
  subnet: string;
  /** The bridge's own address in the subnet: the containers' default route and DNS server. */
  gateway: string;
  /** `--internal`: no route out of the subnet, no NAT, no published ports from outside. */
  internal: boolean;
  /** Whether containers on this bridge may talk to each other (docker's `enable_icc`, default true). */
  icc: boolean;
  /** Masquerade traffic leaving the host from this subnet (docker's `enable_ip_masquerade`, default true). */
  masquerade: boolean;
  /** MTU of the bridge and its veths (default 1500). */
  mtu: number;
}

/** One interface of a sandbox (network namespace) on a bridge network. */
export interface EndpointSpec {
  /** The container's ID: names the host-side veth and tags its rules. */
  containerId: string;
  /** Interface name inside the sandbox (`eth0`, `eth1`, … in connect order). */
  ifName: string;
  /** The address the engine allocated in the network's subnet (no prefix). */
  ip: string;
  /** MAC address (docker derives it from the IP: `02:42:` + the 4 bytes). */
  mac: string;
  /** Whether this endpoint carries the sandbox's default route (the first network joined). */
  defaultRoute: boolean;
}

/** One published port: traffic to `hostIp:hostPort` goes to `containerIp:containerPort`. */
export interface PortMapping {
  protocol: 'tcp' | 'udp';
  /** `0.0.0.0` for every host address, or one host address (127.0.0.1 included). */
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

/** What the driver found on the host at start-up that no network or sandbox it was told about owns. */
export interface NetworkLeftovers {
  bridges: string[];
  sandboxes: string[];
}

/**
 * Bridge networking with the host's own tools (iproute2, nftables).
 * Lifecycle: `ensure` a network (idempotent; again after a reboot or a
 * daemon restart), `createSandbox` per container start, `connect` the
 * sandbox to each of its networks, `publish` its ports; on stop
 * `unpublish`, `disconnect` and `removeSandbox`; `destroy` a network with
 * no endpoints. Every method is idempotent so a daemon killed half-way can
 * redo or undo any step; `removeSandbox` and `destroy` leave nothing
 * behind (no veth, rule, netns file or address). A VM joins the same way:
 * its QEMU runs in the sandbox, where a tap is connected to the veth.
 */
export interface NetworkDriver {
  /**
   * Creates or repairs the host side of `net`: the bridge with the gateway
   * address, up, and its nftables rules (NAT unless internal, isolation from
   * the other bridge networks). InvalidArgument when the bridge name or
   * subnet is unusable; Conflict when the subnet overlaps a host route that
   * is not this network's.
   */
  ensure(net: BridgeNetworkSpec, options?: { signal?: AbortSignal }): Promise<void>;
  /** Removes the bridge and every rule of `net`. Absent objects are fine. */
  destroy(net: BridgeNetworkSpec, options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Creates the named network namespace of a container (loopback up) and
   * returns its path (a bind-mounted nsfs file the runtime joins). An
   * existing one is reused.
   */
  createSandbox(containerId: string, options?: { signal?: AbortSignal }): Promise<string>;
  /** Deletes the namespace file; the kernel frees the namespace with its last process. */
  removeSandbox(containerId: string, options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Plugs the sandbox into `net`: a veth pair, the host end on the bridge,
   * the other end renamed to `ep.ifName` with `ep.ip`/prefix and `ep.mac`,
   * and the default route through the gateway when `ep.defaultRoute`.
   */
  connect(net: BridgeNetworkSpec, sandbox: string, ep: EndpointSpec, options?: { signal?: AbortSignal }): Promise<void>;
  /** Removes the endpoint's veth (both ends). Absent is fine. */
  disconnect(net: BridgeNetworkSpec, sandbox: string, ep: EndpointSpec, options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Publishes `ports` of a container (replacing any it had): DNAT from the
   * host's addresses (127.0.0.1 included) and from other containers through
   * the host's addresses. Each host port is reserved by a bound socket held
   * by the daemon; Conflict ("port is already allocated") naming the port
   * when another process or container holds it — then nothing is published.
   */
  publish(containerId: string, ports: PortMapping[], options?: { signal?: AbortSignal }): Promise<void>;
  /** Removes the container's published ports and frees their reservations. */
  unpublish(containerId: string, options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * An ephemeral host port free for `protocol` on `hostIp` (docker's range
   * 49153–60999 when the host's ip_local_port_range allows), not reserved
   * by another mapping.
   */
  freePort(protocol: 'tcp' | 'udp', hostIp: string): Promise<number>;
  /** Host objects of this driver that none of `known` (network IDs, container IDs) owns; for start-up cleanup. */
  leftovers(known: { networks: string[]; containers: string[] }): Promise<NetworkLeftovers>;
  /** Removes leftovers found by `leftovers` (bridges with their rules, sandbox files). */
  removeLeftovers(found: NetworkLeftovers): Promise<void>;
}
