import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { mergeComposeFiles } from './merge-nodes.ts';
import { read } from './node-reader.ts';
import { rebaseService } from './rebase-service.ts';
import type { ComposeNode, MapNode } from './yaml-nodes.ts';

/** Reads another compose file (parsed and interpolated, its own extends not yet resolved); undefined when it does not exist. */
export type ComposeFileReader = (absPath: string) => MapNode | undefined;

/**
 * Resolves `extends:` in one compose file's services, as docker compose does
 * before merging files: the base service (from the same file, or from
 * `extends.file` relative to this file) is merged under the extending one with
 * the usual merge rules; relative paths of a base from another file (build
 * context, env_file, bind sources) are made absolute against that file's
 * directory. Throws InvalidArgument naming the file, line and key path for an
 * unknown service, a missing file or a cycle (within a file or across
 * files: `chain` holds the services being resolved, `only` limits the work to
 * the one service another file extends).
 */
export function applyExtends(root: MapNode, file: string, readFile: ComposeFileReader, chain: readonly string[] = [], only?: string): MapNode {
  const services = root.entries.get('services');
  if (!services || services.kind !== 'map') return root;
  if (![...services.entries.values()].some((s) => s.kind === 'map' && s.entries.has('extends'))) return root;
  const done = new Map<string, ComposeNode>();
  const resolveService = (name: string, seen: readonly string[]): ComposeNode => {
    const cached = done.get(name);
    if (cached) return cached;
    const node = services.entries.get(name)!;
    const ext = node.kind === 'map' ? node.entries.get('extends') : undefined;
    if (node.kind !== 'map' || !ext) return node;
    const path = `services.${name}.extends`;
    const key = `${file}#${name}`;
    if (seen.includes(key)) {
      const loop = [...seen.slice(seen.indexOf(key)), key];
      // Across files, each step names its file too (the services may share a name).
      const oneFile = loop.every((k) => k.slice(0, k.lastIndexOf('#')) === file);
      const names = loop.map((k) => (oneFile ? '' : `${basename(k.slice(0, k.lastIndexOf('#')))}:`) + k.slice(k.lastIndexOf('#') + 1));
      throw read.fail(ext, path, `extends cycle: ${names.join(' -> ')}`);
    }
    let baseName: string;
    let otherFile: string | undefined;
    if (ext.kind === 'map') {
      read.keys(ext, path, ['service', 'file']);
      const svc = read.optStr(ext, 'service', path);
      if (!svc) throw read.fail(ext, path, 'needs the service to extend');
      baseName = svc;
      otherFile = read.optStr(ext, 'file', path);
    } else {
      baseName = read.str(ext, path);
    }
    let base: ComposeNode | undefined;
    if (otherFile !== undefined) {
      const abs = isAbsolute(otherFile) ? otherFile : resolve(dirname(file), otherFile);
      const other = readFile(abs);
      if (!other) throw read.fail(ext, `${path}.file`, `${otherFile} not found`);
      const resolved = applyExtends(other, abs, readFile, [...seen, key], baseName);
      const otherServices = resolved.entries.get('services');
      base = otherServices?.kind === 'map' ? otherServices.entries.get(baseName) : undefined;
      if (!base) throw read.fail(ext, path, `service "${baseName}" is not defined in ${otherFile}`);
      base = rebaseService(read.map(base, `services.${baseName}`), dirname(abs));
    } else {
      if (!services.entries.has(baseName) || baseName.startsWith('x-')) throw read.fail(ext, path, `service "${baseName}" is not defined`);
      base = resolveService(baseName, [...seen, key]);
    }
    const own: MapNode = { ...node, entries: new Map([...node.entries].filter(([k]) => k !== 'extends')) };
    const baseMap = read.map(base, `services.${baseName}`);
    const wrap = (s: MapNode): MapNode => ({
      kind: 'map',
      loc: s.loc,
      entries: new Map([['services', { kind: 'map', loc: s.loc, entries: new Map([[name, s]]) } satisfies MapNode]]),
    });
    const merged = (mergeComposeFiles(wrap(baseMap), wrap(own)).entries.get('services') as MapNode).entries.get(name)!;
    done.set(name, merged);
    return merged;
  };
  const entries = new Map<string, ComposeNode>();
  for (const name of services.entries.keys()) {
    const keep = name.startsWith('x-') || (only !== undefined && name !== only);
    entries.set(name, keep ? services.entries.get(name)! : resolveService(name, chain));
  }
  return { ...root, entries: new Map([...root.entries, ['services', { ...services, entries }]]) };
}
