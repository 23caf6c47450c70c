import { test } from 'node:test';
import assert from 'node:assert/strict';
import { notFound } from '../../core/errors.ts';
import type { ContainerCreateRequest, ContainerService, ContainerView } from '../../engine/container-service.ts';
import { resolveLegacyLinks, takeLegacyLinks } from './legacy-links.ts';

test('takeLegacyLinks takes HostConfig.Links and endpoint Links out of the body, leaving the rest as it was', () => {
  const body = {
    Image: 'busybox',
    HostConfig: { NetworkMode: 'back', Links: ['proj_client_1:client', '/db', '/web:/app/web'] },
    NetworkingConfig: { EndpointsConfig: { back: { Aliases: ['x'], Links: ['cache:c'] } } },
  };
  const { body: rest, links } = takeLegacyLinks(body);
  assert.deepEqual(links, [
    { container: 'proj_client_1', alias: 'client' },
    { container: 'db', alias: 'db' },
    { container: 'web', alias: 'web' },
    { container: 'cache', alias: 'c', network: 'back' },
  ]);
  assert.deepEqual(rest, { Image: 'busybox', HostConfig: { NetworkMode: 'back' }, NetworkingConfig: { EndpointsConfig: { back: { Aliases: ['x'] } } } });
  assert.deepEqual(body.HostConfig.Links.length, 3, 'the argument is not changed');
  const plain = { Image: 'busybox', HostConfig: { Links: null } };
  assert.equal(takeLegacyLinks(plain).body, plain);
  assert.throws(() => takeLegacyLinks({ HostConfig: { Links: 'a:b' } }), /HostConfig\.Links/);
  assert.throws(() => takeLegacyLinks({ HostConfig: { Links: ['a:b:c'] } }), /want NAME or NAME:ALIAS/);
});

/** Containers by name, each on some networks, running or not. */
function service(views: Record<string, { running: boolean; networks: Record<string, string> }>): ContainerService {
  return {
    async inspect(ref: string) {
      const v = views[ref];
      if (!v) throw notFound(`No such container: ${ref}`);
      const networks = Object.fromEntries(Object.entries(v.networks).map(([name, ip]) => [name, { networkId: `${name}`.padEnd(64, '0'), ipAddress: ip }]));
      return { name: ref, state: { status: v.running ? 'running' : 'exited' }, networks } as unknown as ContainerView;
    },
  } as unknown as ContainerService;
}

test('resolveLegacyLinks turns links into hosts entries of the linked container\'s address, with docker\'s refusals', async () => {
  const containers = service({
    web: { running: true, networks: { back: '10.1.0.5' } },
    db: { running: true, networks: { bridge: '172.17.0.3' } },
    stopped: { running: false, networks: { back: '' } },
  });
  const onBack: ContainerCreateRequest = { image: 'busybox', run: {}, network: { mode: 'network', name: 'back' }, extraHosts: ['h:1.2.3.4'] };
  const got = await resolveLegacyLinks(onBack, [{ container: 'web', alias: 'web_1' }], containers);
  assert.deepEqual(got.extraHosts, ['h:1.2.3.4', 'web_1:10.1.0.5']);
  const bridge = await resolveLegacyLinks({ image: 'busybox', run: {} }, [{ container: 'db', alias: 'database' }], containers);
  assert.deepEqual(bridge.extraHosts, ['database:172.17.0.3', 'db:172.17.0.3'], 'on the default bridge the name is written too, as docker does');
  assert.equal(await resolveLegacyLinks(onBack, [], containers), onBack);

  await assert.rejects(resolveLegacyLinks(onBack, [{ container: 'nosuch', alias: 'n' }], containers), (e: Error & { kind?: string }) => e.kind === 'InvalidArgument' && /could not get container for nosuch/.test(e.message));
  await assert.rejects(resolveLegacyLinks(onBack, [{ container: 'db', alias: 'd' }], containers), /not on network back/);
  await assert.rejects(resolveLegacyLinks({ ...onBack, name: 'me' }, [{ container: 'stopped', alias: 's' }], containers), (e: Error & { kind?: string }) => e.kind === 'Conflict' && /Cannot link to a non running container: \/stopped AS \/me\/s/.test(e.message));
  await assert.rejects(resolveLegacyLinks({ image: 'busybox', run: {}, network: { mode: 'host' } }, [{ container: 'web', alias: 'w' }], containers), /host type networking can't be used with links/);
});
