import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerHostsFile, containerResolvConf } from './container-etc-files.ts';

test('hosts: docker\'s loopback lines, then --add-host entries (IPv6 too)', () => {
  const text = containerHostsFile({ extraHosts: ['db:10.0.0.5', 'v6=[fd00::1]'] });
  assert.match(text, /^127\.0\.0\.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n/);
  assert.match(text, /\n10\.0\.0\.5\tdb\nfd00::1\tv6\n$/);
  assert.throws(() => containerHostsFile({ extraHosts: ['nocolon'] }), { kind: 'InvalidArgument', message: /nocolon/ });
  assert.throws(() => containerHostsFile({ extraHosts: ['bad host:1.2.3.4'] }), { kind: 'InvalidArgument' });
});

test('resolv.conf: the host\'s, with --dns/--dns-search/--dns-option replacing their lines', () => {
  const host = 'nameserver 10.0.0.1\nsearch corp\noptions ndots:2\n# comment\n';
  assert.equal(containerResolvConf(host, {}), 'nameserver 10.0.0.1\nsearch corp\noptions ndots:2\n# comment\n');
  assert.equal(
    containerResolvConf(host, { dns: ['1.1.1.1'], dnsSearch: ['a.example'], dnsOptions: ['ndots:1'] }),
    '# comment\nnameserver 1.1.1.1\nsearch a.example\noptions ndots:1\n',
  );
  assert.throws(() => containerResolvConf(host, { dns: ['not-an-ip'] }), { kind: 'InvalidArgument', message: /not-an-ip/ });
});

test('hosts: host-gateway becomes the address given for it, and is refused without one', () => {
  assert.match(containerHostsFile({ extraHosts: ['host.docker.internal:host-gateway'], hostGateway: '172.17.0.1' }), /\n172\.17\.0\.1\thost\.docker\.internal\n$/);
  assert.throws(() => containerHostsFile({ extraHosts: ['gw:host-gateway'] }), { kind: 'InvalidArgument', message: /host-gateway/ });
});
