import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { isJanusError } from '../../core/errors.ts';
import { MediaType, type Descriptor } from '../../core/oci.ts';
import { hostPlatform } from '../../registry/platform.ts';
import { MemoryContentStore } from '../../../test/fakes/memory-content-store.ts';
import { storeGzipLayer } from '../import/gzip-layer.ts';
import { storeImage } from '../import/store-image.ts';
import { readImageArchive } from './read-image-archive.ts';
import { writeImageArchive } from './write-image-archive.ts';

const run = promisify(execFile);
const sha256 = (b: Uint8Array | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const hex = (d: string): string => d.slice('sha256:'.length);

type TarFile = { name: string; body?: string | Buffer; type?: 'file' | 'directory' | 'symlink' | 'link'; linkname?: string };

async function makeTar(files: TarFile[]): Promise<Buffer> {
  const pack = tar.pack();
  const done = collect(pack as unknown as AsyncIterable<Buffer>);
  for (const f of files) {
    await new Promise<void>((resolve, reject) => {
      const header = { name: f.name, type: f.type ?? 'file', linkname: f.linkname, mode: 0o644, mtime: new Date(0) } as const;
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (f.body !== undefined) pack.entry(header, f.body, cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  return done;
}

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Reads a tar into name → bytes. */
async function untar(archive: Buffer): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const extract = tar.extract();
  Readable.from([archive]).pipe(extract as unknown as NodeJS.WritableStream);
  for await (const entry of extract) out.set(entry.header.name, await collect(entry as unknown as AsyncIterable<Buffer>));
  return out;
}

/** Puts a one- or two-layer gzip image into `store` the way pull or import leave one. */
async function makeImage(store: MemoryContentStore, text = 'hello') {
  const plain = [await makeTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/hello', body: text }]), await makeTar([{ name: 'two', body: 'second layer' }])];
  const layers = [];
  for (const p of plain) layers.push(await storeGzipLayer(Readable.from([p]), store, { what: 'test layer' }));
  const platform = hostPlatform();
  const made = await storeImage(store, {
    config: {
      architecture: platform.architecture, os: platform.os, created: '2024-01-01T00:00:00Z',
      config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    },
    layers: layers.map((l) => l.layer),
  });
  return { ...made, plain, layers };
}

function expectError(kind: string, pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(isJanusError(err), `want a JanusError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    assert.match(err.message, pattern);
    return true;
  };
}

test('docker format: what docker 25+ save writes, and it loads back with names and the same image ID', async () => {
  const store = new MemoryContentStore();
  const image = await makeImage(store);
  const archive = await collect(writeImageArchive(
    [{ manifest: image.manifest, names: ['docker.io/library/busybox:latest', 'docker.io/library/busybox:1', 'docker.io/library/busybox@' + image.manifest.digest] }],
    store, { format: 'docker' },
  ));
  const files = await untar(archive);
  assert.equal(files.get('oci-layout')?.toString(), '{"imageLayoutVersion":"1.0.0"}');
  const manifestJson = JSON.parse(files.get('manifest.json')!.toString());
  const diffIds = image.layers.map((l) => l.diffId);
  assert.deepEqual(manifestJson, [{
    Config: `blobs/sha256/${hex(image.config.digest)}`,
    RepoTags: ['busybox:latest', 'busybox:1'],
    Layers: diffIds.map((d) => `blobs/sha256/${hex(d)}`),
  }]);
  // Layers referenced by manifest.json are the uncompressed tars themselves.
  for (const [i, d] of diffIds.entries()) assert.deepEqual(files.get(`blobs/sha256/${hex(d)}`), image.plain[i]);
  // Compressed blobs are not carried: docker's archive has the uncompressed form only.
  for (const l of image.layers) assert.equal(files.has(`blobs/sha256/${hex(l.layer.digest)}`), false);
  assert.deepEqual(JSON.parse(files.get('repositories')!.toString()), { busybox: { latest: hex(diffIds[1]), 1: hex(diffIds[1]) } });
  const index = JSON.parse(files.get('index.json')!.toString());
  assert.equal(index.manifests.length, 2);
  assert.deepEqual(index.manifests.map((m: Descriptor) => m.annotations), [
    { 'io.containerd.image.name': 'docker.io/library/busybox:latest', 'org.opencontainers.image.ref.name': 'latest' },
    { 'io.containerd.image.name': 'docker.io/library/busybox:1', 'org.opencontainers.image.ref.name': '1' },
  ]);
  const rewritten = JSON.parse(files.get(`blobs/sha256/${hex(index.manifests[0].digest)}`)!.toString());
  assert.equal(sha256(files.get(`blobs/sha256/${hex(index.manifests[0].digest)}`)!), index.manifests[0].digest);
  assert.deepEqual(rewritten.layers.map((l: Descriptor) => [l.mediaType, l.digest]), diffIds.map((d) => [MediaType.OciLayer, d]));

  const target = new MemoryContentStore();
  const loaded = await readImageArchive(Readable.from([archive]), target);
  assert.equal(loaded.length, 1);
  assert.deepEqual(loaded[0].names.sort(), ['docker.io/library/busybox:1', 'docker.io/library/busybox:latest']);
  const m = JSON.parse((await target.readAll(loaded[0].manifest.digest)).toString());
  assert.equal(m.config.digest, image.config.digest, 'image ID survives the round trip');
  for (const l of m.layers) assert.ok(await target.has(l.digest));
});

test('oci format: the stored manifest and compressed blobs, byte for byte, named by annotations', async () => {
  const store = new MemoryContentStore();
  const image = await makeImage(store);
  const other = await makeImage(store, 'other');
  const archive = await collect(writeImageArchive([
    { manifest: image.manifest, names: ['127.0.0.1:5000/app:v1'] },
    { manifest: other.manifest, names: [] },
  ], store, { format: 'oci' }));
  const files = await untar(archive);
  assert.equal(files.has('manifest.json'), false);
  for (const l of image.layers) assert.ok(files.has(`blobs/sha256/${hex(l.layer.digest)}`));
  const index = JSON.parse(files.get('index.json')!.toString());
  assert.equal(index.mediaType, MediaType.OciIndex);
  assert.equal(index.manifests[0].digest, image.manifest.digest);
  assert.equal(index.manifests[0].annotations['org.opencontainers.image.ref.name'], 'v1');
  assert.equal(index.manifests[1].annotations, undefined);

  const target = new MemoryContentStore();
  const loaded = await readImageArchive(Readable.from([archive]), target);
  assert.deepEqual(loaded.map((l) => [l.manifest.digest, l.names]), [
    [image.manifest.digest, ['127.0.0.1:5000/app:v1']],
    [other.manifest.digest, []],
  ]);
});

test('a legacy docker archive (<id>/layer.tar, shared layers as symlinks) loads with a synthesized OCI manifest', async () => {
  const layer1 = await makeTar([{ name: 'bin/', type: 'directory' }, { name: 'bin/tool', body: 'x' }]);
  const layer2 = await makeTar([{ name: 'data', body: 'y' }]);
  const config = (diffIds: string[]) => JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['tool'] }, rootfs: { type: 'layers', diff_ids: diffIds } });
  const configA = config([sha256(layer1)]);
  const configB = config([sha256(layer1), sha256(layer2)]);
  const idA = 'a'.repeat(64);
  const idB1 = 'b'.repeat(64);
  const idB2 = 'c'.repeat(64);
  const archive = await makeTar([
    { name: `${idA}/`, type: 'directory' },
    { name: `${idA}/VERSION`, body: '1.0' },
    { name: `${idA}/json`, body: '{}' },
    { name: `${idA}/layer.tar`, body: layer1 },
    { name: `${idB1}/layer.tar`, type: 'symlink', linkname: `../${idA}/layer.tar` },
    { name: `${idB2}/layer.tar`, body: layer2 },
    { name: `${hex(sha256(configA))}.json`, body: configA },
    { name: `${hex(sha256(configB))}.json`, body: configB },
    { name: 'manifest.json', body: JSON.stringify([
      { Config: `${hex(sha256(configA))}.json`, RepoTags: ['tool:1'], Layers: [`${idA}/layer.tar`] },
      { Config: `${hex(sha256(configB))}.json`, RepoTags: null, Layers: [`${idB1}/layer.tar`, `${idB2}/layer.tar`] },
    ]) },
    { name: 'repositories', body: JSON.stringify({ tool: { 1: idA } }) },
  ]);
  const store = new MemoryContentStore();
  const loaded = await readImageArchive(Readable.from([gzipSync(archive)]), store);
  assert.equal(loaded.length, 2);
  assert.deepEqual(loaded.map((l) => l.names), [['docker.io/library/tool:1'], []]);
  const m = JSON.parse((await store.readAll(loaded[1].manifest.digest)).toString());
  assert.equal(m.mediaType, MediaType.OciManifest);
  assert.equal(loaded[1].manifest.mediaType, MediaType.OciManifest);
  assert.deepEqual(m.config, { mediaType: MediaType.OciConfig, digest: sha256(configB), size: configB.length });
  assert.deepEqual(m.layers, [
    { mediaType: MediaType.OciLayer, digest: sha256(layer1), size: layer1.length },
    { mediaType: MediaType.OciLayer, digest: sha256(layer2), size: layer2.length },
  ]);
  assert.ok(await store.has(sha256(layer2)));
});

test('a legacy layer.tar that does not match the config diff ID is DataLoss naming the layer', async () => {
  const layer = await makeTar([{ name: 'f', body: 'x' }]);
  const cfg = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256('something else')] } });
  const archive = await makeTar([
    { name: 'l1/layer.tar', body: layer },
    { name: 'cfg.json', body: cfg },
    { name: 'manifest.json', body: JSON.stringify([{ Config: 'cfg.json', RepoTags: ['x:1'], Layers: ['l1/layer.tar'] }]) },
  ]);
  await assert.rejects(readImageArchive(Readable.from([archive]), new MemoryContentStore()), expectError('DataLoss', /"l1\/layer\.tar".*hashes to/));
});

test('an OCI layout with a nested multi-platform index loads the host platform, named by ref.name', async () => {
  const store = new MemoryContentStore();
  const image = await makeImage(store);
  const host = hostPlatform();
  const foreign = { architecture: host.architecture === 's390x' ? 'amd64' : 's390x', os: 'linux' };
  const nested = JSON.stringify({
    schemaVersion: 2, mediaType: MediaType.OciIndex,
    manifests: [
      { mediaType: MediaType.OciManifest, digest: sha256('not there'), size: 9, platform: foreign },
      { ...image.manifest, platform: host },
    ],
  });
  const blobs: TarFile[] = [];
  for (const d of [image.manifest, image.config, ...image.layers.map((l) => l.layer)]) {
    blobs.push({ name: `blobs/sha256/${hex(d.digest)}`, body: await store.readAll(d.digest) });
  }
  const archive = await makeTar([
    { name: 'oci-layout', body: '{"imageLayoutVersion":"1.0.0"}' },
    { name: 'index.json', body: JSON.stringify({ schemaVersion: 2, manifests: [
      { mediaType: MediaType.OciIndex, digest: sha256(nested), size: nested.length, annotations: { 'org.opencontainers.image.ref.name': 'example.com/team/app:2.0' } },
    ] }) },
    { name: `blobs/sha256/${hex(sha256(nested))}`, body: nested },
    ...blobs,
  ]);
  const loaded = await readImageArchive(Readable.from([archive]), new MemoryContentStore());
  assert.deepEqual(loaded, [{ manifest: { mediaType: MediaType.OciManifest, digest: image.manifest.digest, size: image.manifest.size }, names: ['example.com/team/app:2.0'] }]);
});

test('an OCI layout missing a referenced layer is refused as incomplete', async () => {
  const store = new MemoryContentStore();
  const image = await makeImage(store);
  const archive = await makeTar([
    { name: 'oci-layout', body: '{"imageLayoutVersion":"1.0.0"}' },
    { name: 'index.json', body: JSON.stringify({ schemaVersion: 2, manifests: [image.manifest] }) },
    { name: `blobs/sha256/${hex(image.manifest.digest)}`, body: await store.readAll(image.manifest.digest) },
    { name: `blobs/sha256/${hex(image.config.digest)}`, body: await store.readAll(image.config.digest) },
  ]);
  await assert.rejects(readImageArchive(Readable.from([archive]), new MemoryContentStore()), expectError('InvalidArgument', /incomplete.*sha256:/));
});

for (const [label, entry, pattern] of [
  ['a ".." entry', { name: 'blobs/../../etc/passwd', body: 'x' }, /"blobs\/\.\.\/\.\.\/etc\/passwd".*\.\./],
  ['an absolute entry', { name: '/etc/passwd', body: 'x' }, /"\/etc\/passwd".*absolute/],
  ['a symlink leading out', { name: 'evil', type: 'symlink', linkname: '../../etc/shadow' }, /symlink "evil" points outside/],
  ['an absolute symlink', { name: 'evil', type: 'symlink', linkname: '/etc/shadow' }, /symlink "evil" points outside/],
  ['a hard link leading out', { name: 'evil', type: 'link', linkname: '../x' }, /hard link "evil".*\.\./],
] as Array<[string, TarFile, RegExp]>) {
  test(`${label} is refused, naming the entry`, async () => {
    const archive = await makeTar([{ name: 'oci-layout', body: '{}' }, entry]);
    await assert.rejects(readImageArchive(Readable.from([archive]), new MemoryContentStore()), expectError('InvalidArgument', pattern));
  });
}

test('a blob whose bytes do not match its name is DataLoss naming the entry, and is never stored', async () => {
  const good = 'good blob';
  const claimed = sha256(good);
  const archive = await makeTar([
    { name: 'oci-layout', body: '{"imageLayoutVersion":"1.0.0"}' },
    { name: `blobs/sha256/${hex(sha256('fine'))}`, body: 'fine' },
    { name: `blobs/sha256/${hex(claimed)}`, body: 'tampered blob' },
    { name: 'index.json', body: '{"schemaVersion":2,"manifests":[]}' },
  ]);
  const store = new MemoryContentStore();
  await assert.rejects(readImageArchive(Readable.from([archive]), store), expectError('DataLoss', new RegExp(`"blobs/sha256/${hex(claimed)}"`)));
  assert.equal(await store.has(claimed), false);
  assert.equal(await store.has(sha256('tampered blob')), false);
  assert.equal(store.pendingWrites(), 0, 'no half-written blob is left behind');
});

test('malformed documents and non-archives are InvalidArgument naming what is wrong', async () => {
  const cases: Array<[Buffer, RegExp]> = [
    [await makeTar([{ name: 'manifest.json', body: '{"not":"a list"}' }]), /manifest\.json: want an array/],
    [await makeTar([{ name: 'manifest.json', body: '[{"Config":"c.json","Layers":[]}]' }]), /manifest\.json\[0\]\.Config names "c\.json"/],
    [await makeTar([{ name: 'index.json', body: 'nope' }]), /index\.json/],
    [await makeTar([{ name: 'hello', body: 'x' }]), /neither manifest\.json nor index\.json/],
    [Buffer.from('this is not a tar archive at all, just some text that goes on'.repeat(20)), /not a readable tar/],
  ];
  for (const [archive, pattern] of cases) {
    await assert.rejects(readImageArchive(Readable.from([archive]), new MemoryContentStore()), expectError('InvalidArgument', pattern));
  }
});

test('saving an image whose stored layer is corrupted fails the stream with DataLoss', async () => {
  const store = new MemoryContentStore();
  const image = await makeImage(store);
  store.corrupt(image.layers[1].layer.digest);
  await assert.rejects(collect(writeImageArchive([{ manifest: image.manifest, names: [] }], store, { format: 'oci' })), expectError('DataLoss', /corrupted/));
});

test('saving stops when the signal aborts', async () => {
  const store = new MemoryContentStore();
  const image = await makeImage(store);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(collect(writeImageArchive([{ manifest: image.manifest, names: [] }], store, { format: 'docker', signal: ac.signal })), expectError('Canceled', /canceled/));
});

const skopeo = await run('skopeo', ['--version']).then(() => true, () => false);

test('skopeo reads both formats', { skip: skopeo ? false : 'skopeo is not installed' }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'janus-archive-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = new MemoryContentStore();
  const image = await makeImage(store);
  const names = ['docker.io/library/busybox:latest'];

  const ociTar = join(dir, 'oci.tar');
  await writeFile(ociTar, writeImageArchive([{ manifest: image.manifest, names }], store, { format: 'oci' }));
  const layout = join(dir, 'layout');
  await run('mkdir', [layout]);
  await run('tar', ['-xf', ociTar, '-C', layout]);
  const inspected = JSON.parse((await run('skopeo', ['inspect', `oci:${layout}`])).stdout);
  assert.equal(inspected.Digest, image.manifest.digest);
  assert.deepEqual(inspected.Layers, image.layers.map((l) => l.layer.digest));
  const archived = JSON.parse((await run('skopeo', ['inspect', `oci-archive:${ociTar}:latest`])).stdout);
  assert.equal(archived.Digest, image.manifest.digest);

  const dockerTar = join(dir, 'docker.tar');
  await writeFile(dockerTar, writeImageArchive([{ manifest: image.manifest, names }], store, { format: 'docker' }));
  const out = join(dir, 'copied');
  await run('skopeo', ['copy', `docker-archive:${dockerTar}`, `oci:${out}:copied`]);
  const config = JSON.parse((await run('skopeo', ['inspect', '--config', `oci:${out}:copied`])).stdout);
  assert.deepEqual(config.rootfs.diff_ids, image.layers.map((l) => l.diffId));
  const named = JSON.parse((await run('skopeo', ['inspect', `docker-archive:${dockerTar}:busybox:latest`])).stdout);
  assert.deepEqual(named.RepoTags, []);
  assert.equal(named.Layers.length, 2);

  // And what skopeo writes, Janus reads.
  const back = join(dir, 'skopeo.tar');
  await run('skopeo', ['copy', `oci:${out}:copied`, `docker-archive:${back}:example.com/x:y`]);
  const { createReadStream } = await import('node:fs');
  const loaded = await readImageArchive(createReadStream(back), new MemoryContentStore());
  assert.deepEqual(loaded[0].names, ['example.com/x:y']);
});
