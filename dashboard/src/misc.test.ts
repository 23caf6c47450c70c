import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from './backoff.ts';
import { contrastRatio, parseColor } from './contrast.ts';
import { visibleWindow } from './virtual-window.ts';

test('reconnection delays double up to a ceiling, less up to a quarter of jitter', () => {
  const none = { random: () => 0 };
  assert.deepEqual([0, 1, 2, 3, 10].map((a) => backoffDelay(a, none)), [500, 1000, 2000, 4000, 15000]);
  assert.equal(backoffDelay(2, { random: () => 1 }), 1500);
});

test('the virtual list draws the rows in view plus the overscan, never past the ends', () => {
  assert.deepEqual(visibleWindow(0, 480, 48, 200, 8), { start: 0, end: 19 });
  assert.deepEqual(visibleWindow(48 * 100, 480, 48, 200, 8), { start: 92, end: 119 });
  assert.deepEqual(visibleWindow(1e9, 480, 48, 200, 8), { start: 191, end: 200 });
  assert.deepEqual(visibleWindow(0, 480, 48, 0), { start: 0, end: 0 });
});

test('contrast ratios follow WCAG 2', () => {
  assert.deepEqual(parseColor('rgb(255, 0, 10)'), [255, 0, 10, 1]);
  assert.deepEqual(parseColor('rgba(1, 2, 3, 0.5)'), [1, 2, 3, 0.5]);
  assert.deepEqual(parseColor('#1f5fbf'), [31, 95, 191, 1]);
  assert.equal(parseColor('blue'), undefined);
  assert.equal(Math.round(contrastRatio([0, 0, 0], [255, 255, 255])), 21);
  assert.ok(contrastRatio([0x59, 0x59, 0x59], [255, 255, 255]) >= 7);
  assert.ok(contrastRatio([0x99, 0x99, 0x99], [255, 255, 255]) < 4.5);
});
