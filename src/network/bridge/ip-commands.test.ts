import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BridgeNetworkSpec, EndpointSpec } from '../../core/network-driver.ts';
import { bridgeBatch, createSandboxArgs, inSandboxArgs, sandboxBatch, vethBatch } from './ip-commands.ts';
import { bridgeMac, isValidIfName, isValidObjectId, vethName } from './host-names.ts';

const ID = 'ab'.repeat(32);
const net: BridgeNetworkSpec = { id: ID, bridge: 'janus0', subnet: '172.17.0.0/16', gateway: '172.17.0.1', internal: false, icc: true, masquerade: true, mtu: 1450 };
const ep: EndpointSpec = { containerId: 'cd'.repeat(32), ifName: 'eth0', ip: '172.17.0.2', mac: '02:42:ac:11:00:02', defaultRoute: true };

describe('bridgeBatch', () => {
  it('creates a missing bridge with alias, fixed MAC, MTU and gateway', () => {
    assert.deepEqual(bridgeBatch(net, { exists: false, addresses: [] }), [
      'link add name janus0 type bridge',
      `link set dev janus0 alias janus:${ID} address ${bridgeMac(ID)} mtu 1450`,
      'addr add 172.17.0.1/16 broadcast + dev janus0',
      'link set dev janus0 up',
    ]);
  });

  it('repairs an existing bridge: keeps the right address, drops others', () => {
    assert.deepEqual(bridgeBatch(net, { exists: true, addresses: ['172.17.0.1/16'] }).filter((l) => l.startsWith('addr') || l.startsWith('link add')), []);
    assert.deepEqual(bridgeBatch(net, { exists: true, addresses: ['10.0.0.1/8'] }).filter((l) => l.startsWith('addr')), [
      'addr del 10.0.0.1/8 dev janus0',
      'addr add 172.17.0.1/16 broadcast + dev janus0',
    ]);
  });
});

describe('vethBatch and sandboxBatch', () => {
  it('creates the sandbox end inside the sandbox, the host end on the bridge in hairpin mode', () => {
    const veth = vethName(ep.containerId, 'eth0');
    assert.deepEqual(vethBatch(net, '/run/janus/netns/x', ep, veth), [
      `link add name ${veth} mtu 1450 type veth peer name eth0 mtu 1450 address 02:42:ac:11:00:02 netns /run/janus/netns/x`,
      `link set dev ${veth} master janus0`,
      `link set dev ${veth} type bridge_slave hairpin on`,
      `link set dev ${veth} up`,
    ]);
  });

  it('sets the address and, for the default endpoint of a routed network, the default route', () => {
    assert.deepEqual(sandboxBatch(net, ep), [
      'addr replace 172.17.0.2/16 broadcast + dev eth0',
      'link set dev eth0 up',
      'route replace default via 172.17.0.1 dev eth0',
    ]);
    assert.equal(sandboxBatch(net, { ...ep, defaultRoute: false }).length, 2);
    assert.equal(sandboxBatch({ ...net, internal: true }, ep).length, 2, 'internal: no way out');
  });

  it('creates and enters sandboxes with util-linux', () => {
    assert.deepEqual(createSandboxArgs('/r/x'), { file: 'unshare', args: ['--net=/r/x', 'ip', 'link', 'set', 'dev', 'lo', 'up'] });
    assert.deepEqual(inSandboxArgs('/r/x'), { file: 'nsenter', args: ['--net=/r/x', 'ip', '-batch', '-'] });
  });
});

describe('host names', () => {
  it('veth names are 15 bytes, stable, and differ by container and interface', () => {
    const a = vethName(ep.containerId, 'eth0');
    assert.match(a, /^jv[0-9a-f]{13}$/);
    assert.equal(a, vethName(ep.containerId, 'eth0'));
    assert.notEqual(a, vethName(ep.containerId, 'eth1'));
    assert.notEqual(a, vethName('ef'.repeat(32), 'eth0'));
  });

  it('bridge MACs are locally administered unicast', () => {
    const first = parseInt(bridgeMac(ID).slice(0, 2), 16);
    assert.equal(first & 1, 0);
    assert.equal(first & 2, 2);
  });

  it('checks interface names and IDs', () => {
    assert.ok(isValidIfName('jbr-0123456789'));
    assert.ok(!isValidIfName('0123456789abcdef'));
    assert.ok(!isValidIfName('a/b'));
    assert.ok(!isValidIfName('..'));
    assert.ok(!isValidIfName(''));
    assert.ok(isValidObjectId(ep.containerId));
    assert.ok(!isValidObjectId('../etc'));
    assert.ok(!isValidObjectId('.hidden'));
  });
});
