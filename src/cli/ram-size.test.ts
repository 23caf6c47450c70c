import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isJanusError } from '../core/errors.ts';
import { parseRamSize } from './ram-size.ts';

test('size flags: docker\'s sizes, and InvalidArgument in docker\'s words', () => {
  assert.equal(parseRamSize('64m'), 64 << 20);
  assert.throws(() => parseRamSize('lots'), (err) => isJanusError(err, 'InvalidArgument') && /invalid size: 'lots'/.test(err.message));
});
