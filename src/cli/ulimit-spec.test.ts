import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUlimit } from './ulimit-spec.ts';

test('--ulimit: soft[:hard], unlimited, docker\'s errors', () => {
  assert.deepEqual(parseUlimit('nofile=10:20'), { Name: 'nofile', Soft: 10, Hard: 20 });
  assert.deepEqual(parseUlimit('nproc=5'), { Name: 'nproc', Soft: 5, Hard: 5 });
  assert.deepEqual(parseUlimit('memlock=-1:unlimited'), { Name: 'memlock', Soft: -1, Hard: -1 });
  assert.deepEqual(parseUlimit('core=100:-1'), { Name: 'core', Soft: 100, Hard: -1 });
  assert.throws(() => parseUlimit('nofile=10:5'), /ulimit soft limit must be less than or equal to hard limit: 10 > 5/);
  assert.throws(() => parseUlimit('nofile'), /invalid ulimit argument: nofile/);
  assert.throws(() => parseUlimit('bogus=1'), /invalid ulimit type: bogus/);
  assert.throws(() => parseUlimit('nofile=a'), /parsing "a": invalid syntax/);
  assert.throws(() => parseUlimit('nofile=1:2:3'), /too many limit value arguments - 1:2:3/);
});
