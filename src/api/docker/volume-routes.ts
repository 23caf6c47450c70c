import { invalidArgument } from '../../core/errors.ts';
import type { VolumeFilters, VolumeService, VolumeView } from '../../engine/volume-service.ts';
import { parseFilters } from './filters.ts';
import type { Router } from './router.ts';

const LIST_FILTERS = ['dangling', 'driver', 'label', 'name'] as const;
const PRUNE_FILTERS = ['label', 'all'] as const;

/** Docker's Volume object. */
export function volumeWire(v: VolumeView): Record<string, unknown> {
  return {
    CreatedAt: v.createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    Driver: v.driver,
    Labels: v.labels,
    Mountpoint: v.mountpoint,
    Name: v.name,
    Options: Object.keys(v.options).length > 0 ? v.options : null,
    Scope: v.scope,
  };
}

/** Adds the `/volumes…` endpoints of the Engine API. */
export function registerVolumeRoutes(router: Router, options: { volumes: VolumeService }): void {
  const { volumes } = options;

  router.add('GET', '/volumes', async (r) => {
    const filters = volumeFilters(parseFilters(r.string('filters'), LIST_FILTERS));
    r.send(200, { Volumes: (await volumes.list({ filters })).map(volumeWire), Warnings: null });
  });

  router.add('POST', '/volumes/create', async (r) => {
    const body = await r.jsonBody();
    if (body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body))) {
      throw invalidArgument('the body of POST /volumes/create must be a JSON object');
    }
    const b = (body ?? {}) as Record<string, unknown>;
    const known = new Set(['Name', 'Driver', 'DriverOpts', 'Labels', 'ClusterVolumeSpec']);
    for (const key of Object.keys(b)) if (!known.has(key)) throw invalidArgument(`unknown field ${JSON.stringify(key)} in the body of POST /volumes/create`);
    if (b.ClusterVolumeSpec !== undefined && b.ClusterVolumeSpec !== null) throw invalidArgument('cluster volumes need swarm mode, which Janus does not offer');
    const name = optionalString(b.Name, 'Name');
    const driver = optionalString(b.Driver, 'Driver');
    const view = await volumes.create(name, { driver: driver || undefined, labels: stringMap(b.Labels, 'Labels'), driverOptions: stringMap(b.DriverOpts, 'DriverOpts') });
    r.send(201, volumeWire(view));
  });

  router.add('POST', '/volumes/prune', async (r) => {
    const f = parseFilters(r.string('filters'), PRUNE_FILTERS);
    const all = f.get('all')?.some((v) => v === 'true' || v === '1') ?? false;
    const { deleted, spaceReclaimed } = await volumes.prune({ all, filters: { label: f.get('label') } });
    r.send(200, { VolumesDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: spaceReclaimed });
  });

  router.add('GET', '/volumes/{name}', async (r) => {
    r.send(200, volumeWire(await volumes.inspect(r.param('name'))));
  });

  router.add('DELETE', '/volumes/{name}', async (r) => {
    await volumes.remove(r.param('name'), { force: r.bool('force') });
    r.sendEmpty(204);
  });
}

function volumeFilters(f: Map<string, string[]>): VolumeFilters {
  const out: VolumeFilters = { driver: f.get('driver'), label: f.get('label'), name: f.get('name') };
  const dangling = f.get('dangling');
  if (dangling) {
    const v = dangling[dangling.length - 1];
    if (!['true', 'false', '1', '0'].includes(v!)) throw invalidArgument(`invalid filter 'dangling=${v}': want true or false`);
    out.dangling = v === 'true' || v === '1';
  }
  return out;
}

function optionalString(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidArgument(`field ${field} of POST /volumes/create must be a string`);
  return v;
}

function stringMap(v: unknown, field: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) {
    throw invalidArgument(`field ${field} of POST /volumes/create must be an object of strings`);
  }
  return v as Record<string, string>;
}
