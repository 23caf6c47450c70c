import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoDuration, parseGoDuration } from './go-duration.ts';

test('Go durations parse to nanoseconds', () => {
  assert.equal(parseGoDuration('1m30s'), 90e9);
  assert.equal(parseGoDuration('500ms'), 500e6);
  assert.equal(parseGoDuration('1.5h'), 5400e9);
  assert.equal(parseGoDuration('10us'), 10e3);
  assert.equal(parseGoDuration('2h3m4s5ms'), 2 * 3600e9 + 3 * 60e9 + 4e9 + 5e6);
  assert.equal(parseGoDuration('0'), 0);
  for (const bad of ['', '10', 's', '1x', '1m 30s', '-1s', 'abc']) assert.equal(parseGoDuration(bad), undefined, bad);
});

test('formatting reads back exactly', () => {
  for (const ns of [0, 1, 999, 1500, 500e6, 1e9, 90e9, 3600e9, 5400e9, 3661e9 + 5e8, 12345678]) {
    assert.equal(parseGoDuration(formatGoDuration(ns)), ns, String(ns));
  }
  assert.equal(formatGoDuration(90e9), '1m30s');
  assert.equal(formatGoDuration(3600e9), '1h0m0s');
  assert.equal(formatGoDuration(500e6), '500ms');
});
