import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isJanusError } from '../core/errors.ts';
import type { ComposeProject, ServiceConfig } from './model.ts';
import { serviceCreateBody } from './service-create-body.ts';
import { serviceOrder } from './service-order.ts';
import { VM_STACK_SERVICE, checkStackPorts, vmStackProject } from './vm-stack-project.ts';
import { composeService } from '../../test/fakes/compose-service.ts';

const service = composeService;

function project(services: ServiceConfig[]): ComposeProject {
  return {
    name: 'shop', workingDir: '/src/shop', files: ['/src/shop/compose.yaml'],
    services: Object.fromEntries(services.map((s) => [s.name, s])),
    networks: { default: { name: 'shop_default', external: false, driverOpts: {}, internal: false, labels: {}, ipam: [] } },
    volumes: {},
    disabledServices: {},
  };
}

const refused = (fn: () => unknown, pattern: RegExp): void => {
  assert.throws(fn, (err: unknown) => isJanusError(err, 'InvalidArgument') && pattern.test((err as Error).message));
};

test('the stack VM joins every network under every name and alias, publishes every port and mounts the share', () => {
  const p = vmStackProject(project([
    service('web', { ports: [{ target: 80, published: '8080', protocol: 'tcp' }] }),
    service('api', { networks: { default: { aliases: ['backend'] } }, ports: [{ target: 8000, protocol: 'tcp' }], extraHosts: ['api:10.0.0.9'] }),
  ]));
  const vm = p.services[VM_STACK_SERVICE]!;
  assert.deepEqual(vm.networks, { default: { aliases: ['web', 'api', 'backend'] } });
  assert.deepEqual(vm.ports.map((x) => x.target), [80, 8000]);
  assert.deepEqual(vm.volumes, [{ type: 'volume', source: VM_STACK_SERVICE, target: '/janus-stack', readOnly: false }]);
  assert.equal(vm.janus.isolation, 'vm');
  assert.ok(vm.init);
  assert.deepEqual([...(vm.entrypoint ?? []), ...(vm.command ?? [])], ['/sbin/docker-init', '-P']);
  assert.equal(p.volumes[VM_STACK_SERVICE]!.name, 'shop_janus-vm-stack');
  // Services: inside it, on its network, names resolving to the shared loopback; a user's own extra_hosts entry wins.
  const api = p.services.api!;
  assert.equal(api.networkMode, `service:${VM_STACK_SERVICE}`);
  assert.deepEqual(api.ports, []);
  assert.deepEqual(api.networks, {});
  assert.equal(api.labels['org.janus.vm-stack'], 'shop-janus-vm-stack-1');
  assert.equal(api.janus.isolation, 'vm');
  assert.deepEqual(api.extraHosts, ['api:10.0.0.9', 'web:127.0.0.1', 'backend:127.0.0.1']);
  assert.equal(api.dependsOn[VM_STACK_SERVICE]?.condition, 'service_started');
  // The stack VM starts first and the create bodies say so to the daemon.
  assert.equal(serviceOrder(p, [], true)[0], VM_STACK_SERVICE);
  const body = serviceCreateBody(p, api, { name: 'shop-api-1', number: 1, configHash: 'h', version: '0', serviceContainer: (s) => `shop-${s}-1` });
  assert.equal(body.HostConfig?.NetworkMode, 'container:shop-janus-vm-stack-1');
  assert.equal(body.HostConfig?.Isolation, 'vm');
  assert.equal(body.Labels?.['org.janus.vm-stack'], 'shop-janus-vm-stack-1');
});

test('two services on one container port conflict in the shared network: refused, naming both', () => {
  const a = service('a', { ports: [{ target: 80, published: '8080', protocol: 'tcp' }] });
  const b = service('b', { ports: [{ target: 80, published: '8081', protocol: 'tcp' }] });
  refused(() => checkStackPorts(project([a, b])), /services "a" and "b" both use container port 80\/tcp/);
  refused(() => vmStackProject(project([a, b])), /both use container port 80\/tcp/);
  // Other protocol, or one service publishing a port twice: no conflict.
  checkStackPorts(project([a, service('c', { ports: [{ target: 80, protocol: 'udp' }] })]));
  checkStackPorts(project([service('d', { ports: [{ target: 80, published: '1', protocol: 'tcp' }, { target: 80, published: '2', protocol: 'tcp' }] })]));
});

test('what a stack cannot express is refused', () => {
  refused(() => vmStackProject(project([])), /no services/);
  refused(() => vmStackProject(project([service('a', { networkMode: 'host' })])), /network_mode host/);
  refused(() => vmStackProject(project([service('a', { janus: { isolation: 'container' } })])), /isolation container/);
  refused(() => vmStackProject(project([service('a', { networks: { default: { aliases: [], ipv4Address: '10.1.0.5' } } })])), /address 10\.1\.0\.5/);
  refused(() => vmStackProject(project([service(VM_STACK_SERVICE)])), /reserved/);
  refused(() => vmStackProject(project([service('a', { resources: { memory: 64 << 20 } })])), /resource limits \(memory\)/);
  refused(() => vmStackProject(project([service('a', { image: undefined, build: { context: '/x', args: {}, labels: {} } })])), /needs an image/);
});
