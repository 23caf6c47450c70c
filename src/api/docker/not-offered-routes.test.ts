import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isJanusError } from '../../core/errors.ts';
import type { ApiRequest } from './api-request.ts';
import { errorResponse } from './errors.ts';
import { registerNotOfferedRoutes } from './not-offered-routes.ts';
import { Router } from './router.ts';

test('swarm, secrets, configs, plugins, distribution, sessions, checkpoints and build answer 501 saying Janus does not offer them', async () => {
  const router = new Router();
  router.add('POST', '/build/prune', async () => {});
  registerNotOfferedRoutes(router);
  const cases: Array<[string, string, RegExp]> = [
    ['GET', '/swarm', /swarm mode is not offered by Janus/],
    ['POST', '/swarm/init', /swarm mode is not offered by Janus/],
    ['GET', '/nodes', /swarm mode/],
    ['DELETE', '/services/web', /swarm mode/],
    ['GET', '/tasks', /swarm mode/],
    ['GET', '/secrets', /secrets are not offered by Janus/],
    ['POST', '/secrets/create', /secrets are not offered/],
    ['GET', '/configs/x', /configs are not offered by Janus/],
    ['GET', '/plugins', /plugins are not offered by Janus/],
    ['POST', '/plugins/pull', /plugins are not offered/],
    ['GET', '/distribution/busybox/json', /distribution inspect is not offered/],
    ['POST', '/session', /BuildKit sessions are not offered/],
    ['GET', '/containers/abc/checkpoints', /checkpoints are not offered/],
    ['POST', '/build', /this build endpoint is not offered by Janus/],
    ['PUT', '/volumes/data', /only cluster volumes can be updated/],
  ];
  for (const [method, path, message] of cases) {
    const route = router.match(method, path);
    assert.ok(route, `${method} ${path} is routed`);
    const err = await route.handler({} as ApiRequest).then(() => undefined, (e: unknown) => e);
    assert.ok(isJanusError(err, 'NotImplemented'), `${method} ${path} fails with NotImplemented`);
    const { status, body } = errorResponse(err);
    assert.equal(status, 501);
    assert.match(body.message, message, `${method} ${path}`);
  }
  const inspect = router.match('GET', '/plugins/vieux/sshfs:latest/json');
  const missing = await inspect!.handler({ param: () => 'vieux/sshfs:latest' } as unknown as ApiRequest).then(() => undefined, (e: unknown) => e);
  assert.ok(isJanusError(missing, 'NotFound'), 'a plugin by name is not found (docker inspect NAME goes on to say "No such object")');
  assert.match(errorResponse(missing).body.message, /plugin "vieux\/sshfs:latest" not found: Janus does not offer plugins/);
  // Routes added before keep winning, so a builder that registers POST /build replaces the placeholder.
  await router.match('POST', '/build/prune')!.handler({} as ApiRequest);
  assert.equal(router.match('GET', '/swarmy'), undefined, 'only whole path segments match');
});
