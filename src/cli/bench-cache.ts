import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import type { BenchResults } from '../core/bench-results.ts';

export { BENCH_LEVELS, type BenchLevel, type BenchResults, type LevelFigures } from '../core/bench-results.ts';

/** Reads cached results; undefined when there are none or they cannot be read (a reason is given). */
export async function readBenchCache(path: string): Promise<{ results?: BenchResults; problem?: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return { problem: `no bench results at ${path} (janus bench --quick -o FILE writes one)` };
  }
  try {
    const r = JSON.parse(text) as BenchResults;
    if (r.version !== 1 || typeof r.levels !== 'object') return { problem: `${path} is not a bench result this version reads` };
    return { results: r };
  } catch {
    return { problem: `${path} does not parse as JSON` };
  }
}

/** Writes results atomically (a reader never sees half a file). */
export async function writeBenchCache(path: string, results: BenchResults): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(results, null, 2)}\n`);
  await rename(tmp, path);
}
