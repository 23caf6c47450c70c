import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isJanusError } from '../../../core/errors.ts';
import type { OciSeccomp } from '../../../core/oci-runtime-spec.ts';
import { DEFAULT_CAPABILITIES } from './capabilities.ts';
import { defaultSeccompProfile } from './default-seccomp.ts';
import { parseSeccompProfile } from './parse-seccomp-profile.ts';

const unconditionallyAllowed = (p: OciSeccomp, name: string): boolean =>
  (p.syscalls ?? []).some((s) => s.names.includes(name) && s.action === 'SCMP_ACT_ALLOW' && !s.args?.length);

test('default profile: EPERM by default, docker allow-list, mount only with CAP_SYS_ADMIN', () => {
  const p = defaultSeccompProfile({ capabilities: DEFAULT_CAPABILITIES, arch: 'amd64' });
  assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(p.defaultErrnoRet, 1);
  assert.deepEqual(p.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  for (const s of ['read', 'execve', 'openat', 'arch_prctl', 'chroot', 'ptrace']) assert.ok(unconditionallyAllowed(p, s), s);
  for (const s of ['mount', 'umount2', 'unshare', 'setns', 'reboot', 'init_module', 'settimeofday', 'bpf', 'kexec_load', 'open_by_handle_at']) {
    assert.ok(!unconditionallyAllowed(p, s), s);
  }
  // clone is allowed only without namespace flags; clone3 gets ENOSYS so libc falls back to clone.
  const clone = p.syscalls!.filter((s) => s.names.includes('clone'));
  assert.deepEqual(clone.map((s) => s.args), [[{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }]]);
  assert.deepEqual(p.syscalls!.find((s) => s.names.includes('clone3')), { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });

  const admin = defaultSeccompProfile({ capabilities: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], arch: 'amd64' });
  for (const s of ['mount', 'umount2', 'unshare', 'setns', 'clone', 'clone3']) assert.ok(unconditionallyAllowed(admin, s), s);
  assert.ok(!admin.syscalls!.some((s) => s.names.includes('clone3') && s.action === 'SCMP_ACT_ERRNO'));
});

test('default profile follows capabilities and architecture', () => {
  const caps = (c: string) => defaultSeccompProfile({ capabilities: [c], arch: 'amd64' });
  assert.ok(unconditionallyAllowed(caps('CAP_SYS_TIME'), 'settimeofday'));
  assert.ok(unconditionallyAllowed(caps('CAP_SYS_MODULE'), 'init_module'));
  assert.ok(unconditionallyAllowed(caps('CAP_SYS_PTRACE'), 'kcmp'));
  assert.ok(!unconditionallyAllowed(caps('CAP_SYS_TIME'), 'kcmp'));
  assert.ok(!unconditionallyAllowed(caps('CAP_CHOWN'), 'chroot'));
  const arm = defaultSeccompProfile({ capabilities: DEFAULT_CAPABILITIES, arch: 'arm64' });
  assert.deepEqual(arm.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.ok(unconditionallyAllowed(arm, 'set_tls'));
  assert.ok(!unconditionallyAllowed(arm, 'arch_prctl'));
  const old = defaultSeccompProfile({ capabilities: DEFAULT_CAPABILITIES, arch: 'amd64', kernelRelease: '4.4.0-generic' });
  assert.ok(!unconditionallyAllowed(old, 'ptrace'));
});

test('user profiles in docker format: conditions, unknown syscalls, errors naming the file', () => {
  const target = { capabilities: DEFAULT_CAPABILITIES, arch: 'amd64' };
  const json = JSON.stringify({
    defaultAction: 'SCMP_ACT_ERRNO',
    archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
    syscalls: [
      { names: ['read', 'write', 'totally_new_syscall'], action: 'SCMP_ACT_ALLOW' },
      { name: 'mount', action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }], excludes: { arches: ['arm64'] } },
    ],
  });
  const p = parseSeccompProfile(json, 'my.json', target)!;
  assert.deepEqual(p.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
  assert.deepEqual(p.syscalls, [
    { names: ['read', 'write', 'totally_new_syscall'], action: 'SCMP_ACT_ALLOW' },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
  ]);
  assert.equal(parseSeccompProfile('{}', 'empty.json', target), undefined);
  const bad = (text: string, re: RegExp) =>
    assert.throws(() => parseSeccompProfile(text, 'prof.json', target), (e: unknown) => isJanusError(e, 'InvalidArgument') && re.test((e as Error).message));
  bad('{"defaultAction": ', /^seccomp profile prof\.json: invalid JSON/);
  bad('{"defaultAction":"SCMP_ACT_NOPE"}', /prof\.json: defaultAction "SCMP_ACT_NOPE"/);
  bad('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"EQ"}]}]}', /prof\.json: syscalls\[0\]\.args\[0\]\.op/);
  bad('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"read","names":["write"],"action":"SCMP_ACT_ALLOW"}]}', /both 'name' and 'names'/);
  bad('{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}', /both 'architectures' and 'archMap'/);
});
