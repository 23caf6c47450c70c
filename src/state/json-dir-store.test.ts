import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonDirStore } from './json-dir-store.ts';

const store = async (onCorrupt?: (id: string) => void) => {
  const dir = join(await mkdtemp(join(tmpdir(), 'janus-state-')), 'records');
  return { dir, s: new JsonDirStore<{ id: string; n: number }>({ dir, onCorrupt }) };
};

test('put, get, list and delete round-trip records', async () => {
  const { s } = await store();
  assert.equal(await s.get('a'), undefined);
  assert.deepEqual(await s.list(), []);
  await s.put('b', { id: 'b', n: 2 });
  await s.put('a', { id: 'a', n: 1 });
  await s.put('a', { id: 'a', n: 3 });
  assert.deepEqual(await s.get('a'), { id: 'a', n: 3 });
  assert.deepEqual(await s.list(), [{ id: 'a', n: 3 }, { id: 'b', n: 2 }]);
  await s.delete('a');
  await s.delete('a');
  assert.deepEqual(await s.list(), [{ id: 'b', n: 2 }]);
});

test('an id that could escape the directory is refused', async () => {
  const { s } = await store();
  await assert.rejects(s.put('../x', { id: 'x', n: 0 }), { kind: 'InvalidArgument' });
  assert.equal(await s.get('../x'), undefined);
});

test('a corrupt record is moved aside and reported, the others still load', async () => {
  const seen: string[] = [];
  const { dir, s } = await store((id) => seen.push(id));
  await s.put('good', { id: 'good', n: 1 });
  await writeFile(join(dir, 'bad.json'), '{"id": "bad", ');
  assert.deepEqual(await s.list(), [{ id: 'good', n: 1 }]);
  assert.deepEqual(seen, ['bad']);
  assert.deepEqual((await readdir(dir)).sort(), ['bad.json.corrupt', 'good.json']);
});

test('cleanup removes temp files of interrupted writes', async () => {
  const { dir, s } = await store();
  await s.put('a', { id: 'a', n: 1 });
  await writeFile(join(dir, '.tmp-a.json-123abc'), '{"id":');
  await s.cleanup();
  assert.deepEqual(await readdir(dir), ['a.json']);
});
