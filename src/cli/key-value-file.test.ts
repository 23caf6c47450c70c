import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKeyValueFile } from './key-value-file.ts';

test('env and label files: comments, pass-through keys, values kept as written', () => {
  const file = Buffer.from('\uFEFF# comment\n  A=1\nB\nHOME\n\nC= spaced "q" \r\nD=x=y\n');
  const env = { HOME: '/root' };
  assert.deepEqual(parseKeyValueFile(file, 'env.list', (k) => env[k as keyof typeof env]), ['A=1', 'HOME=/root', 'C= spaced "q" ', 'D=x=y']);
  assert.deepEqual(parseKeyValueFile(file, 'labels.list'), ['A=1', 'B', 'HOME', 'C= spaced "q" ', 'D=x=y']);
  assert.throws(() => parseKeyValueFile(Buffer.from('A B=1\n'), 'f'), /f:1: variable 'A B' contains whitespaces/);
  assert.throws(() => parseKeyValueFile(Buffer.from('ok=1\n=x\n'), 'f'), /f:2: no variable name/);
  assert.throws(() => parseKeyValueFile(Buffer.from([0x41, 0x3d, 0xff]), 'bin'), /invalid utf8/);
});
