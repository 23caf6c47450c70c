import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkLayers, formatReport } from './check-layers.ts';

/** Writes `files` (path under src/ → content) into a fresh temp tree and returns its src/ path. */
async function tree(t: { after(fn: () => Promise<void>): void }, files: Record<string, string>, pkg?: object): Promise<{ src: string; pkg: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'check-layers-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, 'src', path)), { recursive: true });
    await writeFile(join(dir, 'src', path), text);
  }
  const pkgPath = join(dir, 'package.json');
  await writeFile(pkgPath, JSON.stringify(pkg ?? { dependencies: { 'tar-stream': '3.2.2' }, devDependencies: { '@types/tar-stream': '3.1.5', typescript: '5.9.3' } }));
  return { src: join(dir, 'src'), pkg: pkgPath };
}

const layered = {
  'util/exec.ts': `import { spawn } from 'node:child_process';\nexport const x = spawn;\n`,
  'core/errors.ts': `export class JanusError extends Error {}\n`,
  'core/content-store.ts': `import type { Readable } from 'node:stream';\nimport { JanusError } from './errors.ts';\nexport type R = Readable;\nexport const E = JanusError;\n`,
  'registry/reference.ts': `import { JanusError } from '../core/errors.ts';\nexport const parse = () => JanusError;\n`,
  'images/unpack.ts': `import { parse } from '../registry/reference.ts';\nimport tar from 'tar-stream';\nexport const u = [parse, tar];\n`,
  'engine/pull.ts': `import { parse } from '../registry/reference.ts';\nimport type { R } from '../core/content-store.ts';\nexport const p = parse;\nexport type X = R;\n`,
  'api/docker/routes.ts': `import { p } from '../../engine/pull.ts';\nexport const r = p;\n`,
  'api/client/client.ts': `import { x } from '../../util/exec.ts';\nexport const c = x;\n`,
  'cli/main.ts': `import { c } from '../api/client/client.ts';\nimport { JanusError } from '../core/errors.ts';\nexport const m = [c, JanusError];\n`,
  'daemon/main.ts': `import { r } from '../api/docker/routes.ts';\nimport { u } from '../images/unpack.ts';\nexport const d = [r, u];\n`,
  '../test/support/registry.ts': `export const startRegistry = 1;\n`,
  'images/unpack.test.ts': `import { u } from './unpack.ts';\nimport type { X } from 'typescript';\nimport { startRegistry } from '../../test/support/registry.ts';\nexport const t = [u, startRegistry];\nexport type Y = X;\n`,
};

test('a tree that follows DESIGN.md passes', async (t) => {
  const { src, pkg } = await tree(t, layered);
  const report = await checkLayers(src, { packageJson: pkg });
  assert.deepEqual(report.violations, []);
  assert.deepEqual(report.cycles, []);
  assert.equal(report.files, Object.keys(layered).filter((k) => !k.startsWith('../')).length);
  const out = formatReport(report);
  assert.equal(out.code, 0);
  assert.match(out.text, /11 files, no layer violations, no import cycles/);
});

test('each broken layer rule is reported at its import line', async (t) => {
  const { src, pkg } = await tree(t, {
    ...layered,
    'core/bad.ts': `import { x } from '../util/exec.ts';\nimport { readFile } from 'node:fs';\nimport tar from 'tar-stream';\nexport const b = [x, readFile, tar];\n`,
    'util/bad.ts': `import type { JanusError } from '../core/errors.ts';\nexport type B = JanusError;\n`,
    'cli/bad.ts': `\nimport { p } from '../engine/pull.ts';\nexport const b = p;\n`,
    'api/client/bad.ts': `import { parse } from '../../registry/reference.ts';\nexport const b = parse;\n`,
    'registry/bad.ts': `import { u } from '../images/unpack.ts';\nexport const b = u;\n`,
    'engine/bad.ts': `import { r } from '../api/docker/routes.ts';\nimport { d } from '../daemon/main.ts';\nexport const b = [r, d];\n`,
    'daemon/bad.ts': `import { m } from '../cli/main.ts';\nexport const b = m;\n`,
    'engine/ext.ts': `import { p } from './pull';\nimport { q } from './missing.ts';\nimport fs from 'fs';\nimport left from 'left-pad';\nimport ts from 'typescript';\nimport { startRegistry } from '../../test/support/registry.ts';\nexport const e = [p, q, fs, left, ts, startRegistry];\n`,
    'misc/stray.ts': `export const s = 1;\n`,
  });
  const report = await checkLayers(src, { packageJson: pkg });
  const got = report.violations.map((v) => `${v.file}:${v.line}`);
  assert.deepEqual(got, [
    'src/api/client/bad.ts:1',
    'src/cli/bad.ts:2',
    'src/core/bad.ts:1',
    'src/core/bad.ts:2',
    'src/core/bad.ts:3',
    'src/daemon/bad.ts:1',
    'src/engine/bad.ts:1',
    'src/engine/bad.ts:2',
    'src/engine/ext.ts:1',
    'src/engine/ext.ts:2',
    'src/engine/ext.ts:3',
    'src/engine/ext.ts:4',
    'src/engine/ext.ts:5',
    'src/engine/ext.ts:6',
    'src/misc/stray.ts:1',
    'src/registry/bad.ts:1',
    'src/util/bad.ts:1',
  ]);
  const text = formatReport(report).text;
  assert.match(text, /src\/cli\/bad\.ts:2: cli may not import engine \(src\/engine\/pull\.ts\): cli talks to the daemon only through api\/client/);
  assert.match(text, /src\/core\/bad\.ts:2: core may import node:fs only with `import type`/);
  assert.match(text, /src\/core\/bad\.ts:3: core may not import the npm package tar-stream/);
  assert.match(text, /src\/api\/client\/bad\.ts:1: api\/client may not import registry/);
  assert.match(text, /src\/registry\/bad\.ts:1: registry may not import images/);
  assert.match(text, /src\/daemon\/bad\.ts:1: daemon may not import cli/);
  assert.match(text, /src\/engine\/ext\.ts:1: import '\.\/pull' must name the file with its \.ts extension/);
  assert.match(text, /src\/engine\/ext\.ts:2: import '\.\/missing\.ts' names a file that does not exist/);
  assert.match(text, /src\/engine\/ext\.ts:3: import 'fs' must use the node: prefix/);
  assert.match(text, /src\/engine\/ext\.ts:4: npm package left-pad is not in package\.json's dependencies/);
  assert.match(text, /src\/engine\/ext\.ts:5: npm package typescript is only a devDependency/);
  assert.match(text, /src\/engine\/ext\.ts:6: engine may not import test\/support\/registry\.ts/);
  assert.match(text, /src\/misc\/stray\.ts:1: .*src\/misc\/ is not in scripts\/check-layers\.ts's layer map/);
  assert.equal(formatReport(report).code, 1);
});

test('re-exports, dynamic imports and import types count as imports', async (t) => {
  const { src } = await tree(t, {
    ...layered,
    'cli/a.ts': `export { p } from '../engine/pull.ts';\n`,
    'cli/b.ts': `export const f = () => import('../daemon/main.ts');\n`,
    'cli/c.ts': `export type T = import('../engine/pull.ts').X;\n`,
  });
  const report = await checkLayers(src);
  assert.deepEqual(report.violations.map((v) => `${v.file}:${v.message.split(' (')[0]}`), [
    'src/cli/a.ts:cli may not import engine',
    'src/cli/b.ts:cli may not import daemon',
    'src/cli/c.ts:cli may not import engine',
  ]);
});

test('import cycles are reported with their path, type-only edges included', async (t) => {
  const { src } = await tree(t, {
    ...layered,
    'engine/a.ts': `import { b } from './b.ts';\nexport const a = b;\n`,
    'engine/b.ts': `import type { C } from './c.ts';\nexport const b = 1;\nexport type B = C;\n`,
    'engine/c.ts': `import { a } from './a.ts';\nexport type C = typeof a;\n`,
    'engine/self.ts': `import { s } from './self.ts';\nexport const s = 1;\nexport const t = s;\n`,
  });
  const report = await checkLayers(src);
  assert.deepEqual(report.violations, []);
  assert.deepEqual(report.cycles, [
    ['src/engine/a.ts', 'src/engine/b.ts', 'src/engine/c.ts', 'src/engine/a.ts'],
    ['src/engine/self.ts', 'src/engine/self.ts'],
  ]);
  assert.match(formatReport(report).text, /import cycle: src\/engine\/a\.ts → src\/engine\/b\.ts → src\/engine\/c\.ts → src\/engine\/a\.ts/);
});

test('the script exits 1 and lists violations on stderr', async (t) => {
  const { src } = await tree(t, { ...layered, 'cli/bad.ts': `import { p } from '../engine/pull.ts';\nexport const b = p;\n` });
  const run = promisify(execFile);
  await assert.rejects(run(process.execPath, [join(import.meta.dirname, 'check-layers.ts'), src]), (err: { code: number; stderr: string }) => {
    assert.equal(err.code, 1);
    assert.match(err.stderr, /src\/cli\/bad\.ts:1: cli may not import engine/);
    return true;
  });
  const ok = await tree(t, layered);
  const { stdout } = await run(process.execPath, [join(import.meta.dirname, 'check-layers.ts'), ok.src]);
  assert.match(stdout, /no layer violations, no import cycles/);
});
