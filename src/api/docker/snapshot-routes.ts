import { invalidArgument } from '../../core/errors.ts';
import type { SnapshotService, SnapshotView } from '../../engine/snapshot-service.ts';
import type { Router } from './router.ts';
import { WireObject } from './wire-object.ts';

/** A snapshot on the wire (Janus's own object, docker has none). */
export function snapshotWire(s: SnapshotView): Record<string, unknown> {
  return {
    Name: s.name,
    ContainerID: s.containerId,
    ContainerName: s.containerName,
    Created: s.created.toISOString(),
    Isolation: s.isolation,
    Image: s.image,
    ImageID: s.imageId,
    VmKernel: s.vmKernel,
    KernelRelease: s.kernelRelease,
    Volumes: s.volumes,
    Memory: s.memory,
    Size: s.size,
    CopyMode: s.copyMode,
    Project: s.project,
  };
}

/**
 * Janus's snapshot endpoints, under `/janus/` (docker has no such verbs):
 * `POST /janus/containers/{id}/snapshots` `{Name, Volumes, Memory}` → 201,
 * `GET /janus/containers/{id}/snapshots`, `GET /janus/snapshots` (all),
 * `POST /janus/containers/{id}/snapshots/{name}/restore` → 204,
 * `DELETE /janus/containers/{id}/snapshots/{name}` → 204; and the same
 * under `/janus/projects/{project}/snapshots` for a compose project's
 * containers together (create answers the list, one per container).
 */
export function registerSnapshotRoutes(router: Router, options: { snapshots: SnapshotService }): void {
  const { snapshots } = options;

  router.add('GET', '/janus/snapshots', async (r) => {
    r.send(200, (await snapshots.snapshotList()).map(snapshotWire));
  });

  router.add('POST', '/janus/containers/{id}/snapshots', async (r) => {
    const body = WireObject.from(await r.jsonBody(), 'body of POST /janus/containers/{id}/snapshots');
    if (!body) throw invalidArgument('POST /janus/containers/{id}/snapshots needs a body with Name');
    const name = body.string('Name');
    const volumes = body.bool('Volumes') ?? false;
    const memory = body.bool('Memory') ?? false;
    body.rejectUnknown();
    if (!name) throw invalidArgument('a snapshot needs a name (Name)');
    r.send(201, snapshotWire(await snapshots.snapshotCreate(r.param('id'), name, { volumes, memory })));
  });

  router.add('GET', '/janus/containers/{id}/snapshots', async (r) => {
    r.send(200, (await snapshots.snapshotList(r.param('id'))).map(snapshotWire));
  });

  router.add('POST', '/janus/containers/{id}/snapshots/{name}/restore', async (r) => {
    await snapshots.snapshotRestore(r.param('id'), r.param('name'));
    r.sendEmpty(204);
  });

  router.add('DELETE', '/janus/containers/{id}/snapshots/{name}', async (r) => {
    await snapshots.snapshotRemove(r.param('id'), r.param('name'));
    r.sendEmpty(204);
  });

  router.add('POST', '/janus/projects/{project}/snapshots', async (r) => {
    const body = WireObject.from(await r.jsonBody(), 'body of POST /janus/projects/{project}/snapshots');
    if (!body) throw invalidArgument('POST /janus/projects/{project}/snapshots needs a body with Name');
    const name = body.string('Name');
    const memory = body.bool('Memory') ?? false;
    body.rejectUnknown();
    if (!name) throw invalidArgument('a snapshot needs a name (Name)');
    r.send(201, (await snapshots.projectSnapshotCreate(r.param('project'), name, { memory })).map(snapshotWire));
  });

  router.add('GET', '/janus/projects/{project}/snapshots', async (r) => {
    r.send(200, (await snapshots.projectSnapshotList(r.param('project'))).map(snapshotWire));
  });

  router.add('POST', '/janus/projects/{project}/snapshots/{name}/restore', async (r) => {
    await snapshots.projectSnapshotRestore(r.param('project'), r.param('name'));
    r.sendEmpty(204);
  });

  router.add('DELETE', '/janus/projects/{project}/snapshots/{name}', async (r) => {
    await snapshots.projectSnapshotRemove(r.param('project'), r.param('name'));
    r.sendEmpty(204);
  });
}
