import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capabilitiesOfStatus } from './capabilities.ts';

test('the capabilities of a status mask, by name; a missing bit is left out', () => {
  const status = 'Name:\tnode\nCapInh:\t0000000000000000\nCapBnd:\t000001fffeffffff\n';
  const caps = capabilitiesOfStatus(status)!;
  assert.equal(caps.length, 40);
  assert.ok(!caps.includes('CAP_SYS_RESOURCE'));
  assert.deepEqual(capabilitiesOfStatus('CapBnd:\t00000000a80425fb\n'), [
    'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP',
    'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SYS_CHROOT', 'CAP_MKNOD', 'CAP_AUDIT_WRITE', 'CAP_SETFCAP',
  ]);
  assert.equal(capabilitiesOfStatus('Name:\tx\n'), undefined);
});
