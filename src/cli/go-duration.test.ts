import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isJanusError } from '../core/errors.ts';
import { parseGoDuration } from './go-duration.ts';

test('duration flags: Go durations, and InvalidArgument in Go\'s words', () => {
  assert.equal(parseGoDuration('-1m30s'), -90e9);
  assert.throws(() => parseGoDuration('10'), (err) => isJanusError(err, 'InvalidArgument') && /time: missing unit in duration "10"/.test(err.message));
});
