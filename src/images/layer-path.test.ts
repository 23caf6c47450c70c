import assert from 'node:assert/strict';
import { it } from 'node:test';
import { normalizeLayerPath } from './layer-path.ts';

it('normalises harmless names relative to the layer root', () => {
  assert.deepEqual(normalizeLayerPath('./etc/passwd'), { path: 'etc/passwd' });
  assert.deepEqual(normalizeLayerPath('etc//./x/'), { path: 'etc/x' });
  assert.deepEqual(normalizeLayerPath('a/../b'), { path: 'b' });
  assert.deepEqual(normalizeLayerPath('./'), { path: '' });
  assert.deepEqual(normalizeLayerPath('.'), { path: '' });
});

it('refuses names that leave the root or hide NUL', () => {
  assert.deepEqual(normalizeLayerPath('../x'), { error: 'path escapes the layer root through ".."' });
  assert.deepEqual(normalizeLayerPath('a/../../x'), { error: 'path escapes the layer root through ".."' });
  assert.deepEqual(normalizeLayerPath('./../x'), { error: 'path escapes the layer root through ".."' });
  assert.deepEqual(normalizeLayerPath('/etc/x'), { error: 'absolute path' });
  assert.deepEqual(normalizeLayerPath('a\0b'), { error: 'name contains a NUL byte' });
});
