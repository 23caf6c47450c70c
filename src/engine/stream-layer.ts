import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import type { ContentStore } from '../core/content-store.ts';
import type { AppliedLayer, LayerApplier } from '../core/layer-applier.ts';
import type { Descriptor } from '../core/oci.ts';
import type { Mount } from '../core/snapshotter.ts';
import { appendChunk } from './download-blob.ts';

/** What `streamLayer` needs. */
export interface StreamLayerOptions {
  layer: Descriptor;
  /** The active snapshot to unpack into. */
  mounts: Mount[];
  /** Opens the layer's bytes from the start. */
  open: () => Promise<Readable>;
  onProgress?: (current: number) => void;
  apply: { mediaType: string; context: string; signal?: AbortSignal };
}

/**
 * Sends one download to two places at once: the content store (which
 * verifies size and digest at commit) and the layer applier. Resolves with
 * the applied layer only when both succeeded; otherwise nothing is
 * committed to the content store and the caller removes the snapshot.
 *
 * The applier may see bytes before their digest is verified; it is hardened
 * against hostile tars anyway, and an unverified layer is never committed.
 */
export async function streamLayer(content: ContentStore, applier: LayerApplier, options: StreamLayerOptions): Promise<AppliedLayer> {
  const { layer, apply } = options;
  const writer = await content.writer(layer.digest, { signal: apply.signal });
  if (await content.has(layer.digest)) {
    // Another pull committed this blob while we waited for its writer.
    await writer.abort();
    return applier.apply(await content.read(layer.digest), options.mounts, apply);
  }
  const tee = new PassThrough({ highWaterMark: 1 << 20 });
  const applying = applier.apply(tee, options.mounts, apply);
  // The applier may refuse the layer long before the download ends: stop downloading then.
  let refused: { error: unknown } | undefined;
  applying.catch((error: unknown) => { refused = { error }; });
  let source: Readable | undefined;
  try {
    source = await options.open();
    for await (const chunk of source) {
      if (refused) throw refused.error;
      const buf = chunk as Buffer;
      await appendChunk(writer, layer, buf, { signal: apply.signal, onProgress: options.onProgress });
      if (!tee.write(buf)) await Promise.race([once(tee, 'drain'), applying]);
    }
    tee.end();
    // Both must succeed before the blob becomes visible.
    const applied = await applying;
    await writer.commit(layer.size, layer.digest);
    return applied;
  } catch (err) {
    tee.destroy();
    await writer.abort();
    await applying.catch(() => {});
    throw err;
  } finally {
    source?.destroy();
  }
}
