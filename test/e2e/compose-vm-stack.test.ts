// janus compose up --isolation vm-stack end to end: the sample app of
// examples/compose run as ONE microVM whose guest agent runs each service in
// its own namespaces (docs/vm-stack.md), by the real CLI against a real
// daemon in a network namespace of its own. What users see: the stack ready
// after `up --wait`, one QEMU for the whole project, HTTP through the
// published port, services reaching each other by name and alias, exec and
// logs per service, the guest's kernel, a port conflict refused before
// anything is created, and nothing left (QEMU, taps, mounts, containers)
// after `down -v`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { skipUnlessRoot, startDaemon, type CliResult, type TestDaemon } from '../support/daemon.ts';
import { eventually, fails, mountsUnder, ok } from './helpers.ts';

const run = promisify(execFile);
const EXAMPLE = resolve(import.meta.dirname, '../../examples/compose');
const PORT = '18081';

interface VmLevel { Name: string; Unavailable?: string }

/** Pids of the QEMU processes whose command line mentions `needle`. */
async function qemusWith(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.startsWith('qemu-system') || cmdline.includes('/qemu-system')) {
      if (cmdline.includes(needle)) pids.push(Number(name));
    }
  }
  return pids;
}

describe('compose --isolation vm-stack end to end', { skip: skipUnlessRoot() }, () => {
  let d: TestDaemon;
  let dir: string;
  let skip: string | undefined;
  const janus = (args: string[]) => d.janus(args, { env: { WEB_PORT: PORT } });
  const compose = (args: string[], file = 'compose.yaml'): Promise<CliResult> => janus(['compose', '-f', join(dir, file), ...args]);
  const wget = async (): Promise<{ code: number; stdout: string }> => {
    try {
      const r = await run('nsenter', [`--net=/run/netns/${d.netns}`, 'busybox', 'timeout', '10', 'wget', '-qO-', `http://127.0.0.1:${PORT}/`], { timeout: 20000 });
      return { code: 0, stdout: r.stdout };
    } catch (err) {
      return { code: 1, stdout: (err as { stdout?: string }).stdout ?? '' };
    }
  };

  before(async () => {
    d = await startDaemon();
    assert.ok(d.netns, 'the test daemon runs in a network namespace of its own');
    const levels = JSON.parse(ok(await d.janus(['info', '--format', '{{json .Janus.IsolationLevels}}']), 'info')) as VmLevel[];
    const vm = levels.find((l) => l.Name === 'vm');
    if (!vm || vm.Unavailable) skip = `the vm level does not work here: ${vm?.Unavailable ?? 'not listed'}`;
    ok(await d.janus(['image', 'bootstrap', 'busybox']), 'bootstrap busybox');
    dir = await mkdtemp(join(tmpdir(), 'janus-vm-stack-e2e-'));
    await cp(EXAMPLE, dir, { recursive: true });
  });
  after(async () => {
    if (d) await d.janus(['compose', '-p', 'sample', 'down', '-v']).catch(() => undefined);
    await d?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('two services on one container port are refused before anything is created', async (t) => {
    if (skip) return t.skip(skip);
    await writeFile(join(dir, 'clash.yaml'), [
      'name: clash',
      'services:',
      '  a: {image: busybox, command: [sleep, "1000"], ports: ["18090:80"]}',
      '  b: {image: busybox, command: [sleep, "1000"], ports: ["18091:80"]}',
      '',
    ].join('\n'));
    const r = await compose(['up', '-d', '--isolation', 'vm-stack'], 'clash.yaml');
    fails(r, /services "a" and "b" both use container port 80\/tcp/, 'a port clash');
    assert.equal(ok(await janus(['ps', '-aq', '--filter', 'label=com.docker.compose.project=clash']), 'ps').trim(), '', 'no container was created');
    const bad = await compose(['up', '-d', '--isolation', 'container'], 'clash.yaml');
    fails(bad, /the one project-wide level is vm-stack/, 'an unsupported --isolation');
  });

  test('up --wait runs the whole project in one microVM, reachable and resolving names', async (t) => {
    if (skip) return t.skip(skip);
    ok(await compose(['up', '-d', '--wait', '--isolation', 'vm-stack']), 'compose up --isolation vm-stack');
    const ids = ok(await janus(['ps', '-a', '--no-trunc', '--filter', 'label=com.docker.compose.project=sample', '--format', '{{.Label "com.docker.compose.service"}} {{.ID}}']), 'ps').trim().split('\n');
    const services = ids.map((l) => l.split(' ')[0]).sort();
    assert.deepEqual(services, ['backend', 'init', 'janus-vm-stack', 'web', 'worker']);
    // Exactly one QEMU for the whole project: the stack VM's.
    const stackId = ids.find((l) => l.startsWith('janus-vm-stack '))!.split(' ')[1]!;
    assert.equal((await qemusWith(`janus-${stackId.slice(0, 12)}`)).length, 1, 'the stack VM runs');
    assert.equal((await qemusWith(d.root)).length, 1, 'one QEMU process for the project (of this daemon)');
    for (const svc of ['backend', 'web', 'worker']) {
      assert.equal(ok(await janus(['inspect', '--format', '{{.HostConfig.Isolation}}', `sample-${svc}-1`]), 'inspect').trim(), 'vm');
    }
    // HTTP through the published port, from the daemon's network namespace.
    const page = await wget();
    assert.equal(page.code, 0, 'the published port answers');
    assert.match(page.stdout, /hello from janus compose/);
    // A service resolves another by name and by alias (they share the VM's network: 127.0.0.1).
    assert.match(ok(await compose(['exec', '-T', 'web', 'wget', '-qO-', 'http://backend:8000/']), 'web → backend'), /backend ok/);
    assert.match(ok(await compose(['exec', '-T', 'web', 'wget', '-qO-', 'http://api:8000/']), 'web → api'), /backend ok/);
    await eventually('the worker reaching the backend through its alias', async () => {
      const ticks = ok(await compose(['exec', '-T', 'worker', 'cat', '/site/ticks.txt']), 'ticks');
      return /tick \d+ backend ok/.test(ticks) ? true : undefined;
    }, 30000);
    // Each service is its own workload: its own processes and root (the hostname is the stack VM's, as with docker's network_mode container:).
    const psWeb = ok(await compose(['exec', '-T', 'web', 'ps']), 'ps in web');
    assert.match(psWeb, /httpd -f -p 80/);
    assert.doesNotMatch(psWeb, /8000/, 'web does not see the backend\'s processes');
    ok(await compose(['exec', '-T', 'web', 'touch', '/only-in-web']), 'touch in web');
    ok(await compose(['exec', '-T', 'web', 'ls', '/only-in-web']), 'the file is in web\'s root');
    fails(await compose(['exec', '-T', 'backend', 'ls', '/only-in-web']), /No such file/, 'backend has a root of its own');
    // The guest's kernel, not the host's.
    const guest = ok(await compose(['exec', '-T', 'backend', 'uname', '-r']), 'uname').trim();
    const host = (await readFile('/proc/sys/kernel/osrelease', 'utf8')).trim();
    assert.ok(guest.length > 0 && guest !== host, `the services run on the guest kernel (${guest}), not the host's (${host})`);
    // A one-off container of a service runs inside the same VM, on its network.
    const oneOff = ok(await compose(['run', '--rm', '-T', '--isolation', 'vm-stack', 'web', 'sh', '-c', 'uname -r; wget -qO- http://backend:8000/']), 'compose run');
    assert.match(oneOff, new RegExp(`^${guest.replace(/[.+]/g, '\\$&')}\n`), 'the one-off runs on the guest kernel');
    assert.match(oneOff, /backend ok/, 'and reaches the backend by name');
    assert.equal((await qemusWith(d.root)).length, 1, 'in the same QEMU');
    // Logs per service.
    assert.match(ok(await compose(['logs', '--no-color', 'web']), 'logs web'), /web-1 +\| web serving/);
    assert.match(ok(await compose(['logs', '--no-color', 'init']), 'logs init'), /init done/);
    assert.doesNotMatch(ok(await compose(['logs', '--no-color', 'web']), 'logs web'), /backend listening/);
    // A stopped service leaves the others running; it starts again inside the same VM.
    ok(await compose(['stop', 'worker']), 'stop worker');
    assert.equal(ok(await janus(['inspect', '--format', '{{.State.Status}}', 'sample-worker-1']), 'inspect').trim(), 'exited');
    assert.equal((await wget()).code, 0, 'the others still serve');
    ok(await compose(['start', 'worker']), 'start worker');
    assert.equal(ok(await janus(['inspect', '--format', '{{.State.Status}}', 'sample-worker-1']), 'inspect').trim(), 'running');
    assert.equal((await qemusWith(d.root)).length, 1, 'still one QEMU');
  });

  test('down -v leaves no QEMU, tap, mount or container behind', async (t) => {
    if (skip) return t.skip(skip);
    ok(await compose(['down', '-v']), 'compose down -v');
    assert.equal(ok(await janus(['ps', '-aq', '--filter', 'label=com.docker.compose.project=sample']), 'ps').trim(), '');
    await eventually('no QEMU left', async () => ((await qemusWith(d.root)).length === 0 ? true : undefined), 20000);
    assert.deepEqual(await mountsUnder(join(d.root, 'volumes')), [], 'no mount left in the stack\'s share');
    assert.deepEqual((await mountsUnder(d.root)).filter((p) => p.includes('vm-stack') || p.includes('/volumes/')), [], 'no mount of the stack left');
    const links = (await run('ip', ['-n', d.netns!, '-o', 'link'])).stdout;
    assert.doesNotMatch(links, /tap/, 'no tap left');
    assert.equal(ok(await janus(['volume', 'ls', '-q', '--filter', 'label=com.docker.compose.project=sample']), 'volumes').trim(), '');
  });
});
