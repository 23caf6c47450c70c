import { notFound, notImplemented } from '../../core/errors.ts';
import type { NetworkService } from '../../engine/network-service.ts';
import type { ApiRequest } from './api-request.ts';
import { parseFilters } from './filters.ts';
import {
  NETWORK_LIST_FILTERS, NETWORK_PRUNE_FILTERS, networkFilters, networkWire, parseNetworkConnect, parseNetworkCreate, parseNetworkDisconnect,
} from './network-wire.ts';
import type { Router } from './router.ts';

/**
 * Adds the `/networks…` endpoints of the Engine API. Without a
 * NetworkService (a daemon built without networking) every one of them
 * answers 501 "networks are not available", in docker's error shape.
 */
export function registerNetworkRoutes(router: Router, options: { networks?: NetworkService }): void {
  const service = options.networks;
  const networks = (): NetworkService => {
    if (!service) throw notImplemented('networks are not available');
    return service;
  };

  router.add('GET', '/networks', async (r) => {
    const svc = networks();
    const { filters, scope } = networkFilters(parseFilters(r.string('filters'), NETWORK_LIST_FILTERS));
    // Every Janus network is local: a scope filter without `local` matches none.
    const list = scope && !scope.includes('local') ? [] : await svc.list({ filters });
    r.send(200, list.map((v) => networkWire(v, { containers: false })));
  });

  router.add('POST', '/networks/create', async (r) => {
    const svc = networks();
    const { name, request } = parseNetworkCreate(await r.jsonBody());
    const { id, warning } = await svc.create(name, request);
    r.send(201, { Id: id, Warning: warning ?? '' });
  });

  router.add('POST', '/networks/prune', async (r) => {
    const svc = networks();
    const { filters } = networkFilters(parseFilters(r.string('filters'), NETWORK_PRUNE_FILTERS));
    const { deleted } = await svc.prune({ filters });
    r.send(200, { NetworksDeleted: deleted.length > 0 ? deleted : null });
  });

  router.add('GET', '/networks/{id}', async (r) => {
    const svc = networks();
    r.bool('verbose');
    const view = await svc.inspect(r.param('id'));
    // docker looks a network up within the asked scope only.
    const scope = r.string('scope');
    if (scope !== undefined && scope !== view.scope) throw notFound(`network ${r.param('id')} not found`);
    r.send(200, networkWire(view, { containers: true }));
  });

  router.add('DELETE', '/networks/{id}', async (r) => {
    await networks().remove(r.param('id'));
    r.sendEmpty(204);
  });

  router.add('POST', '/networks/{id}/connect', async (r) => {
    const svc = networks();
    const { container, request } = parseNetworkConnect(await body(r));
    await svc.connect(r.param('id'), container, request);
    r.sendEmpty(200);
  });

  router.add('POST', '/networks/{id}/disconnect', async (r) => {
    const svc = networks();
    const { container, force } = parseNetworkDisconnect(await body(r));
    await svc.disconnect(r.param('id'), container, { force });
    r.sendEmpty(200);
  });
}

/** The JSON body; a missing one reads as `{}` so the parser names what is missing. */
async function body(r: ApiRequest): Promise<unknown> {
  return (await r.jsonBody()) ?? {};
}
