import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isJanusError } from '../../core/errors.ts';
import type { BridgeNetworkSpec, EndpointSpec } from '../../core/network-driver.ts';
import { NodeExec } from '../../util/exec.ts';
import { BridgeNetworkDriver } from './bridge-network-driver.ts';

/*
 * The bridge driver against the real kernel, iproute2 and nftables. It
 * changes a network namespace's links and rules, so it never runs in the
 * host's: the outer test creates a namespace (`ip netns add`) and runs this
 * same file again inside it, under `nsenter --net` and in a private mount
 * namespace (`unshare --mount`), so every mount it makes vanishes with it
 * too. The inner run does the checks; the outer one reports them.
 */

const INNER = process.env.JANUS_BRIDGE_NETNS_TEST === '1';
const run = promisify(execFile);

/** The environment of the inner run: marked inner, and not a child of this test runner (NODE_TEST_CONTEXT would make it report to us in the runner's own protocol). */
function innerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, JANUS_BRIDGE_NETNS_TEST: '1' };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root: it creates network namespaces, bridges, veths and nftables rules';
  for (const tool of ['ip', 'nft', 'nsenter', 'unshare', 'busybox']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `needs ${tool} (scripts/setup installs it)`;
  }
  return undefined;
}

if (!INNER) {
  describe('BridgeNetworkDriver in a network namespace of its own', () => {
    const skip = skipReason();
    const ns = `janus-brtest-${process.pid}`;
    before(async () => {
      if (!skip) await run('ip', ['netns', 'add', ns]);
    });
    after(async () => {
      if (!skip) await run('ip', ['netns', 'del', ns]).catch(() => {});
    });
    it('networks, sandboxes, isolation, published ports and cleanup', { skip, timeout: 300_000 }, async () => {
      const child = spawnSync(
        'nsenter',
        [`--net=/run/netns/${ns}`, 'unshare', '--mount', '--propagation', 'private', process.execPath, '--test', '--test-reporter=spec', '--test-concurrency=1', import.meta.filename],
        { env: innerEnv(), encoding: 'utf8', timeout: 280_000 },
      );
      assert.equal(child.status, 0, `inner run failed:\n${child.stdout}\n${child.stderr}`);
    });
  });
} else {
  inner();
}

function inner(): void {
  const hex = () => randomBytes(32).toString('hex');
  const net = (subnet: string, extra: Partial<BridgeNetworkSpec> = {}): BridgeNetworkSpec => {
    const id = hex();
    const base = subnet.split('/')[0]!.split('.').slice(0, 3).join('.');
    return { id, bridge: `jbr-${id.slice(0, 10)}`, subnet, gateway: `${base}.1`, internal: false, icc: true, masquerade: true, mtu: 1500, ...extra };
  };
  const A = net('172.30.0.0/24');
  const B = net('172.31.0.0/24');
  const I = net('172.32.0.0/24', { internal: true });
  const Q = net('172.33.0.0/24', { icc: false });
  const ip = (n: BridgeNetworkSpec, host: number) => `${n.subnet.split('/')[0]!.split('.').slice(0, 3).join('.')}.${host}`;
  const mac = (addr: string) => `02:42:${addr.split('.').map((b) => Number(b).toString(16).padStart(2, '0')).join(':')}`;
  const ep = (containerId: string, n: BridgeNetworkSpec, host: number, ifName = 'eth0', defaultRoute = true): EndpointSpec => ({
    containerId, ifName, ip: ip(n, host), mac: mac(ip(n, host)), defaultRoute,
  });

  const c = { c1: hex(), c2: hex(), c3: hex(), c4: hex(), q1: hex(), q2: hex() };
  const HOST_ADDR = '10.99.0.1';
  const WORLD_ADDR = '10.99.0.2';
  let dir: string;
  let driver: BridgeNetworkDriver;
  const sb: Record<string, string> = {};
  const servers: ChildProcess[] = [];

  const inNs = (path: string, args: string[]) => run('nsenter', [`--net=${path}`, ...args], { timeout: 20_000 });
  /** Whether one ping from `from` to `to` is answered within a second. */
  const pingOnce = async (from: string, to: string) => {
    try {
      await inNs(from, ['busybox', 'ping', '-c', '1', '-W', '1', to]);
      return true;
    } catch {
      return false;
    }
  };
  /** Whether `to` answers `from`; tried three times, so a loaded machine's slow first ARP does not make a false "no". */
  const pings = async (from: string, to: string) => {
    for (let i = 0; i < 3; i++) if (await pingOnce(from, to)) return true;
    return false;
  };
  /** Whether `to` does not answer `from` (one try: a blocked path never answers). */
  const blocked = async (from: string, to: string) => !(await pingOnce(from, to));
  const CLIENT = `
    const [proto, host, port] = process.argv.slice(1);
    const fail = (m) => { console.log('ERR ' + m); process.exit(1); };
    setTimeout(() => fail('timeout'), 2000).unref();
    if (proto === 'tcp') {
      let data = '';
      const s = require('node:net').connect(Number(port), host);
      s.on('data', (d) => data += d).on('end', () => { console.log(data.trim()); process.exit(0); }).on('error', (e) => fail(e.code));
    } else {
      const s = require('node:dgram').createSocket('udp4');
      s.on('message', (m) => { console.log(String(m).trim()); process.exit(0); });
      const ping = () => s.send('ping', Number(port), host);
      ping(); setInterval(ping, 200).unref();
    }`;
  /** What a client in `from` (undefined: the test's namespace, the "host") gets from proto://host:port. */
  const fetchFrom = async (from: string | undefined, proto: 'tcp' | 'udp', host: string, port: number): Promise<string> => {
    const args = [process.execPath, '-e', CLIENT, proto, host, String(port)];
    try {
      const r = from ? await inNs(from, args) : await run(args[0]!, args.slice(1), { timeout: 20_000 });
      return r.stdout.trim();
    } catch (err) {
      return ((err as { stdout?: string }).stdout ?? '').trim() || 'ERR';
    }
  };
  const SERVER = `
    const name = process.argv[1];
    require('node:net').createServer((s) => s.end('tcp hello from ' + name + '\\n')).listen(80, '0.0.0.0', () => {
      const u = require('node:dgram').createSocket('udp4');
      u.on('message', (m, r) => u.send('udp hello from ' + name, r.port, r.address));
      u.bind(81, '0.0.0.0', () => console.log('ready'));
    });`;
  const serve = (path: string, name: string) =>
    new Promise<void>((resolve, reject) => {
      const p = spawn('nsenter', [`--net=${path}`, process.execPath, '-e', SERVER, name], { stdio: ['ignore', 'pipe', 'inherit'] });
      servers.push(p);
      p.stdout.once('data', () => resolve());
      p.once('exit', (code) => reject(new Error(`server in ${name} exited with ${code}`)));
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'janus-brtest-'));
    driver = new BridgeNetworkDriver({ exec: new NodeExec(), netnsDir: join(dir, 'netns') });
    // The namespace's own loopback and "uplink" (a veth to a second
    // namespace standing in for the world beyond the host).
    await run('ip', ['link', 'set', 'dev', 'lo', 'up']);
    sb.world = await driver.createSandbox('world');
    await run('ip', ['link', 'add', 'jt-up', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', sb.world]);
    await run('ip', ['addr', 'add', `${HOST_ADDR}/24`, 'dev', 'jt-up']);
    await run('ip', ['link', 'set', 'dev', 'jt-up', 'up']);
    await inNs(sb.world, ['ip', 'addr', 'add', `${WORLD_ADDR}/24`, 'dev', 'eth0']);
    await inNs(sb.world, ['ip', 'link', 'set', 'dev', 'eth0', 'up']);
  });
  after(async () => {
    for (const p of servers) p.kill();
    await driver?.close();
    // The sandbox directory is a bind mount of itself (in this private mount
    // namespace): unmounted first, or the directory could not be removed.
    await run('umount', [join(dir, 'netns')]).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  describe('bridge networks', { concurrency: false }, () => {
    it('ensure makes bridges with the gateway address, twice without harm, and turns forwarding on', async () => {
      for (const n of [A, B, I, Q]) {
        await driver.ensure(n);
        await driver.ensure(n);
      }
      const links = JSON.parse((await run('ip', ['-j', '-d', 'addr', 'show', 'dev', A.bridge])).stdout) as { operstate: string; ifalias: string; addr_info: { local: string; prefixlen: number; family: string }[] }[];
      assert.deepEqual(links[0]!.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`), ['172.30.0.1/24']);
      assert.equal(links[0]!.ifalias, `janus:${A.id}`);
      assert.equal((await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim(), '1');
    });

    it('refuses a subnet overlapping a host route, and a name taken by a non-bridge device', async () => {
      await assert.rejects(driver.ensure(net('10.99.0.0/16')), (e: unknown) => isJanusError(e, 'Conflict') && /10\.99\.0\.0\/24 dev jt-up/.test((e as Error).message));
      await assert.rejects(driver.ensure({ ...net('172.40.0.0/24'), bridge: 'jt-up' }), (e: unknown) => isJanusError(e, 'Conflict') && /veth/.test((e as Error).message));
      await assert.rejects(driver.ensure({ ...net('172.40.0.0/24'), bridge: 'this-name-is-too-long' }), (e: unknown) => isJanusError(e, 'InvalidArgument'));
      await assert.rejects(driver.ensure({ ...net('172.40.0.0/24'), gateway: '172.41.0.1' }), (e: unknown) => isJanusError(e, 'InvalidArgument'));
    });

    it('creates sandboxes (reused when they exist) and connects them', async () => {
      for (const k of Object.keys(c) as (keyof typeof c)[]) sb[k] = await driver.createSandbox(c[k]);
      assert.equal(await driver.createSandbox(c.c1), sb.c1);
      await driver.connect(A, sb.c1!, ep(c.c1, A, 2));
      await driver.connect(A, sb.c2!, ep(c.c2, A, 3));
      await driver.connect(A, sb.c2!, ep(c.c2, A, 3)); // a redone connect
      await driver.connect(B, sb.c3!, ep(c.c3, B, 2));
      await driver.connect(I, sb.c4!, ep(c.c4, I, 2));
      await driver.connect(Q, sb.q1!, ep(c.q1, Q, 2));
      await driver.connect(Q, sb.q2!, ep(c.q2, Q, 3));
      const addr = JSON.parse((await inNs(sb.c2!, ['ip', '-j', 'addr', 'show', 'dev', 'eth0'])).stdout) as { address: string; addr_info: { local: string; family: string }[] }[];
      assert.equal(addr[0]!.address, mac(ip(A, 3)));
      assert.deepEqual(addr[0]!.addr_info.filter((a) => a.family === 'inet').map((a) => a.local), [ip(A, 3)]);
      assert.match((await inNs(sb.c2!, ['ip', 'route', 'show', 'default'])).stdout, /default via 172\.30\.0\.1 dev eth0/);
      assert.equal((await inNs(sb.c4!, ['ip', 'route', 'show', 'default'])).stdout.trim(), '', 'an internal network gives no default route');
    });

    it('sandboxes on one network reach each other and the world (masqueraded); not across networks', async () => {
      assert.ok(await pings(sb.c1!, ip(A, 3)), 'c1 → c2');
      assert.ok(await pings(sb.c2!, ip(A, 2)), 'c2 → c1');
      assert.ok(await pings(sb.c1!, A.gateway), 'c1 → its gateway');
      // The world has no route back to 172.30.0.0/24: only a masqueraded ping returns.
      assert.ok(await pings(sb.c1!, WORLD_ADDR), 'c1 → world');
      assert.ok(await blocked(sb.c1!, ip(B, 2)), 'c1 ↛ c3 on another network');
      assert.ok(await blocked(sb.c3!, ip(A, 2)), 'c3 ↛ c1 on another network');
    });

    it('an internal network cannot reach outside its subnet, even with a route added inside', async () => {
      assert.ok(await pings(sb.c4!, I.gateway), 'c4 → its gateway (the host: DNS lives there)');
      assert.ok(await blocked(sb.c4!, WORLD_ADDR), 'no route');
      await inNs(sb.c4!, ['ip', 'route', 'add', 'default', 'via', I.gateway]);
      assert.ok(await blocked(sb.c4!, WORLD_ADDR), 'c4 ↛ world');
      assert.ok(await blocked(sb.c4!, ip(A, 2)), 'c4 ↛ c1');
      assert.ok(await blocked(sb.c1!, ip(I, 2)), 'c1 ↛ c4');
    });

    it('icc=false keeps containers of a bridge apart but not from their gateway', async () => {
      assert.ok(await blocked(sb.q1!, ip(Q, 3)), 'q1 ↛ q2');
      assert.ok(await pings(sb.q1!, Q.gateway), 'q1 → gateway');
      assert.ok(await pings(sb.q1!, WORLD_ADDR), 'q1 → world');
    });
  });

  describe('published ports', { concurrency: false }, () => {
    let foreign: Server;
    before(async () => {
      await serve(sb.c2!, 'c2');
      await serve(sb.c3!, 'c3');
      foreign = createServer();
      await new Promise<void>((r) => foreign.listen(18090, '127.0.0.1', r));
    });
    after(() => new Promise<void>((r) => foreign.close(() => r())));

    it('tcp and udp reach the container from 127.0.0.1, the host address, other containers and the world', async () => {
      await driver.publish(c.c2, [
        { protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 18080, containerIp: ip(A, 3), containerPort: 80 },
        { protocol: 'udp', hostIp: '0.0.0.0', hostPort: 18080, containerIp: ip(A, 3), containerPort: 81 },
      ]);
      const tcp = 'tcp hello from c2';
      const udp = 'udp hello from c2';
      assert.equal(await fetchFrom(undefined, 'tcp', '127.0.0.1', 18080), tcp);
      assert.equal(await fetchFrom(undefined, 'tcp', HOST_ADDR, 18080), tcp);
      assert.equal(await fetchFrom(undefined, 'tcp', A.gateway, 18080), tcp);
      assert.equal(await fetchFrom(undefined, 'udp', '127.0.0.1', 18080), udp);
      assert.equal(await fetchFrom(undefined, 'udp', HOST_ADDR, 18080), udp);
      assert.equal(await fetchFrom(sb.world, 'tcp', HOST_ADDR, 18080), tcp);
      assert.equal(await fetchFrom(sb.world, 'udp', HOST_ADDR, 18080), udp);
      assert.equal(await fetchFrom(sb.c1, 'tcp', HOST_ADDR, 18080), tcp, 'hairpin from the same bridge');
      assert.equal(await fetchFrom(sb.c2, 'tcp', HOST_ADDR, 18080), tcp, 'the container itself through the host');
      assert.equal(await fetchFrom(sb.c3, 'tcp', HOST_ADDR, 18080), tcp, 'from another network through the host');
      assert.equal(await fetchFrom(sb.c3, 'udp', B.gateway, 18080), udp, 'through its own gateway');
    });

    it('a port bound to 127.0.0.1 answers there and nowhere else', async () => {
      await driver.publish(c.c3, [{ protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 18081, containerIp: ip(B, 2), containerPort: 80 }]);
      assert.equal(await fetchFrom(undefined, 'tcp', '127.0.0.1', 18081), 'tcp hello from c3');
      assert.match(await fetchFrom(undefined, 'tcp', HOST_ADDR, 18081), /^ERR/);
      assert.match(await fetchFrom(sb.world, 'tcp', HOST_ADDR, 18081), /^ERR/);
    });

    it('a port held by another container or another program is a Conflict, and nothing changes', async () => {
      const conflictOn = (port: number) => (e: unknown) => isJanusError(e, 'Conflict') && (e as Error).message === `Bind for 0.0.0.0:${port} failed: port is already allocated`;
      await assert.rejects(driver.publish(c.c1, [{ protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 18080, containerIp: ip(A, 2), containerPort: 80 }]), conflictOn(18080));
      await assert.rejects(
        driver.publish(c.c1, [
          { protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 18085, containerIp: ip(A, 2), containerPort: 80 },
          { protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 18090, containerIp: ip(A, 2), containerPort: 80 },
        ]),
        conflictOn(18090),
      );
      // 18085 was freed again when 18090 failed: another container may take it.
      await driver.publish(c.c3, [{ protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 18085, containerIp: ip(B, 2), containerPort: 80 }]);
      assert.equal(await fetchFrom(undefined, 'tcp', '127.0.0.1', 18085), 'tcp hello from c3');
      assert.match(await fetchFrom(undefined, 'tcp', '127.0.0.1', 18081), /^ERR/, 'publish replaced c3\'s earlier ports');
      assert.equal(await fetchFrom(undefined, 'tcp', '127.0.0.1', 18080), 'tcp hello from c2', 'c2 is untouched');
    });

    it('freePort picks from docker\'s ephemeral range, and publish on it works', async () => {
      const port = await driver.freePort('tcp', '0.0.0.0');
      assert.ok(port >= 49153 && port <= 60999, String(port));
      await driver.publish(c.c3, [{ protocol: 'tcp', hostIp: '0.0.0.0', hostPort: port, containerIp: ip(B, 2), containerPort: 80 }]);
      assert.equal(await fetchFrom(undefined, 'tcp', '127.0.0.1', port), 'tcp hello from c3');
      assert.notEqual(await driver.freePort('tcp', '0.0.0.0'), port);
      await driver.unpublish(c.c3);
      assert.match(await fetchFrom(undefined, 'tcp', '127.0.0.1', port), /^ERR/);
    });

    it('rules outlive the driver (a daemon restart); a new driver takes the reservations again', async () => {
      await driver.close(); // as the daemon's death would
      assert.equal(await fetchFrom(undefined, 'tcp', '127.0.0.1', 18080), 'tcp hello from c2', 'still published');
      driver = new BridgeNetworkDriver({ exec: new NodeExec(), netnsDir: join(dir, 'netns') });
      await driver.ensure(A);
      await driver.publish(c.c2, [
        { protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 18080, containerIp: ip(A, 3), containerPort: 80 },
        { protocol: 'udp', hostIp: '0.0.0.0', hostPort: 18080, containerIp: ip(A, 3), containerPort: 81 },
      ]);
      assert.equal(await fetchFrom(undefined, 'tcp', '127.0.0.1', 18080), 'tcp hello from c2');
      assert.deepEqual(await driver.leftovers({ networks: [A.id, B.id, I.id, Q.id], containers: [...Object.values(c), 'world'] }), { bridges: [], sandboxes: [] });
    });
  });

  describe('cleanup', { concurrency: false }, () => {
    it('leftovers finds what no known ID owns, and removeLeftovers removes it with its rules', async () => {
      const D = net('172.34.0.0/24');
      const orphan = hex();
      await driver.ensure(D);
      const path = await driver.createSandbox(orphan);
      await driver.connect(D, path, ep(orphan, D, 2));
      await driver.publish(orphan, [{ protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 18086, containerIp: ip(D, 2), containerPort: 80 }]);
      const found = await driver.leftovers({ networks: [A.id, B.id, I.id, Q.id], containers: [...Object.values(c), 'world'] });
      assert.deepEqual(found, { bridges: [D.bridge], sandboxes: [orphan] });
      await driver.removeLeftovers(found);
      assert.deepEqual(await driver.leftovers({ networks: [A.id, B.id, I.id, Q.id], containers: [...Object.values(c), 'world'] }), { bridges: [], sandboxes: [] });
      assert.ok(!(await ruleset()).includes(D.id.slice(0, 12)));
      assert.ok(!(await ruleset()).includes(orphan.slice(0, 12)));
      assert.ok(!existsSync(path));
    });

    it('after unpublish, disconnect, removeSandbox and destroy nothing is left', async () => {
      for (const k of Object.keys(c) as (keyof typeof c)[]) await driver.unpublish(c[k]);
      await driver.disconnect(A, sb.c1!, ep(c.c1, A, 2));
      await driver.disconnect(A, sb.c2!, ep(c.c2, A, 3));
      await driver.disconnect(A, sb.c2!, ep(c.c2, A, 3)); // absent is fine
      await driver.disconnect(B, sb.c3!, ep(c.c3, B, 2));
      await driver.disconnect(I, sb.c4!, ep(c.c4, I, 2));
      await driver.disconnect(Q, sb.q1!, ep(c.q1, Q, 2));
      await driver.disconnect(Q, sb.q2!, ep(c.q2, Q, 3));
      for (const k of Object.keys(c) as (keyof typeof c)[]) {
        await driver.removeSandbox(c[k]);
        await driver.removeSandbox(c[k]);
      }
      for (const n of [A, B, I, Q]) {
        await driver.destroy(n);
        await driver.destroy(n);
      }
      await run('ip', ['link', 'del', 'jt-up']);
      await driver.removeSandbox('world');
      for (const p of servers) p.kill();
      const links = JSON.parse((await run('ip', ['-j', 'link', 'show'])).stdout) as { ifname: string }[];
      assert.deepEqual(links.map((l) => l.ifname), ['lo'], 'no bridge, no veth');
      const addrs = JSON.parse((await run('ip', ['-j', '-4', 'addr', 'show'])).stdout) as { ifname: string }[];
      assert.deepEqual(addrs.map((a) => a.ifname), ['lo'], 'no address');
      const rules = JSON.parse((await run('nft', ['-j', 'list', 'ruleset'])).stdout) as { nftables: Record<string, { table?: string; elem?: unknown }>[] };
      assert.deepEqual(rules.nftables.filter((x) => x.chain || x.rule), [], 'no chain, no rule');
      assert.deepEqual(rules.nftables.filter((x) => x.set?.elem), [], 'no bridge left in the set');
      assert.deepEqual(await readdir(driver.netnsDir), [], 'no sandbox file');
      assert.ok(!(await readFile('/proc/self/mountinfo', 'utf8')).includes(`${driver.netnsDir}/`), 'no sandbox mount');
    });
  });

  async function ruleset(): Promise<string> {
    return (await run('nft', ['list', 'ruleset'])).stdout;
  }
}
