// Snapshots and rollback end to end: the real CLI and daemon, runc under
// conmon and QEMU microVMs (TCG here), the bootstrapped busybox image. What
// users see: data written, snapshotted, changed and deleted comes back on
// restore — a container's writable layer (files added, changed and deleted
// from the image) and its volume, a VM's disk; a clone from a snapshot;
// snapshots that survive a daemon killed with SIGKILL; the space in
// `system df`; `rm` refusing a container with snapshots; and bad input
// that is refused with the workload left as it was, too little disk among it
// (a daemon whose root is a small tmpfs).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeExec } from '../../src/util/exec.ts';
import { skipUnlessRoot, startDaemon, type TestDaemon } from '../support/daemon.ts';
import { eventually, fails, ok } from './helpers.ts';

interface VmLevel { Name: string; Unavailable?: string; Accelerator?: string }

const rootSkip = skipUnlessRoot();
let d: TestDaemon | undefined;
let vmLevel: VmLevel | undefined;
if (!rootSkip) {
  d = await startDaemon();
  ok(await d.janus(['image', 'bootstrap', 'busybox']), 'bootstrap busybox');
  const levels = JSON.parse(ok(await d.janus(['info', '--format', '{{json .Janus.IsolationLevels}}']), 'info')) as VmLevel[];
  vmLevel = levels.find((l) => l.Name === 'vm');
}
after(async () => { await d?.stop(); });

const janus = (args: string[]) => d!.janus(args);
const sh = async (container: string, script: string) => ok(await janus(['exec', container, 'sh', '-c', script]), `exec ${script}`);
/** What the container's files say: each path's content, or `-` when it is absent. */
const files = (container: string, paths: string[]) => sh(container, paths.map((p) => `if [ -e ${p} ]; then cat ${p}; else echo -; fi`).join('; '));

describe('container snapshots', { skip: rootSkip }, () => {
  before(async () => {
    ok(await janus(['run', '-d', '--name', 'snap-c', '-v', 'snapvol:/data', 'busybox', 'sleep', '100000']), 'run snap-c');
    // The state to come back: a file added, an image file deleted (a whiteout), a file in the volume.
    await sh('snap-c', 'echo one > /keep; echo doomed > /gone; rm /bin/uname; echo vol-one > /data/v');
  });

  test('write, snapshot (with --volumes) while running, change and delete, restore: the data is back', async () => {
    assert.equal(ok(await janus(['snapshot', 'create', '--volumes', 'snap-c', 's1']), 'snapshot create').trim(), 's1');
    assert.equal(ok(await janus(['inspect', '--format', '{{.State.Status}}', 'snap-c']), 'inspect').trim(), 'running', 'a snapshot pauses the container only while it copies');
    const ls = ok(await janus(['snapshot', 'ls', '--format', '{{.Name}} {{.Isolation}} {{.Volumes}} {{.Bytes}}', 'snap-c']), 'snapshot ls').trim().split(' ');
    assert.deepEqual(ls.slice(0, 3), ['s1', 'container', 'snapvol']);
    assert.ok(Number(ls[3]) > 0, 'the snapshot has a size');

    await sh('snap-c', 'echo two > /keep; rm /gone; echo new > /new; echo vol-two > /data/v; rm /bin/ls');
    ok(await janus(['stop', '-t', '0', 'snap-c']), 'stop');
    assert.equal(ok(await janus(['snapshot', 'restore', 'snap-c', 's1']), 'restore').trim(), 's1');
    ok(await janus(['start', 'snap-c']), 'start');
    assert.equal(await files('snap-c', ['/keep', '/gone', '/new', '/data/v']), 'one\ndoomed\n-\nvol-one\n');
    assert.equal(await sh('snap-c', 'test -e /bin/uname && echo present || echo absent; test -e /bin/ls && echo present || echo absent'), 'absent\npresent\n',
      'an image file deleted before the snapshot stays deleted; one deleted after it is back');
  });

  test('a clone from a snapshot has its files; another image or level is refused', async () => {
    const r = await janus(['run', '--rm', '--from-snapshot', 'snap-c:s1', 'busybox', 'cat', '/keep']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'one\n');
    ok(await janus(['commit', 'snap-c', 'snap-other:1']), 'commit another image');
    fails(await janus(['run', '--rm', '--from-snapshot', 'snap-c:s1', 'snap-other:1', 'true']), /needs the same image/, 'clone with another image');
    if (!vmLevel?.Unavailable) fails(await janus(['run', '--rm', '--isolation', 'vm', '--from-snapshot', 'snap-c:s1', 'busybox', 'true']), /container-level workload .* at the vm level/, 'clone at another level');
    fails(await janus(['run', '--rm', '--from-snapshot', 'snap-c', 'busybox', 'true']), /want CONTAINER:SNAPSHOT/, 'clone without a snapshot name');
    fails(await janus(['run', '--rm', '--from-snapshot', 'snap-c:nosuch', 'busybox', 'true']), /No such snapshot: nosuch/, 'clone of a missing snapshot');
  });

  test('bad input is refused clearly and leaves the container as it was', async () => {
    await sh('snap-c', 'echo changed > /keep');
    fails(await janus(['snapshot', 'create', 'nosuch-c', 'x']), /No such container: nosuch-c/, 'unknown container');
    fails(await janus(['snapshot', 'restore', 'snap-c', 'nosuch']), /No such snapshot: nosuch/, 'unknown snapshot');
    fails(await janus(['snapshot', 'create', 'snap-c', 's1']), /already has a snapshot named s1/, 'a taken name');
    fails(await janus(['snapshot', 'create', 'snap-c', '../evil']), /invalid snapshot name/, 'a bad name');
    fails(await janus(['snapshot', 'create', '--memory', 'snap-c', 'm']), /--memory is not supported for containers.*criu/, '--memory without CRIU');
    fails(await janus(['snapshot', 'restore', 'snap-c', 's1']), /is running: stop it before restoring/, 'restore onto a running container');
    // A volume another container holds is not overwritten.
    ok(await janus(['stop', '-t', '0', 'snap-c']), 'stop');
    ok(await janus(['create', '--name', 'snap-holder', '-v', 'snapvol:/x', 'busybox', 'true']), 'create holder');
    fails(await janus(['snapshot', 'restore', 'snap-c', 's1']), /volume snapvol is in use by container snap-holder/, 'restore of a volume in use');
    ok(await janus(['rm', 'snap-holder']), 'rm holder');
    ok(await janus(['start', 'snap-c']), 'start');
    assert.equal(await files('snap-c', ['/keep', '/data/v']), 'changed\nvol-one\n', 'failed restores changed nothing');
    assert.equal(ok(await janus(['snapshot', 'ls', '-q', 'snap-c']), 'ls').trim(), 's1', 'failed creates left no snapshot');
  });

  test('snapshots survive a daemon killed with SIGKILL, and restore after it', async () => {
    await sh('snap-c', 'echo before-crash > /keep');
    ok(await janus(['snapshot', 'create', 'snap-c', 's2']), 'snapshot s2');
    await sh('snap-c', 'echo after > /keep');
    await d!.kill9();
    await d!.restart();
    assert.deepEqual(ok(await janus(['snapshot', 'ls', '-q', 'snap-c']), 'ls').trim().split('\n'), ['s1', 's2']);
    ok(await janus(['stop', '-t', '0', 'snap-c']), 'stop');
    ok(await janus(['snapshot', 'restore', 'snap-c', 's2']), 'restore s2');
    ok(await janus(['start', 'snap-c']), 'start');
    assert.equal(await files('snap-c', ['/keep']), 'before-crash\n');
  });

  test('system df shows the snapshots\' space; rm refuses a container with snapshots unless --snapshots', async () => {
    const row = ok(await janus(['system', 'df', '--format', '{{.Type}}|{{.TotalCount}}|{{.Size}}']), 'df').split('\n').find((l) => l.startsWith('Snapshots|'));
    assert.ok(row, 'system df has a Snapshots row');
    const [, count, size] = row.split('|');
    assert.ok(Number(count) >= 2, `at least snap-c's two snapshots: ${row}`);
    assert.notEqual(size, '0B');
    fails(await janus(['rm', '-f', 'snap-c']), /has 2 snapshots \(s1, s2\).*--snapshots/, 'rm with snapshots');
    assert.equal(ok(await janus(['inspect', '--format', '{{.State.Status}}', 'snap-c']), 'inspect').trim(), 'running', 'the refused rm left it running');
    ok(await janus(['snapshot', 'rm', 'snap-c', 's2']), 'snapshot rm');
    assert.equal(ok(await janus(['snapshot', 'ls', '-q', 'snap-c']), 'ls').trim(), 's1');
    ok(await janus(['rm', '-f', '--snapshots', 'snap-c']), 'rm --snapshots');
    assert.equal(ok(await janus(['snapshot', 'ls', '-q']), 'ls all').trim(), '', 'its snapshots went with it');
    ok(await janus(['volume', 'rm', 'snapvol']), 'volume rm');
  });
});

describe('compose project snapshots', { skip: rootSkip }, () => {
  let dir = '';
  const compose = (args: string[]) => janus(['compose', '-f', join(dir, 'compose.yaml'), '-p', 'snapproj', ...args]);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'janus-snap-compose-'));
    await writeFile(join(dir, 'compose.yaml'), [
      'services:',
      '  a:', '    image: busybox', '    command: ["sleep", "100000"]', '    volumes: ["shared:/shared"]',
      '  b:', '    image: busybox', '    command: ["sleep", "100000"]', '    volumes: ["shared:/shared"]',
      'volumes:', '  shared: {}', '',
    ].join('\n'));
    ok(await compose(['up', '-d']), 'compose up');
  });
  after(async () => {
    await compose(['down', '-v']);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('every service and the shared volume are snapshotted together and restored together; services that ran run again', async () => {
    ok(await compose(['exec', 'a', 'sh', '-c', 'echo a-one > /mine; echo shared-one > /shared/f']), 'write a');
    ok(await compose(['exec', 'b', 'sh', '-c', 'echo b-one > /mine']), 'write b');
    assert.equal(ok(await compose(['snapshot', 'create', 'p1']), 'compose snapshot create').trim(), 'p1');
    const ls = ok(await compose(['snapshot', 'ls']), 'compose snapshot ls');
    assert.match(ls, /^SNAPSHOT +CREATED +SIZE +CONTAINERS\np1 +\S+ +\S+ +snapproj-a-1,snapproj-b-1\n$/);
    ok(await compose(['exec', 'a', 'sh', '-c', 'echo a-two > /mine; echo shared-two > /shared/f']), 'change a');
    ok(await compose(['exec', 'b', 'sh', '-c', 'rm /mine']), 'change b');
    fails(await compose(['snapshot', 'restore', '-t', '1', 'nosuch']), /No such snapshot: nosuch/, 'an unknown project snapshot');
    // A container of the project made after the snapshot (a one-off, a new replica) has no part in it and does not block it.
    ok(await janus(['run', '-d', '--name', 'snapproj-extra', '--label', 'com.docker.compose.project=snapproj', 'busybox', 'sleep', '100000']), 'a later container of the project');
    assert.equal(ok(await compose(['exec', 'a', 'cat', '/mine']), 'a after a refused restore'), 'a-two\n', 'a refused restore changed nothing (and a runs again)');
    assert.equal(ok(await compose(['snapshot', 'restore', '-t', '1', 'p1']), 'compose snapshot restore').trim(), 'p1');
    assert.equal(ok(await compose(['exec', 'a', 'sh', '-c', 'cat /mine /shared/f']), 'a restored'), 'a-one\nshared-one\n');
    assert.equal(ok(await compose(['exec', 'b', 'sh', '-c', 'cat /mine /shared/f']), 'b restored'), 'b-one\nshared-one\n');
    ok(await janus(['rm', '-f', 'snapproj-extra']), 'rm the later container');
    fails(await compose(['snapshot', 'create', 'p1']), /already has a snapshot named p1/, 'a taken name');
    fails(await janus(['compose', '-p', 'nosuchproj', 'snapshot', 'create', 'x']), /No such project: nosuchproj/, 'an unknown project');
    ok(await compose(['snapshot', 'rm', 'p1']), 'compose snapshot rm');
    assert.match(ok(await compose(['snapshot', 'ls']), 'ls after rm'), /^SNAPSHOT +CREATED +SIZE +CONTAINERS\n$/);
  });
});

describe('snapshots on a nearly full disk', { skip: rootSkip }, () => {
  let small: TestDaemon | undefined;
  let mounted = false;
  const exec = new NodeExec();
  const j = (args: string[]) => small!.janus(args);
  before(async () => {
    small = await startDaemon();
    await small.stop({ keepRoot: true });
    // 256 MiB: the daemon's files and busybox, a container with 60 MiB, a snapshot of it, and 70 MiB more.
    // (Random bytes: copies keep holes, so zeros would cost no space.)
    await exec.run('mount', ['-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', small.root]);
    mounted = true;
    await small.restart();
    ok(await j(['image', 'bootstrap', 'busybox']), 'bootstrap busybox');
  });
  after(async () => {
    await small?.stop({ keepRoot: true });
    if (mounted) await exec.run('umount', [small!.root]);
    await small?.stop();
  });

  test('too little space: create and restore are refused before copying, naming the figures; nothing changes', async () => {
    ok(await j(['run', '-d', '--name', 'full-c', 'busybox', 'sleep', '100000']), 'run');
    ok(await j(['exec', 'full-c', 'dd', 'if=/dev/urandom', 'of=/a', 'bs=1M', 'count=60']), 'write 60 MiB');
    ok(await j(['snapshot', 'create', 'full-c', 's1']), 'a snapshot that fits');
    ok(await j(['exec', 'full-c', 'dd', 'if=/dev/urandom', 'of=/b', 'bs=1M', 'count=70']), 'write 70 MiB more');
    fails(await j(['snapshot', 'create', 'full-c', 's2']), /not enough disk space in the snapshot store .*: 1\d\d MiB to copy \(and 64 MiB to spare\) but \d+ MiB free/, 'create without room');
    ok(await j(['stop', '-t', '0', 'full-c']), 'stop');
    fails(await j(['snapshot', 'restore', 'full-c', 's1']), /not enough disk space in .*: 6\d MiB to copy \(and 64 MiB to spare\)/, 'restore without room');
    ok(await j(['start', 'full-c']), 'start');
    assert.equal(ok(await j(['exec', 'full-c', 'sh', '-c', 'ls /a /b']), 'ls'), '/a\n/b\n', 'the refused restore left the container as it was');
    assert.equal(ok(await j(['snapshot', 'ls', '-q', 'full-c']), 'ls').trim(), 's1', 'the refused create left nothing');
    ok(await j(['rm', '-f', '--snapshots', 'full-c']), 'rm');
  });
});

const vmSkip = rootSkip ?? (vmLevel?.Unavailable ? `the vm level does not work here: ${vmLevel.Unavailable}` : undefined);

describe('VM snapshots', { skip: vmSkip }, () => {
  before(async () => {
    await eventually('the accelerator probe', async () => {
      const levels = JSON.parse(ok(await janus(['info', '--format', '{{json .Janus.IsolationLevels}}']), 'info')) as VmLevel[];
      const acc = levels.find((l) => l.Name === 'vm')?.Accelerator;
      return acc && acc !== 'probing' ? acc : undefined;
    }, 60000);
  });

  test('a VM\'s disk: write, snapshot while running, change, restore: the data is back; the disk outlives stops', async () => {
    ok(await janus(['run', '-d', '--isolation', 'vm', '--name', 'snap-vm', 'busybox', 'sleep', '100000']), 'run VM');
    await sh('snap-vm', 'echo disk-one > /keep; echo doomed > /gone');
    ok(await janus(['snapshot', 'create', 'snap-vm', 'v1']), 'snapshot create');
    assert.equal(ok(await janus(['inspect', '--format', '{{.State.Status}}', 'snap-vm']), 'inspect').trim(), 'running');
    assert.equal(ok(await janus(['snapshot', 'ls', '--format', '{{.Isolation}}', 'snap-vm']), 'ls').trim(), 'vm');
    await sh('snap-vm', 'echo disk-two > /keep; rm /gone; echo new > /new');
    ok(await janus(['stop', '-t', '1', 'snap-vm']), 'stop');
    ok(await janus(['start', 'snap-vm']), 'start');
    assert.equal(await files('snap-vm', ['/keep', '/gone', '/new']), 'disk-two\n-\nnew\n', 'a VM keeps its disk across stop and start');
    fails(await janus(['snapshot', 'restore', 'snap-vm', 'v1']), /is running: stop it before restoring/, 'restore onto a running VM');
    ok(await janus(['stop', '-t', '1', 'snap-vm']), 'stop');
    ok(await janus(['snapshot', 'restore', 'snap-vm', 'v1']), 'restore');
    ok(await janus(['start', 'snap-vm']), 'start');
    assert.equal(await files('snap-vm', ['/keep', '/gone', '/new']), 'disk-one\ndoomed\n-\n');
  });

  test('a VM with --memory: its counter continues from the snapshotted value after restore, with its volume and disk of that moment', async () => {
    const counter = 'i=0; while :; do i=$((i+1)); echo $i > /count; echo tick $i; sleep 0.2; done';
    ok(await janus(['run', '-d', '--isolation', 'vm', '--name', 'mem-vm', '-v', 'memvol:/data', 'busybox', 'sh', '-c', counter]), 'run VM');
    const count = async (): Promise<number> => Number((await sh('mem-vm', 'cat /count')).trim());
    await eventually('the counter to reach 5', async () => ((await count()) >= 5 ? true : undefined), 60000);
    await sh('mem-vm', 'echo vol-one > /data/v');

    // A 9p share in use (a working directory on the volume) cannot be let go of: refused, and the workload goes on.
    ok(await janus(['exec', '-d', 'mem-vm', 'sh', '-c', 'cd /data && exec sleep 100000']), 'exec a process on the volume');
    await eventually('the process on the volume', async () => ((await sh('mem-vm', 'pidof sleep || true')).trim() ? true : undefined), 30000);
    fails(await janus(['snapshot', 'create', '--memory', 'mem-vm', 'busy']), /\/data is in use/, '--memory with the volume in use');
    const afterRefusal = await count();
    await eventually('the counter to go on after the refusal', async () => ((await count()) > afterRefusal ? true : undefined), 30000);
    await sh('mem-vm', 'kill $(pidof sleep)');

    const before = await count();
    ok(await janus(['snapshot', 'create', '--memory', 'mem-vm', 'm1']), 'snapshot create --memory');
    const after = await count();
    // A second one: the shares let go of and mounted back once can be let go of again.
    ok(await janus(['snapshot', 'create', '--memory', 'mem-vm', 'm2']), 'a second snapshot create --memory');
    assert.equal(ok(await janus(['snapshot', 'ls', '--format', '{{.Name}} {{.Memory}}', 'mem-vm']), 'ls').trim(), 'm1 true\nm2 true');
    // The volume and the /etc files are mounted again after the snapshot: written and read through them.
    await sh('mem-vm', 'echo vol-two > /data/v; echo disk-two > /keep');
    assert.equal(await sh('mem-vm', 'cat /data/v; grep -c "$(cat /etc/hostname)" /etc/hosts'), 'vol-two\n1\n');
    await eventually('the counter to run well past the snapshot', async () => ((await count()) >= after + 25 ? true : undefined), 60000);
    const past = await count();

    ok(await janus(['stop', '-t', '1', 'mem-vm']), 'stop');
    assert.equal(ok(await janus(['snapshot', 'restore', 'mem-vm', 'm1']), 'restore').trim(), 'm1');
    assert.equal(ok(await janus(['inspect', '--format', '{{.State.Status}}', 'mem-vm']), 'inspect').trim(), 'running', 'a memory snapshot restores a running workload');
    const resumed = await count();
    assert.ok(resumed >= before && resumed < past, `the counter continues from its snapshotted value (${before}..${after}), not from ${past} nor from 0: it reads ${resumed}`);
    await eventually('the restored counter to count on', async () => ((await count()) > resumed ? true : undefined), 30000);
    assert.equal(await files('mem-vm', ['/keep']), '-\n', 'the disk is of the snapshot\'s moment');
    // The volume is not in the snapshot (no --volumes): it keeps its later content, through the share mounted again.
    assert.equal(await sh('mem-vm', 'cat /data/v'), 'vol-two\n');
    // The log goes on after the ticks of the first run: the continued process counts again from the snapshot's value.
    await eventually('the continued ticks in the log', async () => {
      const logs = ok(await janus(['logs', 'mem-vm']), 'logs');
      const later = logs.slice(logs.lastIndexOf(`tick ${past}\n`)).split('\n').slice(1).map((l) => Number(/^tick (\d+)$/.exec(l)?.[1] ?? NaN));
      return later.some((n) => n <= after + 1) ? true : undefined;
    }, 30000);

    // Processes cannot continue in a VM whose machine changed: refused before anything is replaced.
    ok(await janus(['stop', '-t', '1', 'mem-vm']), 'stop');
    ok(await janus(['update', '--memory', '512m', 'mem-vm']), 'update --memory');
    fails(await janus(['snapshot', 'restore', 'mem-vm', 'm1']), /snapshot m1 holds running processes, which cannot continue in container mem-vm: its memory limit was none and is 536870912/, 'restore after a change');
    assert.equal(ok(await janus(['inspect', '--format', '{{.State.Status}}', 'mem-vm']), 'inspect').trim(), 'exited', 'the refused restore left the VM stopped');
    ok(await janus(['rm', '-f', '--snapshots', 'mem-vm']), 'rm');
  });

  test('a VM cloned from a snapshot boots with its disk', async () => {
    const r = await janus(['run', '--rm', '--isolation', 'vm', '--from-snapshot', 'snap-vm:v1', 'busybox', 'cat', '/keep']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'disk-one\n');
    fails(await janus(['run', '--rm', '--from-snapshot', 'snap-vm:v1', 'busybox', 'true']), /vm-level workload .* at the container level/, 'a VM snapshot into a container');
    ok(await janus(['rm', '-f', '--snapshots', 'snap-vm']), 'rm');
  });
});
