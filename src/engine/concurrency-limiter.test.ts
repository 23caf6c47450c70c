import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { concurrencyLimiter } from './concurrency-limiter.ts';

test('never runs more than the limit at once, starts in order, and survives failures', async () => {
  const limit = concurrencyLimiter(2);
  let inFlight = 0;
  let peak = 0;
  const order: number[] = [];
  const tasks = [30, 5, 5, 5, 1].map((ms, i) => limit(async () => {
    order.push(i);
    inFlight++;
    peak = Math.max(peak, inFlight);
    await sleep(ms);
    inFlight--;
    if (i === 1) throw new Error('task 1 failed');
    return i;
  }));
  const results = await Promise.allSettled(tasks);
  assert.equal(peak, 2);
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
  assert.throws(() => concurrencyLimiter(0), RangeError);
});
