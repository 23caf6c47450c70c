import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseDotenv } from './dotenv.ts';
import type { VariableLookup } from './interpolate.ts';
import { mergeComposeFiles } from './merge-nodes.ts';
import { read } from './node-reader.ts';
import { rebaseService } from './rebase-service.ts';
import type { ComposeNode, MapNode } from './yaml-nodes.ts';

/** What resolving `include:` needs from the loader. */
export interface IncludeContext {
  /** The shell environment: it wins over an included project's env files. */
  shell: Record<string, string | undefined>;
  /** The including project's variables, the last resort. */
  parent: VariableLookup;
  /** Reads a text file; undefined when it does not exist. */
  readText: (path: string) => string | undefined;
  /** Parses, interpolates (with `lookup`) and resolves extends in a compose file; undefined when it does not exist. */
  readCompose: (path: string, lookup: VariableLookup) => MapNode | undefined;
  display: (path: string) => string;
}

const SECTIONS = ['services', 'networks', 'volumes', 'secrets', 'configs'] as const;

/**
 * Resolves a compose file's top-level `include:` as docker compose does: each
 * entry (`path` — one file or several merged —, `project_directory`,
 * `env_file`) is loaded as its own project, with its own `.env` and relative
 * paths against its own directory, and its services, networks, volumes,
 * secrets and configs join this file's. A name defined on both sides is an
 * error, as is an include cycle. Returns the file without `include:`.
 */
export function applyIncludes(root: MapNode, file: string, ctx: IncludeContext, chain: readonly string[] = []): MapNode {
  const node = root.entries.get('include');
  if (!node) return root;
  const base = dirname(file);
  const added = new Map<string, Map<string, [ComposeNode, string]>>(SECTIONS.map((s) => [s, new Map()]));
  read.seq(node, 'include').items.forEach((item, i) => {
    const at = `include[${i}]`;
    let paths: string[];
    let projectDir: string | undefined;
    let envFiles: string[] | undefined;
    if (item.kind === 'map') {
      read.keys(item, at, ['path', 'project_directory', 'env_file']);
      const p = item.entries.get('path');
      if (!p) throw read.fail(item, at, 'needs a path');
      paths = read.strList(p, `${at}.path`);
      const pd = read.optStr(item, 'project_directory', at);
      if (pd !== undefined) projectDir = resolve(base, pd);
      if (item.entries.has('env_file')) envFiles = read.strList(item.entries.get('env_file')!, `${at}.env_file`).map((f) => resolve(base, f));
    } else {
      paths = [read.str(item, at)];
    }
    if (paths.length === 0) throw read.fail(item, at, 'needs a path');
    const files = paths.map((p) => (isAbsolute(p) ? p : resolve(base, p)));
    const dir = projectDir ?? dirname(files[0]);
    const env = new Map<string, string>();
    for (const envFile of envFiles ?? [join(dir, '.env')]) {
      const text = ctx.readText(envFile);
      if (text === undefined) {
        if (envFiles) throw read.fail(item, at, `env file ${ctx.display(envFile)} not found`);
        continue;
      }
      for (const [k, v] of parseDotenv(text, ctx.display(envFile), (n) => ctx.shell[n] ?? env.get(n))) env.set(k, v);
    }
    const lookup: VariableLookup = (n) => ctx.shell[n] ?? env.get(n) ?? ctx.parent(n);
    let merged: MapNode | undefined;
    for (const f of files) {
      if (chain.includes(f) || f === file) throw read.fail(item, at, `include cycle: ${[...chain, file, f].map(ctx.display).join(' -> ')}`);
      const loaded = ctx.readCompose(f, lookup);
      if (!loaded) throw read.fail(item, at, `${ctx.display(f)} not found`);
      const resolved = applyIncludes(loaded, f, { ...ctx, parent: lookup }, [...chain, file]);
      merged = merged ? mergeComposeFiles(merged, resolved) : resolved;
    }
    for (const section of SECTIONS) {
      const map = read.optMap(merged!.entries.get(section), section);
      for (const [name, value] of map?.entries ?? []) {
        if (name.startsWith('x-')) continue;
        const own = read.optMap(root.entries.get(section), section)?.entries.get(name);
        const earlier = added.get(section)!.get(name);
        if (own || earlier) {
          const where = earlier ? earlier[1] : ctx.display(file);
          throw read.fail(own ?? item, own ? `${section}.${name}` : at, `${section.slice(0, -1)} "${name}" is defined both in ${where} and in the included ${files.map(ctx.display).join(', ')}`);
        }
        added.get(section)!.set(name, [rebase(section, value, dir), files.map(ctx.display).join(', ')]);
      }
    }
  });
  const entries = new Map(root.entries);
  entries.delete('include');
  for (const section of SECTIONS) {
    const extra = added.get(section)!;
    if (extra.size === 0) continue;
    const own = read.optMap(root.entries.get(section), section);
    const combined = new Map<string, ComposeNode>([...[...extra].map(([k, [v]]) => [k, v] as [string, ComposeNode]), ...(own?.entries ?? [])]);
    entries.set(section, { kind: 'map', loc: own?.loc ?? node.loc, entries: combined });
  }
  return { ...root, entries };
}

function rebase(section: (typeof SECTIONS)[number], value: ComposeNode, dir: string): ComposeNode {
  if (section === 'services' && value.kind === 'map') return rebaseService(value, dir);
  if ((section === 'secrets' || section === 'configs') && value.kind === 'map') {
    const f = value.entries.get('file');
    if (f?.kind === 'scalar' && typeof f.value === 'string' && !isAbsolute(f.value) && !f.value.startsWith('~')) {
      return { ...value, entries: new Map([...value.entries, ['file', { ...f, value: resolve(dir, f.value) }]]) };
    }
  }
  return value;
}
