import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAdviceText, tradeoffOf } from './advice-report.ts';
import type { BenchResults } from './bench-cache.ts';
import { benchChartSvg, benchTable } from './bench-chart.ts';

const results: BenchResults = {
  version: 1, measuredAt: '2026-12-06T02:00:00Z', quick: true,
  host: { name: 'h1', kernel: '6.1', cpus: 2, memTotal: 8 << 30, accelerator: 'tcg' },
  budgetBytes: 4 << 30, iterations: { start: 3, exec: 3 },
  levels: {
    container: { works: true, coldStartMs: 300, warmStartMs: 200, execMs: 50, idlePssBytes: 2 << 20, fitInBudget: 2048, cpuMBps: 400, ioMBps: 200, notes: [] },
    sandbox: { works: false, why: 'runsc missing', notes: [] },
    vm: { works: true, coldStartMs: 6000, warmStartMs: 1500, execMs: 80, idlePssBytes: 100 << 20, fitInBudget: 40, notes: ['x'] },
  },
};
const host = { levels: { container: { works: true }, sandbox: { works: false, why: 'runsc missing' }, vm: { works: true } }, memAvailable: 1 << 30 };

describe('advice report', () => {
  it('uses the bench figures of the same host, with density in the free memory now', () => {
    const t = tradeoffOf(host, 'h1', { results, path: '/c/bench.json' });
    assert.equal(t.levels!.container.startMs, 200);
    assert.equal(t.levels!.container.fitInFreeMemory, 512);
    assert.equal(t.levels!.vm.fitInFreeMemory, 10);
    assert.equal(t.levels!.sandbox.works, false);
  });

  it('refuses another host\'s figures and says why; says so when there are none', () => {
    assert.match(tradeoffOf(host, 'h2', { results, path: '/c/bench.json' }).missing!, /measured on h1, not on h2/);
    assert.match(tradeoffOf(host, 'h1', { problem: 'no bench results at /c', path: '/c' }).missing!, /no bench results/);
  });

  it('prints level, reasons, trade-off, alternatives, changes and what was not evaluated', () => {
    const text = formatAdviceText([{
      name: 'web', level: 'vm', wanted: 'vm',
      reasons: [{ rule: 'untrusted-code', level: 'vm', evidence: 'label janus.trust=untrusted', detail: 'why' }],
      alternatives: [{ level: 'container', works: true, note: 'weaker' }],
      changes: ['without label janus.trust=untrusted (untrusted-code): container'],
      unevaluated: ['image x: missing'],
      tradeoff: tradeoffOf(host, 'h1', { results, path: '/c' }),
    }]);
    for (const want of ['web: vm', '[untrusted-code → vm] label janus.trust=untrusted', 'vm*', 'start 1500 ms (cold 6000 ms)', '10 fit in free memory', 'container: weaker', '- without label', '- image x: missing']) {
      assert.ok(text.includes(want), `${want} in\n${text}`);
    }
  });

  it('several workloads start with a one-line-each table', () => {
    const base = { wanted: 'container', alternatives: [], changes: [], unevaluated: [], tradeoff: { missing: 'none' } };
    const text = formatAdviceText([
      { ...base, name: 'web', level: 'container', reasons: [{ rule: 'fast-density-default', evidence: 'e', detail: 'd' }] },
      { ...base, name: 'plugin', level: 'vm', wanted: 'vm', reasons: [{ rule: 'untrusted-code', level: 'vm', evidence: 'e', detail: 'd' }] },
    ]).split('\n');
    assert.match(t(text[0]), /^WORKLOAD LEVEL RULES$/);
    assert.equal(t(text[1]), 'web container fast-density-default');
    assert.equal(t(text[2]), 'plugin vm untrusted-code');
  });
});

const t = (line: string): string => line.trim().replace(/\s+/g, ' ');

describe('bench chart and table', () => {
  it('the SVG is self-contained and shows every measured value', () => {
    const svg = benchChartSvg(results);
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.doesNotMatch(svg, /<script|href=|@import|url\(/);
    assert.ok(svg.includes('>6000<') && svg.includes('>1500<') && svg.includes('sandbox (does not work here)'));
  });

  it('the table has a column per level and n/a where a level does not work', () => {
    const t = benchTable(results).split('\n');
    assert.match(t[0], /container\s+sandbox\s+vm/);
    assert.match(t.find((l) => l.startsWith('cold start'))!, /300\s+n\/a\s+6000$/);
  });
});
