import type { ContentStore } from '../../core/content-store.ts';
import { MediaType, type Descriptor, type ImageConfig, type ImageManifest } from '../../core/oci.ts';

/**
 * Writes an image config and an OCI manifest over `layers` (already in the
 * store) into `store`, each verified on commit, and returns both
 * descriptors. The config is serialized in the key order given, so the same
 * inputs give the same image ID.
 */
export async function storeImage(store: ContentStore, image: { config: ImageConfig; layers: Descriptor[] }): Promise<{ manifest: Descriptor; config: Descriptor }> {
  const configBytes = Buffer.from(JSON.stringify(image.config));
  const configInfo = await store.put(configBytes);
  const config: Descriptor = { mediaType: MediaType.OciConfig, digest: configInfo.digest, size: configBytes.length };
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config,
    layers: image.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const manifestInfo = await store.put(manifestBytes);
  return { manifest: { mediaType: MediaType.OciManifest, digest: manifestInfo.digest, size: manifestBytes.length }, config };
}
