import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, Scalar } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { invalidArgument } from '../core/errors.ts';

/** Where a value came from: the file as shown to the user and a 1-based line. */
export interface Loc {
  file: string;
  line: number;
}

interface NodeBase {
  /** For a mapping's value: where its key is; otherwise where the value starts. */
  loc: Loc;
  /** `reset` / `override` from compose's `!reset` / `!override` tags. */
  tag?: 'reset' | 'override';
}

/** A mapping; entries keep file order. */
export interface MapNode extends NodeBase {
  kind: 'map';
  entries: Map<string, ComposeNode>;
}

/** A sequence. */
export interface SeqNode extends NodeBase {
  kind: 'seq';
  items: ComposeNode[];
}

/** A scalar as YAML 1.2's core schema reads it. */
export interface ScalarNode extends NodeBase {
  kind: 'scalar';
  value: string | number | boolean | null;
  /** A number's text as written (`1.10`, `0x10`), which is what it means where a string is expected. */
  source?: string;
}

/** A YAML value with its source location, the loader's working form of a compose file. */
export type ComposeNode = MapNode | SeqNode | ScalarNode;

/** The most nodes one file may expand to (anchors can multiply a small file: "billion laughs"). */
const MAX_NODES = 1_000_000;

/**
 * Parses one compose file's text into located nodes. Anchors and aliases are
 * expanded, merge keys (`<<`) applied, `!reset`/`!override` recorded. Throws
 * InvalidArgument naming `display`, the line and column for text that is not
 * YAML, and for a top level that is not a mapping. An empty file is an empty mapping.
 */
export function parseComposeYaml(text: string, display: string): MapNode {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true, version: '1.2' });
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const pos = err.linePos?.[0];
    const msg = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw invalidArgument(`${display}:${pos ? `${pos.line}:${pos.col}` : '1'}: not valid YAML: ${msg}`);
  }
  const at = (offset: number | undefined): Loc => ({ file: display, line: offset === undefined ? 1 : lineCounter.linePos(offset).line });
  let count = 0;
  const active = new Set<YamlNode>();

  const convert = (raw: unknown, loc: Loc | undefined): ComposeNode => {
    if (++count > MAX_NODES) throw invalidArgument(`${display}: too many values after expanding anchors (more than ${MAX_NODES})`);
    let node = raw as YamlNode | null | undefined;
    const own = at(node?.range?.[0]);
    if (node && isAlias(node)) {
      const target = node.resolve(doc as Document);
      if (!target) throw invalidArgument(`${display}:${own.line}: alias *${node.source} has no anchor`);
      node = target;
    }
    const where = loc ?? own;
    if (node === null || node === undefined) return { kind: 'scalar', value: null, loc: where };
    if (active.has(node)) throw invalidArgument(`${display}:${where.line}: an alias refers to a value that contains it`);
    const tag = tagOf(node, display, where);
    if (isScalar(node)) {
      const v = node.value;
      if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw invalidArgument(`${display}:${where.line}: unsupported YAML value ${String(v)}`);
      }
      if (typeof v === 'number') {
        const source = node.range ? text.slice(node.range[0], node.range[1]).trim() : String(v);
        return { kind: 'scalar', value: Number.isFinite(v) ? v : source, source, loc: where, tag };
      }
      return { kind: 'scalar', value: v, loc: where, tag };
    }
    active.add(node);
    try {
      if (isSeq(node)) {
        return { kind: 'seq', items: node.items.map((item) => convert(item, undefined)), loc: where, tag };
      }
      if (isMap(node)) {
        const entries = new Map<string, ComposeNode>();
        const merged: ComposeNode[] = [];
        for (const pair of node.items) {
          const key = pair.key as YamlNode | null;
          const keyLoc = at(key?.range?.[0] ?? (pair.value as YamlNode | null)?.range?.[0]);
          if (!key || !isScalar(key) || key.value === null || typeof key.value === 'object') {
            throw invalidArgument(`${display}:${keyLoc.line}: mapping keys must be strings`);
          }
          const name = String(key.value);
          // Values become plain objects keyed by these names, where __proto__ would be lost.
          if (name === '__proto__') throw invalidArgument(`${display}:${keyLoc.line}: the key __proto__ is not allowed`);
          if (name === '<<' && key.type === Scalar.PLAIN) {
            merged.push(convert(pair.value, keyLoc));
            continue;
          }
          entries.set(name, convert(pair.value, keyLoc));
        }
        // Merge keys: the mapping's own keys win, then earlier merged mappings over later ones.
        for (const m of merged) {
          const sources = m.kind === 'seq' ? m.items : [m];
          for (const s of sources) {
            if (s.kind !== 'map') throw invalidArgument(`${display}:${s.loc.line}: a merge key (<<) takes a mapping or a list of mappings`);
            for (const [k, v] of s.entries) if (!entries.has(k)) entries.set(k, v);
          }
        }
        return { kind: 'map', entries, loc: where, tag };
      }
    } finally {
      active.delete(node);
    }
    throw invalidArgument(`${display}:${where.line}: unsupported YAML node`);
  };

  if (doc.contents === null || doc.contents === undefined) return { kind: 'map', entries: new Map(), loc: { file: display, line: 1 } };
  const root = convert(doc.contents, undefined);
  if (root.kind === 'scalar' && root.value === null) return { kind: 'map', entries: new Map(), loc: root.loc };
  if (root.kind !== 'map') throw invalidArgument(`${display}:${root.loc.line}: the top level must be a mapping`);
  return root;
}

function tagOf(node: YamlNode, display: string, loc: Loc): 'reset' | 'override' | undefined {
  const tag = node.tag;
  if (!tag) return undefined;
  if (tag === '!reset') return 'reset';
  if (tag === '!override') return 'override';
  if (tag.startsWith('tag:yaml.org,2002:')) return undefined;
  throw invalidArgument(`${display}:${loc.line}: unknown YAML tag ${tag} (compose knows !reset and !override)`);
}
