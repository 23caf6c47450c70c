import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeComposeFiles, plain } from './merge-nodes.ts';
import { parseComposeYaml } from './yaml-nodes.ts';
import type { ComposeNode } from './yaml-nodes.ts';

function child(node: ComposeNode, key: string): ComposeNode {
  assert.equal(node.kind, 'map');
  return (node as Extract<ComposeNode, { kind: 'map' }>).entries.get(key)!;
}

/** The service `s` after merging a service body from each file in order. */
function merged(...bodies: string[]): unknown {
  const roots = bodies.map((b, i) => parseComposeYaml(`services:\n  s: ${b}\n`, `f${i}.yaml`));
  const root = roots.slice(1).reduce(mergeComposeFiles, roots[0]);
  return (plain(root) as { services: { s: unknown } }).services.s;
}

test('compose merge rules, key by key', () => {
  const cases: [string, string, unknown][] = [
    ['{image: a}', '{image: b}', { image: 'b' }],
    ['{command: [a, b]}', '{command: [c]}', { command: ['c'] }],
    ['{entrypoint: x}', '{entrypoint: [y]}', { entrypoint: ['y'] }],
    ['{healthcheck: {test: [CMD, a], retries: 3}}', '{healthcheck: {test: [CMD, b]}}', { healthcheck: { test: ['CMD', 'b'], retries: 3 } }],
    ['{environment: [A=1, B=2]}', '{environment: {B: 3}}', { environment: { A: '1', B: 3 } }],
    ['{environment: {A: 1}}', '{environment: [A, C=]}', { environment: { A: null, C: '' } }],
    ['{labels: [a=1]}', '{labels: [b=2]}', { labels: { a: '1', b: '2' } }],
    ['{sysctls: [net.core.somaxconn=1024]}', '{sysctls: {net.ipv4.tcp_syncookies: 0}}', { sysctls: { 'net.core.somaxconn': '1024', 'net.ipv4.tcp_syncookies': 0 } }],
    ['{logging: {driver: json-file, options: {max-size: 1m}}}', '{logging: {options: {max-file: 2}}}', { logging: { driver: 'json-file', options: { 'max-size': '1m', 'max-file': 2 } } }],
    ['{logging: {driver: json-file, options: {max-size: 1m}}}', '{logging: {driver: none}}', { logging: { driver: 'none' } }],
    ['{depends_on: [a]}', '{depends_on: {b: {condition: service_healthy}}}', { depends_on: { a: null, b: { condition: 'service_healthy' } } }],
    ['{networks: [a]}', '{networks: {a: {aliases: [x]}}}', { networks: { a: { aliases: ['x'] } } }],
    ['{ports: ["80:80"]}', '{ports: ["80:80", "81:81"]}', { ports: ['80:80', '81:81'] }],
    ['{dns: 1.1.1.1}', '{dns: [1.1.1.1, 8.8.8.8]}', { dns: ['1.1.1.1', '8.8.8.8'] }],
    ['{volumes: ["./a:/d", "v:/v"]}', '{volumes: [{type: bind, source: ./b, target: /d}]}', { volumes: [{ type: 'bind', source: './b', target: '/d' }, 'v:/v'] }],
    ['{build: .}', '{build: {args: [X=1]}}', { build: { context: '.', args: ['X=1'] } }],
    ['{build: {args: {X: 1}}}', '{build: {args: [Y=2]}}', { build: { args: { X: 1, Y: '2' } } }],
    ['{ulimits: {nofile: 10}}', '{ulimits: {nproc: 5}}', { ulimits: { nofile: 10, nproc: 5 } }],
    ['{ports: ["80:80"], image: a}', '{ports: !reset []}', { image: 'a' }],
    ['{environment: {A: 1}}', '{environment: !override {B: 2}}', { environment: { B: 2 } }],
    ['{image: a, user: root}', '{user: null}', { image: 'a', user: null }],
  ];
  for (const [a, b, want] of cases) assert.deepEqual(merged(a, b), want, `${a} + ${b}`);
});

test('merging does not modify its inputs, and locations follow the file a value came from', () => {
  const a = parseComposeYaml('services:\n  s:\n    image: a\n    environment: {A: "1"}\n', 'a.yaml');
  const b = parseComposeYaml('services:\n  s:\n    environment: {B: "2"}\n', 'b.yaml');
  const before = JSON.stringify(plain(a));
  const m = mergeComposeFiles(a, b);
  assert.equal(JSON.stringify(plain(a)), before);
  const env = child(child(child(m, 'services'), 's'), 'environment');
  assert.equal(child(env, 'A').loc.file, 'a.yaml');
  assert.equal(child(env, 'B').loc.file, 'b.yaml');
});
