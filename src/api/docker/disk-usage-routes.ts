import { invalidArgument } from '../../core/errors.ts';
import type { ContainerService } from '../../engine/container-service.ts';
import type { ImageService } from '../../engine/image-service.ts';
import type { SnapshotService } from '../../engine/snapshot-service.ts';
import type { VolumeService } from '../../engine/volume-service.ts';
import { cacheRecordId } from './build-routes.ts';
import { containerSummaryWire } from './container-wire.ts';
import { imageSummaryWire } from './image-wire.ts';
import { snapshotWire } from './snapshot-routes.ts';
import type { Router } from './router.ts';
import { volumeWire } from './volume-routes.ts';

const TYPES = ['container', 'image', 'volume', 'build-cache'] as const;

/**
 * `GET /system/df`: disk usage by images (LayersSize counts each shared
 * layer once; each image's SharedSize is the bytes of its layers other
 * images also have, so the docker CLI's reclaimable figure and `df -v`'s
 * SHARED and UNIQUE SIZE columns are right), containers (every one, as in `GET /containers/json?all=1&size=1`:
 * SizeRw is its writable layer, SizeRootFs that plus its image), volumes
 * and build cache. `type` (API 1.42+) limits which parts are computed —
 * sizing containers walks their writable layers. With the container part,
 * `Janus.Snapshots` lists workload snapshots and their sizes.
 */
export function registerDiskUsageRoutes(router: Router, options: { images: ImageService; volumes: VolumeService; containers: ContainerService; snapshots?: SnapshotService }): void {
  router.add('GET', '/system/df', async (r) => {
    const asked = r.strings('type');
    for (const t of asked) if (!(TYPES as readonly string[]).includes(t)) throw invalidArgument(`invalid type ${JSON.stringify(t)} for system df: want one of ${TYPES.join(', ')}`);
    const want = (t: (typeof TYPES)[number]) => asked.length === 0 || asked.includes(t);
    const body: Record<string, unknown> = {};
    // Sized only when their part is asked for; the image part needs them too, for its counts.
    const containers = want('container') || want('image') ? await options.containers.list({ all: true, size: want('container') }) : [];
    if (want('image')) {
      body.LayersSize = await options.images.layersSize();
      // As docker's df does: each image's containers are counted (its ACTIVE column and what is reclaimable follow).
      const users = new Map<string, number>();
      for (const v of containers) users.set(v.imageId, (users.get(v.imageId) ?? 0) + 1);
      body.Images = (await options.images.list({ all: true, sharedSize: true })).map((s) => imageSummaryWire({ ...s, containers: users.get(s.id) ?? 0 }, r.apiVersion));
    }
    if (want('container')) {
      const now = Date.now();
      body.Containers = containers.map((v) => containerSummaryWire(v, now));
    }
    if (want('volume')) {
      const volumes = await options.volumes.list();
      body.Volumes = await Promise.all(volumes.map(async (v) => ({
        ...volumeWire(v),
        UsageData: { Size: await options.volumes.usage(v.name), RefCount: v.users.length },
      })));
    }
    if (want('build-cache')) {
      // The builder's cached steps (docker's BuildCache records); a step image that is also a named image is shared.
      body.BuildCache = (await options.images.buildCacheUsage()).map((c) => {
        const at = new Date(c.created * 1000).toISOString();
        return { ID: cacheRecordId(c.id), Parents: null, Type: 'regular', Description: `build step ${c.id}`, InUse: false, Shared: c.shared, Size: c.size, CreatedAt: at, LastUsedAt: at, UsageCount: 1 };
      });
    }
    if (want('container') && options.snapshots) {
      // Janus's workload snapshots, beside docker's parts (docker clients ignore a field they do not know).
      body.Janus = { Snapshots: (await options.snapshots.snapshotList()).map(snapshotWire) };
    }
    r.send(200, body);
  });
}
