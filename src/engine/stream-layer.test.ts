import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { invalidArgument, isJanusError } from '../core/errors.ts';
import type { AppliedLayer, LayerApplier } from '../core/layer-applier.ts';
import type { Descriptor } from '../core/oci.ts';
import { MemoryContentStore } from '../../test/fakes/memory-content-store.ts';
import { streamLayer } from './stream-layer.ts';

const bytes = Buffer.from('layer-bytes '.repeat(50_000));
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const layer: Descriptor = { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(bytes), size: bytes.length };
const chunks = (b: Buffer) => Readable.from((function* () { for (let o = 0; o < b.length; o += 4096) yield b.subarray(o, o + 4096); })());

/** An applier that reads everything it is given, as the tar applier does, and records it. */
class RecordingApplier implements LayerApplier {
  seen = Buffer.alloc(0);
  failAfter = Infinity;
  async apply(stream: Readable): Promise<AppliedLayer> {
    const parts: Buffer[] = [];
    let n = 0;
    for await (const c of stream) {
      parts.push(c as Buffer);
      n += (c as Buffer).length;
      if (n > this.failAfter) throw invalidArgument('refusing tar entry "../x"');
    }
    this.seen = Buffer.concat(parts);
    return { diffId: sha(this.seen), size: n };
  }
}

test('one download feeds the content store and the applier with the same bytes', async () => {
  const store = new MemoryContentStore();
  const applier = new RecordingApplier();
  const applied = await streamLayer(store, applier, {
    layer, mounts: [], open: async () => chunks(bytes), apply: { mediaType: layer.mediaType, context: 'test' },
  });
  assert.equal(applied.diffId, layer.digest);
  assert.deepEqual(applier.seen, bytes);
  assert.deepEqual(await store.readAll(layer.digest), bytes);
});

test('a digest mismatch commits nothing, even though the applier consumed the bytes', async () => {
  const store = new MemoryContentStore();
  const tampered = Buffer.from(bytes);
  tampered[100] = 0x21;
  await assert.rejects(
    streamLayer(store, new RecordingApplier(), { layer, mounts: [], open: async () => chunks(tampered), apply: { mediaType: layer.mediaType, context: 'test' } }),
    (e: unknown) => isJanusError(e, 'DataLoss'),
  );
  assert.equal(await store.has(layer.digest), false);
});

test('an applier refusing the layer stops the download and commits nothing', async () => {
  const store = new MemoryContentStore();
  const applier = new RecordingApplier();
  applier.failAfter = 100_000;
  await assert.rejects(
    streamLayer(store, applier, { layer, mounts: [], open: async () => chunks(bytes), apply: { mediaType: layer.mediaType, context: 'test' } }),
    (e: unknown) => isJanusError(e, 'InvalidArgument'),
  );
  assert.equal(await store.has(layer.digest), false);
});
