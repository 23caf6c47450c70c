import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OciRuntimeSpec } from '../../core/oci-runtime-spec.ts';
import { capabilityMask, configRecords, guestMounts, startRecords } from './guest-spec.ts';

const spec = {
  ociVersion: '1.0.2',
  hostname: 'abc',
  process: { args: ['sh', '-c', 'echo hi'], env: ['PATH=/bin'], cwd: '/tmp', user: { uid: 1000, gid: 1000, additionalGids: [10, 20] } },
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['size=65536k'] },
    { destination: '/data', type: 'bind', source: '/vol/data', options: ['rbind', 'rprivate'] },
    { destination: '/etc/hosts', type: 'bind', source: '/c/abc/hosts', options: ['rbind', 'ro'] },
    { destination: '/etc/resolv.conf', type: 'bind', source: '/c/abc/resolv.conf', options: ['rbind', 'ro'] },
    { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'size=1m', 'mode=1777'] },
  ],
  linux: { sysctl: { 'net.ipv4.ip_forward': '1' } },
} as unknown as OciRuntimeSpec;

test('binds become 9p shares: directories whole, files through their parent, one share per directory', () => {
  const { shares, records } = guestMounts(spec, (p) => p === '/vol/data');
  assert.deepEqual(shares, [{ tag: 'j0', path: '/vol/data', readOnly: false }, { tag: 'j1', path: '/c/abc', readOnly: true }]);
  assert.deepEqual(records, [
    ['mount', '9p\tj0\t.\t/data\trw'],
    ['mount', '9p\tj1\thosts\t/etc/hosts\tro'],
    ['mount', '9p\tj1\tresolv.conf\t/etc/resolv.conf\tro'],
    ['mount', 'tmpfs\t/scratch\tsize=1m,mode=1777'],
  ]);
});

test('CONFIG: hostname, NIC, default route, disk, mounts, sysctls, clock', () => {
  const recs = configRecords(spec, { nics: [{ name: 'eth0', mac: '02:42:ac:11:00:02', address: '172.17.0.2/16', mtu: 1500, tap: 'jtap0' }], routes: [{ destination: '0.0.0.0/0', gateway: '172.17.0.1' }] }, [['mount', 'x']], new Date(1000));
  assert.deepEqual(recs, [
    ['hostname', 'abc'],
    ['iface', 'eth0\t02:42:ac:11:00:02\t172.17.0.2/16\t1500'],
    ['route', '0.0.0.0/0\t172.17.0.1'],
    ['disk', '/dev/vda\text4'],
    ['mount', 'x'],
    ['sysctl', 'net.ipv4.ip_forward\t1'],
    ['now', '1000000000'],
  ]);
});

test('START: argv, env, cwd, ids, terminal, capabilities and rlimits', () => {
  const recs = startRecords({
    ...spec.process!, terminal: true, consoleSize: { height: 40, width: 100 },
    capabilities: { bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW'] }, rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 }], noNewPrivileges: true,
  }, { init: true, tty: true, stdin: true });
  assert.deepEqual(recs, [
    ['arg', 'sh'], ['arg', '-c'], ['arg', 'echo hi'], ['env', 'PATH=/bin'], ['cwd', '/tmp'], ['uid', '1000'], ['gid', '1000'], ['groups', '10,20'],
    ['tty', '1'], ['rows', '40'], ['cols', '100'], ['stdin', '1'], ['init', '1'], ['caps', '2021'], ['rlimit', 'nofile\t1024\t4096'], ['nonewprivs', '1'],
  ]);
  assert.throws(() => startRecords({ ...spec.process!, args: [] }, { init: false, tty: false, stdin: false }), /no command/);
});

test('capability names map to their bits; unknown ones are named', () => {
  assert.equal(capabilityMask(['CAP_SYS_ADMIN']), (1n << 21n).toString(16));
  assert.equal(capabilityMask([]), '0');
  assert.throws(() => capabilityMask(['CAP_FLY']), /unknown capability CAP_FLY/);
});
