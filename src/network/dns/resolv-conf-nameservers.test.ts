import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolvConfNameservers } from './resolv-conf-nameservers.ts';

test('the nameserver lines of a resolv.conf, in order; comments and junk skipped', () => {
  const text = '# generated\nsearch corp\nnameserver 10.0.0.1\nnameserver   127.0.0.53 # local\n;nameserver 9.9.9.9\nnameserver fe80::1%eth0\nnameserver bogus\noptions ndots:2\n';
  assert.deepEqual(resolvConfNameservers(text), ['10.0.0.1', '127.0.0.53', 'fe80::1%eth0']);
  assert.deepEqual(resolvConfNameservers(''), []);
});
