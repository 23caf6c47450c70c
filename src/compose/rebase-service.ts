import { isAbsolute, resolve } from 'node:path';
import type { ComposeNode, MapNode, ScalarNode } from './yaml-nodes.ts';

/**
 * A service taken from another file (extends, include) with its relative
 * paths (build context, env_file, bind sources) made absolute against `dir`,
 * that file's directory, since the including project resolves relative paths
 * against its own.
 */
export function rebaseService(service: MapNode, dir: string): MapNode {
  const abs = (node: ComposeNode): ComposeNode => {
    if (node.kind !== 'scalar' || typeof node.value !== 'string') return node;
    const v = node.value;
    if (isAbsolute(v) || v.startsWith('~') || /^[a-z]+:\/\//i.test(v) || v.startsWith('git@')) return node;
    return { ...node, value: resolve(dir, v) } satisfies ScalarNode;
  };
  const entries = new Map(service.entries);
  const build = entries.get('build');
  if (build?.kind === 'scalar') entries.set('build', abs(build));
  else if (build?.kind === 'map') {
    const b = new Map(build.entries);
    b.set('context', abs(b.get('context') ?? { kind: 'scalar', value: '.', loc: build.loc }));
    entries.set('build', { ...build, entries: b });
  }
  const envFile = entries.get('env_file');
  if (envFile) {
    const one = (n: ComposeNode): ComposeNode => {
      if (n.kind !== 'map') return abs(n);
      const p = n.entries.get('path');
      return p ? { ...n, entries: new Map([...n.entries, ['path', abs(p)]]) } : n;
    };
    entries.set('env_file', envFile.kind === 'seq' ? { ...envFile, items: envFile.items.map(one) } : one(envFile));
  }
  const volumes = entries.get('volumes');
  if (volumes?.kind === 'seq') {
    entries.set('volumes', {
      ...volumes,
      items: volumes.items.map((v) => {
        if (v.kind === 'scalar' && typeof v.value === 'string' && v.value.startsWith('.')) {
          const i = v.value.indexOf(':');
          if (i > 0) return { ...v, value: resolve(dir, v.value.slice(0, i)) + v.value.slice(i) };
        }
        if (v.kind === 'map') {
          const t = v.entries.get('type');
          const src = v.entries.get('source');
          if (t?.kind === 'scalar' && t.value === 'bind' && src) return { ...v, entries: new Map([...v.entries, ['source', abs(src)]]) };
        }
        return v;
      }),
    });
  }
  return { ...service, entries };
}
