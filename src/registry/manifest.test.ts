import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isJanusError, type ErrorKind } from '../core/errors.ts';
import { MediaType } from '../core/oci.ts';
import { layerCompression, parseImageConfig, parseManifestOrIndex } from './manifest.ts';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const D3 = `sha256:${'3'.repeat(64)}`;
const bytes = (v: unknown): Uint8Array => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

const dockerManifest = {
  schemaVersion: 2,
  mediaType: MediaType.DockerManifest,
  config: { mediaType: MediaType.DockerConfig, digest: D1, size: 1469 },
  layers: [{ mediaType: MediaType.DockerLayerGzip, digest: D2, size: 2 }],
};
const ociIndex = {
  schemaVersion: 2,
  manifests: [
    { mediaType: MediaType.OciManifest, digest: D1, size: 10, platform: { architecture: 'amd64', os: 'linux' } },
    { mediaType: MediaType.OciManifest, digest: D2, size: 11, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' }, annotations: { a: 'b' } },
  ],
};

function throwsKind(fn: () => unknown, kind: ErrorKind, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isJanusError(err, kind), `want ${kind}, got ${String(err)}`);
    assert.match(err.message, message);
    return true;
  });
}

test('parses a Docker schema2 manifest by its mediaType', () => {
  const r = parseManifestOrIndex(bytes({ ...dockerManifest, extra: true }));
  assert.equal(r.kind, 'manifest');
  assert.deepEqual(r.kind === 'manifest' && r.manifest, {
    schemaVersion: 2, mediaType: MediaType.DockerManifest, config: dockerManifest.config, layers: dockerManifest.layers,
  });
});

test('OCI manifests and indexes without mediaType are detected by Content-Type, then by shape', () => {
  const { mediaType: _omit, ...noType } = { ...dockerManifest, config: { ...dockerManifest.config, mediaType: MediaType.OciConfig } };
  const byShape = parseManifestOrIndex(bytes(noType));
  assert.equal(byShape.kind === 'manifest' && byShape.manifest.mediaType, MediaType.OciManifest);
  const byHeader = parseManifestOrIndex(bytes(noType), `${MediaType.DockerManifest}; charset=utf-8`);
  assert.equal(byHeader.kind === 'manifest' && byHeader.manifest.mediaType, MediaType.DockerManifest);
  const index = parseManifestOrIndex(bytes(ociIndex), 'application/json');
  assert.equal(index.kind, 'index');
  if (index.kind !== 'index') return;
  assert.equal(index.index.mediaType, MediaType.OciIndex);
  assert.deepEqual(index.index.manifests[1].platform, { architecture: 'arm64', os: 'linux', variant: 'v8' });
  assert.deepEqual(index.index.manifests[1].annotations, { a: 'b' });
});

test('body mediaType wins over Content-Type', () => {
  const r = parseManifestOrIndex(bytes({ ...ociIndex, mediaType: MediaType.DockerManifestList }), MediaType.OciManifest);
  assert.equal(r.kind === 'index' && r.index.mediaType, MediaType.DockerManifestList);
});

test('schema1 is refused as NotImplemented naming the reference', () => {
  throwsKind(() => parseManifestOrIndex(bytes({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }), undefined, { context: '127.0.0.1:5000/x:y' }),
    'NotImplemented', /^schema1 manifests are deprecated and not supported: 127\.0\.0\.1:5000\/x:y$/);
  throwsKind(() => parseManifestOrIndex(bytes({ schemaVersion: 2 }), 'application/vnd.docker.distribution.manifest.v1+prettyjws'),
    'NotImplemented', /schema1/);
});

test('malformed manifests are InvalidArgument naming the field', () => {
  const ctx = { context: 'r/x:1' };
  throwsKind(() => parseManifestOrIndex(bytes('{nope'), undefined, ctx), 'InvalidArgument', /^invalid manifest r\/x:1: malformed JSON/);
  throwsKind(() => parseManifestOrIndex(bytes('[]')), 'InvalidArgument', /want an object, got an array/);
  throwsKind(() => parseManifestOrIndex(bytes({ ...dockerManifest, schemaVersion: 3 })), 'InvalidArgument', /schemaVersion: want 2, got 3/);
  throwsKind(() => parseManifestOrIndex(bytes({ ...dockerManifest, layers: [{ ...dockerManifest.layers[0], digest: 'sha256:xyz' }] })),
    'InvalidArgument', /layers\[0\]\.digest: invalid digest "sha256:xyz"/);
  throwsKind(() => parseManifestOrIndex(bytes({ ...dockerManifest, layers: [{ ...dockerManifest.layers[0], size: -1 }] })),
    'InvalidArgument', /layers\[0\]\.size: want a non-negative integer/);
  throwsKind(() => parseManifestOrIndex(bytes({ ...dockerManifest, layers: [{ ...dockerManifest.layers[0], size: 1.5 }] })),
    'InvalidArgument', /layers\[0\]\.size/);
  throwsKind(() => parseManifestOrIndex(bytes({ ...dockerManifest, config: undefined })), 'InvalidArgument', /config: want an object, got nothing/);
  throwsKind(() => parseManifestOrIndex(bytes({ ...dockerManifest, layers: {} })), 'InvalidArgument', /layers: want an array, got an object/);
  throwsKind(() => parseManifestOrIndex(bytes({ ...dockerManifest, layers: [{ digest: D2, size: 1 }] })), 'InvalidArgument', /layers\[0\]\.mediaType: want a string/);
  throwsKind(() => parseManifestOrIndex(bytes({ ...dockerManifest, annotations: { a: 1 } })), 'InvalidArgument', /annotations\.a: want a string/);
  throwsKind(() => parseManifestOrIndex(bytes({ ...ociIndex, manifests: [{ ...ociIndex.manifests[0], platform: { os: 'linux' } }] })),
    'InvalidArgument', /manifests\[0\]\.platform\.architecture/);
  throwsKind(() => parseManifestOrIndex(bytes({ ...ociIndex, mediaType: MediaType.OciIndex, config: dockerManifest.config })),
    'InvalidArgument', /must not have "config"/);
  throwsKind(() => parseManifestOrIndex(bytes({ schemaVersion: 2, foo: 1 })), 'InvalidArgument', /neither an image manifest/);
  throwsKind(() => parseManifestOrIndex(bytes({ ...dockerManifest, mediaType: 'application/vnd.example+json' })),
    'InvalidArgument', /mediaType: unsupported media type "application\/vnd.example\+json"/);
  throwsKind(() => parseManifestOrIndex(bytes({ ...dockerManifest, config: { ...dockerManifest.config, mediaType: 'application/vnd.cncf.helm.config.v1+json' } })),
    'InvalidArgument', /config\.mediaType: .* is not a container image config/);
});

const config = {
  architecture: 'amd64',
  os: 'linux',
  created: '2024-01-01T00:00:00Z',
  config: { Env: ['PATH=/bin'], Cmd: ['sh'], Entrypoint: null, Labels: null, Volumes: null, Healthcheck: { Test: ['CMD', 'true'], Interval: 1000 } },
  rootfs: { type: 'layers', diff_ids: [D2, D3] },
  history: [{ created_by: 'x', empty_layer: true }],
  container: 'abc',
  docker_version: '20.10',
};

test('parseImageConfig keeps unknown fields and drops docker nulls', () => {
  const c = parseImageConfig(bytes(config));
  assert.equal(c.architecture, 'amd64');
  assert.deepEqual(c.rootfs.diff_ids, [D2, D3]);
  assert.equal(c.container, 'abc');
  assert.equal(c.docker_version, '20.10');
  assert.deepEqual(c.config, { Env: ['PATH=/bin'], Cmd: ['sh'], Entrypoint: null, Healthcheck: { Test: ['CMD', 'true'], Interval: 1000 } });
  assert.deepEqual(parseImageConfig(bytes({ ...config, rootfs: { type: 'layers' } })).rootfs.diff_ids, []);
});

test('parseImageConfig rejects wrong shapes naming the field', () => {
  throwsKind(() => parseImageConfig(bytes({ ...config, architecture: 5 })), 'InvalidArgument', /architecture: want a string, got a number/);
  throwsKind(() => parseImageConfig(bytes({ ...config, os: '' })), 'InvalidArgument', /os: must not be empty/);
  throwsKind(() => parseImageConfig(bytes({ ...config, rootfs: { type: 'layers', diff_ids: [D1, 'nope'] } }), { context: 'x:1' }),
    'InvalidArgument', /^invalid image config x:1: rootfs\.diff_ids\[1\]: invalid digest "nope"/);
  throwsKind(() => parseImageConfig(bytes({ ...config, rootfs: { type: 'tar', diff_ids: [] } })), 'InvalidArgument', /rootfs\.type: want "layers"/);
  throwsKind(() => parseImageConfig(bytes({ ...config, rootfs: undefined })), 'InvalidArgument', /rootfs: want an object/);
  throwsKind(() => parseImageConfig(bytes({ ...config, config: { Env: 'A=B' } })), 'InvalidArgument', /config\.Env: want an array/);
  throwsKind(() => parseImageConfig(bytes({ ...config, config: { Cmd: [1] } })), 'InvalidArgument', /config\.Cmd\[0\]: want a string/);
  throwsKind(() => parseImageConfig(bytes({ ...config, config: { Healthcheck: { Retries: 'x' } } })), 'InvalidArgument', /config\.Healthcheck\.Retries/);
  throwsKind(() => parseImageConfig(bytes({ ...config, history: [{ empty_layer: 'yes' }] })), 'InvalidArgument', /history\[0\]\.empty_layer/);
  throwsKind(() => parseImageConfig(bytes('not json')), 'InvalidArgument', /malformed JSON/);
});

test('layerCompression', () => {
  assert.equal(layerCompression(MediaType.DockerLayerGzip), 'gzip');
  assert.equal(layerCompression(MediaType.OciLayerGzip), 'gzip');
  assert.equal(layerCompression(MediaType.OciLayerZstd), 'zstd');
  assert.equal(layerCompression(MediaType.OciLayer), 'none');
  assert.equal(layerCompression('application/vnd.docker.image.rootfs.diff.tar'), 'none');
  throwsKind(() => layerCompression(MediaType.DockerLayerForeignGzip), 'InvalidArgument', /foreign \(non-distributable\) layers are not supported/);
  throwsKind(() => layerCompression(MediaType.OciLayerNonDistributableGzip), 'InvalidArgument', /non-distributable/);
  throwsKind(() => layerCompression('application/x-tar+bz2'), 'InvalidArgument', /unsupported layer media type "application\/x-tar\+bz2"/);
});
