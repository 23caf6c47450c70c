import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DETACH_KEYS, DetachKeyFilter, parseDetachKeys } from './detach-keys.ts';

test('detach keys: docker\'s syntax', () => {
  assert.deepEqual([...parseDetachKeys(DEFAULT_DETACH_KEYS)], [16, 17]);
  assert.deepEqual([...parseDetachKeys('ctrl-a,X,ctrl-@,ctrl-[,ctrl-_,ctrl-Z')], [1, 88, 0, 27, 31, 26]);
  assert.throws(() => parseDetachKeys('ctrl-1'), /unknown character "ctrl-1"/);
  assert.throws(() => parseDetachKeys('ab'), /unknown character "ab"/);
  assert.throws(() => parseDetachKeys(''), /unknown character ""/);
});

test('the filter holds a partial sequence back, releases it when broken, and detaches on the whole sequence', () => {
  const f = new DetachKeyFilter(parseDetachKeys(DEFAULT_DETACH_KEYS));
  assert.deepEqual(f.push(Buffer.from('ls\x10')), { data: Buffer.from('ls'), detached: false });
  assert.deepEqual(f.push(Buffer.from('x')), { data: Buffer.from('\x10x'), detached: false });
  assert.deepEqual(f.push(Buffer.from('\x10\x10')), { data: Buffer.from('\x10'), detached: false });
  assert.deepEqual(f.push(Buffer.from('\x11rest')), { data: Buffer.alloc(0), detached: true });
  const g = new DetachKeyFilter(parseDetachKeys('a,b,c'));
  assert.deepEqual(g.push(Buffer.from('abxaab')), { data: Buffer.from('abxa'), detached: false });
  assert.deepEqual(g.push(Buffer.from('c')), { data: Buffer.alloc(0), detached: true });
});
