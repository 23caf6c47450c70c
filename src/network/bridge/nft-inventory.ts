import { BRIDGES_SET } from './nft-script.ts';

/** One chain of Janus's tables. */
export interface NftChainRef {
  family: 'inet' | 'bridge';
  name: string;
}

/** What Janus's nftables tables hold, by owner. */
export interface NftInventory {
  /** Network chains by the network ID prefix in their name, with the bridge names their rules match. */
  networks: Map<string, { chains: NftChainRef[]; bridges: Set<string> }>;
  /** Port chains by the container ID prefix in their name. */
  ports: Map<string, NftChainRef[]>;
  /** Elements of the `bridges` set. */
  bridgeSet: string[];
}

const NET_CHAIN = /^net-(.+)-(fwd|post|in|icc)$/;
const PORTS_CHAIN = /^ports-(.+)-(pre|out)$/;

/** The interface names a rule's matches compare `iifname`/`oifname` with (`@set` references are not names). */
function ifNamesOf(expr: unknown): string[] {
  if (!Array.isArray(expr)) return [];
  const out: string[] = [];
  for (const e of expr as { match?: { left?: { meta?: { key?: string } }; right?: unknown } }[]) {
    const key = e.match?.left?.meta?.key;
    if ((key === 'iifname' || key === 'oifname') && typeof e.match?.right === 'string' && !e.match.right.startsWith('@')) {
      out.push(e.match.right);
    }
  }
  return out;
}

/**
 * Reads `nft -j list ruleset` output and sorts the chains of Janus's tables
 * (`inet <table>`, `bridge <table>`) by owner, for start-up cleanup. Chains
 * named otherwise are not Janus's and are ignored.
 */
export function parseNftInventory(json: string, table: string): NftInventory {
  const inv: NftInventory = { networks: new Map(), ports: new Map(), bridgeSet: [] };
  if (!json.trim()) return inv;
  const items = (JSON.parse(json) as { nftables?: Record<string, Record<string, unknown>>[] }).nftables ?? [];
  const ours = (o: Record<string, unknown>) => o.table === table && (o.family === 'inet' || o.family === 'bridge');
  const netOf = (prefix: string) => {
    let n = inv.networks.get(prefix);
    if (!n) inv.networks.set(prefix, (n = { chains: [], bridges: new Set() }));
    return n;
  };
  for (const item of items) {
    const chain = item.chain;
    if (chain && ours(chain)) {
      const ref: NftChainRef = { family: chain.family as 'inet' | 'bridge', name: String(chain.name) };
      const net = NET_CHAIN.exec(ref.name);
      const ports = PORTS_CHAIN.exec(ref.name);
      if (net) netOf(net[1]!).chains.push(ref);
      else if (ports) inv.ports.set(ports[1]!, [...(inv.ports.get(ports[1]!) ?? []), ref]);
    }
    const rule = item.rule;
    if (rule && ours(rule)) {
      const net = NET_CHAIN.exec(String(rule.chain));
      if (net) for (const b of ifNamesOf(rule.expr)) netOf(net[1]!).bridges.add(b);
    }
    const set = item.set;
    if (set && ours(set) && set.family === 'inet' && set.name === BRIDGES_SET && Array.isArray(set.elem)) {
      inv.bridgeSet.push(...set.elem.filter((e): e is string => typeof e === 'string'));
    }
  }
  return inv;
}
