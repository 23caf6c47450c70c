import type { JanusExtension } from './model.ts';
import { read } from './node-reader.ts';
import type { ComposeNode } from './yaml-nodes.ts';

/**
 * The `x-janus` extension (per service, or top-level as every service's
 * default): isolation, trust and compliance, over `defaults`. Unlike other
 * `x-` keys it is Janus's own schema, so unknown keys and values are errors.
 */
export function parseJanus(node: ComposeNode, path: string, defaults: JanusExtension): JanusExtension {
  const map = read.map(node, path);
  read.keys(map, path, ['isolation', 'trust', 'compliance']);
  for (const key of map.entries.keys()) {
    if (key.startsWith('x-')) throw read.fail(map.entries.get(key)!, `${path}.${key}`, 'unknown key (x-janus knows isolation, trust and compliance)');
  }
  const out: JanusExtension = { ...defaults };
  const isolation = read.optStr(map, 'isolation', path);
  if (isolation !== undefined) {
    if (isolation !== 'container' && isolation !== 'sandbox' && isolation !== 'vm' && isolation !== 'auto') {
      throw read.fail(map.entries.get('isolation')!, `${path}.isolation`, `${JSON.stringify(isolation)} is not an isolation level (container, sandbox, vm, auto)`);
    }
    out.isolation = isolation;
  }
  const trust = read.optStr(map, 'trust', path);
  if (trust !== undefined) {
    if (trust !== 'trusted' && trust !== 'untrusted') throw read.fail(map.entries.get('trust')!, `${path}.trust`, `${JSON.stringify(trust)} is not a trust level (trusted, untrusted)`);
    out.trust = trust;
  }
  const compliance = read.optStr(map, 'compliance', path);
  if (compliance !== undefined) {
    if (compliance === '') throw read.fail(map.entries.get('compliance')!, `${path}.compliance`, 'must not be empty');
    out.compliance = compliance;
  }
  return out;
}
