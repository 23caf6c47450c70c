import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoDuration, parseGoDuration, unsignedGoDuration } from './go-duration.ts';

test('Go durations parse to nanoseconds', () => {
  const cases: Array<[string, number]> = [
    ['0', 0], ['1s', 1e9], ['500ms', 5e8], ['1.5s', 1.5e9], ['1.5h', 5400e9], ['1h30m', 5400e9], ['2m3s', 123e9], ['10us', 1e4], ['10µs', 1e4],
    ['7ns', 7], ['-1s', -1e9], ['+2s', 2e9], ['.5s', 5e8], ['2h3m4s5ms', 2 * 3600e9 + 3 * 60e9 + 4e9 + 5e6],
  ];
  for (const [text, ns] of cases) assert.equal(parseGoDuration(text), ns, text);
});

test('malformed durations are refused in Go\'s words', () => {
  assert.throws(() => parseGoDuration('x'), /time: invalid duration "x"/);
  assert.throws(() => parseGoDuration(''), /time: invalid duration ""/);
  assert.throws(() => parseGoDuration('10'), /time: missing unit in duration "10"/);
  assert.throws(() => parseGoDuration('10d'), /time: unknown unit "d" in duration "10d"/);
  assert.throws(() => parseGoDuration('1s x'), /invalid duration/);
  assert.throws(() => parseGoDuration('1m 30s'), /invalid duration/);
});

test('unsigned durations (Dockerfiles, compose files): no sign, undefined when malformed', () => {
  assert.equal(unsignedGoDuration('1m30s'), 90e9);
  for (const bad of ['', '10', 's', '1x', '1m 30s', '-1s', '+1s', 'abc']) assert.equal(unsignedGoDuration(bad), undefined, bad);
});

test('formatting reads back exactly', () => {
  for (const ns of [0, 1, 999, 1500, 500e6, 1e9, 90e9, 3600e9, 5400e9, 3661e9 + 5e8, 12345678, -90e9]) {
    assert.equal(parseGoDuration(formatGoDuration(ns)), ns, String(ns));
  }
  assert.equal(formatGoDuration(90e9), '1m30s');
  assert.equal(formatGoDuration(3600e9), '1h0m0s');
  assert.equal(formatGoDuration(500e6), '500ms');
  assert.equal(formatGoDuration(1500), '1.5µs');
});
