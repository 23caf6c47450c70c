import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isJanusError } from '../../src/core/errors.ts';
import { MemoryContentStore } from './memory-content-store.ts';

const sha256 = (b: string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

test('the fake keeps the ContentStore promises tests rely on', async () => {
  const store = new MemoryContentStore();
  const w = await store.writer('ref');
  await w.write(Buffer.from('hello '));
  assert.equal(await store.has(sha256('hello world')), false);
  await w.write(Buffer.from('world'));
  assert.equal(w.offset, 11);
  await assert.rejects(w.commit(11, sha256('other')), (err: unknown) => isJanusError(err, 'DataLoss'));
  assert.equal(await store.has(sha256('hello world')), false);

  const info = await store.put(Buffer.from('hello world'));
  assert.equal(info.digest, sha256('hello world'));
  assert.equal((await store.readAll(info.digest)).toString(), 'hello world');
  await assert.rejects(store.put(Buffer.from('x'), sha256('y')), (err: unknown) => isJanusError(err, 'DataLoss'));
  await assert.rejects(store.info(sha256('nope')), (err: unknown) => isJanusError(err, 'NotFound'));

  const first = await store.writer('same');
  let secondOpened = false;
  const second = store.writer('same').then((s) => { secondOpened = true; return s; });
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(secondOpened, false, 'a second writer on one ref waits');
  await first.abort();
  await (await second).abort();

  store.corrupt(info.digest);
  await assert.rejects(store.readAll(info.digest), (err: unknown) => isJanusError(err, 'DataLoss'));
});
