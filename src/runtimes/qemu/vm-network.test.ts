import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nicsOf, routesOf, tapCommands } from './vm-network.ts';

test('ethernet interfaces become guest NICs with the namespace address and MAC', () => {
  const json = JSON.stringify([
    { ifname: 'lo', link_type: 'loopback', address: '00:00:00:00:00:00', mtu: 65536, addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
    { ifname: 'eth0', link_type: 'ether', address: '02:42:ac:12:00:02', mtu: 1500, addr_info: [{ family: 'inet6', local: 'fe80::1', prefixlen: 64 }, { family: 'inet', local: '172.18.0.2', prefixlen: 16 }] },
    { ifname: 'jtap0', link_type: 'ether', address: 'aa:aa:aa:aa:aa:aa', mtu: 1500 },
  ]);
  assert.deepEqual(nicsOf(json), [{ name: 'eth0', mac: '02:42:ac:12:00:02', address: '172.18.0.2/16', mtu: 1500, tap: 'jtap0' }]);
});

test('routes with a gateway are kept, the default one as 0.0.0.0/0', () => {
  const json = JSON.stringify([{ dst: 'default', gateway: '172.18.0.1', dev: 'eth0' }, { dst: '172.18.0.0/16', dev: 'eth0', prefsrc: '172.18.0.2' }]);
  assert.deepEqual(routesOf(json), [{ destination: '0.0.0.0/0', gateway: '172.18.0.1' }]);
});

test('the tap is made, then frames are redirected both ways', () => {
  const cmds = tapCommands({ name: 'eth0', mac: 'm', address: '', mtu: 1450, tap: 'jtap0' });
  assert.deepEqual(cmds[0], ['ip', 'tuntap', 'add', 'dev', 'jtap0', 'mode', 'tap']);
  assert.deepEqual(cmds[1], ['ip', 'link', 'set', 'jtap0', 'mtu', '1450', 'up']);
  assert.equal(cmds.filter((c) => c.includes('mirred')).length, 2);
  assert.deepEqual(cmds[3].slice(-2), ['dev', 'jtap0']);
  assert.deepEqual(cmds[5].slice(-2), ['dev', 'eth0']);
});
