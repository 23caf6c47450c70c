// Memory snapshots of the OCI levels end to end: the real CLI and daemon,
// runsc (gVisor) and runc under conmon, the bootstrapped busybox image. What
// users see: a counter in a sandbox snapshotted with --memory keeps counting
// without a break, and after `snapshot restore` continues from its
// snapshotted value — in its log and in a file it appends to, so the files
// and the memory are of one moment; it can be snapshotted so again, and a
// daemon that crashes re-adopts it. At the container level, where CRIU
// cannot checkpoint (criu 3.17 on kernel 6.x: `criu check` fails), the
// refusal names criu and its reason and the container runs on; where
// `criu check` passes, the same counter test runs.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeExec } from '../../src/util/exec.ts';
import { probeCriu, type CriuProbe } from '../../src/runtimes/oci/criu-probe.ts';
import { skipUnlessRoot, startDaemon, type TestDaemon } from '../support/daemon.ts';
import { eventually, fails, ok } from './helpers.ts';

interface Level { Name: string; Unavailable?: string }

const rootSkip = skipUnlessRoot();
let d: TestDaemon | undefined;
let levels: Level[] = [];
let criu: CriuProbe | undefined;
if (!rootSkip) {
  d = await startDaemon();
  ok(await d.janus(['image', 'bootstrap', 'busybox']), 'bootstrap busybox');
  levels = JSON.parse(ok(await d.janus(['info', '--format', '{{json .Janus.IsolationLevels}}']), 'info')) as Level[];
  criu = await probeCriu(new NodeExec());
}
after(async () => { await d?.stop(); });

const janus = (args: string[]) => d!.janus(args);
const unavailable = (name: string): string | undefined => {
  const l = levels.find((x) => x.Name === name);
  return l?.Unavailable ? `the ${name} level is unavailable here: ${l.Unavailable}` : undefined;
};
const COUNTER = 'i=0; while :; do i=$((i+1)); echo $i >> /counts; echo tick $i; sleep 0.2; done';

/** The ticks of the log, in order. */
async function ticks(name: string): Promise<number[]> {
  return ok(await janus(['logs', name]), 'logs').split('\n').map((l) => /^tick (\d+)\r?$/.exec(l)?.[1]).filter((t) => t !== undefined).map(Number);
}
const last = async (name: string): Promise<number> => (await ticks(name)).at(-1) ?? 0;
const consecutive = (ns: number[]): boolean => ns.every((n, i) => n === i + 1);

/** Runs a counter at `isolation`, snapshot it with --memory, let it count on, stop it, restore: it continues from the snapshot. */
async function counterContinues(isolation: 'sandbox' | 'container', name: string): Promise<void> {
  ok(await janus(['run', '-d', '--isolation', isolation, '--name', name, 'busybox', 'sh', '-c', COUNTER]), `run ${name}`);
  try {
    await counts(name);
  } finally {
    await janus(['rm', '-f', '--snapshots', name]);
  }
}

async function counts(name: string): Promise<void> {
  await eventually('the counter to reach 5', async () => ((await last(name)) >= 5 ? true : undefined), 30000);

  const beforeSnap = await last(name);
  assert.equal(ok(await janus(['snapshot', 'create', '--memory', name, 'm1']), 'snapshot create --memory').trim(), 'm1');
  const afterSnap = await last(name);
  assert.equal(ok(await janus(['inspect', '--format', '{{.State.Status}}', name]), 'inspect').trim(), 'running', 'the workload runs on after a memory snapshot');
  // The sandbox goes on as new processes after its checkpoint: top follows them (it read the old pid's cgroup and failed).
  assert.match(ok(await janus(['top', name]), 'top after a memory snapshot'), /runsc-sandbox/, 'top shows the sandbox\'s processes');
  assert.equal(ok(await janus(['snapshot', 'ls', '--format', '{{.Name}} {{.Memory}}', name]), 'snapshot ls').trim(), 'm1 true');
  await eventually('the counter to run well past the snapshot', async () => ((await last(name)) >= afterSnap + 10 ? true : undefined), 30000);
  ok(await janus(['stop', '-t', '1', name]), 'stop');
  const counted = await ticks(name);
  assert.ok(consecutive(counted), `the counter went on through the snapshot without a break or a restart: ${counted.join(',')}`);
  const past = counted.at(-1)!;
  assert.equal(ok(await janus(['snapshot', 'restore', name, 'm1']), 'snapshot restore').trim(), 'm1');
  assert.equal(ok(await janus(['inspect', '--format', '{{.State.Status}}', name]), 'inspect').trim(), 'running', 'a memory snapshot restores a running workload');
  const continued = await eventually('the restored counter in the log', async () => {
    const all = await ticks(name);
    const i = all.lastIndexOf(past);
    return all.length > i + 3 ? all.slice(i + 1) : undefined;
  }, 30000);
  assert.ok(continued[0] > beforeSnap && continued[0] <= afterSnap + 1,
    `the counter continues from its snapshotted value (${beforeSnap}..${afterSnap}), not from ${past} nor from 1: ${continued.join(',')}`);
  assert.ok(consecutive(continued.map((n) => n - continued[0] + 1)), `and counts on one by one: ${continued.join(',')}`);
  // The file the counter appends to is of the snapshot's moment: it goes on from its last line, with no line missing or twice.
  const file = ok(await janus(['exec', name, 'cat', '/counts']), 'cat /counts').trim().split('\n').map(Number);
  assert.ok(consecutive(file), `the files and the memory are of one moment: /counts holds ${file.slice(0, 3).join(',')}…${file.slice(-3).join(',')}`);
  assert.ok(file.includes(continued[0]), 'the continued values are appended to the restored file');

  // The restored workload can be snapshotted with --memory again, and runs on through it.
  const n = await last(name);
  ok(await janus(['snapshot', 'create', '--memory', name, 'm2']), 'a second snapshot create --memory, of the restored workload');
  await eventually('the counter to run on past the second snapshot', async () => ((await last(name)) >= n + 10 ? true : undefined), 30000);
  assert.equal(ok(await janus(['inspect', '--format', '{{.State.Status}}', name]), 'inspect').trim(), 'running');
  const tail = (await ticks(name)).slice(-10);
  assert.ok(consecutive(tail.map((x) => x - tail[0] + 1)), `without a break: ${tail.join(',')}`);

  // A daemon that crashes re-adopts the continued workload: it runs on, and its exit is the one recorded.
  await d!.kill9();
  await d!.restart();
  assert.equal(ok(await janus(['inspect', '--format', '{{.State.Status}}', name]), 'inspect').trim(), 'running', 're-adopted after a daemon crash');
  const m = await last(name);
  await eventually('the counter to count on after the daemon restart', async () => ((await last(name)) > m ? true : undefined), 30000);
  ok(await janus(['stop', '-t', '1', name]), 'stop');
  assert.equal(ok(await janus(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', name]), 'inspect').trim(), 'exited 143', 'its SIGTERM exit, not the saved sandbox\'s end');
}

describe('memory snapshots of sandboxes (gVisor)', { skip: rootSkip ?? (d ? unavailable('sandbox') : undefined) }, () => {
  test('a counter continues from its snapshotted value after restore, and runs on through the snapshot', async () => {
    await counterContinues('sandbox', 'mem-sb');
  });
});

describe('memory snapshots of containers (CRIU)', { skip: rootSkip ?? (d ? unavailable('container') : undefined) }, () => {

  test('where criu cannot checkpoint, --memory is refused naming criu and its reason, and the container runs on', { skip: criu?.ok ? 'criu check passes on this host' : undefined }, async (t) => {
    ok(await janus(['run', '-d', '--name', 'mem-c', 'busybox', 'sh', '-c', COUNTER]), 'run mem-c');
    t.after(async () => { await janus(['rm', '-f', '--snapshots', 'mem-c']); });
    await eventually('the counter to reach 3', async () => ((await last('mem-c')) >= 3 ? true : undefined), 30000);
    const why = criu!.missing
      ? /--memory is not supported for containers .*criu is not installed \(Debian package criu\)/
      : new RegExp(`--memory is not supported for containers .*criu .*cannot checkpoint on this host \\(kernel [^)]+\\): criu check: ${criu!.error!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
    fails(await janus(['snapshot', 'create', '--memory', 'mem-c', 'm1']), why, 'snapshot create --memory');
    assert.equal(ok(await janus(['snapshot', 'ls', '--format', '{{.Name}}', 'mem-c']), 'snapshot ls').trim(), '', 'a refused snapshot leaves nothing');
    const n = await last('mem-c');
    await eventually('the counter to count on after the refusal', async () => ((await last('mem-c')) > n ? true : undefined), 30000);
    assert.equal(ok(await janus(['snapshot', 'create', 'mem-c', 'files']), 'snapshot create without --memory').trim(), 'files');
  });

  test('where criu works, a counter continues from its snapshotted value after restore', { skip: criu?.ok ? undefined : `criu cannot checkpoint on this host: ${criu?.missing ? 'not installed' : criu?.error}` }, async () => {
    await counterContinues('container', 'mem-c2');
  });
});
