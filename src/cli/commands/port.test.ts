import { test } from 'node:test';
import assert from 'node:assert/strict';
import { portLines } from './port.ts';

test('port lines: published ports sorted by number then protocol, unpublished (null) ones left out, one port\'s addresses alone', () => {
  const ports = {
    '8080/tcp': [{ HostIp: '0.0.0.0', HostPort: '32768' }, { HostIp: '::', HostPort: '32768' }],
    '53/udp': [{ HostIp: '127.0.0.1', HostPort: '5353' }],
    '53/tcp': null,
    '443/tcp': [],
  };
  assert.deepEqual(portLines(ports), ['53/udp -> 127.0.0.1:5353', '8080/tcp -> 0.0.0.0:32768', '8080/tcp -> [::]:32768']);
  assert.deepEqual(portLines(ports, '8080/tcp'), ['0.0.0.0:32768', '[::]:32768']);
  assert.deepEqual(portLines(ports, '53/tcp'), []);
  assert.deepEqual(portLines(null), []);
});
