import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rename, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { JsonLogger } from '../util/logger.ts';
import { ContainerLogKeeper } from './container-log-keeper.ts';

const quiet = new JsonLogger({ out: new Writable({ write: (_c, _e, cb) => cb() }) });

/** What conmon does at --log-size-max: a fresh file renamed over the live one. */
async function conmonRotates(path: string, firstLine: string): Promise<void> {
  await writeFile(`${path}.tmp`, firstLine);
  await rename(`${path}.tmp`, path);
}

async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('rotations conmon makes are kept as PATH.1, PATH.2 (max-file=3), the oldest dropped', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'janus-logkeep-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'container.log');
  await writeFile(path, 'one\n');
  const keeper = new ContainerLogKeeper(path, 3, quiet);
  await keeper.start();
  await appendFile(path, 'two\n');
  const read = (p: string) => readFile(p, 'utf8').catch(() => undefined);

  await conmonRotates(path, 'three\n');
  await eventually(async () => (await read(`${path}.1`)) === 'one\ntwo\n');
  await conmonRotates(path, 'four\n');
  await eventually(async () => (await read(`${path}.2`)) === 'one\ntwo\n');
  await conmonRotates(path, 'five\n');
  await eventually(async () => (await read(`${path}.2`)) === 'three\n');
  await keeper.stop();

  assert.equal(await read(path), 'five\n');
  assert.equal(await read(`${path}.1`), 'four\n');
  assert.equal(await read(`${path}.2`), 'three\n');
  assert.deepEqual((await readdir(dir)).sort(), ['container.log', 'container.log.1', 'container.log.2', 'container.log.keep']);
});

test('a rotation while no keeper ran is recovered at start through the link', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'janus-logkeep-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'container.log');
  await writeFile(path, 'old\n');
  const first = new ContainerLogKeeper(path, 2, quiet);
  await first.start();
  await first.stop();
  await conmonRotates(path, 'new\n');
  const second = new ContainerLogKeeper(path, 2, quiet);
  await second.start();
  await second.stop();
  assert.equal(await readFile(`${path}.1`, 'utf8'), 'old\n');
  assert.equal(await readFile(path, 'utf8'), 'new\n');
});
