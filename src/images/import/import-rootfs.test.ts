import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync, zstdCompressSync } from 'node:zlib';
import tar from 'tar-stream';
import { isJanusError } from '../../core/errors.ts';
import { MediaType } from '../../core/oci.ts';
import { MemoryContentStore } from '../../../test/fakes/memory-content-store.ts';
import { importRootfs } from './import-rootfs.ts';

const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function makeTar(entries: Array<{ name: string; body?: string; type?: 'file' | 'directory' | 'symlink' | 'link'; linkname?: string }>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => { for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c); })();
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      const header = { name: e.name, type: e.type ?? 'file', linkname: e.linkname, mtime: new Date(0) } as const;
      if (e.body !== undefined) pack.entry(header, e.body, cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const rootfs = () => makeTar([
  { name: './', type: 'directory' },
  { name: './bin/', type: 'directory' },
  { name: './bin/busybox', body: 'binary' },
  { name: './bin/sh', type: 'link', linkname: './bin/busybox' },
  { name: './bin/ls', type: 'symlink', linkname: '/bin/busybox' },
]);

for (const [label, wrap] of [
  ['plain', (b: Buffer) => b],
  ['gzip', (b: Buffer) => gzipSync(b)],
  ['zstd', (b: Buffer) => zstdCompressSync(b)],
] as Array<[string, (b: Buffer) => Buffer]>) {
  test(`a ${label} rootfs tar becomes a one-layer gzip image whose diffId is the plain tar's digest`, async () => {
    const plain = await rootfs();
    const store = new MemoryContentStore();
    const created = new Date('2024-05-06T07:08:09Z');
    const made = await importRootfs(Readable.from([wrap(plain)]), store, {
      changes: ['CMD ["sh"]', 'ENV A=1'], message: 'from a tarball', platform: { architecture: 'arm64', os: 'linux', variant: 'v8' }, created,
    });
    const manifest = JSON.parse((await store.readAll(made.manifest.digest)).toString());
    assert.equal(made.manifest.mediaType, MediaType.OciManifest);
    assert.equal(manifest.mediaType, MediaType.OciManifest);
    assert.deepEqual(manifest.config, made.config);
    assert.equal(manifest.layers.length, 1);
    assert.equal(manifest.layers[0].mediaType, MediaType.OciLayerGzip);
    assert.deepEqual(gunzipSync(await store.readAll(manifest.layers[0].digest)), plain);
    const config = JSON.parse((await store.readAll(made.config.digest)).toString());
    assert.deepEqual(config, {
      architecture: 'arm64', os: 'linux', variant: 'v8', created: created.toISOString(),
      config: { Cmd: ['sh'], Env: ['A=1'] },
      rootfs: { type: 'layers', diff_ids: [sha256(plain)] },
      history: [{ created: created.toISOString(), created_by: 'janus import', comment: 'from a tarball' }],
    });
  });
}

test('import is deterministic for the same input and time', async () => {
  const plain = await rootfs();
  const created = new Date('2024-01-01T00:00:00Z');
  const a = await importRootfs(Readable.from([plain]), new MemoryContentStore(), { created });
  const b = await importRootfs(Readable.from([plain]), new MemoryContentStore(), { created });
  assert.equal(a.config.digest, b.config.digest);
  assert.equal(a.manifest.digest, b.manifest.digest);
});

for (const [label, entry, pattern] of [
  ['a ".." entry', { name: '../escape', body: 'x' }, /"\.\.\/escape".*\.\./],
  ['an absolute entry', { name: '/etc/passwd', body: 'x' }, /"\/etc\/passwd" has an absolute name/],
  ['a hard link leading out', { name: 'x', type: 'link', linkname: '../../etc/shadow' }, /hard link "x"/],
] as const) {
  test(`${label} is refused naming the entry, and nothing is stored`, async () => {
    const store = new MemoryContentStore();
    const archive = await makeTar([{ name: 'ok', body: 'fine' }, entry]);
    await assert.rejects(importRootfs(Readable.from([archive]), store), (err: unknown) => {
      assert.ok(isJanusError(err, 'InvalidArgument'), String(err));
      assert.match(err.message, pattern);
      return true;
    });
    const blobs = [];
    for await (const b of store.walk()) blobs.push(b);
    assert.deepEqual(blobs, []);
  });
}

test('input that is not a tar, or compressed in an unsupported way, is InvalidArgument', async () => {
  const notTar = Buffer.from('hello, this is not a tar archive; '.repeat(40));
  await assert.rejects(importRootfs(Readable.from([notTar]), new MemoryContentStore()), (err: unknown) =>
    isJanusError(err, 'InvalidArgument') && /not a valid tar/.test(err.message));
  const xz = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3]);
  await assert.rejects(importRootfs(Readable.from([xz]), new MemoryContentStore()), (err: unknown) =>
    isJanusError(err, 'InvalidArgument') && /xz-compressed/.test(err.message));
  const truncated = gzipSync(await rootfs()).subarray(0, 40);
  await assert.rejects(importRootfs(Readable.from([truncated]), new MemoryContentStore()), (err: unknown) => isJanusError(err, 'InvalidArgument') && /truncated gzip/.test(err.message));
});

test('a bad --change is refused before the archive is read', async () => {
  let read = false;
  const archive = new Readable({ read() { read = true; this.push(null); } });
  await assert.rejects(importRootfs(archive, new MemoryContentStore(), { changes: ['RUN rm -rf /'] }), (err: unknown) =>
    isJanusError(err, 'InvalidArgument') && /RUN is not supported/.test(err.message));
  assert.equal(read, false);
});
