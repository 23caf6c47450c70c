import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { isJanusError, unavailable } from '../core/errors.ts';
import type { Descriptor } from '../core/oci.ts';
import { MemoryContentStore } from '../../test/fakes/memory-content-store.ts';
import { downloadBlob } from './download-blob.ts';

const blob = Buffer.from('0123456789'.repeat(1000));
const desc: Descriptor = {
  mediaType: 'application/vnd.oci.image.layer.v1.tar',
  digest: `sha256:${createHash('sha256').update(blob).digest('hex')}`,
  size: blob.length,
};

/** A stream of `bytes` in 1000-byte chunks that breaks (Unavailable) after `breakAfter` bytes. */
function source(bytes: Buffer, breakAfter = Infinity): Readable {
  return Readable.from((async function* () {
    for (let off = 0; off < bytes.length; off += 1000) {
      if (off >= breakAfter) throw unavailable('connection reset by peer');
      yield bytes.subarray(off, off + 1000);
    }
  })());
}

test('a broken download resumes at the offset it reached and commits the verified blob', async () => {
  const store = new MemoryContentStore();
  const offsets: number[] = [];
  let progress = 0;
  await downloadBlob(store, desc, {
    fetch: async (offset) => {
      offsets.push(offset);
      return offsets.length === 1 ? source(blob, 4000) : source(blob.subarray(offset));
    },
    onProgress: (n) => { progress = n; },
    retries: 2,
  });
  assert.deepEqual(offsets, [0, 4000]);
  assert.equal(progress, blob.length);
  assert.deepEqual(await store.readAll(desc.digest), blob);
});

test('bytes that do not match the digest are DataLoss at once, and nothing becomes visible', async () => {
  const store = new MemoryContentStore();
  const wrong = Buffer.from(blob);
  wrong[5] = 0x41;
  let calls = 0;
  await assert.rejects(
    downloadBlob(store, desc, { fetch: async () => { calls++; return source(wrong); }, retries: 3 }),
    (e: unknown) => isJanusError(e, 'DataLoss') && e.message.includes(desc.digest),
  );
  assert.equal(calls, 1, 'a digest mismatch is not retried');
  assert.equal(await store.has(desc.digest), false);
});

test('a registry sending more than the declared size is refused', async () => {
  const store = new MemoryContentStore();
  await assert.rejects(
    downloadBlob(store, desc, { fetch: async () => source(Buffer.concat([blob, Buffer.from('extra')])) }),
    (e: unknown) => isJanusError(e, 'DataLoss') && /more than the 10000 bytes/.test(e.message),
  );
  assert.equal(await store.has(desc.digest), false);
});

test('a blob already in the store is not fetched again', async () => {
  const store = new MemoryContentStore();
  await store.put(blob, desc.digest);
  await downloadBlob(store, desc, { fetch: async () => { throw new Error('must not fetch'); } });
});
