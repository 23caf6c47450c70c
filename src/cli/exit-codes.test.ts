import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exitCodeFor } from './exit-codes.ts';
import { UsageError } from './usage-error.ts';
import { JanusError } from '../core/errors.ts';
import { DaemonError } from '../api/client/daemon-error.ts';

test('exit codes: usage errors 125, every other error 1', () => {
  assert.equal(exitCodeFor(new UsageError('unknown flag: --x')), 125);
  assert.equal(exitCodeFor(new DaemonError(404, 'No such image: x')), 1);
  assert.equal(exitCodeFor(new DaemonError(400, 'invalid reference format')), 1, 'a daemon InvalidArgument is not a usage error');
  assert.equal(exitCodeFor(new JanusError('Unavailable', 'Cannot connect')), 1);
  assert.equal(exitCodeFor(new Error('bug')), 1);
});
