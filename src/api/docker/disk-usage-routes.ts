import { invalidArgument } from '../../core/errors.ts';
import type { ImageService } from '../../engine/image-service.ts';
import type { VolumeService } from '../../engine/volume-service.ts';
import { imageSummaryWire } from './image-wire.ts';
import type { Router } from './router.ts';
import { volumeWire } from './volume-routes.ts';

const TYPES = ['container', 'image', 'volume', 'build-cache'] as const;

/**
 * `GET /system/df`: disk usage by images (LayersSize counts each shared
 * layer once), containers, volumes and build cache. `type` (API 1.42+)
 * limits which parts are computed.
 */
export function registerDiskUsageRoutes(router: Router, options: { images: ImageService; volumes: VolumeService }): void {
  router.add('GET', '/system/df', async (r) => {
    const asked = r.strings('type');
    for (const t of asked) if (!(TYPES as readonly string[]).includes(t)) throw invalidArgument(`invalid type ${JSON.stringify(t)} for system df: want one of ${TYPES.join(', ')}`);
    const want = (t: (typeof TYPES)[number]) => asked.length === 0 || asked.includes(t);
    const body: Record<string, unknown> = {};
    if (want('image')) {
      body.LayersSize = await options.images.layersSize();
      body.Images = (await options.images.list({ all: true })).map((s) => imageSummaryWire(s, r.apiVersion));
    }
    // Containers and the build cache arrive with their issues; until then there are none.
    if (want('container')) body.Containers = [];
    if (want('volume')) {
      const volumes = await options.volumes.list();
      body.Volumes = await Promise.all(volumes.map(async (v) => ({
        ...volumeWire(v),
        UsageData: { Size: await options.volumes.usage(v.name), RefCount: v.users.length },
      })));
    }
    if (want('build-cache')) body.BuildCache = [];
    r.send(200, body);
  });
}
