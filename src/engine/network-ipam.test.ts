import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isJanusError } from '../core/errors.ts';
import { contains, formatCidr, formatIPv4, macFor, nextFreeAddress, overlaps, parseCidr, parseIPv4, parseProcNetRoute, pickSubnet } from './network-ipam.ts';

const refuses = (fn: () => unknown, pattern: RegExp) => assert.throws(fn, (e: unknown) => isJanusError(e, 'InvalidArgument') && pattern.test((e as Error).message));

test('CIDRs parse, and bad ones are refused naming the problem', () => {
  assert.equal(formatCidr(parseCidr('172.18.0.0/16')), '172.18.0.0/16');
  refuses(() => parseCidr('172.18.0.1/16'), /host bits are set \(did you mean 172\.18\.0\.0\/16\?\)/);
  refuses(() => parseCidr('172.18.0.0/33'), /over 32/);
  refuses(() => parseCidr('300.1.1.0/24'), /not an IPv4 address/);
  refuses(() => parseCidr('10.0.0.0'), /want an IPv4 CIDR/);
  refuses(() => parseIPv4('1.2.3'), /not an IPv4 address/);
});

test('overlap and containment', () => {
  assert.ok(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.1.0.0/16')));
  assert.ok(!overlaps(parseCidr('172.17.0.0/16'), parseCidr('172.18.0.0/16')));
  assert.ok(contains(parseCidr('192.168.16.0/20'), parseIPv4('192.168.31.255')));
  assert.ok(!contains(parseCidr('192.168.16.0/20'), parseIPv4('192.168.32.0')));
});

test('subnets come from docker\'s pools in order, skipping taken ones', () => {
  assert.equal(formatCidr(pickSubnet([])), '172.17.0.0/16');
  assert.equal(formatCidr(pickSubnet([parseCidr('172.17.0.0/16'), parseCidr('172.18.5.0/24')])), '172.19.0.0/16');
  assert.equal(formatCidr(pickSubnet([parseCidr('172.16.0.0/12')])), '192.168.0.0/20');
  refuses(() => pickSubnet([parseCidr('172.16.0.0/12'), parseCidr('192.168.0.0/16')]), /non-overlapping IPv4 address pool/);
});

test('addresses are handed out round-robin, never the gateway, network, broadcast or a used one', () => {
  const subnet = parseCidr('10.9.0.0/29'); // .0 network, .7 broadcast
  const gateway = parseIPv4('10.9.0.1');
  const used = new Set<number>();
  const got: string[] = [];
  let cursor: number | undefined;
  for (;;) {
    const ip = nextFreeAddress(subnet, { gateway, used, cursor });
    if (ip === undefined) break;
    used.add(ip);
    cursor = ip;
    got.push(formatIPv4(ip));
  }
  assert.deepEqual(got, ['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6']);
  used.delete(parseIPv4('10.9.0.3'));
  assert.equal(formatIPv4(nextFreeAddress(subnet, { gateway, used, cursor })!), '10.9.0.3');
  const range = parseCidr('10.9.0.4/30');
  assert.equal(nextFreeAddress(subnet, { range, gateway, used: new Set([parseIPv4('10.9.0.4'), parseIPv4('10.9.0.5'), parseIPv4('10.9.0.6')]) }), undefined);
});

test('docker\'s MAC from the address', () => {
  assert.equal(macFor(parseIPv4('172.17.0.2')), '02:42:ac:11:00:02');
});

test('host routes from /proc/net/route, without the default route', () => {
  const text = [
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
    'eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
    'eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
    'docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
  ].join('\n');
  assert.deepEqual(parseProcNetRoute(text).map(formatCidr), ['192.168.0.0/24', '172.17.0.0/16']);
});
