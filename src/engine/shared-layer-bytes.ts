/** One image as `sharedLayerBytes` sees it: its ID and its layers, bottom first. */
export interface LayeredImage {
  id: string;
  /** Each layer by chain ID (the layer with everything below it) and its unpacked size in bytes. */
  layers: ReadonlyArray<{ chainId: string; size: number }>;
}

/**
 * Docker's SharedSize of every image in `images`: the bytes of its layers
 * that at least one other image also has. Layers are compared by chain ID,
 * as dockerd does, so a layer is shared only with the same layers below it
 * (the same diff on another base is another layer). Each image ID counts
 * once however many times it is listed (several names of one image share
 * nothing with each other). An image without layers, or whose layers no
 * other image has, gets 0. Pure; may be called with any list, the result
 * holds for exactly that set of images.
 */
export function sharedLayerBytes(images: readonly LayeredImage[]): Map<string, number> {
  const byId = new Map<string, LayeredImage>();
  for (const image of images) if (!byId.has(image.id)) byId.set(image.id, image);
  const users = new Map<string, number>();
  for (const image of byId.values()) {
    for (const chainId of new Set(image.layers.map((l) => l.chainId))) users.set(chainId, (users.get(chainId) ?? 0) + 1);
  }
  const out = new Map<string, number>();
  for (const image of byId.values()) {
    let shared = 0;
    const seen = new Set<string>();
    for (const l of image.layers) {
      if (seen.has(l.chainId)) continue;
      seen.add(l.chainId);
      if ((users.get(l.chainId) ?? 0) > 1) shared += l.size;
    }
    out.set(image.id, shared);
  }
  return out;
}
