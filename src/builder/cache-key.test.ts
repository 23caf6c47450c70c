import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, stepCacheKey } from './cache-key.ts';

const parent = `sha256:${'a'.repeat(64)}` as const;

test('equal steps give equal keys, whatever the order of config keys', () => {
  const a = stepCacheKey({ parent, createdBy: '/bin/sh -c make', config: { Env: ['A=1'], Cmd: ['x'] } });
  const b = stepCacheKey({ parent, createdBy: '/bin/sh -c make', config: { Cmd: ['x'], Env: ['A=1'] } });
  assert.equal(a, b);
  assert.match(a, /^sha256:[0-9a-f]{64}$/);
});

test('a changed parent, instruction, build arg, file checksum, config or network changes the key', () => {
  const base = { parent, createdBy: '/bin/sh -c #(nop) COPY file:1111 in /app ', config: { Env: ['A=1'] } };
  const key = stepCacheKey(base);
  const others = [
    stepCacheKey({ ...base, parent: `sha256:${'b'.repeat(64)}` }),
    stepCacheKey({ ...base, parent: undefined }),
    stepCacheKey({ ...base, createdBy: '/bin/sh -c #(nop) COPY file:2222 in /app ' }),
    stepCacheKey({ ...base, createdBy: `|1 X=2 ${base.createdBy}` }),
    stepCacheKey({ ...base, config: { Env: ['A=2'] } }),
    stepCacheKey({ ...base, extra: 'network=host' }),
  ];
  assert.equal(new Set([key, ...others]).size, others.length + 1);
});

test('canonical JSON sorts keys at every level and drops undefined members', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: undefined }], c: null } }), '{"a":{"c":null,"d":[1,{"f":2}]},"b":1}');
});
