import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plain } from './merge-nodes.ts';
import { parseComposeYaml } from './yaml-nodes.ts';
import type { MapNode } from './yaml-nodes.ts';

test('values keep the line of their key, list items their own line', () => {
  const root = parseComposeYaml('services:\n  web:\n    image: busybox\n    ports:\n      - "80"\n      - "81"\n', 'c.yaml');
  const web = (root.entries.get('services') as MapNode).entries.get('web') as MapNode;
  assert.deepEqual(web.loc, { file: 'c.yaml', line: 2 });
  assert.equal(web.entries.get('image')!.loc.line, 3);
  const ports = web.entries.get('ports')!;
  assert.equal(ports.kind === 'seq' && ports.items[1].loc.line, 6);
});

test('anchors expand, merge keys give way to explicit keys and to earlier merged mappings', () => {
  const root = parseComposeYaml('a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  x: 0\n', 'c.yaml');
  assert.deepEqual(plain(root.entries.get('c')!), { x: 0, y: 1, z: 2 });
  const quoted = parseComposeYaml('c: {"<<": 1}\n', 'c.yaml');
  assert.deepEqual(plain(quoted), { c: { '<<': 1 } }, 'a quoted << is an ordinary key');
});

test('!reset and !override are recorded; other tags are refused', () => {
  const root = parseComposeYaml('a: !reset []\nb: !override {x: 1}\nc: !!str 5\n', 'c.yaml');
  assert.equal(root.entries.get('a')!.tag, 'reset');
  assert.equal(root.entries.get('b')!.tag, 'override');
  assert.deepEqual(plain(root.entries.get('c')!), '5');
  assert.throws(() => parseComposeYaml('a: !custom 1\n', 'c.yaml'), { message: 'c.yaml:1: unknown YAML tag !custom (compose knows !reset and !override)' });
});

test('YAML 1.2 scalars: yes/no/on/off stay strings, 80:80 is a string, numbers keep their text', () => {
  const root = parseComposeYaml('a: yes\nb: off\nc: 80:80\nd: 1.10\ne: true\nf: ~\n', 'c.yaml');
  assert.deepEqual(plain(root), { a: 'yes', b: 'off', c: '80:80', d: 1.1, e: true, f: null });
  const d = root.entries.get('d')!;
  assert.equal(d.kind === 'scalar' && d.source, '1.10');
});

test('an anchor expansion bomb is stopped', () => {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i <= 7; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
  assert.throws(() => parseComposeYaml(`${lines.join('\n')}\n`, 'bomb.yaml'), { message: /^bomb\.yaml: too many values after expanding anchors/ });
});

test('an empty file is an empty mapping; a list at the top is refused', () => {
  assert.equal(parseComposeYaml('', 'c.yaml').entries.size, 0);
  assert.equal(parseComposeYaml('# only a comment\n', 'c.yaml').entries.size, 0);
  assert.throws(() => parseComposeYaml('[1]\n', 'c.yaml'), { message: 'c.yaml:1: the top level must be a mapping' });
});
