import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isJanusError } from '../../core/errors.ts';
import { LocalContentStore } from './local-content-store.ts';

const sha = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts).toString();
}

async function blobsOnDisk(root: string): Promise<string[]> {
  try {
    return await readdir(join(root, 'blobs', 'sha256'));
  } catch {
    return [];
  }
}

describe('LocalContentStore', () => {
  let base: string;
  before(async () => { base = await mkdtemp(join(tmpdir(), 'janus-content-')); });
  after(async () => { await rm(base, { recursive: true, force: true }); });
  let n = 0;
  const fresh = async () => {
    const root = join(base, String(n++));
    const store = new LocalContentStore({ root });
    await store.cleanup();
    return { root, store };
  };

  it('writes, commits, reads back and lists a blob', async () => {
    const { root, store } = await fresh();
    const w = await store.writer('a');
    await w.write(Buffer.from('hello '));
    await w.write(Buffer.from('world'));
    assert.equal(w.offset, 11);
    const info = await w.commit(11, sha('hello world'));
    assert.equal(info.digest, sha('hello world'));
    assert.equal(info.size, 11);
    assert.equal(await store.has(info.digest), true);
    assert.equal(await text(await store.read(info.digest)), 'hello world');
    assert.equal(await text(await store.read(info.digest, { offset: 6 })), 'world');
    assert.equal((await store.readAll(info.digest)).toString(), 'hello world');
    const all = [];
    for await (const i of store.walk()) all.push(i.digest);
    assert.deepEqual(all, [sha('hello world')]);
    assert.deepEqual(await blobsOnDisk(root), [sha('hello world').slice(7)]);
    assert.deepEqual(await readdir(join(root, 'ingest')), [], 'ingest is empty after commit');
  });

  it('refuses a wrong digest with DataLoss naming both digests and leaves nothing visible', async () => {
    const { root, store } = await fresh();
    const w = await store.writer('bad');
    await w.write(Buffer.from('evil'));
    const claimed = sha('good');
    await assert.rejects(w.commit(4, claimed), (err: unknown) => {
      assert.ok(isJanusError(err, 'DataLoss'));
      assert.match(err.message, new RegExp(claimed));
      assert.match(err.message, new RegExp(sha('evil')));
      return true;
    });
    assert.equal(await store.has(claimed), false);
    assert.equal(await store.has(sha('evil')), false);
    assert.deepEqual(await blobsOnDisk(root), []);
    assert.deepEqual(await readdir(join(root, 'ingest')), []);
  });

  it('refuses a wrong size with DataLoss', async () => {
    const { store } = await fresh();
    const w = await store.writer('short');
    await w.write(Buffer.from('abc'));
    await assert.rejects(w.commit(10, sha('abc')), (err: unknown) => isJanusError(err, 'DataLoss') && /expected 10 bytes, got 3/.test(err.message));
    assert.equal(await store.has(sha('abc')), false);
  });

  it('makes a second writer on the same ref wait for the first', async () => {
    const { store } = await fresh();
    const order: string[] = [];
    const first = await store.writer('same');
    const secondP = store.writer('same').then((w) => { order.push('second opened'); return w; });
    await new Promise((r) => setTimeout(r, 30));
    order.push('first writing');
    await first.write(Buffer.from('x'));
    await first.commit(1, sha('x'));
    order.push('first committed');
    const second = await secondP;
    assert.deepEqual(order, ['first writing', 'first committed', 'second opened']);
    assert.equal(second.offset, 0);
    // A duplicate commit of existing content succeeds.
    await second.write(Buffer.from('x'));
    assert.equal((await second.commit(1, sha('x'))).digest, sha('x'));
  });

  it('lets a waiting writer give up through its signal', async () => {
    const { store } = await fresh();
    const first = await store.writer('r');
    const ac = new AbortController();
    const p = store.writer('r', { signal: ac.signal });
    ac.abort();
    await assert.rejects(p, (err: unknown) => isJanusError(err, 'Canceled'));
    await first.abort();
    const third = await store.writer('r');
    await third.abort();
  });

  it('resumes an interrupted write and verifies the whole blob', async () => {
    const { root, store } = await fresh();
    const full = Buffer.from('0123456789abcdef');
    const w1 = await store.writer(sha(full));
    await w1.write(full.subarray(0, 10));
    // A crashed daemon never finishes w1; a new store on the same root picks its bytes up.
    const again = new LocalContentStore({ root });
    const w2 = await again.writer(sha(full), { resume: true });
    assert.equal(w2.offset, 10);
    await w2.write(full.subarray(10));
    const info = await w2.commit(full.length, sha(full));
    assert.equal((await again.readAll(info.digest)).toString(), full.toString());
    await w1.abort();
    assert.equal(await store.has(sha(full)), true, 'the stale writer cannot take the committed blob away');
  });

  it('restarts an interrupted write when resume is not asked for', async () => {
    const { root, store } = await fresh();
    const w1 = await store.writer('k');
    await w1.write(Buffer.from('stale'));
    const other = new LocalContentStore({ root });
    const w2 = await other.writer('k');
    assert.equal(w2.offset, 0);
    await w2.write(Buffer.from('new'));
    await w2.commit(3, sha('new'));
    await w1.abort();
  });

  it('cleanup removes leftovers of interrupted writes', async () => {
    const { root, store } = await fresh();
    const w = await store.writer('left');
    await w.write(Buffer.from('partial'));
    assert.equal((await readdir(join(root, 'ingest'))).length, 1);
    await new LocalContentStore({ root }).cleanup();
    assert.deepEqual(await readdir(join(root, 'ingest')), []);
    await w.abort();
  });

  it('readAll reports a blob corrupted on disk as DataLoss', async () => {
    const { root, store } = await fresh();
    const info = await store.put(Buffer.from('pristine'));
    await writeFile(join(root, 'blobs', 'sha256', info.digest.slice(7)), 'tampered');
    await assert.rejects(store.readAll(info.digest), (err: unknown) => isJanusError(err, 'DataLoss') && err.message.includes(info.digest));
  });

  it('put verifies an expected digest; info, read and delete of absent blobs are NotFound', async () => {
    const { store } = await fresh();
    await assert.rejects(store.put(Buffer.from('a'), sha('b')), (err: unknown) => isJanusError(err, 'DataLoss'));
    const absent = sha('nothing');
    await assert.rejects(store.info(absent), (err: unknown) => isJanusError(err, 'NotFound'));
    await assert.rejects(store.read(absent), (err: unknown) => isJanusError(err, 'NotFound'));
    await assert.rejects(store.delete(absent), (err: unknown) => isJanusError(err, 'NotFound'));
    await assert.rejects(store.info('sha256:nothex'), (err: unknown) => isJanusError(err, 'InvalidArgument'));
    const info = await store.put(Buffer.from('bye'));
    await store.delete(info.digest);
    assert.equal(await store.has(info.digest), false);
  });

  it('reports a full disk as ResourceExhausted', { skip: process.getuid?.() !== 0 ? 'needs root to mount a tiny tmpfs' : false }, async () => {
    const { NodeExec } = await import('../../util/exec.ts');
    const exec = new NodeExec();
    const mnt = join(base, 'tiny');
    await mkdir(mnt);
    await exec.run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]);
    try {
      const store = new LocalContentStore({ root: mnt });
      await store.cleanup();
      const w = await store.writer('big');
      await assert.rejects(async () => {
        for (let i = 0; i < 64; i++) await w.write(Buffer.alloc(4096, 1));
      }, (err: unknown) => isJanusError(err, 'ResourceExhausted'));
      await w.abort();
      assert.deepEqual(await readdir(join(mnt, 'blobs', 'sha256')), []);
    } finally {
      await exec.run('umount', [mnt]);
    }
  });
});
