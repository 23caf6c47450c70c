// Memory checkpoints of the OCI runtimes against the real tools: a counter
// process saved while paused continues from its saved value — in the same
// task once it is resumed, and in a new task created from the checkpoint.
// runsc saves its sandbox itself; runc needs CRIU, and where `criu check`
// fails (criu 3.17 on kernel 6.x) the refusal names criu and its reason.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Task, TaskSpec } from '../../core/runtime.ts';
import { NodeExec } from '../../util/exec.ts';
import { silentLogger } from '../../util/logger.ts';
import { makeBusyboxRootfs } from './busybox-rootfs.ts';
import { probeCriu } from './criu-probe.ts';
import { parseK8sLogLine } from './k8s-log.ts';
import { OciRuntime, probeOciRuntime } from './oci-runtime.ts';

const exec = new NodeExec();
const CONMON = '/usr/bin/conmon';

async function skipReason(binary: string, runtimeArgs: string[]): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root (runtimes create namespaces and mounts)';
  if (!existsSync(CONMON)) return 'needs conmon (Debian package conmon; scripts/setup installs it)';
  if (!existsSync(binary)) return `needs ${binary} (scripts/setup installs it)`;
  if (!existsSync('/bin/busybox')) return 'needs /bin/busybox (busybox-static)';
  const probe = await probeOciRuntime(binary, exec, { runtimeArgs });
  return probe.ok ? undefined : `${binary} does not work on this host: ${probe.error}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A runtime over a fresh state directory, a busybox rootfs and a counter that prints 1, 2, 3, … to its log. */
async function setup(name: 'runc' | 'runsc', binary: string, runtimeArgs: string[]) {
  const base = await mkdtemp(join(tmpdir(), `janus-ckpt-${name}-`));
  const rootfs = join(base, 'rootfs');
  await makeBusyboxRootfs(exec, rootfs);
  const runtime = new OciRuntime({ name, binary, conmon: CONMON, stateDir: join(base, 'state'), exec, logger: silentLogger, runtimeArgs, pollMs: 200 });
  const logPath = join(base, 'counter.log');
  const spec: TaskSpec = {
    oci: {
      ociVersion: '1.0.2',
      process: { user: { uid: 0, gid: 0 }, args: ['/bin/sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i; sleep 0.1; done'], cwd: '/', env: ['PATH=/bin'] },
      root: { path: '' },
      hostname: 'counter',
      mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
      linux: { namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }] },
    },
    rootfs: [{ type: 'bind', source: rootfs, options: ['rw'] }],
    io: { tty: false, stdin: false, logPath },
  };
  /** The numbers the counter printed, in order. */
  const counted = async (): Promise<number[]> => (await readFile(logPath, 'utf8').catch(() => '')).split('\n')
    .map((l) => parseK8sLogLine(l)).filter((e) => e?.full).map((e) => Number(e!.text));
  const cleanup = async (): Promise<void> => {
    for (const id of await runtime.list()) await runtime.remove(id);
    await rm(base, { recursive: true, force: true });
  };
  return { base, runtime, spec, counted, cleanup };
}

/** Waits until the counter has printed more than `n` numbers. */
async function countsPast(counted: () => Promise<number[]>, n: number): Promise<number[]> {
  for (let i = 0; i < 100; i++) {
    const c = await counted();
    if (c.length > n) return c;
    await sleep(100);
  }
  assert.fail(`the counter did not print past ${n} numbers: ${(await counted()).join(',')}`);
}

/** The engine's order: prepare, pause, (files copied), save, resume, finish. Returns the last number printed before the pause. */
/** Creates the counter from the checkpoint in `dir`, starts it, checks it counts on from `saved`, and ends it. */
async function continuesFrom(runtime: OciRuntime, spec: TaskSpec, dir: string, counted: () => Promise<number[]>, saved: number): Promise<void> {
  const n = (await counted()).length;
  const restored = await runtime.create('counter', spec, { restoreFrom: dir });
  assert.equal(await restored.status(), 'created', 'nothing runs before start');
  await restored.start();
  assert.equal(await restored.status(), 'running');
  const again = (await countsPast(counted, n + 1)).slice(n);
  assert.equal(again[0], saved + 1, `the restored counter continues from ${saved}: ${again.join(',')}`);
  await restored.kill('SIGKILL');
  await restored.wait();
  await restored.delete();
}

async function snapshot(task: Task, counted: () => Promise<number[]>, dir: string): Promise<number> {
  await task.checkpoint!.prepare();
  await task.pause();
  await sleep(300); // conmon has read all the counter printed before the pause
  const last = (await counted()).at(-1)!;
  await mkdir(dir);
  await task.checkpoint!.save(dir);
  try {
    assert.equal(await task.status(), 'paused', 'save leaves the task paused');
  } finally {
    await task.resume();
    await task.checkpoint!.finish();
  }
  return last;
}

const runscArgs = ['--network=none'];
const runscSkip = await skipReason('/usr/bin/runsc', runscArgs);

describe('runsc memory checkpoint', { skip: runscSkip }, () => {
  for (const tty of [false, true]) {
    it(`a counter continues from its saved value in the same sandbox after the save, and in a new one restored from it${tty ? ' (with a terminal)' : ''}`, async () => {
      const { base, runtime, spec: plain, counted, cleanup } = await setup('runsc', '/usr/bin/runsc', runscArgs);
      const spec = { ...plain, io: { ...plain.io, tty } };
      try {
        const task = await runtime.create('counter', spec);
        await task.start();
        let exited = false;
        const waited = task.wait().then((e) => {
          exited = true;
          return e;
        });
        await countsPast(counted, 3);
        const dir = join(base, 'memory');
        const saved = await snapshot(task, counted, dir);
        assert.ok((await readdir(dir)).length > 0, 'the checkpoint wrote its image');
        assert.equal(await task.status(), 'running');
        const all = await countsPast(counted, saved + 2);
        assert.deepEqual(all, all.map((_, i) => i + 1), 'it counts on from where it was paused: no restart, no gap, nothing twice');
        // A sandbox continued from a save is itself a restored one, which gVisor ends as soon as it is saved: again.
        const saved2 = await snapshot(task, counted, join(base, 'memory2'));
        const all2 = await countsPast(counted, saved2 + 2);
        assert.deepEqual(all2, all2.map((_, i) => i + 1), 'and again after a second checkpoint');
        assert.equal(exited, false, 'the handover to a new supervisor is no exit');

        await task.kill('SIGKILL');
        assert.equal((await waited).code, 137, 'the continued task is still the one wait() follows');
        await task.delete();

        await continuesFrom(runtime, spec, dir, counted, saved);
      } finally {
        await cleanup();
      }
    });
  }
});

const runcSkip = await skipReason('/usr/sbin/runc', []);
const criu = runcSkip ? undefined : await probeCriu(exec);

describe('runc memory checkpoint', { skip: runcSkip }, () => {
  it('where criu check fails, prepare refuses naming criu and its reason', { skip: criu?.ok ? 'criu check passes on this host' : undefined }, async () => {
    const { runtime, spec, cleanup } = await setup('runc', '/usr/sbin/runc', []);
    try {
      const task = await runtime.create('counter', spec);
      await task.start();
      const why = criu?.missing ? /criu is not installed \(Debian package criu\)/ : new RegExp(`criu .*cannot checkpoint on this host .*criu check: ${criu!.error!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
      await assert.rejects(task.checkpoint!.prepare(), { kind: 'Unavailable', message: why });
      assert.equal(await task.status(), 'running', 'a refused checkpoint leaves the container running');
      await task.delete({ force: true });
    } finally {
      await cleanup();
    }
  });

  it('where criu works, a counter continues from its saved value after a restore', { skip: criu?.ok ? undefined : `criu cannot checkpoint on this host: ${criu?.missing ? 'not installed' : criu?.error}` }, async () => {
    const { base, runtime, spec, counted, cleanup } = await setup('runc', '/usr/sbin/runc', []);
    try {
      const task = await runtime.create('counter', spec);
      await task.start();
      await countsPast(counted, 3);
      const dir = join(base, 'memory');
      const saved = await snapshot(task, counted, dir);
      assert.equal(await task.status(), 'running');
      await task.kill('SIGKILL');
      await task.wait();
      await task.delete();
      await continuesFrom(runtime, spec, dir, counted, saved);
    } finally {
      await cleanup();
    }
  });
});
