import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isJanusError } from '../../core/errors.ts';
import { parseBenchResults } from './bench-wire.ts';

const valid = () => ({
  version: 1, measuredAt: '2026-12-06T03:00:00.000Z', quick: true,
  host: { name: 'h', kernel: '6.1.0', cpus: 2, memTotal: 4294967296, accelerator: 'tcg' },
  budgetBytes: 1073741824, iterations: { start: 3, exec: 3 },
  levels: {
    container: { works: true, coldStartMs: 310.5, warmStartMs: 200, execMs: 40, idlePssBytes: 3000000, fitInBudget: 357, cpuMBps: 300, ioMBps: 90, notes: ['idle memory is the PSS of 2 host processes'] },
    sandbox: { works: false, why: 'runsc not found', notes: [] },
    vm: { works: true, coldStartMs: 2400, notes: [] },
  },
});

const refuses = (body: unknown, field: RegExp) =>
  assert.throws(() => parseBenchResults(body), (e) => isJanusError(e, 'InvalidArgument') && field.test(e.message), `expected an error naming ${field}`);

test('parseBenchResults: what janus bench prints comes back equal', () => {
  assert.deepEqual(parseBenchResults(valid()), valid());
  assert.deepEqual(parseBenchResults(JSON.parse(JSON.stringify(valid()))), valid());
});

test('parseBenchResults: unknown fields are refused, naming the field, at every depth', () => {
  refuses({ ...valid(), extra: 1 }, /bench results: extra is not a field/);
  refuses({ ...valid(), host: { ...valid().host, gpu: 'x' } }, /host\.gpu is not a field/);
  refuses({ ...valid(), levels: { ...valid().levels, hybrid: { works: true, notes: [] } } }, /levels\.hybrid is not a field/);
  refuses({ ...valid(), levels: { ...valid().levels, vm: { ...valid().levels.vm, bootMs: 3 } } }, /levels\.vm\.bootMs is not a field/);
});

test('parseBenchResults: wrong types, negative or missing figures and levels are refused, naming the field', () => {
  refuses([], /the body must be a JSON object/);
  refuses(null, /the body must be a JSON object/);
  refuses({ ...valid(), version: 2 }, /version must be 1/);
  refuses({ ...valid(), measuredAt: 'yesterday' }, /measuredAt must be an RFC 3339 time/);
  refuses({ ...valid(), quick: 'yes' }, /quick must be true or false/);
  refuses({ ...valid(), budgetBytes: '1' }, /budgetBytes must be a non-negative number/);
  refuses({ ...valid(), iterations: { start: 3 } }, /iterations\.exec must be a non-negative number/);
  refuses({ ...valid(), host: { ...valid().host, cpus: -1 } }, /host\.cpus must be a non-negative number/);
  refuses({ ...valid(), levels: { container: valid().levels.container, vm: valid().levels.vm } }, /levels\.sandbox is missing/);
  refuses({ ...valid(), levels: { ...valid().levels, vm: { ...valid().levels.vm, coldStartMs: '2400' } } }, /levels\.vm\.coldStartMs must be a non-negative number/);
  refuses({ ...valid(), levels: { ...valid().levels, vm: { works: 1, notes: [] } } }, /levels\.vm\.works must be true or false/);
  refuses({ ...valid(), levels: { ...valid().levels, vm: { works: true, notes: [3] } } }, /levels\.vm\.notes must be an array of strings/);
});
