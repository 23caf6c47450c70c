import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedLayerBytes } from './shared-layer-bytes.ts';

const layer = (chainId: string, size: number) => ({ chainId, size });

test('a layer counts for every image that has it; what only one image has is not shared', () => {
  const base = layer('c-base', 4000);
  const shared = sharedLayerBytes([
    { id: 'busybox', layers: [base] },
    { id: 'app', layers: [base, layer('c-app', 300)] },
    { id: 'app2', layers: [base, layer('c-app', 300), layer('c-app2', 20)] },
    { id: 'alone', layers: [layer('c-alone', 77)] },
  ]);
  assert.deepEqual(Object.fromEntries(shared), { busybox: 4000, app: 4300, app2: 4300, alone: 0 });
});

test('a single image, or one image under several names, shares nothing', () => {
  assert.deepEqual(Object.fromEntries(sharedLayerBytes([{ id: 'busybox', layers: [layer('c1', 4000)] }])), { busybox: 0 });
  const twice = sharedLayerBytes([{ id: 'busybox', layers: [layer('c1', 4000)] }, { id: 'busybox', layers: [layer('c1', 4000)] }]);
  assert.deepEqual(Object.fromEntries(twice), { busybox: 0 });
});

test('an image without layers shares 0 bytes; no images, no entries', () => {
  assert.deepEqual(Object.fromEntries(sharedLayerBytes([{ id: 'scratch', layers: [] }, { id: 'x', layers: [layer('c', 1)] }])), { scratch: 0, x: 0 });
  assert.equal(sharedLayerBytes([]).size, 0);
});

test('layers are matched by chain ID: the same diff on another base is not shared', () => {
  // Chain IDs differ when what lies below differs, whatever the diff itself is.
  const shared = sharedLayerBytes([
    { id: 'on-a', layers: [layer('c-a', 10), layer('c-a+x', 5)] },
    { id: 'on-b', layers: [layer('c-b', 10), layer('c-b+x', 5)] },
  ]);
  assert.deepEqual(Object.fromEntries(shared), { 'on-a': 0, 'on-b': 0 });
});

test('empty layers (size 0) shared by images add nothing', () => {
  const shared = sharedLayerBytes([
    { id: 'a', layers: [layer('c-empty', 0), layer('c-a', 9)] },
    { id: 'b', layers: [layer('c-empty', 0), layer('c-b', 9)] },
  ]);
  assert.deepEqual(Object.fromEntries(shared), { a: 0, b: 0 });
});
