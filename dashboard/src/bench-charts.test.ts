import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchCharts, type BenchResultsWire } from './bench-charts.ts';

const results: BenchResultsWire = {
  measuredAt: '2026-12-06T03:00:00.000Z', quick: true, host: { name: 'h', accelerator: 'tcg' }, budgetBytes: 1 << 30,
  levels: {
    vm: { works: true, coldStartMs: 2400, warmStartMs: 600, idlePssBytes: 150 * 1024 * 1024, fitInBudget: 6, notes: [] },
    container: { works: true, coldStartMs: 300, warmStartMs: 150, execMs: 4.25, idlePssBytes: 3 * 1024 * 1024, fitInBudget: 341, cpuMBps: 310, ioMBps: 80, notes: [] },
    sandbox: { works: false, why: 'runsc not found', notes: [] },
  },
};

test('one chart per metric, bars in level order, scaled to the largest figure, labelled in its unit', () => {
  const charts = benchCharts(results);
  assert.deepEqual(charts.map((c) => c.metric), ['coldStartMs', 'warmStartMs', 'execMs', 'idlePssBytes', 'fitInBudget', 'cpuMBps', 'ioMBps']);
  const cold = charts[0];
  assert.equal(cold.better, 'lower');
  assert.deepEqual(cold.bars.map((b) => b.level), ['container', 'sandbox', 'vm']);
  assert.deepEqual(cold.bars.map((b) => b.label), ['300 ms', 'does not work here', '2400 ms']);
  assert.deepEqual(cold.bars.map((b) => b.fraction), [0.125, 0, 1]);
  assert.equal(charts[2].bars[0].label, '4.3 ms');
  assert.equal(charts[3].bars[2].label, '150 MiB');
  assert.equal(charts[4].better, 'higher');
  assert.deepEqual(charts[4].bars.map((b) => b.label), ['341', 'does not work here', '6']);
});

test('a working level without a figure says "not measured", and a metric nobody measured has no bar at all', () => {
  const charts = benchCharts(results);
  const cpu = charts.find((c) => c.metric === 'cpuMBps')!;
  assert.deepEqual(cpu.bars.map((b) => [b.label, b.measured, b.fraction]), [['310 MB/s', true, 1], ['does not work here', false, 0], ['not measured', false, 0]]);
  const none = benchCharts({ ...results, levels: { container: { works: true, notes: [] } } });
  assert.deepEqual(none[0].bars, [{ level: 'container', fraction: 0, label: 'not measured', measured: false }]);
});
