import { createHash } from 'node:crypto';

/**
 * Names of the host objects the bridge driver creates. Every object is
 * named (or tagged) after the ID that owns it, so start-up cleanup can tell
 * Janus's objects from everyone else's and trace each back to its network
 * or container, and so each can be removed wholesale.
 */

/** Linux's IFNAMSIZ minus the terminating NUL. */
export const MAX_IFNAME = 15;

/** How many hex digits of an ID name nftables chains (docker's short ID). */
export const ID_PREFIX_LENGTH = 12;

/** The ifalias every Janus bridge carries: `janus:<network id>`. */
export const BRIDGE_ALIAS_PREFIX = 'janus:';

/** Bridge names the engine makes up for user networks (`jbr-<id10>`); found by name even without their alias. */
export const BRIDGE_NAME_PREFIX = 'jbr-';

/** Host-side veth names: `jv` + 13 hex digits. */
export const VETH_PREFIX = 'jv';

/**
 * The host end of a container's veth on one interface: `jv` + 13 hex
 * digits of sha256(containerId/ifName) — 15 bytes, the most a name may
 * have. Derived, not stored, so `disconnect` after a daemon restart finds it.
 */
export function vethName(containerId: string, ifName: string): string {
  const h = createHash('sha256').update(`${containerId}/${ifName}`).digest('hex');
  return `${VETH_PREFIX}${h.slice(0, MAX_IFNAME - VETH_PREFIX.length)}`;
}

/** The ifalias of a network's bridge. */
export function bridgeAlias(networkId: string): string {
  return `${BRIDGE_ALIAS_PREFIX}${networkId}`;
}

/**
 * A fixed MAC for a network's bridge (locally administered, `02:4a:` + 4
 * bytes of the ID). Without one the kernel gives the bridge the lowest MAC
 * of its ports, which changes as containers come and go and leaves stale
 * gateway entries in the other containers' ARP caches.
 */
export function bridgeMac(networkId: string): string {
  const h = createHash('sha256').update(networkId).digest('hex');
  return ['02', '4a', h.slice(0, 2), h.slice(2, 4), h.slice(4, 6), h.slice(6, 8)].join(':');
}

/** The prefix of every nftables chain of a network: `net-<id12>`. */
export function networkChainPrefix(networkId: string): string {
  return `net-${networkId.slice(0, ID_PREFIX_LENGTH)}`;
}

/** The prefix of every nftables chain of a container's published ports: `ports-<id12>`. */
export function portsChainPrefix(containerId: string): string {
  return `ports-${containerId.slice(0, ID_PREFIX_LENGTH)}`;
}

/** Whether `name` may name a network interface: 1–15 bytes of letters, digits, `_`, `.`, `-`, and not `.`/`..`. */
export function isValidIfName(name: string): boolean {
  return /^[A-Za-z0-9_.-]{1,15}$/.test(name) && name !== '.' && name !== '..';
}

/** Whether `id` may name a sandbox file and a chain: letters, digits, `_`, `.`, `-`, not starting with a dot. */
export function isValidObjectId(id: string): boolean {
  return /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/.test(id);
}
