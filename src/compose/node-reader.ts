import { invalidArgument, type JanusError } from '../core/errors.ts';
import type { ComposeNode, MapNode, ScalarNode, SeqNode } from './yaml-nodes.ts';

/**
 * Typed reads of located compose nodes. Every failure is an InvalidArgument
 * whose message reads `FILE:LINE: KEY.PATH: what is wrong`, so the loader's
 * checks never format locations themselves.
 */
export const read = {
  /** The error for `node` at `path`. */
  fail(node: ComposeNode, path: string, msg: string): JanusError {
    return invalidArgument(`${node.loc.file}:${node.loc.line}: ${path}: ${msg}`);
  },

  map(node: ComposeNode, path: string): MapNode {
    if (node.kind !== 'map') throw read.fail(node, path, `must be a mapping, not ${describe(node)}`);
    return node;
  },

  /** A mapping, or null/absent as an empty one. */
  optMap(node: ComposeNode | undefined, path: string): MapNode | undefined {
    if (node === undefined || (node.kind === 'scalar' && node.value === null)) return undefined;
    return read.map(node, path);
  },

  seq(node: ComposeNode, path: string): SeqNode {
    if (node.kind !== 'seq') throw read.fail(node, path, `must be a list, not ${describe(node)}`);
    return node;
  },

  /** Refuses keys outside `known` (extension keys `x-*` pass) and keys in `unsupported` with "not supported by Janus". */
  keys(map: MapNode, path: string, known: readonly string[], unsupported: readonly string[] = []): void {
    for (const [key, value] of map.entries) {
      if (key.startsWith('x-') || known.includes(key)) continue;
      const at = path ? `${path}.${key}` : key;
      if (unsupported.includes(key)) throw read.fail(value, at, 'not supported by Janus');
      throw read.fail(value, at, `unknown key${suggest(key, known)}`);
    }
  },

  /** A string; numbers are accepted as written (YAML reads `1.10` as a number, compose means "1.10"). */
  str(node: ComposeNode, path: string): string {
    if (node.kind === 'scalar' && typeof node.value === 'string') return node.value;
    if (node.kind === 'scalar' && typeof node.value === 'number') return node.source ?? String(node.value);
    throw read.fail(node, path, `must be a string, not ${describe(node)}`);
  },

  optStr(map: MapNode, key: string, path: string): string | undefined {
    const n = map.entries.get(key);
    if (n === undefined || (n.kind === 'scalar' && n.value === null)) return undefined;
    return read.str(n, `${path}.${key}`);
  },

  /** A boolean; the strings "true"/"false" (what interpolation produces) are accepted. */
  bool(node: ComposeNode, path: string): boolean {
    if (node.kind === 'scalar') {
      if (typeof node.value === 'boolean') return node.value;
      if (node.value === 'true' || node.value === 'false') return node.value === 'true';
    }
    throw read.fail(node, path, `must be true or false, not ${describe(node)}`);
  },

  optBool(map: MapNode, key: string, path: string): boolean | undefined {
    const n = map.entries.get(key);
    if (n === undefined || (n.kind === 'scalar' && n.value === null)) return undefined;
    return read.bool(n, `${path}.${key}`);
  },

  /** A number; numeric strings (from interpolation) are accepted. */
  num(node: ComposeNode, path: string): number {
    if (node.kind === 'scalar') {
      if (typeof node.value === 'number') return node.value;
      if (typeof node.value === 'string' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(node.value.trim())) return Number(node.value);
    }
    throw read.fail(node, path, `must be a number, not ${describe(node)}`);
  },

  /** An integer of at least `min`. */
  int(node: ComposeNode, path: string, min = Number.MIN_SAFE_INTEGER): number {
    const v = read.num(node, path);
    if (!Number.isSafeInteger(v)) throw read.fail(node, path, `must be an integer, not ${describe(node)}`);
    if (v < min) throw read.fail(node, path, `must be at least ${min}, not ${v}`);
    return v;
  },

  /** A string or a list of strings. */
  strList(node: ComposeNode, path: string): string[] {
    if (node.kind === 'scalar') return node.value === null ? [] : [read.str(node, path)];
    return read.seq(node, path).items.map((item, i) => read.str(item, `${path}[${i}]`));
  },

  /** A list only, of strings. */
  strSeq(node: ComposeNode, path: string): string[] {
    return read.seq(node, path).items.map((item, i) => read.str(item, `${path}[${i}]`));
  },

  /**
   * `KEY=VALUE` list or mapping (environment, labels, build args). A list item
   * without `=` or a mapping value of null gives null; numbers and booleans
   * become strings.
   */
  keyValues(node: ComposeNode, path: string): Map<string, string | null> {
    const out = new Map<string, string | null>();
    if (node.kind === 'scalar' && node.value === null) return out;
    if (node.kind === 'seq') {
      node.items.forEach((item, i) => {
        const s = read.str(item, `${path}[${i}]`);
        const eq = s.indexOf('=');
        const key = eq < 0 ? s : s.slice(0, eq);
        if (key === '' || key === '__proto__') throw read.fail(item, `${path}[${i}]`, `${JSON.stringify(s)} has no valid name before "="`);
        out.set(key, eq < 0 ? null : s.slice(eq + 1));
      });
      return out;
    }
    const map = read.map(node, path);
    for (const [key, value] of map.entries) {
      if (value.kind !== 'scalar') throw read.fail(value, `${path}.${key}`, `must be a string, number, boolean or null, not ${describe(value)}`);
      out.set(key, value.value === null ? null : typeof value.value === 'number' ? (value.source ?? String(value.value)) : String(value.value));
    }
    return out;
  },

  /** Labels (list of `k=v` or mapping); a label without a value is "". */
  labels(node: ComposeNode | undefined, path: string): Record<string, string> {
    const out: Record<string, string> = {};
    if (!node) return out;
    for (const [k, v] of read.keyValues(node, path)) out[k] = v ?? '';
    return out;
  },

  /** A mapping of strings (driver options); numbers and booleans become strings. */
  stringMap(node: ComposeNode | undefined, path: string): Record<string, string> {
    const out: Record<string, string> = {};
    const map = read.optMap(node, path);
    for (const [k, v] of map?.entries ?? []) {
      if (v.kind !== 'scalar' || v.value === null) throw read.fail(v, `${path}.${k}`, `must be a string, not ${describe(v)}`);
      out[k] = typeof v.value === 'number' ? (v.source ?? String(v.value)) : String(v.value);
    }
    return out;
  },
};

/** How a node is named in messages: its value for scalars, its kind otherwise. */
export function describe(node: ComposeNode): string {
  if (node.kind === 'map') return 'a mapping';
  if (node.kind === 'seq') return 'a list';
  const v = (node as ScalarNode).value;
  if (v === null) return 'null';
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function suggest(key: string, known: readonly string[]): string {
  const close = known.find((k) => distance(k, key) <= Math.max(1, Math.floor(k.length / 4)));
  return close ? ` (did you mean "${close}"?)` : '';
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}
