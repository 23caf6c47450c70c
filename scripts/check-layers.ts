import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/*
 * DESIGN.md's layers, imports pointing one way:
 *
 *   util ← core ← implementations ← engine ← api/docker, builder, advisor ← daemon
 *   api/docker ← api/dashboard (the web dashboard's server) ← daemon
 *   util ← core ← api/client ← compose ← cli
 *
 * The rules, written down (a "unit" is a top-level folder of src/, or
 * api/docker and api/client):
 * - util imports only util (and node: builtins, npm packages).
 * - core imports only core; node: builtins only with `import type`; no npm
 *   packages. Core is interfaces and domain types.
 * - an implementation (content, registry, images, snapshots, runtimes,
 *   network, volumes, state, host) imports util, core, itself, and only the
 *   other implementations listed in IMPLEMENTATION_PEERS, where DESIGN.md
 *   implies the dependency (images build on the registry's manifest and
 *   reference parsers).
 * - engine imports util, core and any implementation (their pure functions;
 *   the classes are constructed only in daemon/main.ts).
 * - api/docker, builder, advisor import engine and everything below it.
 * - api/client imports only util and core: it is a client of the wire API and
 *   must work against any Docker-compatible daemon.
 * - compose and cli talk only through api/client: they import api/client,
 *   util and core, never engine, implementations or the daemon; cli also
 *   imports compose (`janus compose` drives its engine).
 * - daemon imports anything except cli.
 * - every relative import names an existing file with its `.ts` extension;
 *   code under src/ never imports outside src/ (tests may import test/).
 * - npm packages must be listed in package.json (devDependencies only from
 *   tests or with `import type`).
 * - no import cycles between files (type-only imports count: a cycle of types
 *   is still a knot in the design).
 */

const IMPLEMENTATIONS = ['content', 'registry', 'images', 'snapshots', 'runtimes', 'network', 'volumes', 'state', 'host'] as const;

/** Implementation → the other implementations it may import. */
const IMPLEMENTATION_PEERS: Readonly<Record<string, readonly string[]>> = {
  images: ['registry'],
};

const BELOW_FRONTENDS = ['util', 'core', ...IMPLEMENTATIONS, 'engine'];

/** Unit → the other units it may import (its own unit is always allowed). */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  util: [],
  core: [],
  ...Object.fromEntries(IMPLEMENTATIONS.map((i) => [i, ['util', 'core', ...(IMPLEMENTATION_PEERS[i] ?? [])]])),
  engine: ['util', 'core', ...IMPLEMENTATIONS],
  'api/docker': BELOW_FRONTENDS,
  'api/dashboard': [...BELOW_FRONTENDS, 'api/docker'],
  builder: BELOW_FRONTENDS,
  advisor: BELOW_FRONTENDS,
  'api/client': ['util', 'core'],
  compose: ['util', 'core', 'api/client'],
  cli: ['util', 'core', 'api/client', 'compose'],
  daemon: [...BELOW_FRONTENDS, 'api/docker', 'api/dashboard', 'api/client', 'builder', 'advisor', 'compose'],
};

/** One broken rule, located at the import that breaks it. */
export interface Violation {
  /** Path relative to the checked root's parent, e.g. `src/cli/main.ts`. */
  file: string;
  line: number;
  message: string;
}

/** What `checkLayers` found. */
export interface LayerReport {
  /** How many .ts files were parsed. */
  files: number;
  violations: Violation[];
  /** Each cycle as a file path list whose last element equals its first. */
  cycles: string[][];
}

/** Options of `checkLayers`. */
export interface CheckLayersOptions {
  /** package.json whose dependencies bare imports must name; without it, package names are not checked. */
  packageJson?: string;
}

interface ImportSite {
  specifier: string;
  line: number;
  typeOnly: boolean;
}

/**
 * Parses every .ts file under `srcDir` (a tree laid out like Janus's src/)
 * and returns every layer violation and import cycle. Never throws for a
 * rule broken in the tree; throws only when the tree cannot be read.
 */
export async function checkLayers(srcDir: string, options: CheckLayersOptions = {}): Promise<LayerReport> {
  const root = resolve(srcDir);
  const base = dirname(root);
  const files = await listTs(root);
  const deps = options.packageJson ? await readDependencies(options.packageJson) : undefined;
  const violations: Violation[] = [];
  const graph = new Map<string, Set<string>>();
  const show = (abs: string): string => relative(base, abs).split(sep).join('/');

  for (const file of files) {
    const rel = relative(root, file).split(sep).join('/');
    const unit = unitOf(rel);
    const isTest = rel.endsWith('.test.ts');
    const edges = new Set<string>();
    graph.set(file, edges);
    const report = (line: number, message: string): void => {
      violations.push({ file: show(file), line, message });
    };
    if (unit === undefined || !(unit in MAY_IMPORT)) {
      report(1, `${show(file)} is outside DESIGN.md's layers: src/${rel.split('/')[0]}/ is not in scripts/check-layers.ts's layer map`);
      continue;
    }
    for (const site of parseImports(file, await readFile(file, 'utf8'))) {
      const spec = site.specifier;
      if (spec.startsWith('.') || spec.startsWith('/')) {
        if (!spec.endsWith('.ts')) {
          report(site.line, `import '${spec}' must name the file with its .ts extension`);
          continue;
        }
        const target = resolve(dirname(file), spec);
        if (!existsSync(target)) {
          report(site.line, `import '${spec}' names a file that does not exist`);
          continue;
        }
        const targetRel = relative(root, target).split(sep).join('/');
        if (targetRel.startsWith('..')) {
          if (!isTest) report(site.line, `${unit} may not import ${show(target)}: code under src/ imports only src/ (tests may import test/ support)`);
          continue;
        }
        edges.add(target);
        const targetUnit = unitOf(targetRel);
        if (targetUnit === undefined || targetUnit === unit) continue;
        if (!MAY_IMPORT[unit].includes(targetUnit)) {
          report(site.line, `${unit} may not import ${targetUnit} (${show(target)})${why(unit)}`);
        }
        continue;
      }
      if (spec.startsWith('node:')) {
        if (unit === 'core' && !site.typeOnly) {
          report(site.line, `core may import ${spec} only with \`import type\`: core holds interfaces and types`);
        }
        continue;
      }
      const pkg = packageName(spec);
      if (builtinModules.includes(pkg)) {
        report(site.line, `import '${spec}' must use the node: prefix ('node:${spec}')`);
        continue;
      }
      if (unit === 'core') {
        report(site.line, `core may not import the npm package ${pkg}: core holds interfaces and types only`);
        continue;
      }
      if (deps) {
        const typesPkg = `@types/${pkg.startsWith('@') ? pkg.slice(1).replace('/', '__') : pkg}`;
        if (deps.runtime.has(pkg)) continue;
        if ((isTest || site.typeOnly) && (deps.dev.has(pkg) || deps.dev.has(typesPkg))) continue;
        report(site.line, deps.dev.has(pkg)
          ? `npm package ${pkg} is only a devDependency; non-test code needs it in dependencies`
          : `npm package ${pkg} is not in package.json's dependencies`);
      }
    }
  }

  const cycles = findCycles(graph).map((cycle) => cycle.map(show));
  violations.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  return { files: files.length, violations, cycles };
}

function why(unit: string): string {
  if (unit === 'cli' || unit === 'compose') return `: ${unit} talks to the daemon only through api/client`;
  if (unit === 'api/client') return ': api/client is a client of the wire API and knows only util and core';
  if (unit === 'core') return ': core imports nothing else of ours';
  if (unit === 'util') return ': util imports nothing else of ours';
  if ((IMPLEMENTATIONS as readonly string[]).includes(unit)) {
    return `: implementations import util, core${IMPLEMENTATION_PEERS[unit] ? `, ${IMPLEMENTATION_PEERS[unit].join(', ')}` : ''} only (see IMPLEMENTATION_PEERS)`;
  }
  return '';
}

/** `api/docker/x.ts` → `api/docker`; `engine/x.ts` → `engine`; `x.ts` → undefined. */
function unitOf(rel: string): string | undefined {
  const parts = rel.split('/');
  if (parts.length < 2) return undefined;
  if (parts[0] === 'api') return parts.length >= 3 ? `api/${parts[1]}` : undefined;
  return parts[0];
}

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

async function listTs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') out.push(...(await listTs(path)));
    } else if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      out.push(path);
    }
  }
  return out.sort();
}

async function readDependencies(path: string): Promise<{ runtime: Set<string>; dev: Set<string> }> {
  const pkg = JSON.parse(await readFile(path, 'utf8')) as Record<string, Record<string, string> | undefined>;
  return {
    runtime: new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]),
    dev: new Set(Object.keys(pkg.devDependencies ?? {})),
  };
}

/** Every static import, re-export, dynamic `import()` and `import('x').T` type of one file. */
function parseImports(file: string, text: string): ImportSite[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const sites: ImportSite[] = [];
  const add = (node: ts.Node, spec: ts.Expression | undefined, typeOnly: boolean): void => {
    if (!spec || !ts.isStringLiteralLike(spec)) return;
    sites.push({ specifier: spec.text, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      let typeOnly = false;
      if (clause) {
        const named = clause.namedBindings;
        typeOnly = clause.isTypeOnly || (
          clause.name === undefined && named !== undefined && ts.isNamedImports(named) &&
          named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly)
        );
      }
      add(node, node.moduleSpecifier, typeOnly);
      return;
    }
    if (ts.isExportDeclaration(node)) {
      const clause = node.exportClause;
      const typeOnly = node.isTypeOnly || (
        clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly)
      );
      add(node, node.moduleSpecifier, typeOnly);
      return;
    }
    if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, node.isTypeOnly);
      return;
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node, node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal as ts.Expression, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return sites;
}

/**
 * Tarjan's strongly connected components; for each component with more than
 * one file (or a file importing itself) one concrete cycle through it, found
 * by a breadth-first search back to its first file so the path is shortest.
 */
function findCycles(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let next = 0;
  // Iterative to survive deep import chains.
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: Array<{ node: string; it: Iterator<string> }> = [];
    const enter = (node: string): void => {
      index.set(node, next);
      low.set(node, next);
      next++;
      stack.push(node);
      onStack.add(node);
      work.push({ node, it: (graph.get(node) ?? new Set()).values() });
    };
    enter(start);
    while (work.length) {
      const top = work[work.length - 1];
      const step = top.it.next();
      if (!step.done) {
        const to = step.value;
        if (!index.has(to)) enter(to);
        else if (onStack.has(to)) low.set(top.node, Math.min(low.get(top.node)!, index.get(to)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!));
      }
      if (low.get(top.node) === index.get(top.node)) {
        const comp: string[] = [];
        let n: string;
        do {
          n = stack.pop()!;
          onStack.delete(n);
          comp.push(n);
        } while (n !== top.node);
        const selfLoop = comp.length === 1 && (graph.get(comp[0])?.has(comp[0]) ?? false);
        if (comp.length > 1 || selfLoop) components.push(comp);
      }
    }
  }
  return components.map((comp) => {
    const members = new Set(comp);
    const first = [...comp].sort()[0];
    const prev = new Map<string, string>();
    const queue = [first];
    while (queue.length) {
      const n = queue.shift()!;
      for (const to of graph.get(n) ?? []) {
        if (!members.has(to)) continue;
        if (to === first) {
          const path = [first];
          for (let c: string | undefined = n; c !== undefined && c !== first; c = prev.get(c)) path.splice(1, 0, c);
          path.push(first);
          return path;
        }
        if (!prev.has(to)) {
          prev.set(to, n);
          queue.push(to);
        }
      }
    }
    return [first, first];
  }).sort((a, b) => a[0].localeCompare(b[0]));
}

/** Prints a report the way CI shows it; returns the process exit code. */
export function formatReport(report: LayerReport): { text: string; code: number } {
  const lines: string[] = [];
  for (const v of report.violations) lines.push(`${v.file}:${v.line}: ${v.message}`);
  for (const c of report.cycles) lines.push(`import cycle: ${c.join(' → ')}`);
  const bad = report.violations.length + report.cycles.length;
  lines.push(bad === 0
    ? `check-layers: ${report.files} files, no layer violations, no import cycles`
    : `check-layers: ${report.violations.length} layer violation(s), ${report.cycles.length} import cycle(s) in ${report.files} files (rules: scripts/check-layers.ts, DESIGN.md "Layers")`);
  return { text: lines.join('\n'), code: bad === 0 ? 0 : 1 };
}

if (import.meta.main) {
  const repo = resolve(import.meta.dirname, '..');
  const src = process.argv[2] ?? join(repo, 'src');
  const report = await checkLayers(src, { packageJson: process.argv[2] ? undefined : join(repo, 'package.json') });
  const { text, code } = formatReport(report);
  (code === 0 ? process.stdout : process.stderr).write(text + '\n');
  process.exitCode = code;
}
