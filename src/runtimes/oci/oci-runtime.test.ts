import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeExec } from '../../util/exec.ts';
import { silentLogger } from '../../util/logger.ts';
import { runtimeConformance } from '../../../test/conformance/runtime.ts';
import { OciRuntime, probeOciRuntime } from './oci-runtime.ts';
import { buildConmonArgs } from './conmon.ts';
import { parseK8sLogLine } from './k8s-log.ts';
import { mountArgs, mountPointsIn } from './rootfs-mount.ts';
import { exitFromStatus, signalNumber } from './oci-task.ts';
import { startFailureCode } from './process-start-error.ts';

const exec = new NodeExec();
const isRoot = process.getuid?.() === 0;
const CONMON = '/usr/bin/conmon';

function skipReason(binary: string): string | undefined {
  if (!isRoot) return 'needs root (runtimes create namespaces and mounts)';
  if (!existsSync(CONMON)) return 'needs conmon (Debian package conmon; scripts/setup installs it)';
  if (!existsSync(binary)) return `needs ${binary} (scripts/setup installs it)`;
  if (!existsSync('/bin/busybox')) return 'needs /bin/busybox (busybox-static)';
  return undefined;
}

function suite(name: 'runc' | 'crun' | 'runsc', binary: string, skip: string | undefined, runtimeArgs: string[] = []): void {
  describe(name, () => {
    runtimeConformance(async () => {
      const stateDir = await mkdtemp(join(tmpdir(), `janus-rt-${name}-`));
      const make = () => new OciRuntime({ name, binary, conmon: CONMON, stateDir, exec, logger: silentLogger, pollMs: 200, runtimeArgs });
      return {
        runtime: make(),
        reopen: async () => make(),
        async cleanup() {
          const left = (await readdir(stateDir)).filter((e) => !e.startsWith('.'));
          const rt = make();
          for (const id of left) await rt.remove(id);
          await rm(stateDir, { recursive: true, force: true });
          assert.deepEqual(left, [], 'every task was deleted by its test');
        },
      };
    }, {
      skip,
      leaks: async (id) => {
        const r = await exec.run('ps', ['-eo', 'args'], { check: false });
        return r.stdout.split('\n').filter((l) => l.includes(id));
      },
    });
  });
}

suite('runc', '/usr/sbin/runc', skipReason('/usr/sbin/runc'));

// crun and runsc run the same suite where this host lets them work; the probe says why not.
// runsc refuses a new network namespace without a path (it would take the host's interfaces
// for the sandbox); the suite's tasks need no network, so runsc runs with --network=none.
const others: Array<['crun' | 'runsc', string, string[]]> = [['crun', '/usr/bin/crun', []], ['runsc', '/usr/bin/runsc', ['--network=none']]];
for (const [name, binary, args] of others) {
  let skip = skipReason(binary);
  if (!skip) {
    const probe = await probeOciRuntime(binary, exec, { runtimeArgs: args });
    if (!probe.ok) skip = `${name} does not work on this host: ${probe.error}`;
  }
  suite(name, binary, skip, args);
}

describe('pure parts', () => {
  it('builds conmon arguments', () => {
    const args = buildConmonArgs({
      cid: 'c1', cuuid: 'u1', runtime: '/usr/sbin/runc', runtimeArgs: ['--root=/r'], bundle: '/b', containerPidFile: '/p',
      conmonPidFile: '/P', exitDir: '/e', logPath: '/l', logSizeMax: 100, socketDir: '/s', terminal: true, stdin: false,
    });
    assert.deepEqual(args, ['--api-version', '-c', 'c1', '-u', 'u1', '-n', 'c1', '-r', '/usr/sbin/runc', '-b', '/b', '-p', '/p',
      '--exit-dir', '/e', '-l', 'k8s-file:/l', '--socket-dir-path', '/s', '-P', '/P', '--log-size-max', '100', '--runtime-arg', '--root=/r', '-t']);
  });

  it('keeps stdin open across attaches unless StdinOnce', () => {
    const base = { cid: 'c1', cuuid: 'u1', runtime: 'runc', runtimeArgs: [], bundle: '/b', containerPidFile: '/p', exitDir: '/e', logPath: '/l', socketDir: '/s', terminal: false };
    assert.deepEqual(buildConmonArgs({ ...base, stdin: true, leaveStdinOpen: true }).slice(-2), ['-i', '--leave-stdin-open']);
    assert.equal(buildConmonArgs({ ...base, stdin: true, leaveStdinOpen: false }).at(-1), '-i');
    assert.ok(!buildConmonArgs({ ...base, stdin: false, leaveStdinOpen: true }).includes('--leave-stdin-open'));
  });

  it('parses k8s-file lines', () => {
    assert.deepEqual(parseK8sLogLine('2024-01-02T03:04:05.123456789+00:00 stderr P half'), {
      time: '2024-01-02T03:04:05.123456789+00:00', date: new Date('2024-01-02T03:04:05.123Z'), stream: 'stderr', full: false, text: 'half',
    });
    assert.equal(parseK8sLogLine('2024-01-02T03:04:05.1+00:00 stdout F ')?.text, '');
    assert.equal(parseK8sLogLine('2024-01-02T03:04:05.1+00:00 stdout F')?.text, '');
    assert.equal(parseK8sLogLine('garbage'), undefined);
  });

  it('mount arguments for overlay and bind', () => {
    assert.deepEqual(mountArgs({ type: 'overlay', source: 'overlay', options: ['lowerdir=/a', 'upperdir=/b', 'workdir=/c'] }, '/t'),
      ['-t', 'overlay', '-o', 'lowerdir=/a,upperdir=/b,workdir=/c', 'overlay', '/t']);
    assert.deepEqual(mountArgs({ type: 'bind', source: '/src', options: ['ro'] }, '/t'), ['-o', 'rbind,ro', '/src', '/t']);
  });

  it('reads mount points from mountinfo, spaces escaped', () => {
    const info = [
      '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
      '95 22 0:51 / /var/lib/janus/runtimes/runc/abc/bundle/rootfs rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w',
      '96 22 0:52 / /tmp/with\\040space rw - tmpfs tmpfs rw',
      '',
    ].join('\n');
    const points = mountPointsIn(info);
    assert.ok(points.has('/var/lib/janus/runtimes/runc/abc/bundle/rootfs'));
    assert.ok(points.has('/tmp/with space'));
    assert.ok(!points.has('/var/lib/janus/runtimes/runc/abc/bundle'));
  });

  it('signals, exit statuses and start failures', () => {
    assert.equal(signalNumber('SIGTERM'), 15);
    assert.equal(signalNumber('kill'), 9);
    assert.equal(signalNumber('10'), 10);
    assert.throws(() => signalNumber('SIGNOPE'), { kind: 'InvalidArgument' });
    assert.deepEqual({ ...exitFromStatus(137, false), exitedAt: 0 }, { code: 137, signal: 'SIGKILL', oomKilled: false, exitedAt: 0 });
    assert.equal(exitFromStatus(undefined, false).code, 255);
    assert.equal(startFailureCode('exec: "nope": executable file not found in $PATH'), 127);
    assert.equal(startFailureCode('exec: "/etc": permission denied'), 126);
    assert.equal(startFailureCode('creating process: failed to load /no/such: no such file or directory'), 127);
    assert.equal(startFailureCode('error mounting "/x": no such file or directory'), undefined);
  });
});
