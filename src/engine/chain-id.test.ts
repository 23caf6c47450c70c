import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chainIds } from './chain-id.ts';

const d = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

test('the first chain ID is the first diff ID; later ones hash parent and diff ID', () => {
  const [a, b, c] = [d('a'), d('b'), d('c')];
  const ids = chainIds([a, b, c]);
  assert.equal(ids[0], a);
  const ab = `sha256:${createHash('sha256').update(`${a} ${b}`).digest('hex')}`;
  assert.equal(ids[1], ab);
  assert.equal(ids[2], `sha256:${createHash('sha256').update(`${ab} ${c}`).digest('hex')}`);
  assert.deepEqual(chainIds([]), []);
});

test('one diff ID at different depths gives different chain IDs', () => {
  const [a, b] = [d('a'), d('b')];
  assert.notEqual(chainIds([a, b])[1], chainIds([b])[0]);
});
