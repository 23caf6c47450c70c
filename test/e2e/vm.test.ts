// The vm isolation level end to end: the real CLI and daemon, QEMU microVMs
// (TCG here: /dev/kvm cannot run a guest on these hosts) with Debian's
// kernel and the janus agent, the busybox image. What users see: a kernel of
// its own, names and ports on a network shared with containers, a volume
// shared with a container, the accelerator in info and inspect, and VMs that
// survive a daemon killed with SIGKILL. The generic runtime behaviour (exit
// codes, streams, exec, signals, logs) is in runtime-conformance.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { release } from 'node:os';
import { promisify } from 'node:util';
import { skipUnlessRoot, startDaemon, type TestDaemon } from '../support/daemon.ts';
import { findContainerLeaks } from '../support/leaks.ts';
import { eventually, fails, ok } from './helpers.ts';

const run = promisify(execFile);

interface VmLevel { Name: string; Backends: string[]; Unavailable?: string; Accelerator?: string }

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

const skip = rootSkip ?? (vmLevel?.Unavailable ? `the vm level does not work here: ${vmLevel.Unavailable}` : undefined);

describe('microVMs end to end', { skip }, () => {
  const janus = (args: string[], input?: string) => d!.janus(args, input === undefined ? {} : { input });
  const inspect = async (ref: string, format: string) => ok(await janus(['inspect', '--format', format, ref]), `inspect ${format}`).trim();
  const ids: string[] = [];

  before(async () => {
    // The accelerator probe boots a guest in the background; info reports its outcome.
    await eventually('the accelerator probe', async () => {
      const levels = JSON.parse(ok(await janus(['info', '--format', '{{json .Janus.IsolationLevels}}']), 'info')) as VmLevel[];
      const acc = levels.find((l) => l.Name === 'vm')?.Accelerator;
      return acc && acc !== 'probing' ? acc : undefined;
    }, 60000);
  });

  test('a VM runs its own kernel: uname -r differs from the host\'s; the accelerator shows in info and inspect', async () => {
    const r = await janus(['run', '--rm', '--isolation', 'vm', 'busybox', 'uname', '-r']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), /^\d+\.\d+/);
    assert.notEqual(r.stdout.trim(), release(), 'the guest kernel is not the host kernel');
    const id = ok(await janus(['run', '-d', '--isolation', 'vm', '--name', 'vm-inspect', '--memory', '256m', '--cpus', '2', 'busybox', 'sleep', '1000']), 'run -d').trim();
    ids.push(id);
    assert.equal(await inspect('vm-inspect', '{{.HostConfig.Isolation}} {{.HostConfig.Runtime}}'), 'vm qemu');
    const vm = JSON.parse(await inspect('vm-inspect', '{{json .Janus.VM}}')) as { Accelerator: string; Kernel: string; MemoryMiB: number; Cpus: number };
    assert.match(vm.Accelerator, /^(kvm|tcg)$/);
    assert.equal(vm.MemoryMiB, 256);
    assert.equal(vm.Cpus, 2);
    const guest = ok(await janus(['exec', 'vm-inspect', 'sh', '-c', 'grep -c ^processor /proc/cpuinfo; grep MemTotal /proc/meminfo']), 'exec').trim().split('\n');
    assert.equal(guest[0], '2', 'two vCPUs');
    const memKiB = Number(/(\d+)/.exec(guest[1])![1]);
    assert.ok(memKiB > 150 * 1024 && memKiB <= 256 * 1024, `guest RAM ${memKiB} KiB is about 256 MiB`);
    ok(await janus(['rm', '-f', 'vm-inspect']), 'rm');
    // kernel ls lists what --kernel can name; naming the default explicitly boots it.
    const kernels = ok(await janus(['kernel', 'ls', '--format', '{{.Release}} {{.Path}} {{.Default}}']), 'kernel ls').trim().split('\n');
    const def = kernels.map((l) => l.split(' ')).find((f) => f[2] === '*');
    assert.ok(def, `a default kernel is marked: ${kernels.join('; ')}`);
    assert.equal(ok(await janus(['run', '--rm', '--isolation', 'vm', '--network', 'none', '--kernel', def[1], 'busybox', 'uname', '-r']), '--kernel').trim(), def[0]);
  });

  test('a container and a VM on one network reach each other by name; a published port of a VM answers', async () => {
    ok(await janus(['network', 'create', 'mixed']), 'network create');
    ids.push(ok(await janus(['run', '-d', '--name', 'vmweb', '--network', 'mixed', '--isolation', 'vm', '-p', '8081:80', 'busybox', 'sh', '-c', 'mkdir /www && echo from-vm > /www/index.html && exec httpd -f -p 80 -h /www']), 'run vm').trim());
    ids.push(ok(await janus(['run', '-d', '--name', 'ctweb', '--network', 'mixed', 'busybox', 'sh', '-c', 'mkdir /www && echo from-container > /www/index.html && exec httpd -f -p 80 -h /www']), 'run container').trim());
    const fromContainer = await eventually('the VM to serve', async () => {
      const r = await janus(['run', '--rm', '--network', 'mixed', 'busybox', 'timeout', '10', 'wget', '-qO-', 'http://vmweb/']);
      return r.code === 0 ? r.stdout : undefined;
    }, 60000);
    assert.equal(fromContainer, 'from-vm\n');
    assert.equal(ok(await janus(['exec', 'vmweb', 'timeout', '10', 'wget', '-qO-', 'http://ctweb/']), 'VM → container by name'), 'from-container\n');
    // The host side of the published port: the daemon's network namespace.
    const got = await run('nsenter', [`--net=/run/netns/${d!.netns}`, 'busybox', 'timeout', '10', 'wget', '-qO-', 'http://127.0.0.1:8081/']);
    assert.equal(got.stdout, 'from-vm\n');
    ok(await janus(['rm', '-f', 'vmweb', 'ctweb']), 'rm');
    ok(await janus(['network', 'rm', 'mixed']), 'network rm');
  });

  test('a named volume written by a VM is read by a container; ro is honoured in the VM', async () => {
    ok(await janus(['run', '--rm', '--isolation', 'vm', '-v', 'shared:/data', 'busybox', 'sh', '-c', 'echo written-in-vm > /data/f']), 'VM writes');
    assert.equal(ok(await janus(['run', '--rm', '-v', 'shared:/data', 'busybox', 'cat', '/data/f']), 'container reads'), 'written-in-vm\n');
    const ro = await janus(['run', '--rm', '--isolation', 'vm', '-v', 'shared:/data:ro', 'busybox', 'sh', '-c', 'echo x > /data/g']);
    assert.notEqual(ro.code, 0, 'a read-only volume refuses writes in the VM');
    assert.match(ro.stderr, /Read-only file system/);
    ok(await janus(['volume', 'rm', 'shared']), 'volume rm');
  });

  test('bad input: memory below the minimum, --network host, a missing bind path — clear errors, nothing left', async () => {
    fails(await janus(['run', '--rm', '--isolation', 'vm', '--memory', '32m', 'busybox', 'true']), /Minimum memory limit allowed for a VM is 128MB/, '--memory 32m');
    fails(await janus(['run', '--rm', '--isolation', 'vm', '--network', 'host', 'busybox', 'true']), /cannot share the host's network/, '--network host');
    fails(await janus(['run', '--rm', '--isolation', 'vm', '-v', '/nonexistent/path:/x', 'busybox', 'true']), /bind source path does not exist/, 'missing bind');
    fails(await janus(['run', '--rm', '--isolation', 'vm', '--kernel', '/etc/passwd', 'busybox', 'true']), /not a Linux kernel image/, '--kernel of a file that is no kernel');
    fails(await janus(['run', '--rm', '--isolation', 'vm', '--kernel', '/nonexistent/vmlinuz', 'busybox', 'true']), /no such file/, '--kernel of a missing file');
    fails(await janus(['run', '--rm', '--kernel', '/etc/passwd', 'busybox', 'true']), /--kernel applies to the vm isolation level only/, '--kernel for a container');
    const left = ok(await janus(['ps', '-aq', '--no-trunc']), 'ps').trim();
    assert.equal(left, '', 'no container is left');
  });

  test('the first VM of its kind leaves a template; the next one starts from it, with its own entropy and clock', async () => {
    const once = async (name: string) => {
      ids.push(ok(await janus(['run', '-d', '--isolation', 'vm', '--network', 'none', '--memory', '192m', '--name', name, 'busybox', 'sleep', '1000']), `run ${name}`).trim());
      return {
        boot: JSON.parse(await inspect(name, '{{json .Janus.VM}}')).Boot as string,
        random: ok(await janus(['exec', name, 'sh', '-c', 'head -c 16 /dev/urandom | od -An -tx1']), 'urandom').trim(),
        clock: Number(ok(await janus(['exec', name, 'date', '+%s']), 'date').trim()),
      };
    };
    const first = await once('tpl-1');
    const second = await once('tpl-2');
    const third = await once('tpl-3');
    assert.equal(first.boot, 'cold');
    // A restore that fails falls back to a cold boot, and the daemon's log says why.
    const why = () => d!.log().split('\n').filter((l) => /template/i.test(l)).join('\n');
    assert.equal(second.boot, 'template', why());
    assert.equal(third.boot, 'template', why());
    assert.notEqual(second.random, third.random, 'restored guests do not repeat the template\'s random numbers');
    for (const c of [second.clock, third.clock]) assert.ok(Math.abs(c - Date.now() / 1000) < 30, `the guest clock ${c} is the host's`);
    ok(await janus(['rm', '-f', 'tpl-1', 'tpl-2', 'tpl-3']), 'rm');
  });

  test('kill -9 of the daemon with a VM running: the VM keeps running and the restarted daemon re-adopts it', async () => {
    const id = ok(await janus(['run', '-d', '--isolation', 'vm', '--name', 'survivor', 'busybox', 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done']), 'run -d').trim();
    ids.push(id);
    await eventually('output', async () => ((await janus(['logs', 'survivor'])).stdout.includes('tick 3') ? true : undefined), 60000);
    await d!.kill9();
    await d!.restart();
    assert.equal(await inspect('survivor', '{{.State.Status}}'), 'running');
    const before = (await janus(['logs', 'survivor'])).stdout.split('\n').length;
    await eventually('more output after the restart', async () => ((await janus(['logs', 'survivor'])).stdout.split('\n').length > before + 2 ? true : undefined), 30000);
    assert.equal(ok(await janus(['exec', 'survivor', 'echo', 'still-here']), 'exec after restart').trim(), 'still-here');
    ok(await janus(['stop', '-t', '2', 'survivor']), 'stop');
    assert.equal(await inspect('survivor', '{{.State.Status}}'), 'exited');
    ok(await janus(['rm', 'survivor']), 'rm');
  });

  test('nothing of the VMs is left behind', async () => {
    for (const id of ids) assert.deepEqual(await findContainerLeaks(d!.root, id), [], `VM ${id} left nothing behind`);
  });
});
