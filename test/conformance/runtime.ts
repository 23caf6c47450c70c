import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runtime, Task, TaskSpec } from '../../src/core/runtime.ts';
import type { OciRuntimeSpec } from '../../src/core/oci-runtime-spec.ts';
import { NodeExec } from '../../src/util/exec.ts';
import { makeBusyboxRootfs } from '../../src/runtimes/oci/busybox-rootfs.ts';

/** What a conformance run is given: a fresh runtime and how to tear it down. */
export interface RuntimeUnderTest {
  runtime: Runtime;
  /** A new Runtime object over the same host state, as a restarted daemon builds it. */
  reopen?: () => Promise<Runtime>;
  cleanup(): Promise<void>;
}

/** Options of `runtimeConformance`. */
export interface RuntimeConformanceOptions {
  /** Skip the whole suite with this reason (not root, tool missing). */
  skip?: string;
  /** Extra checks that nothing of a deleted task remains on the host (mounts, processes). */
  leaks?: (id: string) => Promise<string[]>;
}

const MINUTE = 60_000;

/** A hand-written minimal spec: busybox `sh`, /proc and /dev, its own namespaces, nofile within the host's hard limit (20000). */
export function minimalSpec(args: string[]): OciRuntimeSpec {
  return {
    ociVersion: '1.0.2',
    process: {
      user: { uid: 0, gid: 0 }, args, cwd: '/', env: ['PATH=/bin', 'HOME=/root'],
      rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }],
      capabilities: {
        bounding: ['CAP_KILL', 'CAP_SETUID', 'CAP_SETGID'], effective: ['CAP_KILL', 'CAP_SETUID', 'CAP_SETGID'],
        permitted: ['CAP_KILL', 'CAP_SETUID', 'CAP_SETGID'],
      },
    },
    root: { path: 'rootfs', readonly: false },
    hostname: 'conformance',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    ],
    linux: { namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }] },
  };
}

/**
 * The Runtime contract, run against any implementation: lifecycle and exit
 * codes (docker's 126/127/128+N), logs, signals, pause, exec, stats,
 * delete leaving nothing, and re-adoption by a new Runtime object.
 * `makeRuntime` is called once per suite; tasks use a busybox rootfs bind-mounted by the runtime.
 */
export function runtimeConformance(makeRuntime: () => Promise<RuntimeUnderTest>, options: RuntimeConformanceOptions = {}): void {
  describe('Runtime conformance', { skip: options.skip, timeout: 10 * MINUTE }, () => {
    let rt: RuntimeUnderTest;
    let dir: string;
    let rootfs: string;
    const created: Task[] = [];
    let n = 0;

    before(async () => {
      rt = await makeRuntime();
      dir = await mkdtemp(join(tmpdir(), 'janus-conf-'));
      rootfs = join(dir, 'rootfs');
      await makeBusyboxRootfs(new NodeExec(), rootfs);
      await writeFile(join(rootfs, 'etc', 'data'), 'not a program\n', { mode: 0o644 });
    });

    after(async () => {
      for (const t of created) await t.delete({ force: true }).catch(() => undefined);
      await rt?.cleanup();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const spec = (args: string[], extra: Partial<TaskSpec['io']> = {}): TaskSpec => ({
      oci: minimalSpec(args),
      rootfs: [{ type: 'bind', source: rootfs, options: ['rbind', 'rw'] }],
      io: { tty: false, stdin: false, logPath: join(dir, `log-${n}.log`), ...extra },
    });
    const make = async (args: string[], runtime: Runtime = rt.runtime): Promise<{ task: Task; logPath: string }> => {
      const id = `conf-${process.pid}-${n++}`;
      const s = spec(args);
      const task = await runtime.create(id, s);
      created.push(task);
      return { task, logPath: s.io.logPath };
    };
    const run = async (args: string[]) => {
      const { task, logPath } = await make(args);
      await task.start();
      const exit = await task.wait();
      return { task, exit, logPath };
    };

    it('runs a process to exit code 0 and reports the exit', { timeout: 2 * MINUTE }, async () => {
      const { task, exit } = await run(['true']);
      assert.equal(exit.code, 0);
      assert.equal(exit.oomKilled, false);
      assert.ok(exit.exitedAt instanceof Date);
      assert.equal(await task.status(), 'stopped');
      assert.deepEqual(await task.wait(), exit, 'repeat waits give the same exit');
      await task.delete();
    });

    it('reports a non-zero exit code', { timeout: 2 * MINUTE }, async () => {
      const { task, exit } = await run(['sh', '-c', 'exit 3']);
      assert.equal(exit.code, 3);
      assert.equal(exit.signal, undefined);
      await task.delete();
    });

    it('writes stdout and stderr to the log file', { timeout: 2 * MINUTE }, async () => {
      const { task, exit, logPath } = await run(['sh', '-c', 'echo out-line; echo err-line >&2']);
      assert.equal(exit.code, 0);
      const log = await readFile(logPath, 'utf8');
      assert.match(log, /stdout F out-line\n/);
      assert.match(log, /stderr F err-line\n/);
      await task.delete();
    });

    it('SIGTERM gives 143 and SIGKILL gives 137', { timeout: 2 * MINUTE }, async () => {
      // A namespace's pid 1 ignores every signal it has no handler for (SIGKILL aside), so the
      // program handles TERM the way docker images do; the 143 is then its own status.
      const a = await make(['sh', '-c', 'trap "exit 143" TERM; while true; do sleep 1; done']);
      await a.task.start();
      assert.equal(await a.task.status(), 'running');
      await a.task.kill('SIGTERM');
      const ea = await a.task.wait();
      assert.equal(ea.code, 143);
      const b = await make(['sleep', '1000']);
      await b.task.start();
      await b.task.kill('KILL');
      assert.equal((await b.task.wait()).code, 137);
      await assert.rejects(b.task.kill('SIGKILL'), { kind: 'Conflict' });
      await a.task.delete();
      await b.task.delete();
    });

    it('a missing program is 127, a non-executable one 126 (docker rule), and nothing is left behind', { timeout: 2 * MINUTE }, async () => {
      const before = await rt.runtime.list();
      const tryRun = async (args: string[]): Promise<number | undefined> => {
        try {
          const r = await run(args);
          return r.exit.code;
        } catch (err) {
          return (err as { exitCode?: number }).exitCode;
        }
      };
      assert.equal(await tryRun(['/no/such/program']), 127);
      assert.equal(await tryRun(['no-such-program']), 127);
      assert.equal(await tryRun(['/etc/data']), 126);
      const after = await rt.runtime.list();
      const leftovers = after.filter((id) => !before.includes(id));
      for (const t of created) if (leftovers.includes(t.id)) await t.delete({ force: true });
      assert.deepEqual((await rt.runtime.list()).filter((id) => !before.includes(id)), []);
    });

    it('pauses and resumes', { timeout: 2 * MINUTE }, async () => {
      const { task } = await make(['sleep', '1000']);
      await task.start();
      await task.pause();
      assert.equal(await task.status(), 'paused');
      await assert.rejects(task.delete(), { kind: 'Conflict' });
      await task.resume();
      assert.equal(await task.status(), 'running');
      await task.kill('SIGKILL');
      assert.equal((await task.wait()).code, 137);
      await task.delete();
    });

    it('execs a process and sees its exit code; exec in a stopped task is a Conflict', { timeout: 2 * MINUTE }, async () => {
      const { task } = await make(['sleep', '1000']);
      await task.start();
      const proc = { user: { uid: 0, gid: 0 }, cwd: '/', env: ['PATH=/bin'] };
      const p = await task.exec('e1', { ...proc, args: ['sh', '-c', 'echo hi; exit 7'] }, { tty: false, stdin: false });
      assert.ok(p.pid > 0);
      assert.equal((await p.wait()).code, 7);
      const logPath = (p as { logPath?: string }).logPath;
      if (logPath) assert.match(await readFile(logPath, 'utf8'), /stdout F hi\n/);
      const q = await task.exec('e2', { ...proc, args: ['true'] }, { tty: false, stdin: false });
      assert.equal((await q.wait()).code, 0);
      await assert.rejects(task.exec('e3', { ...proc, args: ['/no/such'] }, { tty: false, stdin: false }), (err: unknown) => (err as { exitCode?: number }).exitCode === 127);
      await task.kill('SIGKILL');
      await task.wait();
      await assert.rejects(task.exec('e4', { ...proc, args: ['true'] }, { tty: false, stdin: false }), { kind: 'Conflict' });
      await task.delete();
    });

    it('stats report memory and pids of a running task', { timeout: 2 * MINUTE }, async () => {
      const { task } = await make(['sleep', '1000']);
      await task.start();
      const s = await task.stats();
      assert.ok(s.memoryUsageBytes > 0, `memory ${s.memoryUsageBytes}`);
      assert.ok(s.memoryLimitBytes > 0);
      assert.ok(s.pids >= 1, `pids ${s.pids}`);
      assert.ok(s.cpuUsageNanos > 0n);
      await task.kill('SIGKILL');
      await task.wait();
      await task.delete();
    });

    it('delete refuses a running task, and afterwards nothing remains', { timeout: 2 * MINUTE }, async () => {
      const { task } = await make(['sleep', '1000']);
      await task.start();
      const pid = task.pid;
      assert.ok(pid > 0);
      await assert.rejects(task.delete(), { kind: 'Conflict' });
      await task.delete({ force: true });
      assert.ok(!(await rt.runtime.list()).includes(task.id));
      await assert.rejects(rt.runtime.load(task.id), { kind: 'NotFound' });
      await assert.rejects(stat(`/proc/${pid}`), { code: 'ENOENT' });
      const mounts = await readFile('/proc/self/mountinfo', 'utf8');
      assert.ok(!mounts.includes(task.id), 'no mount of the task remains');
      if (options.leaks) assert.deepEqual(await options.leaks(task.id), []);
    });

    it('a new Runtime object re-adopts a running task; wait still works', { timeout: 2 * MINUTE }, async () => {
      if (!rt.reopen) return;
      const { task } = await make(['sleep', '1000']);
      await task.start();
      const again = await rt.reopen();
      assert.ok((await again.list()).includes(task.id));
      const loaded = await again.load(task.id);
      assert.equal(loaded.pid, task.pid);
      assert.equal(await loaded.status(), 'running');
      const waiting = loaded.wait();
      await loaded.kill('SIGKILL');
      assert.equal((await waiting).code, 137);
      // An exit that happened while nobody watched is read from what the supervisor recorded.
      const third = await rt.reopen();
      assert.equal((await (await third.load(task.id)).wait()).code, 137);
      await loaded.delete();
      await assert.rejects(again.load(task.id), { kind: 'NotFound' });
    });

    it('create of an existing id is a Conflict', { timeout: 2 * MINUTE }, async () => {
      const { task } = await make(['true']);
      await assert.rejects(rt.runtime.create(task.id, spec(['true'])), { kind: 'Conflict' });
      await task.delete({ force: true });
    });
  });
}
