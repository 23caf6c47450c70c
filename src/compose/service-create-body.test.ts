import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ComposeProject, ServiceConfig } from './model.ts';
import { serviceCreateBody } from './service-create-body.ts';
import { dependentsOf, serviceOrder } from './service-order.ts';
import { composeService } from '../../test/fakes/compose-service.ts';

const service = composeService;

function project(services: ServiceConfig[]): ComposeProject {
  return {
    name: 'shop', workingDir: '/src/shop', files: ['/src/shop/compose.yaml'],
    services: Object.fromEntries(services.map((s) => [s.name, s])),
    networks: { default: { name: 'shop_default', external: false, driverOpts: {}, internal: false, labels: {}, ipam: [] }, back: { name: 'backnet', external: true, driverOpts: {}, internal: false, labels: {}, ipam: [] } },
    volumes: { data: { name: 'shop_data', external: false, driverOpts: {}, labels: {} } },
    disabledServices: {},
  };
}

const opts = { name: 'shop-web-2', number: 2, configHash: 'abc', version: '0.1.0' };

test('a service becomes docker compose\'s create body: labels, env, ports, mounts, networks with aliases, isolation', () => {
  const web = service('web', {
    command: ['httpd', '-f'], environment: { A: '1', UNSET: null }, ports: [{ target: 80, published: '8080-8089', protocol: 'tcp' }], expose: ['9000'],
    volumes: [{ type: 'volume', source: 'data', target: '/data', readOnly: true }, { type: 'volume', target: '/anon', readOnly: false }, { type: 'bind', source: '/src/shop/conf', target: '/conf', readOnly: false, createHostPath: true }],
    networks: { default: { aliases: ['www'] }, back: { aliases: [], ipv4Address: '10.9.0.5' } },
    dependsOn: { db: { condition: 'service_healthy', required: true, restart: true } },
    healthcheck: { test: ['CMD', 'true'], interval: 1e9, retries: 3 }, restart: 'on-failure:2', stopGracePeriod: 1500e6,
    janus: { isolation: 'vm' },
  });
  const body = serviceCreateBody(project([web]), web, opts);
  assert.equal(body.Image, 'busybox');
  assert.deepEqual(body.Cmd, ['httpd', '-f']);
  assert.deepEqual(body.Env, ['A=1']);
  assert.equal(body.Labels!['com.docker.compose.project'], 'shop');
  assert.equal(body.Labels!['com.docker.compose.service'], 'web');
  assert.equal(body.Labels!['com.docker.compose.container-number'], '2');
  assert.equal(body.Labels!['com.docker.compose.config-hash'], 'abc');
  assert.equal(body.Labels!['com.docker.compose.oneoff'], 'False');
  assert.equal(body.Labels!['com.docker.compose.depends_on'], 'db:service_healthy:true');
  assert.equal(body.Labels!['com.docker.compose.project.config_files'], '/src/shop/compose.yaml');
  assert.deepEqual(body.ExposedPorts, { '80/tcp': {}, '9000/tcp': {} });
  assert.deepEqual(body.HostConfig!.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: '8081' }] }, 'replica 2 takes the second port of the range');
  assert.deepEqual(body.HostConfig!.Mounts, [{ Type: 'volume', Source: 'shop_data', Target: '/data', ReadOnly: true }, { Type: 'volume', Target: '/anon' }]);
  assert.deepEqual(body.HostConfig!.Binds, ['/src/shop/conf:/conf']);
  assert.equal(body.HostConfig!.NetworkMode, 'shop_default');
  assert.deepEqual(body.NetworkingConfig!.EndpointsConfig, {
    shop_default: { Aliases: ['web', 'shop-web-2', 'www'] },
    backnet: { Aliases: ['web', 'shop-web-2'], IPAMConfig: { IPv4Address: '10.9.0.5' } },
  });
  assert.deepEqual(body.Healthcheck, { Test: ['CMD', 'true'], Interval: 1e9, Retries: 3 });
  assert.deepEqual(body.HostConfig!.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });
  assert.equal(body.StopTimeout, 2);
  assert.equal(body.HostConfig!.Isolation, 'vm');
});

test('a one-off container publishes no ports unless asked and is labelled oneoff', () => {
  const web = service('web', { ports: [{ target: 80, published: '8080', protocol: 'tcp' }] });
  const body = serviceCreateBody(project([web]), web, { ...opts, oneoff: true, publishPorts: false });
  assert.equal(body.Labels!['com.docker.compose.oneoff'], 'True');
  assert.equal(body.HostConfig!.PortBindings, undefined);
  assert.deepEqual(body.NetworkingConfig!.EndpointsConfig!.shop_default!.Aliases, ['shop-web-2'], 'a one-off does not answer to the service name');
});

test('isolation auto goes to the daemon, whose advisor chooses the level', () => {
  const web = service('web', { janus: { isolation: 'auto' } });
  assert.equal(serviceCreateBody(project([web]), web, opts).HostConfig!.Isolation, 'auto');
});

test('network_mode service:X shares the namespace of X\'s first container', () => {
  const side = service('side', { networkMode: 'service:web' });
  const body = serviceCreateBody(project([side]), side, { ...opts, serviceContainer: (s) => `shop-${s}-1` });
  assert.equal(body.HostConfig!.NetworkMode, 'container:shop-web-1');
  assert.equal(body.NetworkingConfig, undefined);
});

test('services come dependencies first; --no-deps keeps only those named; cycles and unknown services are refused', () => {
  const dep = (condition: 'service_started' | 'service_healthy') => ({ condition, required: true, restart: false });
  const p = project([service('web', { dependsOn: { api: dep('service_healthy') } }), service('api', { dependsOn: { db: dep('service_started') } }), service('db')]);
  assert.deepEqual(serviceOrder(p, [], true), ['db', 'api', 'web']);
  assert.deepEqual(serviceOrder(p, ['web'], false), ['web']);
  assert.deepEqual(serviceOrder(p, ['api'], true), ['db', 'api']);
  assert.deepEqual(dependentsOf(p, 'api'), [{ service: 'web', restart: false }]);
  assert.throws(() => serviceOrder(p, ['nope'], true), /no such service: nope/);
  const cyclic = project([service('a', { dependsOn: { b: dep('service_started') } }), service('b', { dependsOn: { a: dep('service_started') } })]);
  assert.throws(() => serviceOrder(cyclic, [], true), /dependency cycle detected: a -> b -> a/);
});

test('x-janus trust and compliance become the janus.* labels the advisor reads (isolation auto), over a label of the same name', () => {
  const plugin = service('plugin', { janus: { isolation: 'auto', trust: 'untrusted', compliance: 'pci-dss' } });
  const body = serviceCreateBody(project([plugin]), plugin, opts);
  assert.equal(body.HostConfig?.Isolation, 'auto');
  assert.equal(body.Labels!['janus.trust'], 'untrusted');
  assert.equal(body.Labels!['janus.compliance'], 'pci-dss');
  const labelled = service('x', { labels: { 'janus.trust': 'trusted' }, janus: { trust: 'untrusted' } });
  assert.equal(serviceCreateBody(project([labelled]), labelled, opts).Labels!['janus.trust'], 'untrusted');
  assert.equal(serviceCreateBody(project([service('y')]), service('y'), opts).Labels!['janus.trust'], undefined);
});

test('logging, shm_size and sysctls reach HostConfig (LogConfig, ShmSize, Sysctls)', () => {
  const web = service('web', { logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } }, shmSize: 128 * 1024 * 1024, sysctls: { 'net.core.somaxconn': '1024' } });
  const hc = serviceCreateBody(project([web]), web, opts).HostConfig!;
  assert.deepEqual(hc.LogConfig, { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } });
  assert.equal(hc.ShmSize, 134217728);
  assert.deepEqual(hc.Sysctls, { 'net.core.somaxconn': '1024' });
  const quiet = service('quiet', { logging: { driver: 'none', options: {} } });
  assert.deepEqual(serviceCreateBody(project([quiet]), quiet, opts).HostConfig!.LogConfig, { Type: 'none' });
  const plainHc = serviceCreateBody(project([service('p')]), service('p'), opts).HostConfig!;
  assert.equal(plainHc.LogConfig, undefined);
  assert.equal(plainHc.ShmSize, undefined);
  assert.equal(plainHc.Sysctls, undefined);
});
