import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoDuration } from './go-duration.ts';

test('Go durations', () => {
  const cases: Array<[string, number]> = [
    ['0', 0], ['1s', 1e9], ['500ms', 5e8], ['1.5s', 1.5e9], ['1h30m', 5400e9], ['2m3s', 123e9], ['10us', 1e4], ['10µs', 1e4], ['7ns', 7], ['-1s', -1e9], ['+2s', 2e9], ['.5s', 5e8],
  ];
  for (const [text, ns] of cases) assert.equal(parseGoDuration(text), ns, text);
  assert.throws(() => parseGoDuration('x'), /time: invalid duration "x"/);
  assert.throws(() => parseGoDuration(''), /time: invalid duration ""/);
  assert.throws(() => parseGoDuration('10'), /time: missing unit in duration "10"/);
  assert.throws(() => parseGoDuration('10d'), /time: unknown unit "d" in duration "10d"/);
  assert.throws(() => parseGoDuration('1s x'), /invalid duration/);
});
