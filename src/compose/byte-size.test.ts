import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseByteSize } from './byte-size.ts';

test('sizes use binary units, with or without b', () => {
  assert.equal(parseByteSize('512m'), 512 * 1024 ** 2);
  assert.equal(parseByteSize('1g'), 1024 ** 3);
  assert.equal(parseByteSize('1GB'), 1024 ** 3);
  assert.equal(parseByteSize('1.5g'), 1.5 * 1024 ** 3);
  assert.equal(parseByteSize('100k'), 102400);
  assert.equal(parseByteSize('64kib'), 65536);
  assert.equal(parseByteSize('2048'), 2048);
  assert.equal(parseByteSize('10b'), 10);
  for (const bad of ['', 'm', '1x', '-1m', '1 gigabyte', '1ib']) assert.equal(parseByteSize(bad), undefined, bad);
});
