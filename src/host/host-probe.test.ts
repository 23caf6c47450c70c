import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Exec, ExecOptions, ExecResult } from '../util/exec.ts';
import { ExecError } from '../util/exec.ts';
import { cgroupLayoutFromMounts, HostProbe, parseToolVersion, type HostFs, type HostSystem } from './host-probe.ts';

const HYBRID_MOUNTS = `sysfs /sys sysfs rw 0 0
tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0
cgroup /sys/fs/cgroup/systemd cgroup rw,relatime,name=systemd 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0
`;

/** A host made of a file map and a set of executables. */
function fakeFs(files: Record<string, string>, executables: string[], dirs: Record<string, string[]>): HostFs {
  return {
    async readFile(path) {
      if (path in files) return files[path];
      throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    },
    async readdir(path) {
      if (path in dirs) return dirs[path];
      throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    },
    async isExecutable(path) { return executables.includes(path); },
    async exists(path) { return path in files || executables.includes(path); },
  };
}

const system: HostSystem = {
  ncpu: () => 2,
  machine: () => 'x86_64',
  hostname: () => 'box',
  release: () => 'fallback-release',
  totalmem: () => 1234,
};

/** Answers `--version` from a table; records every call. */
class FakeExec implements Exec {
  readonly calls: string[] = [];
  readonly #answers: Record<string, Partial<ExecResult> | Error>;
  constructor(answers: Record<string, Partial<ExecResult> | Error>) { this.#answers = answers; }
  async run(file: string, args: readonly string[], _options?: ExecOptions): Promise<ExecResult> {
    this.calls.push([file, ...args].join(' '));
    const a = this.#answers[file];
    if (a instanceof Error) throw a;
    if (!a) throw new ExecError(file, undefined, `${file}: spawn ENOENT`);
    return { code: 0, signal: null, stdout: '', stderr: '', ...a };
  }
}

test('probe reports the hybrid cgroup layout, runtimes with versions, conmon, qemu and accelerators', async () => {
  const exec = new FakeExec({
    '/usr/sbin/runc': { stdout: 'runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\n' },
    '/usr/bin/crun': { stdout: 'crun version 1.8.1\ncommit: f8a096be060b22ccd3d5f3ebe44108517fbf6c30\n' },
    '/usr/bin/conmon': { stdout: 'conmon version 2.1.6\ncommit: unknown\n' },
    '/usr/bin/qemu-system-x86_64': { stdout: 'QEMU emulator version 7.2.11 (Debian 1:7.2+dfsg-7+deb12u7)\nCopyright (c) 2003-2022\n' },
    '/usr/bin/qemu-img': { stdout: 'qemu-img version 7.2.11 (Debian 1:7.2+dfsg-7+deb12u7)\n' },
  });
  const fs = fakeFs(
    {
      '/proc/sys/kernel/osrelease': '6.1.0-18-cloud-amd64\n',
      '/etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n',
      '/proc/meminfo': 'MemTotal:       24613932 kB\nMemFree: 1 kB\n',
      '/proc/mounts': HYBRID_MOUNTS,
      '/dev/kvm': '',
    },
    ['/usr/sbin/runc', '/usr/bin/crun', '/usr/bin/conmon', '/usr/bin/qemu-system-x86_64', '/usr/bin/qemu-img'],
    { '/usr/bin': ['crun', 'conmon', 'qemu-system-x86_64', 'qemu-img', 'qemu-nbd'], '/usr/sbin': ['runc'] },
  );
  const facts = await new HostProbe({ exec, fs, system, path: '/usr/bin:/usr/sbin' }).probe();
  assert.equal(facts.kernelVersion, '6.1.0-18-cloud-amd64');
  assert.equal(facts.operatingSystem, 'Debian GNU/Linux 12 (bookworm)');
  assert.equal(facts.osVersion, '12');
  assert.equal(facts.memTotal, 24613932 * 1024);
  assert.equal(facts.ncpu, 2);
  assert.equal(facts.architecture, 'x86_64');
  assert.equal(facts.cgroupLayout, 'hybrid');
  assert.equal(facts.cgroupV2Mount, '/sys/fs/cgroup/unified');
  assert.deepEqual(facts.ociRuntimes, [
    { name: 'runc', path: '/usr/sbin/runc', version: '1.1.5+ds1' },
    { name: 'crun', path: '/usr/bin/crun', version: '1.8.1' },
  ]);
  assert.deepEqual(facts.conmon, { name: 'conmon', path: '/usr/bin/conmon', version: '2.1.6' });
  assert.deepEqual(facts.qemu.map((q) => [q.name, q.version]), [['qemu-img', '7.2.11'], ['qemu-system-x86_64', '7.2.11']]);
  assert.equal(facts.kvmDevice, true);
  assert.deepEqual(facts.accelerators.map((a) => a.name), ['kvm', 'tcg']);
  assert.match(facts.accelerators[0].status, /not yet probed/);
  assert.ok(exec.calls.includes('/usr/sbin/runc --version'));
  assert.ok(!exec.calls.some((c) => c.includes('runsc')), 'a runtime that is not on the path is not run');
});

test('a bare host: no tools, no kvm, v2 only; a tool whose --version fails is still reported', async () => {
  const exec = new FakeExec({ '/bin/runsc': { code: 1, stdout: '', stderr: 'boom' } });
  const fs = fakeFs(
    { '/proc/mounts': 'cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid 0 0\n' },
    ['/bin/runsc'],
    {},
  );
  const facts = await new HostProbe({ exec, fs, system, path: '/bin' }).probe();
  assert.equal(facts.cgroupLayout, 'v2');
  assert.equal(facts.kernelVersion, 'fallback-release');
  assert.equal(facts.memTotal, 1234);
  assert.equal(facts.operatingSystem, '');
  assert.equal(facts.conmon, undefined);
  assert.deepEqual(facts.qemu, []);
  assert.deepEqual(facts.accelerators, []);
  assert.equal(facts.ociRuntimes.length, 1);
  assert.equal(facts.ociRuntimes[0].version, '');
  assert.match(facts.ociRuntimes[0].versionError ?? '', /runsc --version: .*exit status 1/);
});

test('cgroupLayoutFromMounts tells v1, v2, hybrid and none apart', () => {
  assert.equal(cgroupLayoutFromMounts('cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n').layout, 'v1');
  assert.equal(cgroupLayoutFromMounts('cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n').layout, 'v2');
  assert.equal(cgroupLayoutFromMounts(HYBRID_MOUNTS).layout, 'hybrid');
  assert.equal(cgroupLayoutFromMounts('proc /proc proc rw 0 0\n').layout, 'none');
});

test('parseToolVersion reads the version word of common --version outputs', () => {
  assert.equal(parseToolVersion('runsc version release-20230605.0\nspec: 1.1.0'), 'release-20230605.0');
  assert.equal(parseToolVersion('QEMU emulator version 7.2.11 (Debian 1:7.2)'), '7.2.11');
  assert.equal(parseToolVersion('nothing here'), undefined);
});

test('the real host probe reports sane CPU, memory, kernel and cgroup facts', { skip: process.platform !== 'linux' ? 'linux only' : undefined }, async () => {
  const { NodeExec } = await import('../util/exec.ts');
  const facts = await new HostProbe({ exec: new NodeExec() }).probe();
  assert.ok(facts.ncpu >= 1);
  assert.ok(facts.memTotal > 0);
  assert.match(facts.kernelVersion, /^\d+\.\d+/);
  assert.notEqual(facts.cgroupLayout, 'none');
});
