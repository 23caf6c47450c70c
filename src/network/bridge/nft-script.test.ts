import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BridgeNetworkSpec } from '../../core/network-driver.ts';
import { destroyNetworkScript, ensureNetworkScript, publishScript, removeChainsScript, unpublishScript } from './nft-script.ts';

const ID = 'ab'.repeat(32);
const CID = 'cd'.repeat(32);
const net: BridgeNetworkSpec = { id: ID, bridge: 'jbr-abababab', subnet: '172.18.0.0/16', gateway: '172.18.0.1', internal: false, icc: true, masquerade: true, mtu: 1500 };
const lines = (s: string) => s.trim().split('\n');

describe('ensureNetworkScript', () => {
  it('declares the table, the bridge in the shared set, and the network\'s chains flushed before their rules', () => {
    assert.deepEqual(lines(ensureNetworkScript(net, 'janus')), [
      'add table inet janus',
      'add set inet janus bridges { type ifname; }',
      'add element inet janus bridges { "jbr-abababab" }',
      'add chain inet janus net-abababababab-fwd { type filter hook forward priority filter; policy accept; }',
      'flush chain inet janus net-abababababab-fwd',
      'add rule inet janus net-abababababab-fwd oifname "jbr-abababab" iifname != "jbr-abababab" iifname @bridges ct status & dnat == 0 drop',
      'add chain inet janus net-abababababab-post { type nat hook postrouting priority srcnat; policy accept; }',
      'flush chain inet janus net-abababababab-post',
      'add rule inet janus net-abababababab-post oifname "jbr-abababab" ip saddr 127.0.0.0/8 masquerade',
      'add rule inet janus net-abababababab-post oifname "jbr-abababab" ip saddr 172.18.0.0/16 ct status dnat masquerade',
      'add rule inet janus net-abababababab-post oifname != "jbr-abababab" ip saddr 172.18.0.0/16 masquerade',
      'add chain inet janus net-abababababab-in { type filter hook input priority filter; policy accept; }',
      'flush chain inet janus net-abababababab-in',
      'add rule inet janus net-abababababab-in ip daddr 172.18.0.1 meta l4proto { tcp, udp } th dport 53 iifname != { "jbr-abababab", "lo" } drop',
      'add table bridge janus',
      // icc on: an icc chain from an earlier ensure is removed.
      'add chain bridge janus net-abababababab-icc',
      'flush chain bridge janus net-abababababab-icc',
      'delete chain bridge janus net-abababababab-icc',
    ]);
  });

  it('internal: nothing in or out of the bridge, no masquerade out', () => {
    const s = lines(ensureNetworkScript({ ...net, internal: true }, 'janus'));
    assert.ok(s.includes('add rule inet janus net-abababababab-fwd iifname "jbr-abababab" oifname != "jbr-abababab" drop'));
    assert.ok(s.includes('add rule inet janus net-abababababab-fwd oifname "jbr-abababab" iifname != "jbr-abababab" drop'));
    assert.ok(!s.some((l) => l.includes('oifname != "jbr-abababab" ip saddr')));
  });

  it('masquerade off leaves only the hairpin and 127.0.0.1 rules', () => {
    const s = lines(ensureNetworkScript({ ...net, masquerade: false }, 'janus')).filter((l) => l.includes('masquerade'));
    assert.equal(s.length, 2);
    assert.ok(s.every((l) => l.includes('oifname "jbr-abababab"')));
  });

  it('icc=false drops subnet-to-subnet frames at the bridge layer', () => {
    const s = lines(ensureNetworkScript({ ...net, icc: false }, 'j2'));
    assert.deepEqual(s.slice(-3), [
      'add chain bridge j2 net-abababababab-icc { type filter hook forward priority filter; policy accept; }',
      'flush chain bridge j2 net-abababababab-icc',
      'add rule bridge j2 net-abababababab-icc ip saddr 172.18.0.0/16 ip daddr 172.18.0.0/16 drop',
    ]);
  });
});

describe('destroyNetworkScript', () => {
  it('removes the set element and every chain, whether or not they exist', () => {
    assert.deepEqual(lines(destroyNetworkScript(ID, ['jbr-abababab'], 'janus')), [
      'add table inet janus',
      'add set inet janus bridges { type ifname; }',
      'add element inet janus bridges { "jbr-abababab" }',
      'delete element inet janus bridges { "jbr-abababab" }',
      'add chain inet janus net-abababababab-fwd',
      'flush chain inet janus net-abababababab-fwd',
      'delete chain inet janus net-abababababab-fwd',
      'add chain inet janus net-abababababab-post',
      'flush chain inet janus net-abababababab-post',
      'delete chain inet janus net-abababababab-post',
      'add chain inet janus net-abababababab-in',
      'flush chain inet janus net-abababababab-in',
      'delete chain inet janus net-abababababab-in',
      'add table bridge janus',
      'add chain bridge janus net-abababababab-icc',
      'flush chain bridge janus net-abababababab-icc',
      'delete chain bridge janus net-abababababab-icc',
    ]);
  });
});

describe('publishScript', () => {
  const ports = [
    { protocol: 'tcp' as const, hostIp: '0.0.0.0', hostPort: 8080, containerIp: '172.18.0.2', containerPort: 80 },
    { protocol: 'udp' as const, hostIp: '127.0.0.1', hostPort: 5353, containerIp: '172.18.0.2', containerPort: 53 },
  ];

  it('DNATs in prerouting and output, every local address for 0.0.0.0, one address otherwise', () => {
    const s = lines(publishScript(CID, ports, 'janus'));
    const rules = [
      'fib daddr type local tcp dport 8080 dnat ip to 172.18.0.2:80',
      'fib daddr type local ip daddr 127.0.0.1 udp dport 5353 dnat ip to 172.18.0.2:53',
    ];
    assert.deepEqual(s.slice(2), [
      'add chain inet janus ports-cdcdcdcdcdcd-pre { type nat hook prerouting priority dstnat; policy accept; }',
      'flush chain inet janus ports-cdcdcdcdcdcd-pre',
      ...rules.map((r) => `add rule inet janus ports-cdcdcdcdcdcd-pre ${r}`),
      'add chain inet janus ports-cdcdcdcdcdcd-out { type nat hook output priority -100; policy accept; }',
      'flush chain inet janus ports-cdcdcdcdcdcd-out',
      ...rules.map((r) => `add rule inet janus ports-cdcdcdcdcdcd-out ${r}`),
    ]);
  });

  it('no ports is unpublishing', () => {
    assert.equal(publishScript(CID, [], 'janus'), unpublishScript(CID, 'janus'));
    assert.deepEqual(lines(unpublishScript(CID, 'janus')).filter((l) => l.startsWith('delete')), [
      'delete chain inet janus ports-cdcdcdcdcdcd-pre',
      'delete chain inet janus ports-cdcdcdcdcdcd-out',
    ]);
  });
});

describe('removeChainsScript', () => {
  it('removes the named chains and set elements', () => {
    const s = lines(removeChainsScript([{ family: 'bridge', name: 'net-x-icc' }], ['jbr-gone'], 'janus'));
    assert.ok(s.includes('delete element inet janus bridges { "jbr-gone" }'));
    assert.ok(s.includes('delete chain bridge janus net-x-icc'));
  });
});
