import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeContainerService } from '../../../test/fakes/fake-container-service.ts';
import { FakeImageService } from '../../../test/fakes/fake-image-service.ts';
import { FakeNetworkService } from '../../../test/fakes/fake-network-service.ts';
import type { EngineEvent } from '../../core/events.ts';
import type { VolumeService } from '../../engine/volume-service.ts';
import { silentLogger } from '../../util/logger.ts';
import type { EventBus } from './event-bus.ts';
import { createApiServer } from './server.ts';
import type { SystemService } from './system-service.ts';

const events: EventBus = { publish() {}, subscribe: () => ({ backlog: [] as EngineEvent[], unsubscribe() {} }) };
const system = { serverVersion: '9.9.9' } as SystemService;
const volumes = {} as VolumeService;

interface Reply { status: number; text: string; json(): any }

describe('network routes (fake network service, unix socket)', () => {
  let dir: string;
  let socketPath: string;
  let server: Server | undefined;
  let fake: FakeNetworkService;

  function call(method: string, path: string, body?: unknown): Promise<Reply> {
    return new Promise((done, fail) => {
      const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const req = request({ socketPath, path, method, agent: false, headers: data === undefined ? {} : { 'Content-Type': 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          done({ status: res.statusCode ?? 0, text, json: () => JSON.parse(text) });
        });
      });
      req.on('error', fail);
      req.end(data);
    });
  }

  async function serve(withNetworks: boolean): Promise<void> {
    if (server) {
      server.closeAllConnections();
      await new Promise((r) => server!.close(r));
    }
    fake = new FakeNetworkService();
    server = createApiServer({
      images: new FakeImageService(), containers: new FakeContainerService(), volumes, system, events, logger: silentLogger, ...(withNetworks ? { networks: fake } : {}),
    });
    await new Promise<void>((r) => server!.listen(socketPath, r));
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'janus-networks-api-'));
    socketPath = join(dir, 'api.sock');
  });
  beforeEach(() => serve(true));
  after(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  test('create answers 201 {Id, Warning} and passes docker\'s request in domain form', async () => {
    const r = await call('POST', '/v1.50/networks/create', {
      Name: 'web', Driver: 'bridge', Internal: true, Attachable: true, CheckDuplicate: true, EnableIPv6: false, Labels: { app: 'x' },
      Options: { 'com.docker.network.bridge.enable_icc': 'false' },
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.9.0.0/24', Gateway: '10.9.0.254', IPRange: '10.9.0.128/25' }], Options: {} },
    });
    assert.equal(r.status, 201, r.text);
    assert.match(r.json().Id, /^[0-9a-f]{64}$/);
    assert.equal(r.json().Warning, '');
    assert.deepEqual(fake.calls.find((c) => c.method === 'create')?.args, ['web', {
      driver: 'bridge', internal: true, attachable: true, enableIPv6: false, labels: { app: 'x' },
      options: { 'com.docker.network.bridge.enable_icc': 'false' },
      ipam: { driver: 'default', config: [{ subnet: '10.9.0.0/24', ipRange: '10.9.0.128/25', gateway: '10.9.0.254' }] },
    }]);

    const dup = await call('POST', '/networks/create', { Name: 'web' });
    assert.equal(dup.status, 409);
    assert.equal(dup.json().message, 'network with name web already exists');
    assert.equal((await call('POST', '/networks/create', { Name: 'other', IPAM: { Config: [{ Subnet: '10.9.0.0/16' }] } })).status, 409, 'overlapping subnet');
  });

  test('create refuses what docker would: unknown fields, missing names, swarm settings, IPv6', async () => {
    const cases: [unknown, number, RegExp][] = [
      [{ Name: 'a', Drvier: 'bridge' }, 400, /unknown field Drvier/],
      [{ Name: 'a', IPAM: { Config: [{ Subnet: '10.1.0.0/24', Gateway: '10.1.0.1', Foo: 1 }] } }, 400, /unknown field IPAM\.Config\[0\]\.Foo/],
      [{ Driver: 'bridge' }, 400, /name is required/],
      [{ Name: 'a', Internal: 'yes' }, 400, /invalid Internal: want true or false/],
      [{ Name: 'a', Scope: 'swarm' }, 501, /Scope "swarm" is not supported/],
      [{ Name: 'a', Ingress: true }, 501, /Ingress is not supported/],
      [{ Name: 'a', ConfigFrom: { Network: 'x' } }, 501, /ConfigFrom\.Network is not supported/],
      [{ Name: 'a', IPAM: { Config: [{ Subnet: '10.1.0.0/24', AuxiliaryAddresses: { h: '10.1.0.5' } }] } }, 501, /AuxiliaryAddresses/],
      [{ Name: 'a', EnableIPv6: true }, 501, /IPv6/],
      [{ Name: 'a', Driver: 'overlay' }, 501, /overlay/],
    ];
    for (const [body, status, message] of cases) {
      const r = await call('POST', '/networks/create', body);
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
      assert.match(r.json().message, message);
    }
    assert.equal((await call('POST', '/networks/create')).status, 400, 'no body');
  });

  test('list and inspect show docker\'s Network object; inspect lists the endpoints', async () => {
    await call('POST', '/networks/create', { Name: 'web', Labels: { tier: 'front' } });
    await call('POST', '/networks/web/connect', { Container: 'c1', EndpointConfig: { Aliases: ['www'] } });
    const list = await call('GET', '/v1.50/networks');
    assert.equal(list.status, 200);
    const names = list.json().map((n: { Name: string }) => n.Name).sort();
    assert.deepEqual(names, ['bridge', 'host', 'none', 'web']);
    const web = list.json().find((n: { Name: string }) => n.Name === 'web');
    assert.deepEqual(Object.keys(web), ['Name', 'Id', 'Created', 'Scope', 'Driver', 'EnableIPv4', 'EnableIPv6', 'IPAM', 'Internal', 'Attachable', 'Ingress', 'ConfigFrom', 'ConfigOnly', 'Containers', 'Options', 'Labels']);
    assert.deepEqual(web.Containers, {}, 'docker\'s list leaves the endpoints out');
    assert.deepEqual(web.IPAM, { Driver: 'default', Options: null, Config: [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }] });
    assert.deepEqual(web.Labels, { tier: 'front' });
    assert.match(web.Created, /^\d{4}-\d\d-\d\dT/);

    const inspect = await call('GET', `/networks/${web.Id.slice(0, 12)}?verbose=true&scope=local`);
    assert.equal(inspect.status, 200, inspect.text);
    assert.deepEqual(inspect.json().Containers, {
      c1: { Name: 'c1', EndpointID: fake.networks.get(web.Id)!.containers.c1.endpointId, MacAddress: '02:42:ac:12:00:02', IPv4Address: '172.18.0.2/16', IPv6Address: '' },
    });
    assert.equal((await call('GET', '/networks/web?scope=swarm')).status, 404);
    const missing = await call('GET', '/networks/nosuch');
    assert.equal(missing.status, 404);
    assert.equal(missing.json().message, 'network nosuch not found');
    assert.equal((await call('GET', '/networks/web?verbose=maybe')).status, 400);
  });

  test('list filters: docker\'s names go to the service; scope is answered here; unknown filters refused', async () => {
    await call('POST', '/networks/create', { Name: 'web', Labels: { tier: 'front' } });
    const q = (f: unknown) => `/networks?filters=${encodeURIComponent(JSON.stringify(f))}`;
    const custom = await call('GET', q({ type: { custom: true }, label: { 'tier=front': true }, dangling: { true: true } }));
    assert.deepEqual(custom.json().map((n: { Name: string }) => n.Name), ['web']);
    assert.deepEqual(fake.calls.at(-1)?.args, [{ filters: { type: ['custom'], label: ['tier=front'], dangling: true } }]);
    assert.deepEqual((await call('GET', q({ name: ['bri'], driver: ['bridge'] }))).json().map((n: { Name: string }) => n.Name), ['bridge']);
    assert.deepEqual((await call('GET', q({ scope: ['swarm'] }))).json(), []);
    assert.equal((await call('GET', q({ scope: ['local'] }))).json().length, 4);
    const bad = await call('GET', q({ colour: ['red'] }));
    assert.equal(bad.status, 400);
    assert.equal(bad.json().message, "invalid filter 'colour'");
    assert.equal((await call('GET', q({ type: ['odd'] }))).status, 400);
  });

  test('remove: 204, 404, 403 for a predefined network, the service\'s refusal while in use', async () => {
    const { Id } = (await call('POST', '/networks/create', { Name: 'web' })).json();
    await call('POST', '/networks/web/connect', { Container: 'c1' });
    assert.equal((await call('DELETE', '/networks/web')).status, 409);
    assert.equal((await call('POST', '/networks/web/disconnect', { Container: 'c1' })).status, 200);
    assert.equal((await call('DELETE', `/networks/${Id}`)).status, 204);
    assert.equal((await call('DELETE', '/networks/web')).status, 404);
    const builtin = await call('DELETE', '/networks/bridge');
    assert.equal(builtin.status, 403);
    assert.equal(builtin.json().message, 'bridge is a pre-defined network and cannot be removed');
  });

  test('prune: unused custom networks by label and until; NetworksDeleted null when none', async () => {
    await call('POST', '/networks/create', { Name: 'a', Labels: { keep: 'no' } });
    await call('POST', '/networks/create', { Name: 'b' });
    await call('POST', '/networks/b/connect', { Container: 'c1' });
    const f = encodeURIComponent(JSON.stringify({ label: ['keep=no'], until: ['1h'] }));
    const early = await call('POST', `/networks/prune?filters=${f}`);
    assert.deepEqual(early.json(), { NetworksDeleted: null }, 'a is younger than an hour');
    const until = (fake.calls.at(-1)?.args[0] as { filters: { until: Date } }).filters.until;
    assert.ok(until instanceof Date && until.getTime() < Date.now());
    const r = await call('POST', `/networks/prune?filters=${encodeURIComponent(JSON.stringify({ label: ['keep=no'] }))}`);
    assert.deepEqual(r.json(), { NetworksDeleted: ['a'] });
    assert.deepEqual((await call('POST', '/networks/prune')).json(), { NetworksDeleted: null }, 'b is in use');
    assert.equal((await call('POST', `/networks/prune?filters=${encodeURIComponent(JSON.stringify({ driver: ['bridge'] }))}`)).status, 400);
  });

  test('connect and disconnect: endpoint settings parsed, docker\'s refusals', async () => {
    await call('POST', '/networks/create', { Name: 'web' });
    const ok = await call('POST', '/networks/web/connect', {
      Container: 'c1', EndpointConfig: { Aliases: ['db', 'primary'], IPAMConfig: { IPv4Address: '172.18.0.9' }, NetworkID: 'echoed', DNSNames: ['x'] },
    });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(fake.calls.at(-1)?.args, ['web', 'c1', { aliases: ['db', 'primary'], ipv4Address: '172.18.0.9' }]);
    assert.equal((await call('POST', '/networks/web/connect', { Container: 'c1' })).status, 409);
    assert.equal((await call('POST', '/networks/web/connect', { Container: 'c2', EndpointConfig: { IPAMConfig: { IPv4Address: '172.18.0.9' } } })).status, 409);
    const cases: [unknown, number, RegExp][] = [
      [{}, 400, /Container is required/],
      [{ Container: 'c3', EndpointConfig: { IPAMConfig: { IPv4Address: 'nope' } } }, 400, /not an IPv4 address/],
      [{ Container: 'c3', EndpointConfig: { MacAddress: '02:42:00:00:00:01' } }, 501, /EndpointConfig\.MacAddress is not supported/],
      [{ Container: 'c3', EndpointConfig: { IPAMConfig: { IPv6Address: 'fd00::2' } } }, 501, /IPv6Address/],
      [{ Container: 'c3', EndpointConfig: { Links: ['a:b'] } }, 501, /Links/],
      [{ Container: 'c3', Endpoint: { Aliases: ['a'] } }, 400, /unknown field Endpoint/],
    ];
    for (const [body, status, message] of cases) {
      const r = await call('POST', '/networks/web/connect', body);
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
      assert.match(r.json().message, message);
    }
    assert.equal((await call('POST', '/networks/nosuch/connect', { Container: 'c1' })).status, 404);

    assert.equal((await call('POST', '/networks/web/disconnect', { Container: 'c9' })).status, 409);
    assert.equal((await call('POST', '/networks/web/disconnect', { Container: 'c9', Force: true })).status, 200);
    assert.deepEqual(fake.calls.at(-1)?.args, ['web', 'c9', { force: true }]);
    assert.equal((await call('POST', '/networks/web/disconnect', { Container: 'c1', Force: 'yes' })).status, 400);
  });

  test('without a network service every network endpoint answers 501 "networks are not available"', async () => {
    await serve(false);
    for (const [method, path] of [['GET', '/networks'], ['GET', '/networks/bridge'], ['POST', '/networks/create'], ['DELETE', '/networks/x'], ['POST', '/networks/prune'], ['POST', '/networks/x/connect'], ['POST', '/networks/x/disconnect']]) {
      const r = await call(method, path, method === 'POST' ? { Name: 'x', Container: 'c' } : undefined);
      assert.equal(r.status, 501, `${method} ${path}: ${r.text}`);
      assert.deepEqual(r.json(), { message: 'networks are not available' });
    }
  });
});
