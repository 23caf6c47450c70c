import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isJanusError } from '../../core/errors.ts';
import type { BridgeNetworkSpec, EndpointSpec, PortMapping } from '../../core/network-driver.ts';
import { ExecError, type Exec, type ExecOptions, type ExecResult } from '../../util/exec.ts';
import { BridgeNetworkDriver } from './bridge-network-driver.ts';
import { vethName } from './host-names.ts';

/*
 * The driver's decisions without root: a recording Exec answers for ip and
 * nft, sysctls and mountinfo are injected. What the commands do to a real
 * kernel is bridge-network-driver.netns.test.ts's job.
 */

interface Call {
  file: string;
  args: string[];
  input?: string;
}

type Answer = Partial<ExecResult> | undefined;

class RecordingExec implements Exec {
  readonly calls: Call[] = [];
  readonly answer: (c: Call) => Answer;
  constructor(answer: (c: Call) => Answer = () => undefined) {
    this.answer = answer;
  }
  async run(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const call: Call = { file, args: [...args], ...(options.input !== undefined ? { input: String(options.input) } : {}) };
    this.calls.push(call);
    const r: ExecResult = { code: 0, signal: null, stdout: '', stderr: '', ...this.answer(call) };
    if (options.check !== false && r.code !== 0) {
      throw new ExecError([file, ...args].join(' '), r, `${file}: exit status ${r.code}: ${r.stderr}`);
    }
    return r;
  }
  line(c: Call): string {
    return [c.file, ...c.args].join(' ');
  }
}

const ID = 'ab'.repeat(32);
const CID = 'cd'.repeat(32);
const net: BridgeNetworkSpec = { id: ID, bridge: 'jbr-abababab', subnet: '172.18.0.0/16', gateway: '172.18.0.1', internal: false, icc: true, masquerade: true, mtu: 1500 };
const ep: EndpointSpec = { containerId: CID, ifName: 'eth0', ip: '172.18.0.2', mac: '02:42:ac:12:00:02', defaultRoute: true };
const ROUTES = JSON.stringify([{ dst: 'default', gateway: '192.0.2.1', dev: 'eth0' }, { dst: '192.0.2.0/24', dev: 'eth0' }, { dst: '172.18.0.0/16', dev: 'jbr-abababab' }]);
const NO_DEVICE = { code: 1, stderr: 'Device "jbr-abababab" does not exist.\n' };

describe('BridgeNetworkDriver (recorded commands)', () => {
  let dir: string;
  let n = 0;
  const sysctls: string[] = [];
  const make = (answer?: (c: Call) => Answer, range = '32768\t60999\n') => {
    const exec = new RecordingExec(answer);
    const driver = new BridgeNetworkDriver({
      exec,
      netnsDir: join(dir, String(n++)),
      writeSysctl: async (path, value) => {
        sysctls.push(`${path.join('.')}=${value}`);
      },
      readSysctl: async (path) => (path.at(-1) === 'ip_local_port_range' ? range : '0\n'),
      readMountInfo: async () => '26 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n',
    });
    return { exec, driver };
  };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'janus-brunit-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('ensure', () => {
    it('creates the bridge, turns forwarding and route_localnet on, then writes the rules', async () => {
      sysctls.length = 0;
      const { exec, driver } = make((c) => {
        if (c.args.includes('addr') && c.args.includes('show')) return NO_DEVICE;
        if (c.args.includes('route')) return { stdout: ROUTES };
        return undefined;
      });
      await driver.ensure(net);
      const lines = exec.calls.map((c) => exec.line(c));
      assert.deepEqual(lines.slice(2), ['ip -batch -', 'nft -f -']);
      assert.match(exec.calls[2]!.input!, /^link add name jbr-abababab type bridge\n/);
      assert.match(exec.calls[3]!.input!, /add chain inet janus net-abababababab-fwd/);
      assert.deepEqual(sysctls, ['net.ipv4.ip_forward=1', 'net.ipv4.conf.jbr-abababab.route_localnet=1']);
    });

    it('is a Conflict when the subnet overlaps a route of another device, before changing anything', async () => {
      const { exec, driver } = make((c) => {
        if (c.args.includes('addr')) return NO_DEVICE;
        if (c.args.includes('route')) return { stdout: JSON.stringify([{ dst: '172.18.5.0/24', dev: 'eth1' }]) };
        return undefined;
      });
      await assert.rejects(driver.ensure(net), (e: unknown) => isJanusError(e, 'Conflict') && /172\.18\.5\.0\/24 dev eth1/.test((e as Error).message));
      assert.ok(!exec.calls.some((c) => c.args.includes('-batch') || c.file === 'nft'));
    });

    it('refuses a bridge name held by another network or by a device that is not a bridge', async () => {
      const other = make((c) => {
        if (c.args.includes('addr')) return { stdout: JSON.stringify([{ ifname: 'jbr-abababab', ifalias: 'janus:ffff', linkinfo: { info_kind: 'bridge' } }]) };
        if (c.args.includes('route')) return { stdout: '[]' };
        return undefined;
      });
      await assert.rejects(other.driver.ensure(net), (e: unknown) => isJanusError(e, 'Conflict') && /janus:ffff/.test((e as Error).message));
      const veth = make((c) => {
        if (c.args.includes('addr')) return { stdout: JSON.stringify([{ ifname: 'jbr-abababab', linkinfo: { info_kind: 'veth' } }]) };
        if (c.args.includes('route')) return { stdout: '[]' };
        return undefined;
      });
      await assert.rejects(veth.driver.ensure(net), (e: unknown) => isJanusError(e, 'Conflict') && /veth/.test((e as Error).message));
    });

    it('refuses unusable specs as InvalidArgument', async () => {
      const { exec, driver } = make();
      for (const bad of [
        { bridge: 'a-name-longer-than-15' },
        { subnet: '172.18.0.1/16' },
        { subnet: '172.18.0.0/31', gateway: '172.18.0.0' },
        { gateway: '172.19.0.1' },
        { gateway: '172.18.0.0' },
        { mtu: 10 },
        { id: '../x' },
      ]) {
        await assert.rejects(driver.ensure({ ...net, ...bad }), (e: unknown) => isJanusError(e, 'InvalidArgument'), JSON.stringify(bad));
      }
      assert.deepEqual(exec.calls, []);
    });
  });

  describe('destroy', () => {
    it('deletes only a bridge that is this network\'s, and always the rules', async () => {
      const mine = make((c) => (c.args.includes('show') ? { stdout: JSON.stringify([{ ifname: net.bridge, ifalias: `janus:${ID}` }]) } : undefined));
      await mine.driver.destroy(net);
      assert.deepEqual(mine.exec.calls.map((c) => mine.exec.line(c)).slice(1), ['ip link del dev jbr-abababab', 'nft -f -']);
      const theirs = make((c) => (c.args.includes('show') ? { stdout: JSON.stringify([{ ifname: net.bridge, ifalias: 'someone else' }]) } : undefined));
      await theirs.driver.destroy(net);
      assert.deepEqual(theirs.exec.calls.map((c) => theirs.exec.line(c)).slice(1), ['nft -f -']);
      const gone = make((c) => (c.args.includes('show') ? NO_DEVICE : undefined));
      await gone.driver.destroy(net);
      assert.match(gone.exec.calls.at(-1)!.input!, /delete chain inet janus net-abababababab-fwd/);
    });
  });

  describe('sandboxes and endpoints', () => {
    it('createSandbox makes the directory a shared mount once and the namespace with unshare', async () => {
      const { exec, driver } = make();
      const path = await driver.createSandbox(CID);
      assert.equal(path, join(driver.netnsDir, CID));
      await driver.createSandbox('ef'.repeat(32));
      assert.deepEqual(exec.calls.map((c) => exec.line(c)), [
        `mount --make-shared --bind ${driver.netnsDir} ${driver.netnsDir}`,
        `unshare --net=${path} ip link set dev lo up`,
        `unshare --net=${join(driver.netnsDir, 'ef'.repeat(32))} ip link set dev lo up`,
      ]);
      await driver.removeSandbox(CID);
      await driver.removeSandbox(CID);
      assert.deepEqual(await readdir(driver.netnsDir), ['ef'.repeat(32)]);
      await assert.rejects(driver.createSandbox('../../etc'), (e: unknown) => isJanusError(e, 'InvalidArgument'));
    });

    it('a failed unshare leaves no file behind', async () => {
      const { driver } = make((c) => (c.file === 'unshare' ? { code: 1, stderr: 'unshare: failed' } : undefined));
      await assert.rejects(driver.createSandbox(CID));
      assert.deepEqual(await readdir(driver.netnsDir), []);
    });

    it('connect creates the veth, then configures the sandbox end from inside', async () => {
      const { exec, driver } = make();
      await driver.connect(net, '/s/x', ep);
      assert.deepEqual(exec.calls.map((c) => exec.line(c)), ['ip -batch -', 'nsenter --net=/s/x ip -batch -']);
      assert.match(exec.calls[0]!.input!, new RegExp(`^link add name ${vethName(CID, 'eth0')} `));
      assert.match(exec.calls[1]!.input!, /route replace default via 172\.18\.0\.1 dev eth0/);
    });

    it('a redone connect that finds its veth starts over', async () => {
      let tries = 0;
      const { exec, driver } = make((c) => (c.args.includes('-batch') && c.file === 'ip' && tries++ === 0 ? { code: 2, stderr: 'RTNETLINK answers: File exists\n' } : undefined));
      await driver.connect(net, '/s/x', ep);
      assert.deepEqual(exec.calls.map((c) => exec.line(c)), [
        'ip -batch -',
        `ip link del dev ${vethName(CID, 'eth0')}`,
        'nsenter --net=/s/x ip -batch -',
        'ip -batch -',
        'nsenter --net=/s/x ip -batch -',
      ]);
      assert.equal(exec.calls[2]!.input, 'link del dev eth0\n');
    });

    it('a failed sandbox side removes the veth again', async () => {
      const { exec, driver } = make((c) => (c.file === 'nsenter' ? { code: 1, stderr: 'Error: Nexthop has invalid gateway.' } : undefined));
      await assert.rejects(driver.connect(net, '/s/x', ep), /invalid gateway/);
      assert.equal(exec.line(exec.calls.at(-1)!), `ip link del dev ${vethName(CID, 'eth0')}`);
    });

    it('refuses endpoints outside the subnet or with a multicast MAC', async () => {
      const { driver } = make();
      await assert.rejects(driver.connect(net, '/s/x', { ...ep, ip: '172.19.0.2' }), (e: unknown) => isJanusError(e, 'InvalidArgument'));
      await assert.rejects(driver.connect(net, '/s/x', { ...ep, ip: '172.18.0.1' }), (e: unknown) => isJanusError(e, 'InvalidArgument'));
      await assert.rejects(driver.connect(net, '/s/x', { ...ep, mac: '01:00:5e:00:00:01' }), (e: unknown) => isJanusError(e, 'InvalidArgument'));
    });

    it('disconnect of an absent veth is fine; other failures are not', async () => {
      const absent = make(() => ({ code: 1, stderr: 'Cannot find device "jv…"' }));
      await absent.driver.disconnect(net, '/s/x', ep);
      const broken = make(() => ({ code: 2, stderr: 'RTNETLINK answers: Operation not permitted' }));
      await assert.rejects(broken.driver.disconnect(net, '/s/x', ep), /not permitted/);
    });
  });

  describe('published ports', () => {
    let holder: Server;
    let heldPort: number;
    before(async () => {
      holder = createServer();
      await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
      heldPort = (holder.address() as { port: number }).port;
    });
    after(() => new Promise<void>((r) => holder.close(() => r())));
    const map = (hostPort: number, extra: Partial<PortMapping> = {}): PortMapping => ({ protocol: 'tcp', hostIp: '127.0.0.1', hostPort, containerIp: '172.18.0.2', containerPort: 80, ...extra });

    it('a port another program holds is docker\'s Conflict, and no rule is written', async () => {
      const { exec, driver } = make();
      await assert.rejects(driver.publish(CID, [map(heldPort)]), (e: unknown) => isJanusError(e, 'Conflict') && (e as Error).message === `Bind for 127.0.0.1:${heldPort} failed: port is already allocated`);
      assert.deepEqual(exec.calls, []);
    });

    it('holds the port while published, frees it on unpublish and when the rules fail', async () => {
      let failNft = false;
      const { exec, driver } = make((c) => (c.file === 'nft' && failNft ? { code: 1, stderr: 'Error: syntax' } : undefined));
      const port = await driver.freePort('tcp', '127.0.0.1');
      await driver.publish(CID, [map(port)]);
      assert.match(exec.calls[0]!.input!, new RegExp(`tcp dport ${port} dnat ip to 172\\.18\\.0\\.2:80`));
      await assert.rejects(driver.publish('ef'.repeat(32), [map(port)]), (e: unknown) => isJanusError(e, 'Conflict'));
      await driver.publish(CID, [map(port)]); // the owner may publish the same again
      failNft = true;
      const other = await driver.freePort('tcp', '127.0.0.1');
      await assert.rejects(driver.publish(CID, [map(port), map(other)]), /syntax/);
      failNft = false;
      await driver.publish('ef'.repeat(32), [map(other)]); // freed by the failure
      await assert.rejects(driver.publish('ef'.repeat(32), [map(port)]), (e: unknown) => isJanusError(e, 'Conflict'), 'the earlier port is still held');
      await driver.unpublish(CID);
      await driver.publish('ef'.repeat(32), [map(port)]);
      await driver.close();
    });

    it('refuses the same host port twice in one request, and bad mappings', async () => {
      const { driver } = make();
      await assert.rejects(driver.publish(CID, [map(40001), map(40001, { containerPort: 81 })]), (e: unknown) => isJanusError(e, 'Conflict'));
      await assert.rejects(driver.publish(CID, [map(40001, { hostIp: '0.0.0.0' }), map(40001)]), (e: unknown) => isJanusError(e, 'Conflict'));
      await assert.rejects(driver.publish(CID, [map(0)]), (e: unknown) => isJanusError(e, 'InvalidArgument'));
      await assert.rejects(driver.publish(CID, [map(40001, { hostIp: '::' })]), (e: unknown) => isJanusError(e, 'NotImplemented'));
      await assert.rejects(driver.publish(CID, [map(40001, { protocol: 'sctp' as 'tcp' })]), (e: unknown) => isJanusError(e, 'InvalidArgument'));
    });

    it('freePort keeps to docker\'s range inside ip_local_port_range', async () => {
      const narrow = make(undefined, '50000 50002\n');
      const got = [await narrow.driver.freePort('udp', '127.0.0.1'), await narrow.driver.freePort('udp', '127.0.0.1')];
      assert.ok(got.every((p) => p >= 50000 && p <= 50002), got.join());
      assert.notEqual(got[0], got[1]);
      const low = make(undefined, '1024 2000\n');
      const p = await low.driver.freePort('tcp', '127.0.0.1');
      assert.ok(p >= 1024 && p <= 2000, 'docker\'s range is outside: the host\'s range is used');
    });
  });

  describe('leftovers', () => {
    const KNOWN_NET = '11'.repeat(32);
    const ORPHAN_NET = '22'.repeat(32);
    const KNOWN_C = '33'.repeat(32);
    const links = [
      { ifname: 'janus0', ifalias: `janus:${KNOWN_NET}` },
      { ifname: 'jbr-2222222222', ifalias: `janus:${ORPHAN_NET}` },
      { ifname: 'docker0' },
    ];
    const chain = (family: string, name: string) => ({ chain: { family, table: 'janus', name } });
    const rule = (chainName: string, br: string) => ({ rule: { family: 'inet', table: 'janus', chain: chainName, expr: [{ match: { op: '==', left: { meta: { key: 'oifname' } }, right: br } }] } });
    const ruleset = {
      nftables: [
        { set: { family: 'inet', table: 'janus', name: 'bridges', elem: ['janus0', 'jbr-2222222222', 'jbr-gone'] } },
        chain('inet', 'net-111111111111-fwd'), rule('net-111111111111-fwd', 'janus0'),
        chain('inet', 'net-222222222222-fwd'), rule('net-222222222222-fwd', 'jbr-2222222222'),
        chain('inet', 'net-444444444444-post'), rule('net-444444444444-post', 'jbr-4444'),
        chain('inet', 'ports-333333333333-pre'), chain('inet', 'ports-555555555555-pre'), chain('inet', 'ports-555555555555-out'),
        { chain: { family: 'inet', table: 'filter', name: 'net-999999999999-fwd' } },
      ],
    };
    const answer = (c: Call): Answer => {
      if (c.file === 'ip' && c.args.includes('show')) return { stdout: JSON.stringify(links) };
      if (c.file === 'nft' && c.args.includes('list')) return { stdout: JSON.stringify(ruleset) };
      return undefined;
    };

    it('names the bridges, rules and sandboxes no known ID owns', async () => {
      const { driver } = make(answer);
      await driver.createSandbox(KNOWN_C);
      await driver.createSandbox('66'.repeat(32));
      const found = await driver.leftovers({ networks: [KNOWN_NET], containers: [KNOWN_C] });
      assert.deepEqual(found, { bridges: ['jbr-2222222222', 'jbr-4444', 'jbr-gone'], sandboxes: ['555555555555', '66'.repeat(32)] });
    });

    it('removes them: the Janus bridge, the chains of their networks and containers, the set elements, the files', async () => {
      const { exec, driver } = make(answer);
      await driver.createSandbox('66'.repeat(32));
      exec.calls.length = 0;
      await driver.removeLeftovers({ bridges: ['jbr-2222222222', 'jbr-4444', 'jbr-gone', 'docker0'], sandboxes: ['555555555555', '66'.repeat(32)] });
      const lines = exec.calls.map((c) => exec.line(c));
      assert.ok(lines.includes('ip link del dev jbr-2222222222'));
      assert.ok(!lines.includes('ip link del dev docker0'), 'not a Janus bridge');
      const script = exec.calls.find((c) => c.file === 'nft' && c.input)!.input!;
      for (const gone of ['delete chain inet janus net-222222222222-fwd', 'delete chain inet janus net-444444444444-post', 'delete chain inet janus ports-555555555555-pre', 'delete chain inet janus ports-555555555555-out', 'delete element inet janus bridges { "jbr-gone" }']) {
        assert.ok(script.includes(gone), gone);
      }
      assert.ok(!script.includes('111111111111') && !script.includes('333333333333') && !script.includes('999999999999'));
      assert.deepEqual(await readdir(driver.netnsDir), []);
    });
  });
});
