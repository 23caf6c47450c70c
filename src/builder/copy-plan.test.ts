import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerIgnore } from '../util/dockerignore.ts';
import { planCopy, type CopyPlanOptions } from './copy-plan.ts';
import { ContextTree } from './source-tree.ts';

let dir: string;
let tree: ContextTree;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'janus-copy-plan-'));
  await mkdir(join(dir, 'src', 'sub'), { recursive: true });
  await writeFile(join(dir, 'a.txt'), 'a');
  await writeFile(join(dir, 'b.txt'), 'bb');
  await writeFile(join(dir, 'skip.log'), 'x');
  await writeFile(join(dir, 'src', 'main.c'), 'int main;');
  await writeFile(join(dir, 'src', 'sub', 'x.h'), '#x');
  await chmod(join(dir, 'src', 'main.c'), 0o600);
  await symlink('main.c', join(dir, 'src', 'link'));
  await symlink('/etc/passwd', join(dir, 'abs-link'));
  tree = new ContextTree(dir, DockerIgnore.parse('*.log\n'));
});
after(async () => { await rm(dir, { recursive: true, force: true }); });

const plan = (over: Partial<CopyPlanOptions>) => planCopy({
  instruction: 'COPY', sources: [], tree, fromContext: true, dest: '/app', destIsDir: false, destExists: false, ...over,
});

test('a file to a file, a file into a directory', async () => {
  assert.deepEqual((await plan({ sources: [{ path: 'a.txt' }], dest: '/app/x.txt' })).entries.map((e) => e.dest), ['app/x.txt']);
  assert.deepEqual((await plan({ sources: [{ path: 'a.txt' }], destIsDir: true })).entries.map((e) => e.dest), ['app/a.txt']);
});

test('a directory copies its contents (symlinks kept), its modes kept unless --chmod', async () => {
  const { entries } = await plan({ sources: [{ path: 'src' }], destIsDir: true });
  assert.deepEqual(entries.map((e) => [e.dest, e.type]), [['app', 'directory'], ['app/link', 'symlink'], ['app/main.c', 'file'], ['app/sub', 'directory'], ['app/sub/x.h', 'file']]);
  assert.equal(entries.find((e) => e.dest === 'app/main.c')!.mode, 0o600);
  assert.equal(entries.find((e) => e.dest === 'app/link')!.linkname, 'main.c');
  const chmodded = await plan({ sources: [{ path: 'src' }], destIsDir: true, destExists: true, chmod: 0o755 });
  assert.ok(chmodded.entries.every((e) => e.type === 'symlink' || e.mode === 0o755));
  assert.ok(!chmodded.entries.some((e) => e.dest === 'app'), 'an existing destination keeps its own metadata');
});

test('wildcards, .dockerignore, and several sources need a directory', async () => {
  const { entries } = await plan({ sources: [{ path: '*.txt' }], destIsDir: true });
  assert.deepEqual(entries.map((e) => e.dest), ['app/a.txt', 'app/b.txt']);
  await assert.rejects(plan({ sources: [{ path: '*.txt' }] }), /must be a directory and end with a \//);
  await assert.rejects(plan({ sources: [{ path: 'skip.log' }] }), /file not found in build context or excluded by \.dockerignore: stat skip\.log/);
  await assert.rejects(plan({ sources: [{ path: '*.nothing' }], destIsDir: true }), /no source files were specified/);
});

test('paths out of the context are refused; symlinks resolve within it', async () => {
  await assert.rejects(plan({ sources: [{ path: '../etc/passwd' }] }), /forbidden path outside the build context: \.\.\/etc\/passwd/);
  // An absolute link target is taken from the context's root: /etc/passwd is not in the context.
  await assert.rejects(plan({ sources: [{ path: 'abs-link' }] }), /file not found/);
  const viaLink = await plan({ sources: [{ path: 'src/link' }], dest: '/m.c' });
  assert.deepEqual(viaLink.entries.map((e) => [e.dest, e.type, e.size]), [['m.c', 'file', 9]]);
});

test('the checksum follows contents and names, not times', async () => {
  const one = await plan({ sources: [{ path: 'src' }], destIsDir: true });
  const two = await plan({ sources: [{ path: 'src' }], destIsDir: true });
  assert.equal(one.checksum, two.checksum);
  assert.match(one.describe, /^dir:[0-9a-f]{64}$/);
  await writeFile(join(dir, 'src', 'sub', 'x.h'), '#y');
  assert.notEqual((await plan({ sources: [{ path: 'src' }], destIsDir: true })).checksum, one.checksum);
  const inline = await plan({ sources: [{ inline: 'EOF', content: Buffer.from('hi\n') }], destIsDir: true });
  assert.deepEqual(inline.entries.map((e) => [e.dest, e.mode]), [['app/EOF', 0o644]]);
});
