import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { isJanusError, conflict } from '../core/errors.ts';
import type { EngineEvent } from '../core/events.ts';
import type { NameServer } from '../core/name-server.ts';
import type { BridgeNetworkSpec, EndpointSpec, NetworkDriver, NetworkLeftovers, PortMapping } from '../core/network-driver.ts';
import { JsonDirStore } from '../state/json-dir-store.ts';
import { JsonLogger } from '../util/logger.ts';
import { NetworkEngine, type NetworkRecord } from './network-engine.ts';
import { parseCidr } from './network-ipam.ts';

/** Records what the engine asked of the host; `taken` host ports refuse like a bound port would. */
class RecordingDriver implements NetworkDriver {
  calls: string[] = [];
  published = new Map<string, PortMapping[]>();
  taken = new Set<number>();
  #next = 49153;
  async ensure(net: BridgeNetworkSpec) { this.calls.push(`ensure ${net.bridge} ${net.subnet} gw ${net.gateway}${net.internal ? ' internal' : ''}`); }
  async destroy(net: BridgeNetworkSpec) { this.calls.push(`destroy ${net.bridge}`); }
  async createSandbox(id: string) { this.calls.push(`sandbox ${id}`); return `/run/test-netns/${id}`; }
  async removeSandbox(id: string) { this.calls.push(`remove-sandbox ${id}`); }
  async connect(net: BridgeNetworkSpec, _sb: string, ep: EndpointSpec) { this.calls.push(`connect ${net.bridge} ${ep.ifName} ${ep.ip} ${ep.mac}${ep.defaultRoute ? ' default' : ''}`); }
  async disconnect(net: BridgeNetworkSpec, _sb: string, ep: EndpointSpec) { this.calls.push(`disconnect ${net.bridge} ${ep.ifName}`); }
  async publish(id: string, ports: PortMapping[]) {
    const clash = ports.find((p) => this.taken.has(p.hostPort));
    if (clash) throw conflict(`Bind for ${clash.hostIp}:${clash.hostPort} failed: port is already allocated`);
    this.published.set(id, ports);
  }
  async unpublish(id: string) { this.published.delete(id); }
  async freePort() { return this.#next++; }
  async leftovers(): Promise<NetworkLeftovers> { return { bridges: [], sandboxes: [] }; }
  async removeLeftovers() {}
}

class RecordingNames implements NameServer {
  names = new Map<string, ReadonlyMap<string, readonly string[]>>();
  served = new Map<string, string>();
  async serve(id: string, address: string) { this.served.set(id, address); }
  setNames(id: string, names: ReadonlyMap<string, readonly string[]>) { this.names.set(id, names); }
  peers = new Map<string, ReadonlyMap<string, readonly string[]>>();
  setPeers(id: string, peers: ReadonlyMap<string, readonly string[]>) { this.peers.set(id, peers); }
  async stop(id: string) { this.served.delete(id); }
  async close() {}
}

async function setup(t: import('node:test').TestContext, dir?: string) {
  const root = dir ?? await mkdtemp(join(tmpdir(), 'janus-net-'));
  if (!dir) t.after(() => rm(root, { recursive: true, force: true }));
  const driver = new RecordingDriver();
  const names = new RecordingNames();
  const events: EngineEvent[] = [];
  const engine = new NetworkEngine({
    store: new JsonDirStore<NetworkRecord>({ dir: root }),
    driver,
    names,
    hostRoutes: async () => [parseCidr('172.17.0.0/16')], // as if docker0 were there
    events: { publish: (e) => events.push({ ...e, timeNano: 0n } as EngineEvent) },
    logger: new JsonLogger({ out: new Writable({ write: (_c, _e, cb) => cb() }) }),
  });
  await engine.init();
  return { root, driver, names, events, engine };
}

const is = (kind: string, pattern: RegExp) => (e: unknown) => isJanusError(e, kind as never) && pattern.test((e as Error).message);

test('the predefined networks exist, avoid the host\'s routes, and cannot be removed', async (t) => {
  const { engine } = await setup(t);
  const names = (await engine.list()).map((n) => `${n.name}:${n.driver}`);
  assert.deepEqual(names, ['bridge:bridge', 'host:host', 'none:null']);
  const bridge = await engine.inspect('bridge');
  assert.equal(bridge.ipam.config[0]?.subnet, '172.18.0.0/16');
  assert.equal(bridge.ipam.config[0]?.gateway, '172.18.0.1');
  await assert.rejects(engine.remove('bridge'), is('Forbidden', /pre-defined network/));
  await assert.rejects(engine.create('host2', { driver: 'host' }), is('Forbidden', /only one instance of "host"/));
});

test('create: names are unique, subnets never overlap, bad input is refused before anything is made', async (t) => {
  const { engine, driver } = await setup(t);
  const { id } = await engine.create('app', { ipam: { config: [{ subnet: '10.20.0.0/24', gateway: '10.20.0.254' }] }, labels: { a: '1' } });
  assert.equal((await engine.inspect(id.slice(0, 6))).name, 'app');
  assert.ok(driver.calls.includes(`ensure jbr-${id.slice(0, 10)} 10.20.0.0/24 gw 10.20.0.254`));
  await assert.rejects(engine.create('app'), is('Conflict', /network with name app already exists/));
  await assert.rejects(engine.create('other', { ipam: { config: [{ subnet: '10.20.0.128/25' }] } }), is('Conflict', /overlaps network app/));
  const before = driver.calls.length;
  await assert.rejects(engine.create('bad', { ipam: { config: [{ subnet: '10.30.0.1/24' }] } }), is('InvalidArgument', /host bits are set/));
  await assert.rejects(engine.create('bad', { ipam: { config: [{ subnet: '10.30.0.0/24', gateway: '10.31.0.1' }] } }), is('InvalidArgument', /not in subnet/));
  await assert.rejects(engine.create('bad', { options: { 'x.y': '1' } }), is('InvalidArgument', /unknown bridge network option/));
  await assert.rejects(engine.create('bad name!'), is('InvalidArgument', /invalid network name/));
  await assert.rejects(engine.create('v6', { enableIPv6: true }), is('NotImplemented', /IPv4 only/));
  assert.equal(driver.calls.length, before, 'nothing was made for refused requests');
  const auto = await engine.create('auto');
  assert.equal((await engine.inspect(auto.id)).ipam.config[0]?.subnet, '172.19.0.0/16');
  assert.deepEqual((await engine.list({ filters: { label: ['a=1'] } })).map((n) => n.name), ['app']);
  assert.deepEqual((await engine.list({ filters: { type: ['custom'] } })).map((n) => n.name), ['app', 'auto']);
});

test('addresses: never handed out twice, --ip conflicts, durable across a restart, freed on leave', async (t) => {
  const first = await setup(t);
  await first.engine.create('app', { ipam: { config: [{ subnet: '10.20.0.0/29' }] } });
  const a = await first.engine.join('app', { id: 'a'.repeat(64), name: 'a' }, { ifIndex: 0 });
  const b = await first.engine.join('app', { id: 'b'.repeat(64), name: 'b' }, { ifIndex: 0, ipv4Address: '10.20.0.6', aliases: ['db'] });
  assert.equal(a.ip, '10.20.0.2');
  assert.equal(a.mac, '02:42:0a:14:00:02');
  assert.equal(a.nameServer, '10.20.0.1');
  assert.equal(b.ip, '10.20.0.6');
  await assert.rejects(first.engine.join('app', { id: 'c'.repeat(64), name: 'c' }, { ifIndex: 0, ipv4Address: '10.20.0.2' }), is('Conflict', /10\.20\.0\.2 is held by container a/));
  await assert.rejects(first.engine.join('app', { id: 'c'.repeat(64), name: 'c' }, { ifIndex: 0, ipv4Address: '10.9.0.2' }), is('InvalidArgument', /not in network app's subnet/));
  await assert.rejects(first.engine.join('app', { id: 'a'.repeat(64), name: 'a' }, { ifIndex: 1 }), is('Conflict', /already exists in network app/));
  await assert.rejects(first.engine.join('host', { id: 'c'.repeat(64), name: 'c' }, { ifIndex: 0 }), is('InvalidArgument', /host mode/));

  // A second engine on the same state (a daemon restart) continues where the first stopped.
  const again = await setup(t, first.root);
  const c = await again.engine.join('app', { id: 'c'.repeat(64), name: 'c' }, { ifIndex: 0 });
  const d = await again.engine.join('app', { id: 'd'.repeat(64), name: 'd' }, { ifIndex: 0 });
  assert.deepEqual([c.ip, d.ip], ['10.20.0.3', '10.20.0.4']);
  await again.engine.join('app', { id: 'e'.repeat(64), name: 'e' }, { ifIndex: 0 });
  await assert.rejects(again.engine.join('app', { id: 'f'.repeat(64), name: 'f' }, { ifIndex: 0 }), is('Conflict', /no available IPv4 addresses on network app/));
  await assert.rejects(again.engine.remove('app'), is('Conflict', /has active endpoints/));
  await again.engine.leave((await again.engine.inspect('app')).id, 'c'.repeat(64));
  const f = await again.engine.join('app', { id: 'f'.repeat(64), name: 'f' }, { ifIndex: 0 });
  assert.equal(f.ip, '10.20.0.3');
});

test('up and down: sandbox, interfaces in join order, ports, DNS names; undone in reverse', async (t) => {
  const { engine, driver, names } = await setup(t);
  const { id: net } = await engine.create('app', { ipam: { config: [{ subnet: '10.20.0.0/24' }] } });
  const cid = 'a'.repeat(64);
  await engine.join('app', { id: cid, name: 'web' }, { ifIndex: 0, aliases: ['www'] });
  await engine.join('bridge', { id: cid, name: 'web' }, { ifIndex: 1 });
  driver.calls = [];
  const state = await engine.up(cid, [
    { protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80 },
    { protocol: 'udp', hostIp: '127.0.0.1', hostPort: 0, containerPort: 53 },
  ]);
  assert.equal(state.sandbox, `/run/test-netns/${cid}`);
  assert.deepEqual(driver.calls.filter((c) => c.startsWith('connect')), [
    `connect jbr-${net.slice(0, 10)} eth0 10.20.0.2 02:42:0a:14:00:02 default`,
    'connect janus0 eth1 172.18.0.2 02:42:ac:12:00:02',
  ]);
  assert.deepEqual(state.ports.map((p) => `${p.hostIp}:${p.hostPort}->${p.containerIp}:${p.containerPort}/${p.protocol}`), [
    '0.0.0.0:8080->10.20.0.2:80/tcp', '127.0.0.1:49153->10.20.0.2:53/udp',
  ]);
  assert.deepEqual(Object.fromEntries(names.names.get(net)!), { web: ['10.20.0.2'], [cid.slice(0, 12)]: ['10.20.0.2'], www: ['10.20.0.2'] });
  assert.equal(names.served.get(net), '10.20.0.1');
  assert.deepEqual(Object.keys((await engine.inspect('app')).containers), [cid]);

  await engine.down(cid);
  assert.equal(driver.published.size, 0);
  assert.ok(driver.calls.includes(`remove-sandbox ${cid}`));
  assert.deepEqual(Object.fromEntries(names.names.get(net)!), {});
  assert.deepEqual((await engine.inspect('app')).containers, {});
});

test('a taken host port fails up with docker\'s words and leaves nothing up', async (t) => {
  const { engine, driver } = await setup(t);
  const cid = 'a'.repeat(64);
  await engine.join('bridge', { id: cid, name: 'web' }, { ifIndex: 0 });
  driver.taken.add(8080);
  await assert.rejects(engine.up(cid, [{ protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80 }]),
    is('Conflict', /Bind for 0\.0\.0\.0:8080 failed: port is already allocated/));
  assert.ok(driver.calls.includes(`remove-sandbox ${cid}`));
  assert.equal(engine.sandboxOf(cid), undefined);
  // A range takes the first port that binds.
  const state = await engine.up(cid, [{ protocol: 'tcp', hostIp: '0.0.0.0', hostPort: [8080, 8082], containerPort: 80 }]);
  assert.equal(state.ports[0]?.hostPort, 8081);
});
