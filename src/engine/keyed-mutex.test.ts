import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedMutex } from './keyed-mutex.ts';

test('runs of one key never overlap, and a failure does not block the next', async () => {
  const m = new KeyedMutex();
  const log: string[] = [];
  const a = m.run('k', async () => { log.push('a+'); await sleep(20); log.push('a-'); throw new Error('boom'); });
  const b = m.run('k', async () => { log.push('b+'); await sleep(1); log.push('b-'); return 2; });
  await assert.rejects(a, /boom/);
  assert.equal(await b, 2);
  assert.deepEqual(log, ['a+', 'a-', 'b+', 'b-']);
});

test('different keys run concurrently', async () => {
  const m = new KeyedMutex();
  const log: string[] = [];
  await Promise.all([
    m.run('x', async () => { log.push('x+'); await sleep(20); log.push('x-'); }),
    m.run('y', async () => { log.push('y+'); await sleep(1); log.push('y-'); }),
  ]);
  assert.deepEqual(log, ['x+', 'y+', 'y-', 'x-']);
});
