/**
 * The DNS server of user-defined networks: containers resolve each other
 * by name, alias and (for compose) service name; every other name goes to
 * the host's resolvers. One listener per network, on the network's gateway
 * address (UDP and TCP port 53), which is the `nameserver` in the
 * containers' /etc/resolv.conf. Lives in the daemon: while no daemon runs,
 * container names do not resolve (docker's embedded DNS behaves the same).
 */
export interface NameServer {
  /**
   * Starts answering on `address`:53 for the network `networkId` (the
   * bridge must already carry `address`). Idempotent. Unavailable when the
   * port cannot be bound.
   */
  serve(networkId: string, address: string): Promise<void>;
  /**
   * Replaces the names the network answers: lower-case names without a
   * trailing dot → IPv4 addresses (several for a name several containers
   * share, e.g. a scaled compose service). PTR queries for those addresses
   * answer with the first name given for them.
   */
  setNames(networkId: string, names: ReadonlyMap<string, readonly string[]>): void;
  /**
   * Clients of the network (by their address on it) that also see the
   * names of other networks: a container joined to several networks
   * resolves the names of all of them, whichever server it asks (docker's
   * behaviour). Replaces the network's previous peers.
   */
  setPeers(networkId: string, peers: ReadonlyMap<string, readonly string[]>): void;
  /** Stops the network's listeners. Unknown networks are fine. */
  stop(networkId: string): Promise<void>;
  /** Stops every listener; for daemon shutdown. */
  close(): Promise<void>;
}
