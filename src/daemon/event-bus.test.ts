import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineEvent } from '../core/events.ts';
import { MemoryEventBus } from './event-bus.ts';

test('publish stamps strictly increasing times, keeps the last N and feeds subscribers', () => {
  const bus = new MemoryEventBus({ capacity: 2, clock: () => 5n });
  const seen: EngineEvent[] = [];
  const sub = bus.subscribe((e) => seen.push(e));
  assert.deepEqual(sub.backlog, []);
  bus.publish({ type: 'image', action: 'pull', id: 'a', attributes: {} });
  bus.publish({ type: 'image', action: 'tag', id: 'b', attributes: {} });
  bus.publish({ type: 'image', action: 'delete', id: 'c', attributes: {} });
  assert.deepEqual(seen.map((e) => [e.id, e.timeNano]), [['a', 5n], ['b', 6n], ['c', 7n]]);
  sub.unsubscribe();
  sub.unsubscribe();
  bus.publish({ type: 'image', action: 'untag', id: 'd', attributes: {} });
  assert.equal(seen.length, 3, 'no events after unsubscribe');
  assert.deepEqual(bus.subscribe(() => {}).backlog.map((e) => e.id), ['c', 'd'], 'the ring keeps the newest');
});

test('a throwing listener neither breaks publish nor starves other listeners', () => {
  const bus = new MemoryEventBus();
  let got = 0;
  bus.subscribe(() => { throw new Error('bad listener'); });
  bus.subscribe(() => { got++; });
  bus.publish({ type: 'daemon', action: 'reload', id: 'x', attributes: {} });
  assert.equal(got, 1);
});

test('the default clock is in nanoseconds since the epoch', () => {
  const bus = new MemoryEventBus();
  const before = BigInt(Date.now()) * 1_000_000n;
  bus.publish({ type: 'image', action: 'pull', id: 'a', attributes: {} });
  const [e] = bus.subscribe(() => {}).backlog;
  assert.ok(e.timeNano >= before - 5_000_000n && e.timeNano < before + 5_000_000_000n);
});
