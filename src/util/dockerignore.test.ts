import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DockerIgnore } from './dockerignore.ts';

test('plain names exclude the path and everything under it', () => {
  const ig = DockerIgnore.parse('# comment\n\nsecret.txt\n/build/\nnode_modules\n');
  assert.equal(ig.excludes('secret.txt'), true);
  assert.equal(ig.excludes('sub/secret.txt'), false);
  assert.equal(ig.excludes('build'), true);
  assert.equal(ig.excludes('build/out/x.o'), true);
  assert.equal(ig.excludes('node_modules/a/b.js'), true);
  assert.equal(ig.excludes('src/main.c'), false);
});

test('*, ?, [] stay within a path element; ** crosses directories', () => {
  const ig = DockerIgnore.parse('*.log\ntemp?\ndoc[0-9]\n**/*.tmp\na/**/z\n');
  assert.equal(ig.excludes('x.log'), true);
  assert.equal(ig.excludes('dir/x.log'), false);
  assert.equal(ig.excludes('temp1'), true);
  assert.equal(ig.excludes('temp12'), false);
  assert.equal(ig.excludes('doc5'), true);
  assert.equal(ig.excludes('docx'), false);
  assert.equal(ig.excludes('x.tmp'), true);
  assert.equal(ig.excludes('deep/er/x.tmp'), true);
  assert.equal(ig.excludes('a/z'), true);
  assert.equal(ig.excludes('a/b/c/z'), true);
});

test('exceptions: the last matching pattern wins', () => {
  const ig = DockerIgnore.parse('*.md\n!README.md\nREADME-secret.md\n');
  assert.equal(ig.excludes('notes.md'), true);
  assert.equal(ig.excludes('README.md'), false);
  const dir = DockerIgnore.parse('logs\n!logs/keep.log\n');
  assert.equal(dir.excludes('logs/other.log'), true);
  assert.equal(dir.excludes('logs/keep.log'), false);
  assert.equal(dir.canSkipDir('logs'), false);
  assert.equal(DockerIgnore.parse('logs\n').canSkipDir('logs'), true);
  assert.equal(DockerIgnore.parse('*\n!keep\n').excludes('keep'), false);
  assert.equal(DockerIgnore.parse('*\n!keep\n').excludes('drop'), true);
});

test('patterns are cleaned: ./x, x/, /x and x/../y', () => {
  const ig = DockerIgnore.parse('./a\nb/\n/c\nd/../e\n');
  for (const p of ['a', 'b', 'c', 'e']) assert.equal(ig.excludes(p), true, p);
  assert.equal(ig.excludes('d'), false);
  assert.equal(DockerIgnore.parse('').empty, true);
});
