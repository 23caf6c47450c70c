import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatsHistory, type StatsFrame, type WorkloadRates } from './stats-history.ts';

const rates = (cpu: number): WorkloadRates => ({ cpu, mem: cpu * 10, memLimit: 1000, rx: 1, tx: 2, read: 3, write: 4 });
const frame = (time: number, workloads: Record<string, WorkloadRates>): StatsFrame => ({
  time, host: { cpu: 5, cpus: 2, mem: 100, memTotal: 1000, rx: 0, tx: 0, read: 0, write: 0 }, workloads,
});

test('each series keeps the last samples only, times in seconds for the charts', () => {
  const h = new StatsHistory(3);
  for (let i = 0; i < 5; i++) h.push(frame(1000 * (i + 1), { a: rates(i) }));
  assert.deepEqual(h.of('a')?.t, [3, 4, 5]);
  assert.deepEqual(h.of('a')?.cols.cpu, [2, 3, 4]);
  assert.deepEqual(h.of('a')?.cols.mem, [20, 30, 40]);
  assert.equal(h.host.t.length, 3);
  assert.equal(h.latest('a')?.cpu, 4);
  assert.equal(h.version, 5);
});

test('a workload missing from the latest frame has no latest rates; one gone for a whole window is forgotten', () => {
  const h = new StatsHistory(2);
  h.push(frame(1000, { a: rates(1), b: rates(1) }));
  h.push(frame(2000, { a: rates(2) }));
  assert.equal(h.latest('b'), undefined, 'b stopped: no current figure');
  assert.ok(h.of('b'), 'its chart keeps what it had');
  h.push(frame(3000, { a: rates(3) }));
  assert.equal(h.of('b'), undefined, 'forgotten after a window without it');
  h.clear();
  assert.equal(h.of('a'), undefined);
  assert.equal(h.host.t.length, 0);
});
