import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExpose, parsePublish } from './port-specs.ts';

test('-p: docker\'s forms, ranges, IPv6 in brackets, one container port for a host range', () => {
  const p = parsePublish(['8080:80', '127.0.0.1:9000:90/udp', '53', '8000-8001:7000-7001', '127.0.0.1::81', '[::1]:8081:82', '6000-6002:83/SCTP']);
  assert.deepEqual(p.exposed, ['80/tcp', '90/udp', '53/tcp', '7000/tcp', '7001/tcp', '81/tcp', '82/tcp', '83/sctp']);
  assert.deepEqual(p.bindings, {
    '80/tcp': [{ HostIp: '', HostPort: '8080' }],
    '90/udp': [{ HostIp: '127.0.0.1', HostPort: '9000' }],
    '53/tcp': [{ HostIp: '', HostPort: '' }],
    '7000/tcp': [{ HostIp: '', HostPort: '8000' }],
    '7001/tcp': [{ HostIp: '', HostPort: '8001' }],
    '81/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
    '82/tcp': [{ HostIp: '::1', HostPort: '8081' }],
    '83/sctp': [{ HostIp: '', HostPort: '6000-6002' }],
  });
  assert.deepEqual(parsePublish(['80', '8080:80']).bindings['80/tcp'], [{ HostIp: '', HostPort: '' }, { HostIp: '', HostPort: '8080' }]);
});

test('-p and --expose: bad values named with docker\'s words', () => {
  const bad: Array<[string, RegExp]> = [
    ['99999', /invalid containerPort: 99999/], ['x:80', /invalid hostPort: x/], ['80/xyz', /invalid proto: xyz/],
    ['1.2.3:80:80', /invalid IP address: 1\.2\.3/], ['8080:', /no port specified/], ['90-80', /invalid containerPort: 90-80/],
    ['8000-8002:80-81', /invalid ranges specified for container and host Ports: 80-81 and 8000-8002/],
  ];
  for (const [spec, re] of bad) assert.throws(() => parsePublish([spec]), re, spec);
  assert.deepEqual(parseExpose(['3000', '4000-4001/udp', '3000/tcp']).exposed, ['3000/tcp', '4000/udp', '4001/udp']);
  assert.throws(() => parseExpose(['x']), /invalid range format for --expose: x/);
  assert.throws(() => parseExpose(['80/icmp']), /invalid proto: icmp/);
  assert.throws(() => parseExpose(['8080:80']), /invalid port format for --expose/);
});
