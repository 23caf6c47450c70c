import type { BridgeNetworkSpec, PortMapping } from '../../core/network-driver.ts';
import { networkChainPrefix, portsChainPrefix } from './host-names.ts';

/*
 * The nftables scripts of the bridge driver, fed to `nft -f -`: each is one
 * transaction, so a network's or a container's rules change all at once or
 * not at all.
 *
 * Layout (table `inet janus` and, for icc=false, `bridge janus`):
 *   set   bridges           every Janus bridge (for isolation between them)
 *   chain net-<id12>-fwd    filter/forward:  isolation, --internal
 *   chain net-<id12>-post   nat/postrouting: masquerade out, hairpin, 127.0.0.1
 *   chain net-<id12>-in     filter/input:    the network's DNS server answers its own bridge only
 *   chain net-<id12>-icc    (bridge family) filter/forward: enable_icc=false
 *   chain ports-<id12>-pre  nat/prerouting:  DNAT of published ports (outside, containers)
 *   chain ports-<id12>-out  nat/output:      DNAT of published ports (the host, 127.0.0.1 too)
 * Every chain is a base chain of its own, so removing a network or a
 * container's ports is deleting its chains: no shared dispatch rule to find
 * by handle, nothing that needs reading before writing. nftables' `add`
 * is idempotent for tables, sets, elements and chains; a chain is always
 * flushed before its rules are added, and deleted as add+flush+delete,
 * which succeeds whether or not it existed (nft 1.0.6 has no `destroy`).
 */

/** The name of the `bridges` set. */
export const BRIDGES_SET = 'bridges';

/** Base-chain declarations by role. `srcnat`/`dstnat` are nftables' standard NAT priorities. */
const HOOKS = {
  fwd: 'type filter hook forward priority filter; policy accept;',
  in: 'type filter hook input priority filter; policy accept;',
  post: 'type nat hook postrouting priority srcnat; policy accept;',
  icc: 'type filter hook forward priority filter; policy accept;',
  pre: 'type nat hook prerouting priority dstnat; policy accept;',
  out: 'type nat hook output priority -100; policy accept;',
} as const;

/** The preamble of every script: the tables and the shared set exist. */
function preamble(table: string): string[] {
  return [`add table inet ${table}`, `add set inet ${table} ${BRIDGES_SET} { type ifname; }`];
}

function quote(s: string): string {
  return JSON.stringify(s);
}

function chain(family: 'inet' | 'bridge', table: string, name: string, hook: string, rules: string[]): string[] {
  return [
    `add chain ${family} ${table} ${name} { ${hook} }`,
    `flush chain ${family} ${table} ${name}`,
    ...rules.map((r) => `add rule ${family} ${table} ${name} ${r}`),
  ];
}

function dropChain(family: 'inet' | 'bridge', table: string, name: string): string[] {
  return [`add chain ${family} ${table} ${name}`, `flush chain ${family} ${table} ${name}`, `delete chain ${family} ${table} ${name}`];
}

/**
 * The rules of one network, replacing whatever it had (so `ensure` also
 * repairs a hand-edited or half-written table). `subnet` must already be
 * validated.
 */
export function ensureNetworkScript(net: BridgeNetworkSpec, table: string): string {
  const p = networkChainPrefix(net.id);
  const br = quote(net.bridge);
  const fwd: string[] = [];
  if (net.internal) {
    // Nothing leaves the subnet and nothing enters it through the host; the
    // host itself (DNS on the gateway, published ports from the host) is
    // input/output, not forwarding, so it still works.
    fwd.push(`iifname ${br} oifname != ${br} drop`, `oifname ${br} iifname != ${br} drop`);
  } else {
    // Another Janus bridge may not forward into this one, except to a
    // published port (DNAT): those are reachable through the host's
    // addresses from everywhere, other containers included.
    fwd.push(`oifname ${br} iifname != ${br} iifname @${BRIDGES_SET} ct status & dnat == 0 drop`);
  }
  const post = [
    // The host reaching a published port at 127.0.0.1: the source must not
    // leave as 127.0.0.1 (route_localnet lets it be routed at all).
    `oifname ${br} ip saddr 127.0.0.0/8 masquerade`,
    // Hairpin: a container reaching a published port of its own bridge
    // through a host address must get the reply back through the host.
    `oifname ${br} ip saddr ${net.subnet} ct status dnat masquerade`,
  ];
  if (net.masquerade && !net.internal) post.push(`oifname != ${br} ip saddr ${net.subnet} masquerade`);
  // The daemon's DNS server of this network listens on its gateway: containers of other
  // networks (which reach the host's addresses) must not learn this network's names.
  const input = [`ip daddr ${net.gateway} meta l4proto { tcp, udp } th dport 53 iifname != { ${br}, "lo" } drop`];
  const lines = [
    ...preamble(table),
    `add element inet ${table} ${BRIDGES_SET} { ${br} }`,
    ...chain('inet', table, `${p}-fwd`, HOOKS.fwd, fwd),
    ...chain('inet', table, `${p}-post`, HOOKS.post, post),
    ...chain('inet', table, `${p}-in`, HOOKS.in, input),
    `add table bridge ${table}`,
  ];
  if (net.icc) {
    lines.push(...dropChain('bridge', table, `${p}-icc`));
  } else {
    // At the bridge layer, so it holds whether or not br_netfilter passes
    // bridged frames to the inet hooks. Matching the subnet on both ends
    // needs no bridge-name match (nft_meta_bridge may be absent) and is
    // exact because Janus subnets do not overlap.
    lines.push(...chain('bridge', table, `${p}-icc`, HOOKS.icc, [`ip saddr ${net.subnet} ip daddr ${net.subnet} drop`]));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Removes every rule of the network `networkId`, and `bridges` from the
 * shared set. Succeeds when none of it exists.
 */
export function destroyNetworkScript(networkId: string, bridges: readonly string[], table: string): string {
  const p = networkChainPrefix(networkId);
  const lines = [...preamble(table)];
  for (const b of bridges) {
    lines.push(`add element inet ${table} ${BRIDGES_SET} { ${quote(b)} }`, `delete element inet ${table} ${BRIDGES_SET} { ${quote(b)} }`);
  }
  lines.push(...dropChain('inet', table, `${p}-fwd`), ...dropChain('inet', table, `${p}-post`), ...dropChain('inet', table, `${p}-in`), `add table bridge ${table}`, ...dropChain('bridge', table, `${p}-icc`));
  return `${lines.join('\n')}\n`;
}

/** One DNAT rule; `0.0.0.0` matches every local address. */
function dnatRule(m: PortMapping): string {
  const addr = m.hostIp === '0.0.0.0' ? '' : `ip daddr ${m.hostIp} `;
  return `fib daddr type local ${addr}${m.protocol} dport ${m.hostPort} dnat ip to ${m.containerIp}:${m.containerPort}`;
}

/**
 * The published ports of one container, replacing any it had; no ports
 * removes its chains. Prerouting catches traffic from outside and from
 * containers (hairpin included), output the host's own connections.
 */
export function publishScript(containerId: string, ports: readonly PortMapping[], table: string): string {
  if (ports.length === 0) return unpublishScript(containerId, table);
  const p = portsChainPrefix(containerId);
  const rules = ports.map(dnatRule);
  return `${[...preamble(table), ...chain('inet', table, `${p}-pre`, HOOKS.pre, rules), ...chain('inet', table, `${p}-out`, HOOKS.out, rules)].join('\n')}\n`;
}

/** Removes the port chains of one container. Succeeds when they do not exist. */
export function unpublishScript(containerId: string, table: string): string {
  const p = portsChainPrefix(containerId);
  return `${[...preamble(table), ...dropChain('inet', table, `${p}-pre`), ...dropChain('inet', table, `${p}-out`)].join('\n')}\n`;
}

/** Removes chains by name (start-up cleanup of leftovers). */
export function removeChainsScript(chains: readonly { family: 'inet' | 'bridge'; name: string }[], staleBridges: readonly string[], table: string): string {
  const lines = [...preamble(table), `add table bridge ${table}`];
  for (const b of staleBridges) {
    lines.push(`add element inet ${table} ${BRIDGES_SET} { ${quote(b)} }`, `delete element inet ${table} ${BRIDGES_SET} { ${quote(b)} }`);
  }
  for (const c of chains) lines.push(...dropChain(c.family, table, c.name));
  return `${lines.join('\n')}\n`;
}
