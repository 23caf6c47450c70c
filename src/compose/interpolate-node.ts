import { interpolate, InterpolationError } from './interpolate.ts';
import type { VariableLookup } from './interpolate.ts';
import { read } from './node-reader.ts';
import type { ComposeNode } from './yaml-nodes.ts';

/**
 * Interpolates every string value of a parsed compose file (keys are left
 * alone, as in docker compose). Names of unset variables used without a
 * default are added to `unset`. Throws InvalidArgument naming the file, line
 * and key path of a malformed template or a missing required variable.
 */
export function interpolateNode(node: ComposeNode, path: string, lookup: VariableLookup, unset: Set<string>): ComposeNode {
  if (node.kind === 'map') {
    const entries = new Map<string, ComposeNode>();
    for (const [k, v] of node.entries) entries.set(k, interpolateNode(v, path ? `${path}.${k}` : k, lookup, unset));
    return { ...node, entries };
  }
  if (node.kind === 'seq') return { ...node, items: node.items.map((item, i) => interpolateNode(item, `${path}[${i}]`, lookup, unset)) };
  if (typeof node.value !== 'string' || !node.value.includes('$')) return node;
  try {
    return { ...node, value: interpolate(node.value, lookup, (name) => unset.add(name)) };
  } catch (err) {
    if (err instanceof InterpolationError) throw read.fail(node, path, err.message);
    throw err;
  }
}
