import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRamSize, ramSizeOrUndefined } from './ram-size.ts';

test('memory sizes: powers of 1024, any case, optional b/ib, fractions', () => {
  const cases: Array<[string, number]> = [
    ['0', 0], ['1024', 1024], ['10b', 10], ['1k', 1024], ['1K', 1024], ['1kb', 1024], ['1KiB', 1024], ['64kib', 65536], ['16m', 16 << 20], ['64MiB', 64 << 20],
    ['1.5g', 1.5 * 1024 ** 3], ['2G', 2 * 1024 ** 3], ['1GB', 1024 ** 3], ['1t', 1024 ** 4], ['1p', 1024 ** 5], ['1.5', 1], ['4 m', 4 << 20],
  ];
  for (const [text, bytes] of cases) assert.equal(parseRamSize(text), bytes, text);
  assert.throws(() => parseRamSize('lots'), /invalid size: 'lots'/);
  assert.throws(() => parseRamSize('-5'), /invalid size: '-5'/);
  assert.throws(() => parseRamSize(''), /invalid size: ''/);
  assert.throws(() => parseRamSize('1x'), /invalid suffix: 'x'/);
  assert.throws(() => parseRamSize('1mm'), /invalid suffix: 'mm'/);
  assert.throws(() => parseRamSize('99999999p'), /too large/);
});

test('ramSizeOrUndefined: undefined instead of an error', () => {
  assert.equal(ramSizeOrUndefined('512m'), 512 * 1024 ** 2);
  for (const bad of ['', 'm', '1x', '-1m', '1 gigabyte']) assert.equal(ramSizeOrUndefined(bad), undefined, bad);
});
