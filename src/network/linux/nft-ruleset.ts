import type { BridgeNetworkSpec, PortMapping } from '../../core/network-driver.ts';

/** The nftables table Janus owns; nothing else of the host's ruleset is touched. */
export const NFT_TABLE = 'janus';

/** Everything the rules are made from: the networks in use and the published ports. */
export interface RulesetState {
  networks: readonly BridgeNetworkSpec[];
  /** By container ID. */
  ports: ReadonlyMap<string, readonly PortMapping[]>;
}

/**
 * The whole `ip janus` table as one `nft -f` script that replaces the old
 * table atomically (declare, delete, define): a half-applied change is
 * impossible, and rules are never looked up by handle.
 *
 * - nat prerouting/output: traffic to a local address on a published port
 *   is DNATed to the container (from outside, from containers through the
 *   host's addresses, and from the host itself, 127.0.0.1 included);
 * - nat postrouting: masquerade out of the host (unless internal or
 *   masquerade is off), of DNATed loopback traffic (source 127.0.0.1 is not
 *   routable on a bridge) and of hairpin traffic (a container reaching a
 *   published port of its own network, whose reply must come back through
 *   the host);
 * - filter forward: published ports are always let through; otherwise
 *   different Janus bridges cannot talk, and an internal network talks only
 *   inside its bridge;
 * - filter input: a network's DNS server (its gateway, port 53) answers
 *   only its own bridge, and an internal network reaches nothing of the
 *   host but that.
 */
export function buildRuleset(state: RulesetState): string {
  const q = (s: string) => JSON.stringify(s);
  const lines: string[] = [];
  lines.push(`table ip ${NFT_TABLE} {}`, `delete table ip ${NFT_TABLE}`, `table ip ${NFT_TABLE} {`);

  const bridges = state.networks.map((n) => n.bridge);
  lines.push('  set bridges {', '    type ifname', ...(bridges.length > 0 ? [`    elements = { ${bridges.map(q).join(', ')} }`] : []), '  }');

  const dnat: string[] = [];
  for (const [id, ports] of [...state.ports.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    for (const p of ports) {
      const dest = p.hostIp === '0.0.0.0' ? '' : `ip daddr ${p.hostIp} `;
      dnat.push(`    ${dest}${p.protocol} dport ${p.hostPort} dnat to ${p.containerIp}:${p.containerPort} comment ${q(`ctr:${id.slice(0, 12)}`)}`);
    }
  }
  lines.push('  chain published {', ...dnat, '  }');
  lines.push('  chain prerouting {', '    type nat hook prerouting priority dstnat; policy accept;', '    fib daddr type local jump published', '  }');
  lines.push('  chain output {', '    type nat hook output priority -100; policy accept;', '    fib daddr type local jump published', '  }');

  const post: string[] = [];
  for (const n of state.networks) {
    const br = q(n.bridge);
    post.push(`    oifname ${br} ip saddr 127.0.0.0/8 masquerade`);
    post.push(`    oifname ${br} ip saddr ${n.subnet} ct status dnat masquerade`);
    if (!n.internal && n.masquerade) post.push(`    ip saddr ${n.subnet} oifname != ${br} masquerade`);
  }
  lines.push('  chain postrouting {', '    type nat hook postrouting priority srcnat; policy accept;', ...post, '  }');

  const fwd: string[] = ['    ct status dnat accept', '    ct state established,related accept'];
  for (const n of state.networks) {
    const br = q(n.bridge);
    if (n.internal) {
      fwd.push(`    iifname ${br} oifname != ${br} drop`, `    oifname ${br} iifname != ${br} drop`);
    } else {
      fwd.push(`    iifname ${br} oifname != ${br} oifname @bridges drop`);
    }
  }
  lines.push('  chain forward {', '    type filter hook forward priority filter; policy accept;', ...fwd, '  }');

  const input: string[] = [];
  for (const n of state.networks) {
    const br = q(n.bridge);
    input.push(`    ip daddr ${n.gateway} meta l4proto { tcp, udp } th dport 53 iifname != ${br} iifname != "lo" drop`);
    if (n.internal) {
      input.push(`    iifname ${br} ip daddr ${n.gateway} meta l4proto { tcp, udp } th dport 53 accept`);
      input.push(`    iifname ${br} ct state established,related accept`);
      input.push(`    iifname ${br} drop`);
    }
  }
  lines.push('  chain input {', '    type filter hook input priority filter; policy accept;', ...input, '  }');
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
