import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isJanusError } from '../../../core/errors.ts';
import type { OciRuntimeSpec } from '../../../core/oci-runtime-spec.ts';
import { ALL_CAPABILITIES } from './capabilities.ts';
import { buildOciSpec } from './build-oci-spec.ts';
import type { OciSpecHost } from './build-oci-spec.ts';
import type { RunOptions } from './run-options.ts';

const BUSYBOX = { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] };
const PASSWD = 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nwww:x:33:33:www:/var/www:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\n';
const GROUP = 'root:x:0:\ndaemon:x:1:\nwww:x:33:\nstaff:x:50:www,daemon\naudio:x:29:www\nnogroup:x:65534:\n';
const HOST: OciSpecHost = {
  containerId: '0123456789abcdef0123',
  cgroupsPath: '/janus/0123456789abcdef0123',
  rlimitHardLimits: { nofile: 20000 },
  passwd: PASSWD,
  group: GROUP,
  cgroupV2: false,
  arch: 'amd64',
};

const build = (run: RunOptions = {}, host: Partial<OciSpecHost> = {}, image: object = BUSYBOX) =>
  buildOciSpec(image, run, { ...HOST, ...host });

/** The capability mask as /proc/self/status shows it (CapEff). */
function capMask(caps: readonly string[]): string {
  let mask = 0n;
  for (const c of caps) mask |= 1n << BigInt(ALL_CAPABILITIES.indexOf(c));
  return mask.toString(16).padStart(16, '0');
}

const invalid = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (e: unknown) => isJanusError(e, 'InvalidArgument') && re.test((e as Error).message));

const syscallAllowed = (spec: OciRuntimeSpec, name: string): boolean =>
  (spec.linux?.seccomp?.syscalls ?? []).some((s) => s.names.includes(name) && s.action === 'SCMP_ACT_ALLOW' && !s.args?.length);

test('busybox with no flags gets docker defaults: caps a80425fb, masks, devices, mounts, namespaces', () => {
  const { spec, warnings } = build();
  assert.deepEqual(warnings, []);
  const p = spec.process!;
  assert.deepEqual(p.args, ['sh']);
  assert.equal(p.cwd, '/');
  assert.deepEqual(p.user, { uid: 0, gid: 0, additionalGids: [0] });
  assert.deepEqual(p.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=0123456789ab', 'HOME=/root']);
  assert.equal(spec.hostname, '0123456789ab');
  assert.equal(capMask(p.capabilities!.effective!), '00000000a80425fb');
  assert.deepEqual(p.capabilities!.bounding, p.capabilities!.effective);
  assert.deepEqual(p.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 }]);
  assert.equal(p.noNewPrivileges, false);
  assert.equal(spec.root!.readonly, false);
  const l = spec.linux!;
  for (const m of ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/sys/firmware', '/proc/scsi', '/proc/acpi', '/proc/asound', '/proc/interrupts', '/proc/latency_stats', '/proc/timer_stats', '/sys/devices/virtual/powercap']) {
    assert.ok(l.maskedPaths!.includes(m), m);
  }
  assert.deepEqual(l.readonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  assert.deepEqual(l.resources!.devices![0], { allow: false, access: 'rwm' });
  const allowed = l.resources!.devices!.filter((d) => d.allow).map((d) => `${d.type} ${d.major ?? '*'}:${d.minor ?? '*'} ${d.access}`);
  assert.deepEqual(allowed, ['c *:* m', 'b *:* m', 'c 1:5 rwm', 'c 1:3 rwm', 'c 1:9 rwm', 'c 1:8 rwm', 'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm', 'c 10:200 rwm']);
  // /dev/fuse (10:229) is closed by the deny-all rule alone: cgroup v1 refuses a deny after the mknod wildcard.
  assert.equal(l.resources!.devices!.filter((d) => !d.allow).length, 1);
  assert.deepEqual(l.devices, []);
  assert.deepEqual(spec.mounts!.map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm']);
  assert.ok(spec.mounts!.find((m) => m.destination === '/dev/shm')!.options!.includes('size=67108864'));
  assert.ok(spec.mounts!.find((m) => m.destination === '/sys')!.options!.includes('ro'));
  assert.deepEqual(l.namespaces!.map((n) => n.type), ['pid', 'ipc', 'uts', 'mount', 'network']);
  assert.equal(l.cgroupsPath, HOST.cgroupsPath);
  assert.equal(l.seccomp!.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(l.seccomp!.defaultErrnoRet, 1);
  assert.equal(syscallAllowed(spec, 'mount'), false);
  assert.equal(p.oomScoreAdj, 0);
  assert.equal(l.resources!.memory, undefined);
});

test('cgroup v2 adds a cgroup namespace; a netns path is joined', () => {
  const { spec } = build({}, { cgroupV2: true, networkNamespacePath: '/run/netns/janus-x' });
  assert.deepEqual(spec.linux!.namespaces!.slice(-2), [{ type: 'network', path: '/run/netns/janus-x' }, { type: 'cgroup' }]);
});

test('entrypoint and cmd combine as docker documents', () => {
  const cases: Array<{ image: { Entrypoint?: string[]; Cmd?: string[] }; run: RunOptions; args: string[] | 'error' }> = [
    { image: { Cmd: ['sh'] }, run: {}, args: ['sh'] },
    { image: { Cmd: ['sh'] }, run: { cmd: ['echo', 'hi'] }, args: ['echo', 'hi'] },
    { image: { Entrypoint: ['/ep'], Cmd: ['--default'] }, run: {}, args: ['/ep', '--default'] },
    { image: { Entrypoint: ['/ep'], Cmd: ['--default'] }, run: { cmd: ['x'] }, args: ['/ep', 'x'] },
    { image: { Entrypoint: ['/ep'], Cmd: ['--default'] }, run: { entrypoint: ['/other'] }, args: ['/other'] },
    { image: { Entrypoint: ['/ep'], Cmd: ['--default'] }, run: { entrypoint: ['/other'], cmd: ['y'] }, args: ['/other', 'y'] },
    { image: { Entrypoint: ['/ep'], Cmd: ['sh'] }, run: { entrypoint: [] }, args: ['sh'] },
    { image: { Entrypoint: ['/ep'], Cmd: ['sh'] }, run: { entrypoint: [''], cmd: ['ls'] }, args: ['ls'] },
    { image: { Entrypoint: ['/ep'], Cmd: ['sh'] }, run: { entrypoint: [''] }, args: 'error' },
    { image: {}, run: {}, args: 'error' },
  ];
  for (const c of cases) {
    if (c.args === 'error') invalid(() => build(c.run, {}, c.image), /^no command specified$/);
    else assert.deepEqual(build(c.run, {}, c.image).spec.process!.args, c.args, JSON.stringify(c));
  }
});

test('--init prefixes the command and mounts the init binary read-only', () => {
  const { spec } = build({ init: true, cmd: ['sleep', '1'] }, { init: { hostPath: '/usr/bin/catatonit' } });
  assert.deepEqual(spec.process!.args, ['/sbin/docker-init', '--', 'sleep', '1']);
  assert.deepEqual(spec.mounts!.find((m) => m.destination === '/sbin/docker-init'), { destination: '/sbin/docker-init', type: 'bind', source: '/usr/bin/catatonit', options: ['bind', 'ro'] });
  invalid(() => build({ init: true }), /--init/);
});

test('env: run wins over the image, bare keys unset, TERM with a tty, HOSTNAME from --hostname', () => {
  const { spec } = build({ env: ['A=run', 'B', 'C=3'], tty: true, hostname: 'web' }, {}, { Cmd: ['sh'], Env: ['PATH=/bin', 'A=image', 'B=gone', 'HOME=/custom'] });
  assert.deepEqual(spec.process!.env, ['PATH=/bin', 'HOSTNAME=web', 'TERM=xterm', 'A=run', 'C=3', 'HOME=/custom']);
  assert.equal(spec.process!.terminal, true);
  assert.equal(spec.hostname, 'web');
});

test('users resolve from passwd and group', () => {
  const user = (u: string) => build({ user: u }).spec.process!.user;
  assert.deepEqual(user('www'), { uid: 33, gid: 33, additionalGids: [33, 50, 29] });
  assert.deepEqual(user('www:staff'), { uid: 33, gid: 50, additionalGids: [50] });
  assert.deepEqual(user('1234'), { uid: 1234, gid: 0, additionalGids: [0] });
  assert.deepEqual(user('1234:4321'), { uid: 1234, gid: 4321, additionalGids: [4321] });
  assert.deepEqual(user('33'), { uid: 33, gid: 33, additionalGids: [33, 50, 29] });
  assert.ok(build({ user: 'www' }).spec.process!.env!.includes('HOME=/var/www'));
  invalid(() => user('ghost'), /^unable to find user ghost: no matching entries in passwd file$/);
  invalid(() => user('www:ghosts'), /unable to find group ghosts/);
  assert.deepEqual(build({}, {}, { Cmd: ['sh'], User: 'daemon' }).spec.process!.user, { uid: 1, gid: 1, additionalGids: [1, 50] });
  invalid(() => build({ user: 'www' }, { passwd: undefined }), /unable to find user www/);
});

test('ulimits are clamped to the host hard limit with a warning naming the ulimit', () => {
  const { spec, warnings } = build({ ulimits: [{ name: 'nofile', soft: 1024, hard: 65536 }, { name: 'nproc', soft: 100, hard: 200 }] });
  assert.deepEqual(spec.process!.rlimits, [
    { type: 'RLIMIT_NOFILE', soft: 1024, hard: 20000 },
    { type: 'RLIMIT_NPROC', soft: 100, hard: 200 },
  ]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /--ulimit nofile.*20000/);
  assert.deepEqual(build({ ulimits: [{ name: 'nofile', soft: 10, hard: 10 }] }).warnings, []);
  invalid(() => build({ ulimits: [{ name: 'nofile', soft: 20, hard: 10 }] }), /--ulimit nofile/);
  invalid(() => build({ ulimits: [{ name: 'bogus', soft: 1, hard: 1 }] }), /--ulimit.*bogus/);
});

test('memory, swap and cpus follow docker arithmetic', () => {
  const mem = (run: RunOptions) => build(run).spec.linux!.resources!;
  assert.deepEqual(mem({ memory: 64 << 20 }).memory, { limit: 64 << 20, swap: 128 << 20 });
  assert.deepEqual(mem({ memory: 64 << 20, memorySwap: 100 << 20 }).memory, { limit: 64 << 20, swap: 100 << 20 });
  assert.deepEqual(mem({ memory: 64 << 20, memorySwap: -1 }).memory, { limit: 64 << 20, swap: -1 });
  assert.deepEqual(mem({ cpus: 1.5 }).cpu, { period: 100000, quota: 150000 });
  assert.deepEqual(mem({ cpus: 0.01, cpuShares: 512 }).cpu, { period: 100000, quota: 1000, shares: 512 });
  assert.deepEqual(mem({ pidsLimit: 50 }).pids, { limit: 50 });
  assert.deepEqual(mem({ pidsLimit: 0 }).pids, { limit: -1 });
  invalid(() => build({ memory: 1 << 20 }), /--memory.*6MB/);
  invalid(() => build({ memory: 64 << 20, memorySwap: 32 << 20 }), /--memory-swap/);
  invalid(() => build({ memorySwap: 32 << 20 }), /--memory-swap/);
  invalid(() => build({ cpus: 3 }, { cpuCount: 2 }), /--cpus.*only 2 CPUs/);
  const noSwap = build({ memory: 64 << 20 }, { swapLimit: false });
  assert.deepEqual(noSwap.spec.linux!.resources!.memory, { limit: 64 << 20 });
  assert.match(noSwap.warnings[0], /swap limit/);
});

test('cap-add and cap-drop accept either spelling and ALL', () => {
  const caps = (run: RunOptions) => build(run).spec.process!.capabilities!.effective!;
  assert.ok(caps({ capAdd: ['sys_admin'] }).includes('CAP_SYS_ADMIN'));
  assert.ok(!caps({ capDrop: ['CAP_CHOWN', 'net_raw'] }).some((c) => c === 'CAP_CHOWN' || c === 'CAP_NET_RAW'));
  assert.deepEqual(caps({ capDrop: ['ALL'], capAdd: ['NET_BIND_SERVICE'] }), ['CAP_NET_BIND_SERVICE']);
  assert.equal(caps({ capAdd: ['ALL'], capDrop: ['MKNOD'] }).length, ALL_CAPABILITIES.length - 1);
  invalid(() => build({ capAdd: ['FLY'] }), /--cap-add: unknown capability: "CAP_FLY"/);
});

test('privileged: every host capability, all devices, no seccomp, no masks, writable /sys', () => {
  const null_ = { path: '/dev/null', type: 'c' as const, major: 1, minor: 3 };
  const { spec } = build({ privileged: true }, { capabilities: ALL_CAPABILITIES.slice(0, 41), hostDevices: [null_] });
  assert.equal(capMask(spec.process!.capabilities!.effective!), '000001ffffffffff');
  assert.equal(spec.linux!.seccomp, undefined);
  assert.deepEqual(spec.linux!.maskedPaths, []);
  assert.deepEqual(spec.linux!.readonlyPaths, []);
  assert.deepEqual(spec.linux!.resources!.devices, [{ allow: true, access: 'rwm' }]);
  assert.deepEqual(spec.linux!.devices, [null_]);
  assert.ok(!spec.mounts!.find((m) => m.destination === '/sys')!.options!.includes('ro'));
  assert.ok(!spec.mounts!.find((m) => m.destination === '/sys/fs/cgroup')!.options!.includes('ro'));
});

test('read-only rootfs, user mounts, tmpfs and the caller mounts', () => {
  const { spec } = build({
    readOnly: true,
    mounts: [
      { type: 'bind', source: '/srv/data', destination: '/data/sub', readOnly: true },
      { type: 'volume', source: '/var/lib/janus/volumes/v/_data', destination: '/data' },
      { type: 'bind', source: '/srv/shm', destination: '/dev/shm' },
    ],
    tmpfs: { '/run': 'size=1m,exec' },
    shmSize: 1 << 20,
  }, { extraMounts: [{ destination: '/etc/hosts', type: 'bind', source: '/x/hosts', options: ['rbind', 'rprivate'] }] });
  assert.equal(spec.root!.readonly, true);
  const byDest = new Map(spec.mounts!.map((m) => [m.destination, m]));
  assert.ok(byDest.get('/sys/fs/cgroup')!.options!.includes('ro'));
  assert.ok(!byDest.get('/proc')!.options!.includes('ro'));
  assert.ok(!byDest.get('/dev/mqueue')!.options!.includes('ro'));
  assert.equal(byDest.get('/dev/shm')!.source, '/srv/shm');
  assert.deepEqual(byDest.get('/data/sub')!.options, ['rbind', 'ro', 'rprivate']);
  assert.deepEqual(byDest.get('/data')!.options, ['rbind']);
  assert.deepEqual(byDest.get('/run')!.options, ['nosuid', 'nodev', 'rprivate', 'size=1m', 'exec']);
  const dests = spec.mounts!.map((m) => m.destination);
  assert.ok(dests.indexOf('/data') < dests.indexOf('/data/sub'));
  assert.ok(dests.includes('/etc/hosts'));
  invalid(() => build({ tmpfs: { '/run': 'bogus=1' } }), /--tmpfs.*bogus/);
  invalid(() => build({ mounts: [{ type: 'bind', source: '/a', destination: '/x' }], tmpfs: { '/x': '' } }), /duplicate mount point/);
});

test('security-opt: seccomp unconfined, a profile, no-new-privileges, and unsupported LSMs', () => {
  assert.equal(build({ securityOpt: ['seccomp=unconfined'] }).spec.linux!.seccomp, undefined);
  const profile = JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['no_such_syscall', 'chmod'], action: 'SCMP_ACT_ERRNO' }] });
  const withProfile = build({ securityOpt: [`seccomp=${profile}`, 'no-new-privileges'] }).spec;
  assert.equal(withProfile.linux!.seccomp!.defaultAction, 'SCMP_ACT_ALLOW');
  assert.equal(withProfile.process!.noNewPrivileges, true);
  assert.equal(build({ securityOpt: ['no-new-privileges:true', 'no-new-privileges=false'] }).spec.process!.noNewPrivileges, false);
  assert.throws(() => build({ securityOpt: ['apparmor=docker-default'] }), (e: unknown) => isJanusError(e, 'NotImplemented') && /AppArmor/.test((e as Error).message));
  assert.throws(() => build({ securityOpt: ['label=type:svirt'] }), (e: unknown) => isJanusError(e, 'NotImplemented'));
  assert.doesNotThrow(() => build({ securityOpt: ['apparmor=unconfined', 'label=disable'] }));
  invalid(() => build({ securityOpt: ['bogus=1'] }), /--security-opt/);
  invalid(() => build({ securityOpt: ['seccomp={not json'] }), /seccomp profile.*invalid JSON/);
});

test('validation names the flag', () => {
  invalid(() => build({ workingDir: 'rel' }), /--workdir/);
  invalid(() => build({ stopSignal: 'SIGNOPE' }), /--stop-signal/);
  invalid(() => build({ env: ['=x'] }), /--env/);
  invalid(() => build({ sysctls: { 'kernel.hostname': 'x' } }), /--sysctl/);
  assert.equal(build({ sysctls: { 'net.core.somaxconn': '1024' } }).spec.linux!.sysctl!['net.core.somaxconn'], '1024');
  assert.doesNotThrow(() => build({ stopSignal: 'SIGRTMIN+3' }));
});
