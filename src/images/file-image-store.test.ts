import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isJanusError } from '../core/errors.ts';
import type { Descriptor } from '../core/oci.ts';
import { FileImageStore } from './file-image-store.ts';

const desc = (c: string): Descriptor => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${c.repeat(64)}`,
  size: 123,
  platform: { architecture: 'amd64', os: 'linux' },
});

describe('FileImageStore', () => {
  let base: string;
  before(async () => { base = await mkdtemp(join(tmpdir(), 'janus-images-')); });
  after(async () => { await rm(base, { recursive: true, force: true }); });
  let n = 0;
  const fresh = () => {
    const path = join(base, String(n++), 'images.json');
    return { path, store: new FileImageStore({ path }) };
  };

  it('sets, gets, lists and deletes names, persisting them across instances', async () => {
    const { path, store } = fresh();
    assert.deepEqual(await store.list(), []);
    const r = await store.set('docker.io/library/busybox:latest', desc('a'));
    assert.equal(r.target.digest, desc('a').digest);
    assert.ok(r.createdAt instanceof Date);
    await store.set('docker.io/library/alpine:3', desc('b'));
    const reopened = new FileImageStore({ path });
    assert.deepEqual((await reopened.list()).map((x) => x.name).sort(), ['docker.io/library/alpine:3', 'docker.io/library/busybox:latest']);
    const got = await reopened.get('docker.io/library/busybox:latest');
    assert.deepEqual(got.target, desc('a'));
    assert.equal(got.createdAt.toISOString(), r.createdAt.toISOString());
    const onDisk = JSON.parse(await readFile(path, 'utf8'));
    assert.equal(typeof onDisk.images[0].createdAt, 'string', 'dates are ISO strings on disk');
    await reopened.delete('docker.io/library/alpine:3');
    await assert.rejects(new FileImageStore({ path }).get('docker.io/library/alpine:3'), (e: unknown) => isJanusError(e, 'NotFound'));
    await assert.rejects(reopened.delete('docker.io/library/alpine:3'), (e: unknown) => isJanusError(e, 'NotFound'));
    assert.deepEqual((await readdir(join(path, '..'))).filter((f) => f.startsWith('.tmp')), [], 'no temp files left');
  });

  it('keeps createdAt and moves updatedAt when a name changes target', async () => {
    const { store } = fresh();
    const first = await store.set('x:1', desc('a'));
    await new Promise((r) => setTimeout(r, 5));
    const same = await store.set('x:1', desc('a'));
    assert.equal(same.updatedAt.getTime(), first.updatedAt.getTime());
    const moved = await store.set('x:1', desc('c'));
    assert.equal(moved.createdAt.getTime(), first.createdAt.getTime());
    assert.ok(moved.updatedAt.getTime() > first.updatedAt.getTime());
  });

  it('serializes concurrent mutations without losing any', async () => {
    const { path, store } = fresh();
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(`n:${i}`, desc('d'))));
    assert.equal((await new FileImageStore({ path }).list()).length, 20);
  });

  it('rejects invalid names and descriptors', async () => {
    const { store } = fresh();
    await assert.rejects(store.set('', desc('a')), (e: unknown) => isJanusError(e, 'InvalidArgument'));
    await assert.rejects(store.set('x', { ...desc('a'), digest: 'sha256:zz' }), (e: unknown) => isJanusError(e, 'InvalidArgument') && /digest/.test(e.message));
  });

  for (const [what, content, pattern] of [
    ['truncated JSON', '{"version":1,"images":[', /not valid JSON/],
    ['a bad digest', JSON.stringify({ version: 1, images: [{ name: 'a', target: { ...desc('a'), digest: 'sha256:1234' }, createdAt: '2024-01-01T00:00:00.000Z', updatedAt: '2024-01-01T00:00:00.000Z' }] }), /digest/],
    ['a bad date', JSON.stringify({ version: 1, images: [{ name: 'a', target: desc('a'), createdAt: 'yesterday', updatedAt: '2024-01-01T00:00:00.000Z' }] }), /createdAt/],
    ['an unknown field', JSON.stringify({ version: 1, images: [], extra: 1 }), /unknown field/],
  ] as const) {
    it(`reports a store file with ${what} as DataLoss naming the file and the way out, and leaves it untouched`, async () => {
      const { path, store } = fresh();
      await store.set('seed', desc('a'));
      await writeFile(path, content);
      const fresh2 = new FileImageStore({ path });
      const check = (e: unknown) => {
        assert.ok(isJanusError(e, 'DataLoss'));
        assert.ok(e.message.includes(path), e.message);
        assert.match(e.message, pattern);
        assert.match(e.message, /move it aside/);
        return true;
      };
      await assert.rejects(fresh2.list(), check);
      await assert.rejects(fresh2.set('other', desc('b')), check);
      assert.equal(await readFile(path, 'utf8'), content, 'the corrupt file is not overwritten');
      await rm(path);
      assert.deepEqual(await fresh2.list(), [], 'recovers once the file is moved aside');
    });
  }
});
