import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResults } from '../core/bench-results.ts';
import { isJanusError } from '../core/errors.ts';
import { JsonDirStore } from '../state/json-dir-store.ts';
import { BenchService } from './bench-service.ts';

const results = (measuredAt: string): BenchResults => ({
  version: 1, measuredAt, quick: true,
  host: { name: 'h', kernel: '6.1', cpus: 2, memTotal: 4 << 30 },
  budgetBytes: 1 << 30, iterations: { start: 3, exec: 3 },
  levels: {
    container: { works: true, coldStartMs: 300, warmStartMs: 200, notes: [] },
    sandbox: { works: false, why: 'no runsc', notes: [] },
    vm: { works: true, coldStartMs: 2000, notes: ['x'] },
  },
});

test('BenchService: NotFound before any bench, then the latest results, kept in one file under its directory', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'janus-bench-service-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const bench = new BenchService({ store: new JsonDirStore<BenchResults>({ dir: join(dir, 'bench') }) });
  await assert.rejects(bench.latest(), (e) => isJanusError(e, 'NotFound') && /run janus bench/.test(e.message));

  await bench.record(results('2026-01-01T00:00:00Z'));
  await bench.record(results('2026-01-02T00:00:00Z'));
  assert.deepEqual(await bench.latest(), results('2026-01-02T00:00:00Z'));
  // A second service on the same directory (a daemon restart) reads the same figures.
  const again = new BenchService({ store: new JsonDirStore<BenchResults>({ dir: join(dir, 'bench') }) });
  assert.equal((await again.latest()).measuredAt, '2026-01-02T00:00:00Z');
  assert.deepEqual(await readdir(join(dir, 'bench')), ['latest.json']);
  assert.equal(JSON.parse(await readFile(join(dir, 'bench', 'latest.json'), 'utf8')).levels.vm.notes[0], 'x');
});
