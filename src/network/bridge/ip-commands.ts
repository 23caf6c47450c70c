import type { BridgeNetworkSpec, EndpointSpec } from '../../core/network-driver.ts';
import { bridgeAlias, bridgeMac } from './host-names.ts';

/*
 * iproute2 command lists of the bridge driver. Each list is one `ip -batch -`
 * run (one process for several changes); the driver builds them here so
 * unit tests check them without root.
 */

/** What `ensure` found of a bridge before changing it. */
export interface BridgeState {
  /** The device exists (and is a bridge; the driver checks that first). */
  exists: boolean;
  /** Its IPv4 addresses with prefix (`172.18.0.1/16`). */
  addresses: string[];
}

/**
 * Creates or repairs `net`'s bridge: the device, its alias (which tells
 * start-up cleanup whose it is), a fixed MAC, the MTU, exactly the gateway
 * address, up.
 */
export function bridgeBatch(net: BridgeNetworkSpec, state: BridgeState): string[] {
  const prefix = net.subnet.split('/')[1];
  const want = `${net.gateway}/${prefix}`;
  const lines: string[] = [];
  if (!state.exists) lines.push(`link add name ${net.bridge} type bridge`);
  lines.push(`link set dev ${net.bridge} alias ${bridgeAlias(net.id)} address ${bridgeMac(net.id)} mtu ${net.mtu}`);
  for (const a of state.addresses) if (a !== want) lines.push(`addr del ${a} dev ${net.bridge}`);
  if (!state.addresses.includes(want)) lines.push(`addr add ${want} broadcast + dev ${net.bridge}`);
  lines.push(`link set dev ${net.bridge} up`);
  return lines;
}

/**
 * The host side of an endpoint: a veth pair whose sandbox end is created
 * directly in the sandbox with its final name and MAC (so it never appears,
 * even briefly, under a name that could collide in the host namespace), and
 * whose host end joins the bridge in hairpin mode. Hairpin matters when
 * br_netfilter is active: a container reaching its own published port
 * through a host address has its DNATed frame bridged back out of the port
 * it came in on.
 */
export function vethBatch(net: BridgeNetworkSpec, sandbox: string, ep: EndpointSpec, veth: string): string[] {
  return [
    `link add name ${veth} mtu ${net.mtu} type veth peer name ${ep.ifName} mtu ${net.mtu} address ${ep.mac} netns ${sandbox}`,
    `link set dev ${veth} master ${net.bridge}`,
    `link set dev ${veth} type bridge_slave hairpin on`,
    `link set dev ${veth} up`,
  ];
}

/**
 * The sandbox side of an endpoint, run inside the sandbox: the address, up,
 * and the default route when the endpoint carries it. An internal network
 * never gets a default route: it has no way out (docker's behaviour).
 * `replace` keeps a retried connect from failing on what the first try set.
 */
export function sandboxBatch(net: BridgeNetworkSpec, ep: EndpointSpec): string[] {
  const prefix = net.subnet.split('/')[1];
  const lines = [`addr replace ${ep.ip}/${prefix} broadcast + dev ${ep.ifName}`, `link set dev ${ep.ifName} up`];
  if (ep.defaultRoute && !net.internal) lines.push(`route replace default via ${net.gateway} dev ${ep.ifName}`);
  return lines;
}

/**
 * Creates a persistent network namespace at `path` with loopback up, in one
 * process: util-linux `unshare --net=FILE` bind-mounts the new namespace
 * onto FILE (which must exist) before running the command inside it.
 */
export function createSandboxArgs(path: string): { file: string; args: string[] } {
  return { file: 'unshare', args: [`--net=${path}`, 'ip', 'link', 'set', 'dev', 'lo', 'up'] };
}

/** Runs `ip -batch -` inside the sandbox at `path`. */
export function inSandboxArgs(path: string): { file: string; args: string[] } {
  return { file: 'nsenter', args: [`--net=${path}`, 'ip', '-batch', '-'] };
}
