import type { ComposeNode, MapNode, ScalarNode, SeqNode } from './yaml-nodes.ts';

/** Service keys whose list form is a mapping in disguise (`KEY=VALUE` items or names): merged by key. */
const KEYED_LISTS = new Set(['environment', 'labels', 'depends_on', 'networks', 'annotations', 'sysctls']);
/** Service keys whose value replaces the earlier one whole (shell commands). */
const REPLACED = new Set(['command', 'entrypoint']);
/** Service keys that may be a single string or a list, merged as lists. */
const STRING_OR_LIST = new Set(['dns', 'dns_search', 'tmpfs', 'env_file', 'cap_add', 'cap_drop', 'security_opt', 'expose', 'profiles']);

/**
 * Merges compose file `over` onto `base` (both top-level mappings) with
 * compose's rules: mappings merge key by key; `command`, `entrypoint` and
 * `healthcheck.test` replace; environment, labels, depends_on, networks and
 * build args merge by key whatever their list or mapping form; `volumes`
 * merge by target (a later mount of the same target replaces the earlier);
 * other lists (ports, expose, dns, …) append what is not already there;
 * scalars replace. `!reset` removes a value, `!override` replaces it whole.
 * Neither input is modified.
 */
export function mergeComposeFiles(base: MapNode, over: MapNode): MapNode {
  return mergeMaps(base, over, []);
}

function mergeMaps(base: MapNode, over: MapNode, path: string[]): MapNode {
  const entries = new Map(base.entries);
  for (const [key, value] of over.entries) {
    const sub = [...path, key];
    if (value.tag === 'reset') {
      entries.delete(key);
      continue;
    }
    const prev = entries.get(key);
    entries.set(key, prev === undefined || value.tag === 'override' ? value : mergeValue(prev, value, sub));
  }
  return { ...over, kind: 'map', entries, tag: undefined };
}

function mergeValue(base: ComposeNode, over: ComposeNode, path: string[]): ComposeNode {
  const inService = path.length === 3 && path[0] === 'services';
  const key = path[path.length - 1];
  if (inService && REPLACED.has(key)) return over;
  if (path.length === 4 && path[0] === 'services' && path[2] === 'healthcheck' && key === 'test') return over;
  if (isNull(over)) return base.kind === 'scalar' ? over : base;
  if ((inService && KEYED_LISTS.has(key)) || (path.length === 4 && path[0] === 'services' && path[2] === 'build' && key === 'args')) {
    const b = keyed(base, key);
    const o = keyed(over, key);
    // A malformed side is left for validation to name; the later file's value stands.
    return b && o ? mergeMaps(b, o, path) : over;
  }
  if (inService && key === 'logging' && base.kind === 'map' && over.kind === 'map') {
    // Another driver's options mean nothing to this one: a changed driver replaces the whole mapping.
    const driver = (m: MapNode) => { const d = m.entries.get('driver'); return d?.kind === 'scalar' ? d.value : undefined; };
    return driver(base) !== undefined && driver(over) !== undefined && driver(base) !== driver(over) ? over : mergeMaps(base, over, path);
  }
  if (inService && key === 'build') {
    const b = buildMap(base);
    const o = buildMap(over);
    return b.kind === 'map' && o.kind === 'map' ? mergeMaps(b, o, path) : over;
  }
  if (inService && STRING_OR_LIST.has(key)) return appendUnique(asSeq(base), asSeq(over), plainKey);
  if (inService && key === 'extra_hosts' && (base.kind === 'map') !== (over.kind === 'map')) {
    const b = hostList(base);
    const o = hostList(over);
    return b && o ? appendUnique(b, o, plainKey) : over;
  }
  if (base.kind === 'map' && over.kind === 'map') return mergeMaps(base, over, path);
  if (base.kind === 'seq' && over.kind === 'seq') {
    if (inService && key === 'volumes') return appendUnique(base, over, volumeTarget);
    return appendUnique(base, over, plainKey);
  }
  return over;
}

function isNull(n: ComposeNode): boolean {
  return n.kind === 'scalar' && n.value === null;
}

/** A list form turned into the mapping it stands for; mappings and other values pass through for validation to judge. */
function keyed(node: ComposeNode, key: string): MapNode | undefined {
  if (node.kind === 'map') return node;
  if (node.kind !== 'seq') return undefined;
  const entries = new Map<string, ComposeNode>();
  for (const item of node.items) {
    if (item.kind !== 'scalar' || item.value === null) return undefined;
    const s = String(item.value);
    const sep = key === 'environment' || key === 'labels' || key === 'args' || key === 'annotations' || key === 'sysctls' ? s.indexOf('=') : -1;
    if (sep < 0) entries.set(s, { kind: 'scalar', value: null, loc: item.loc } satisfies ScalarNode);
    else entries.set(s.slice(0, sep), { kind: 'scalar', value: s.slice(sep + 1), loc: item.loc } satisfies ScalarNode);
  }
  return { kind: 'map', entries, loc: node.loc };
}

function buildMap(node: ComposeNode): ComposeNode {
  if (node.kind === 'scalar' && typeof node.value === 'string') {
    return { kind: 'map', entries: new Map([['context', node]]), loc: node.loc } satisfies MapNode;
  }
  return node;
}

/** `extra_hosts` as a list of `HOST=IP` items, whichever form it was written in; undefined when malformed. */
function hostList(node: ComposeNode): SeqNode | undefined {
  if (node.kind === 'seq') return node;
  if (node.kind !== 'map') return undefined;
  const items: ComposeNode[] = [];
  for (const [host, value] of node.entries) {
    const ips = value.kind === 'seq' ? value.items : [value];
    for (const ip of ips) {
      if (ip.kind !== 'scalar' || ip.value === null) return undefined;
      items.push({ kind: 'scalar', value: `${host}=${String(ip.value)}`, loc: ip.loc });
    }
  }
  return { kind: 'seq', items, loc: node.loc };
}

function asSeq(node: ComposeNode): SeqNode {
  return node.kind === 'seq' ? node : { kind: 'seq', items: [node], loc: node.loc };
}

function appendUnique(base: SeqNode, over: SeqNode, keyOf: (n: ComposeNode) => string): SeqNode {
  const items = [...base.items];
  for (const item of over.items) {
    const k = keyOf(item);
    const at = items.findIndex((x) => keyOf(x) === k);
    if (at >= 0) items[at] = item;
    else items.push(item);
  }
  return { ...over, items, tag: undefined };
}

/** The value without locations, as JSON: what makes two list items the same. */
export function plainKey(node: ComposeNode): string {
  return JSON.stringify(plain(node));
}

/** The plain JavaScript value of a node. */
export function plain(node: ComposeNode): unknown {
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'seq') return node.items.map(plain);
  return Object.fromEntries([...node.entries].map(([k, v]) => [k, plain(v)]));
}

function volumeTarget(node: ComposeNode): string {
  if (node.kind === 'map') {
    const t = node.entries.get('target');
    return t?.kind === 'scalar' ? `target:${String(t.value)}` : plainKey(node);
  }
  if (node.kind === 'scalar' && typeof node.value === 'string') {
    const parts = node.value.split(':');
    return `target:${parts.length === 1 ? parts[0] : parts[1]}`;
  }
  return plainKey(node);
}
