import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isJanusError } from '../../core/errors.ts';
import { formatIpv4, formatIpv4Net, netContains, netsOverlap, parseIpv4, parseIpv4Net } from './ipv4.ts';

describe('ipv4', () => {
  it('parses and formats addresses', () => {
    assert.equal(parseIpv4('172.18.0.1'), 0xac120001);
    assert.equal(formatIpv4(0xac120001), '172.18.0.1');
    for (const bad of ['1.2.3', '1.2.3.256', '01.2.3.4', 'a.b.c.d', '']) assert.equal(parseIpv4(bad), undefined, bad);
  });

  it('parses networks; strict refuses host bits', () => {
    assert.equal(formatIpv4Net(parseIpv4Net('172.18.0.0/16', 'subnet', { strict: true })), '172.18.0.0/16');
    assert.equal(formatIpv4Net(parseIpv4Net('10.1.2.3', 'route')), '10.1.2.3/32');
    assert.equal(formatIpv4Net(parseIpv4Net('10.1.2.3/8', 'route')), '10.0.0.0/8');
    assert.throws(() => parseIpv4Net('172.18.0.1/16', 'subnet', { strict: true }), (e: unknown) => isJanusError(e, 'InvalidArgument') && /host bits/.test((e as Error).message));
    assert.throws(() => parseIpv4Net('172.18.0.0/33', 'subnet'), (e: unknown) => isJanusError(e, 'InvalidArgument'));
  });

  it('tells containment and overlap', () => {
    const a = parseIpv4Net('172.18.0.0/16', 's');
    assert.ok(netContains(a, parseIpv4('172.18.255.255')!));
    assert.ok(!netContains(a, parseIpv4('172.19.0.0')!));
    assert.ok(netsOverlap(a, parseIpv4Net('172.18.5.0/24', 's')));
    assert.ok(netsOverlap(a, parseIpv4Net('172.0.0.0/8', 's')));
    assert.ok(!netsOverlap(a, parseIpv4Net('172.19.0.0/16', 's')));
  });
});
