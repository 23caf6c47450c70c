import { randomBytes } from 'node:crypto';
import { constants as osConstants } from 'node:os';
import { access, mkdir, readFile, readdir, readlink, rm, open } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import type { Writable } from 'node:stream';
import { join } from 'node:path';
import type { Exit, ExecProcess, Task, TaskCheckpoint, TaskStats, TaskStatus } from '../../core/runtime.ts';
import type { OciProcess, OciResources } from '../../core/oci-runtime-spec.ts';
import { conflict, internal, invalidArgument, notImplemented, unavailable } from '../../core/errors.ts';
import type { Exec } from '../../util/exec.ts';
import type { Logger } from '../../util/logger.ts';
import { writeFileAtomic } from '../../util/atomic-file.ts';
import { buildConmonArgs, launchConmon, type Spawn, type SyncPipeReader } from './conmon.ts';
import { oomKilled, readCgroupStats, type CgroupPaths } from './cgroup-stats.ts';
import { readExitFile, waitExitFile } from './exit-file.ts';
import { unmountAll } from './rootfs-mount.ts';
import { ProcessStartError, runtimeErrorText, startFailureCode } from './process-start-error.ts';
import { cgroupPathsOf } from './cgroup-stats.ts';
import { criuRefusal, type CriuProbe } from './criu-probe.ts';
import { buildCheckpointArgs } from './checkpoint-args.ts';

/** What every task of one OciRuntime shares: the host tools and directories. */
export interface OciTaskContext {
  name: string;
  binary: string;
  conmon: string;
  stateDir: string;
  /** The runtime's own state root (`--root`). */
  runtimeRoot: string;
  /** conmon's attach socket symlinks. */
  socketDir: string;
  /** Extra global runtime flags (e.g. runsc's `--platform=`). */
  runtimeArgs: string[];
  exec: Exec;
  spawn: Spawn;
  logger: Logger;
  /** Poll period of exit watching, ms. */
  pollMs: number;
  /** Connects to conmon's attach socket (SOCK_SEQPACKET, which Node cannot open itself) and returns the process's stdin. */
  attach: AttachStdin;
  /** Whether CRIU can checkpoint here (runc and crun need it; runsc has its own). Probed once, on the first memory snapshot. */
  criu: () => Promise<CriuProbe>;
}

/** Opens the stdin of the process behind conmon's attach socket at `socketPath`; ending the stream closes that stdin. */
export type AttachStdin = (socketPath: string) => Promise<Writable>;

/** The task's record in `<stateDir>/<id>/task.json`: everything `load` needs after a daemon restart. */
export interface OciTaskState {
  id: string;
  cuuid: string;
  pid: number;
  conmonPid: number;
  mountCount: number;
  logPath: string;
  createdAt: string;
  cgroup?: CgroupPaths;
  /** conmon keeps the container's stdin open for attach. */
  stdin?: boolean;
  /** How conmon was started, so a task continued from a checkpoint gets the same stdio. Absent in tasks of older daemons. */
  io?: { terminal: boolean; stdin: boolean; leaveStdinOpen: boolean; logSizeMax?: number };
  /** Created from a checkpoint and not started yet: `start` has conmon restore the processes saved in this directory. */
  restoreFrom?: string;
  /** Where the current conmon writes the exit status, when not `exits` (a sandbox continued after a checkpoint has a new conmon, and the old one's exit is none). */
  exitDir?: string;
  /** It joins a network namespace made for it (`OciRuntimeOptions.networkRuntimeArgs` apply). */
  joinsNetwork?: boolean;
}

/** The directory the current conmon of `state` writes its exit file into. */
export function exitDirOf(stateDir: string, state: OciTaskState): string {
  return state.exitDir ?? taskPaths(stateDir, state.id).exits;
}

/** Paths of one task's files, all under `<stateDir>/<id>/`. */
export function taskPaths(stateDir: string, id: string) {
  const dir = join(stateDir, id);
  return {
    dir,
    state: join(dir, 'task.json'),
    bundle: join(dir, 'bundle'),
    rootfs: join(dir, 'bundle', 'rootfs'),
    config: join(dir, 'bundle', 'config.json'),
    ctl: join(dir, 'bundle', 'ctl'),
    containerPid: join(dir, 'container.pid'),
    conmonPid: join(dir, 'conmon.pid'),
    exits: join(dir, 'exits'),
    execs: join(dir, 'exec'),
  };
}

/** Signal name or number → number; InvalidArgument for anything else. */
export function signalNumber(signal: string): number {
  const s = signal.trim().toUpperCase();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n >= 1 && n <= 64) return n;
  }
  const name = s.startsWith('SIG') ? s : `SIG${s}`;
  const n = (osConstants.signals as Record<string, number>)[name];
  if (n === undefined) throw invalidArgument(`invalid signal: ${signal}`);
  return n;
}

/** Docker's Exit from conmon's status (128+N after signal N; -1 when conmon could not tell). */
export function exitFromStatus(status: number | undefined, oom: boolean): Exit {
  if (status === undefined || status < 0) return { code: 255, exitedAt: new Date(), oomKilled: oom };
  const exit: Exit = { code: status, exitedAt: new Date(), oomKilled: oom };
  // conmon folds "killed by N" into 128+N, the same number a program can exit with: the name is the likely cause.
  if (status > 128 && status <= 128 + 64) {
    const name = Object.entries(osConstants.signals).find(([, n]) => n === status - 128)?.[0];
    if (name) exit.signal = name;
  }
  return exit;
}

/** True when `pid` is alive and is a conmon (not a recycled pid). */
export async function isConmon(pid: number): Promise<boolean> {
  if (!(pid > 0)) return false;
  try {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // A zombie has exited already; its parent just has not reaped it.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return cmd.split('\0')[0].endsWith('conmon') && state !== 'Z';
  } catch {
    return false;
  }
}

/** Runs the OCI runtime's CLI with its state root. */
export async function runRuntime(ctx: OciTaskContext, args: readonly string[], options: { check?: boolean } = {}) {
  return ctx.exec.run(ctx.binary, [...ctx.runtimeArgs, `--root=${ctx.runtimeRoot}`, ...args], { check: options.check });
}

/**
 * Starts the conmon of task `state` (`runtime create`, or with
 * `restorePath` `runtime restore` from that checkpoint) and records the
 * container's and conmon's pids and its cgroup in `state` and its file.
 * Throws ProcessStartError when the process cannot start, else Internal.
 */
export async function superviseTask(ctx: OciTaskContext, state: OciTaskState, options: { restorePath?: string; signal?: AbortSignal } = {}): Promise<void> {
  const paths = taskPaths(ctx.stateDir, state.id);
  const io = state.io ?? { terminal: false, stdin: !!state.stdin, leaveStdinOpen: false };
  const args = buildConmonArgs({
    cid: state.id, cuuid: state.cuuid, runtime: ctx.binary, runtimeArgs: [...ctx.runtimeArgs, `--root=${ctx.runtimeRoot}`],
    bundle: paths.bundle, containerPidFile: paths.containerPid, conmonPidFile: paths.conmonPid, exitDir: exitDirOf(ctx.stateDir, state),
    logPath: state.logPath, logSizeMax: io.logSizeMax, socketDir: ctx.socketDir, persistDir: paths.dir,
    terminal: io.terminal, stdin: io.stdin, leaveStdinOpen: io.leaveStdinOpen,
    ...(options.restorePath ? { restorePath: options.restorePath } : {}),
  });
  const { reader } = launchConmon(ctx.spawn, ctx.conmon, args, { cwd: paths.dir });
  const onAbort = (): void => reader.close();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const msg = await reader.next().finally(() => {
    options.signal?.removeEventListener('abort', onAbort);
    reader.close();
  });
  options.signal?.throwIfAborted();
  const verb = options.restorePath ? 'restore' : 'create';
  if (!msg || msg.data <= 0) {
    const why = runtimeErrorText(msg?.message ?? '') || 'conmon exited without reporting the container pid';
    const code = startFailureCode(why);
    if (code) throw new ProcessStartError(code, `container ${state.id}: ${why}`);
    throw internal(`${ctx.name} ${verb} ${state.id}: ${why}`);
  }
  state.pid = msg.data;
  state.conmonPid = Number((await readFile(paths.conmonPid, 'utf8')).trim());
  state.cgroup = await cgroupPathsOf(state.pid).catch((err: unknown) => {
    ctx.logger.warn('cannot read the container cgroup; stats and OOM reports are unavailable', { id: state.id, error: err });
    return undefined;
  });
  await writeFileAtomic(paths.state, JSON.stringify(state));
  ctx.logger.debug(options.restorePath ? 'restored' : 'created', { id: state.id, pid: state.pid, conmonPid: state.conmonPid });
}

/**
 * A container under conmon, driven through the OCI runtime's CLI. Built by
 * OciRuntime.create or .load; all of its state is on disk, so a new object
 * over the same directory behaves the same.
 */
export class OciTask implements Task {
  readonly id: string;
  readonly #ctx: OciTaskContext;
  readonly #state: OciTaskState;
  readonly #paths: ReturnType<typeof taskPaths>;
  #exit: Promise<Exit> | undefined;
  /** A checkpoint was saved into this directory while the task was paused (see `#continue`). */
  #checkpointedTo: string | undefined;
  /** Set from a runsc checkpoint until a new conmon supervises the continued sandbox: the old one's exit is none. */
  #handover: Promise<void> | undefined;
  #handoverDone: (() => void) | undefined;

  constructor(ctx: OciTaskContext, state: OciTaskState) {
    this.#ctx = ctx;
    this.#state = state;
    this.id = state.id;
    this.#paths = taskPaths(ctx.stateDir, state.id);
  }

  get pid(): number {
    return this.#state.pid;
  }

  /** The container's log (k8s-file format, see parseK8sLogLine). */
  get logPath(): string {
    return this.#state.logPath;
  }

  async start(): Promise<void> {
    if (this.#state.restoreFrom && !(this.#state.pid > 0)) {
      const dir = this.#state.restoreFrom;
      await superviseTask(this.#ctx, this.#state, { restorePath: dir });
      delete this.#state.restoreFrom;
      await writeFileAtomic(this.#paths.state, JSON.stringify(this.#state));
      return;
    }
    // The runtime refuses a task that is not in the created state itself; its
    // state is asked only then, to say why (each runtime call costs 20–30 ms,
    // and this is on the path of every `run`).
    const r = await runRuntime(this.#ctx, ['start', this.id], { check: false });
    if (r.code === 0) return;
    const code = startFailureCode(r.stderr);
    if (code) throw new ProcessStartError(code, `container ${this.id}: ${runtimeErrorText(r.stderr)}`);
    const status = await this.status().catch(() => undefined);
    if (status !== undefined && status !== 'created') throw conflict(`container ${this.id} cannot be started: it is ${status}`);
    throw internal(`${this.#ctx.name} start ${this.id}: ${r.stderr.trim() || `exit status ${r.code}`}`);
  }

  async status(): Promise<TaskStatus> {
    if (this.#state.restoreFrom && !(this.#state.pid > 0)) return 'created';
    const r = await runRuntime(this.#ctx, ['state', this.id], { check: false });
    if (r.code === 0) {
      const s = (JSON.parse(r.stdout) as { status?: string }).status;
      if (s === 'created' || s === 'running' || s === 'paused' || s === 'stopped') return s;
      if (s === 'creating') return 'created';
      throw internal(`${this.#ctx.name} state ${this.id}: unknown status ${s}`);
    }
    // The runtime forgot it (deleted, or its state root was on a tmpfs that a reboot cleared).
    if ((await readExitFile(exitDirOf(this.#ctx.stateDir, this.#state), this.id)) !== undefined) return 'stopped';
    if (!(await isConmon(this.#state.conmonPid))) return 'stopped';
    throw internal(`${this.#ctx.name} state ${this.id}: ${r.stderr.trim() || `exit status ${r.code}`}`);
  }

  async kill(signal: string, options: { all?: boolean } = {}): Promise<void> {
    const n = signalNumber(signal);
    const status = await this.status();
    if (status === 'stopped') throw conflict(`container ${this.id} is not running`);
    const args = ['kill', ...(options.all ? ['--all'] : []), this.id, String(n)];
    const r = await runRuntime(this.#ctx, args, { check: false });
    if (r.code === 0) return;
    if ((await this.status()) === 'stopped') throw conflict(`container ${this.id} is not running`);
    throw internal(`${this.#ctx.name} kill ${this.id}: ${r.stderr.trim() || `exit status ${r.code}`}`);
  }

  wait(): Promise<Exit> {
    this.#exit ??= (async () => {
      let status: number | undefined;
      for (;;) {
        const dir = exitDirOf(this.#ctx.stateDir, this.#state);
        const current = (): boolean => exitDirOf(this.#ctx.stateDir, this.#state) === dir;
        status = await waitExitFile(dir, this.id, {
          supervisorAlive: async () => current() && (this.#handover !== undefined || (await isConmon(this.#state.conmonPid))),
          pollMs: this.#ctx.pollMs,
        });
        // The end of a sandbox gVisor saved is no exit while a new conmon takes over: follow that one.
        const handedOver = this.#handover;
        if (handedOver) await handedOver;
        if (!current()) continue;
        // No new conmon took over: the saved sandbox's end (status 0, as gVisor ends it) is no clean exit.
        if (handedOver) status = undefined;
        break;
      }
      if (status === undefined) {
        this.#ctx.logger.warn('conmon ended without recording an exit status', { id: this.id, conmonPid: this.#state.conmonPid });
      }
      return exitFromStatus(status, await this.#oomKilled());
    })();
    return this.#exit;
  }

  async #oomKilled(): Promise<boolean> {
    // conmon drops an `oom` marker where it ran (cgroup v2 only); the counters cover v1.
    for (const p of [join(this.#paths.dir, 'oom'), join(this.#paths.bundle, 'oom')]) {
      try {
        await readFile(p);
        return true;
      } catch {
        /* absent: no OOM seen by conmon */
      }
    }
    return this.#state.cgroup ? oomKilled(this.#state.cgroup) : false;
  }

  async exec(id: string, process: OciProcess, io: { tty: boolean; stdin: boolean }): Promise<ExecProcess> {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(id)) throw invalidArgument(`invalid exec id: ${id}`);
    const status = await this.status();
    if (status !== 'running') throw conflict(`container ${this.id} is not running (${status}): cannot exec`);
    const dir = join(this.#paths.execs, id);
    await mkdir(this.#paths.execs, { recursive: true });
    try {
      await mkdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw conflict(`exec ${id} already exists in container ${this.id}`);
      throw err;
    }
    await mkdir(join(dir, 'exits'));
    const cuuid = randomBytes(8).toString('hex');
    const spec = join(dir, 'process.json');
    await writeFileAtomic(spec, JSON.stringify({ ...process, terminal: io.tty }));
    const args = buildConmonArgs({
      cid: this.id, cuuid, runtime: this.#ctx.binary,
      runtimeArgs: [...this.#ctx.runtimeArgs, `--root=${this.#ctx.runtimeRoot}`], bundle: dir,
      containerPidFile: join(dir, 'pid'), conmonPidFile: join(dir, 'conmon.pid'), exitDir: join(dir, 'exits'), logPath: join(dir, 'output.log'),
      socketDir: this.#ctx.socketDir, terminal: io.tty, stdin: io.stdin, execProcessSpec: spec,
    });
    const { reader } = launchConmon(this.#ctx.spawn, this.#ctx.conmon, args, { cwd: dir });
    const first = await reader.next();
    if (!first || first.data <= 0) {
      reader.close();
      const message = runtimeErrorText(first?.message ?? '') || 'conmon exited without reporting the exec pid';
      await rm(dir, { recursive: true, force: true });
      const code = startFailureCode(message);
      if (code) throw new ProcessStartError(code, `exec in container ${this.id}: ${message}`);
      throw internal(`exec in container ${this.id}: ${message}`);
    }
    return new OciExecProcess({ id, pid: first.data, dir, taskId: this.id, reader, ctx: this.#ctx, cuuid, stdin: io.stdin });
  }

  async pause(): Promise<void> {
    const status = await this.status();
    if (status !== 'running') throw conflict(`container ${this.id} is not running (${status}): cannot pause`);
    await this.#run('pause');
  }

  async resume(): Promise<void> {
    if (this.#checkpointedTo !== undefined && this.#ctx.name === 'runsc') return this.#continue();
    const status = await this.status();
    // criu may thaw the cgroup it dumped: the container runs already.
    if (this.#checkpointedTo !== undefined && status === 'running') return;
    if (status !== 'paused') throw conflict(`container ${this.id} is not paused (${status})`);
    await this.#run('resume');
  }

  /**
   * Memory checkpoints. runc and crun dump through CRIU (`checkpoint
   * --leave-running`), only where `criu check` passes. runsc saves its
   * sandbox itself, but gVisor (this release) ends a sandbox once it has
   * saved it — a fresh one on `resume` when it was paused, a restored one
   * at once — so `resume` after a runsc checkpoint continues the task from
   * that checkpoint under a new conmon instead (`#continue`): the same
   * processes, of the same moment as the files copied while it was paused.
   * If the daemon dies between `save` and `resume`, the sandbox stays
   * paused, and ends (status 0) when it is unpaused.
   */
  get checkpoint(): TaskCheckpoint {
    return {
      prepare: () => this.#prepareCheckpoint(),
      save: (dir) => this.#saveCheckpoint(dir),
      finish: async () => {
        // resume continues the sandbox; should it not have been called (or have failed early), the sandbox continues here.
        if (this.#checkpointedTo !== undefined && this.#ctx.name === 'runsc') await this.#continue();
        this.#checkpointedTo = undefined;
      },
    };
  }

  async #prepareCheckpoint(): Promise<void> {
    const status = await this.status();
    if (status !== 'running') throw conflict(`container ${this.id} is not running (${status}): a memory snapshot saves running processes`);
    if (this.#ctx.name === 'runsc') {
      if (!this.#state.io) throw unavailable(`container ${this.id} was started by an older Janus, which did not record how its output is supervised: restart it before a snapshot with --memory`);
      // runsc refuses ("checkpoint not supported when using hostinet") and a failed checkpoint ends the sandbox: refused first.
      if (this.#state.joinsNetwork && this.#ctx.runtimeArgs.includes('--network=host')) {
        throw notImplemented(`--memory is not supported for a sandbox on a network: it uses gVisor's host networking, which runsc cannot checkpoint; snapshot it without --memory, or run it with --network none`);
      }
      return;
    }
    const refusal = criuRefusal(await this.#ctx.criu(), this.#ctx.name);
    if (refusal) throw refusal;
  }

  async #saveCheckpoint(dir: string): Promise<void> {
    const status = await this.status();
    if (status !== 'paused') throw conflict(`container ${this.id} is ${status}: its checkpoint is saved while it is paused`);
    const runsc = this.#ctx.name === 'runsc';
    // A sandbox restored from an earlier checkpoint ends as soon as it is saved, paused or not: its conmon records
    // that end before `#continue` runs, so from here the end of this sandbox is no exit.
    if (runsc) {
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#handover = promise;
      this.#handoverDone = resolve;
    }
    const r = await runRuntime(this.#ctx, buildCheckpointArgs(this.#ctx.name, this.id, dir), { check: false }).catch((err: unknown) => {
      // Not even run (the binary could not be spawned): the sandbox's end stays its own exit, or wait() would never end.
      if (runsc) this.#endHandover();
      throw err;
    });
    if (r.code !== 0) {
      // Nothing to continue from: whatever becomes of the sandbox is its own exit.
      if (runsc) this.#endHandover();
      throw internal(`${this.#ctx.name} checkpoint ${this.id}: ${runtimeErrorText(r.stderr) || r.stderr.trim() || `exit status ${r.code}`}`);
    }
    this.#checkpointedTo = dir;
  }

  #endHandover(): void {
    const done = this.#handoverDone;
    this.#handover = undefined;
    this.#handoverDone = undefined;
    done?.();
  }

  /**
   * Replaces the sandbox that gVisor ended by saving it with one restored
   * from that save, under the same id and log, supervised by a new conmon
   * with its own exit directory; the old conmon records the old sandbox's
   * end in the old one, which `wait` then disregards.
   */
  async #continue(): Promise<void> {
    const dir = this.#checkpointedTo!;
    this.#checkpointedTo = undefined;
    try {
      // gVisor ended the saved sandbox's tasks (they run no more code); resumed, it exits by itself. A restored
      // sandbox has exited already and cannot be resumed: its state stays `paused`.
      await runRuntime(this.#ctx, ['resume', this.id], { check: false });
      const old = this.#state.conmonPid;
      for (let i = 0; i < 500 && (await isConmon(old)); i++) await new Promise((r) => setTimeout(r, 10));
      if (await isConmon(old)) {
        this.#ctx.logger.warn('the conmon of a saved sandbox did not end; killing it', { id: this.id, conmonPid: old });
        try {
          process.kill(old, 'SIGKILL');
        } catch {
          /* it ended meanwhile */
        }
      }
      // runsc removes a sandbox it still believes paused but then panics changing its status: whether it is gone is
      // what counts, and the restore below says so.
      await runRuntime(this.#ctx, ['delete', '--force', this.id], { check: false });
      await rm(join(this.#ctx.socketDir, this.#state.cuuid), { force: true });
      await rm(this.#paths.containerPid, { force: true });
      await rm(this.#paths.conmonPid, { force: true });
      const next: OciTaskState = { ...this.#state, cuuid: randomBytes(8).toString('hex') };
      next.exitDir = join(this.#paths.dir, `exits-${next.cuuid}`);
      await mkdir(next.exitDir);
      await superviseTask(this.#ctx, next, { restorePath: dir });
      const previous = exitDirOf(this.#ctx.stateDir, this.#state);
      Object.assign(this.#state, next);
      // The old conmon's record of the saved sandbox's end is no exit: it goes.
      await rm(previous === this.#paths.exits ? join(previous, this.id) : previous, { recursive: true, force: true });
    } catch (err) {
      throw internal(`container ${this.id} could not continue after its checkpoint: ${(err as Error).message}`, err);
    } finally {
      this.#endHandover();
    }
  }

  async #run(command: string): Promise<void> {
    try {
      await runRuntime(this.#ctx, [command, this.id]);
    } catch (err) {
      throw internal(`${this.#ctx.name} ${command} ${this.id}: ${(err as Error).message}`, err);
    }
  }

  async stats(): Promise<TaskStats> {
    const status = await this.status();
    if (status === 'stopped' || status === 'created' && !this.#state.cgroup) throw conflict(`container ${this.id} is not running`);
    if (!this.#state.cgroup) throw internal(`container ${this.id}: its cgroup was not recorded at create`);
    return readCgroupStats(this.#state.cgroup);
  }

  async update(resources: OciResources): Promise<void> {
    const status = await this.status();
    if (status !== 'running' && status !== 'paused') throw conflict(`container ${this.id} is not running`);
    const r = await this.#ctx.exec.run(this.#ctx.binary, [...this.#ctx.runtimeArgs, `--root=${this.#ctx.runtimeRoot}`, 'update', '--resources', '-', this.id], {
      input: JSON.stringify(resources), check: false,
    });
    if (r.code !== 0) throw internal(`${this.#ctx.name} update ${this.id}: ${r.stderr.trim() || `exit status ${r.code}`}`);
  }

  async openStdin(): Promise<Writable> {
    const status = await this.status();
    if (status !== 'running' && status !== 'created' && status !== 'paused') throw conflict(`container ${this.id} is not running`);
    if (!this.#state.stdin) throw conflict(`container ${this.id} was created without stdin`);
    return this.#ctx.attach(join(this.#ctx.socketDir, this.#state.cuuid, 'attach'));
  }

  /** Resizes the container's terminal through conmon's control fifo. */
  async resize(size: { rows: number; cols: number }): Promise<void> {
    await writeCtl(this.#paths.ctl, size, `container ${this.id}`);
  }

  async delete(options: { force?: boolean } = {}): Promise<void> {
    // Forced, the state does not matter: removeTask kills and deletes whatever is there.
    if (!options.force) {
      const status = await this.status();
      if (status === 'running' || status === 'paused') throw conflict(`container ${this.id} is ${status}: stop it first or force the removal`);
    }
    await removeTask(this.#ctx, this.id, this.#state);
  }
}

/**
 * Removes every trace of task `id`: the runtime's state and cgroups
 * (`delete --force`), conmon and exec conmons, the rootfs mounts, the
 * attach symlinks and the state directory. Safe to repeat, and to run on a
 * half-created task.
 */
export async function removeTask(ctx: OciTaskContext, id: string, state: OciTaskState | undefined): Promise<void> {
  const paths = taskPaths(ctx.stateDir, id);
  // create makes the task's directory before anything else and this removes
  // it last: without it there is nothing to remove, and the runtime's
  // `delete` (20–30 ms) is skipped — callers clean up before every start.
  if (!(await access(paths.dir).then(() => true, () => false))) return;
  const r = await runRuntime(ctx, ['delete', '--force', id], { check: false });
  if (r.code !== 0) ctx.logger.debug('runtime delete failed (already gone?)', { id, stderr: r.stderr.trim() });
  const conmons = [state?.conmonPid ?? Number((await readFile(paths.conmonPid, 'utf8').catch(() => '')).trim())];
  for (const e of await readdir(paths.execs).catch(() => [] as string[])) {
    conmons.push(...(await conmonPidsIn(join(paths.execs, e))));
  }
  for (const pid of conmons) {
    if (pid && (await isConmon(pid))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* it ended meanwhile */
      }
    }
  }
  await unmountAll(ctx.exec, paths.rootfs, Math.max(state?.mountCount ?? 1, 1));
  for (const link of await readdir(ctx.socketDir).catch(() => [] as string[])) {
    const target = await readlink(join(ctx.socketDir, link)).catch(() => '');
    if (target === paths.dir || target.startsWith(`${paths.dir}/`)) await rm(join(ctx.socketDir, link), { force: true });
  }
  await rm(paths.dir, { recursive: true, force: true });
}

async function conmonPidsIn(execDir: string): Promise<number[]> {
  const pid = Number((await readFile(join(execDir, 'conmon.pid'), 'utf8').catch(() => '')).trim());
  return pid > 0 ? [pid] : [];
}

async function writeCtl(ctl: string, size: { rows: number; cols: number }, what: string): Promise<void> {
  if (!(Number.isInteger(size.rows) && Number.isInteger(size.cols) && size.rows > 0 && size.cols > 0)) {
    throw invalidArgument(`invalid terminal size ${size.rows}x${size.cols}`);
  }
  let fh;
  try {
    // Non-blocking: with no conmon reading, open fails (ENXIO) instead of hanging.
    fh = await open(ctl, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
  } catch (err) {
    throw conflict(`${what} has no running supervisor to resize`, err);
  }
  try {
    await fh.write(`1 ${size.rows} ${size.cols}\n`);
  } finally {
    await fh.close();
  }
}

/** A process started by `runtime exec` under its own conmon. */
export class OciExecProcess implements ExecProcess {
  readonly id: string;
  readonly pid: number;
  /** The exec'd process's output (k8s-file format). */
  readonly logPath: string;
  readonly #dir: string;
  readonly #taskId: string;
  readonly #ctx: OciTaskContext;
  readonly #exit: Promise<Exit>;
  /** The exit file was read: the process is gone and conmon is finishing. */
  #exited = false;
  readonly #cuuid: string;
  readonly #stdin: boolean;

  constructor(o: { id: string; pid: number; dir: string; taskId: string; reader: SyncPipeReader; ctx: OciTaskContext; cuuid: string; stdin: boolean }) {
    this.id = o.id;
    this.#cuuid = o.cuuid;
    this.#stdin = o.stdin;
    this.pid = o.pid;
    this.#dir = o.dir;
    this.#taskId = o.taskId;
    this.#ctx = o.ctx;
    this.logPath = join(o.dir, 'output.log');
    // conmon writes the exit code to the sync pipe after its exit file: read it so that write does not hit EPIPE.
    void o.reader.next().then(() => o.reader.close());
    this.#exit = (async () => {
      const status = await waitExitFile(join(o.dir, 'exits'), o.taskId, {
        supervisorAlive: async () => (await Promise.all((await conmonPidsIn(o.dir)).map(isConmon))).some(Boolean),
        pollMs: o.ctx.pollMs,
      });
      this.#exited = true;
      return exitFromStatus(status, false);
    })();
  }

  wait(): Promise<Exit> {
    return this.#exit;
  }

  async kill(signal: string): Promise<void> {
    const n = signalNumber(signal);
    try {
      process.kill(this.pid, n);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') throw conflict(`exec ${this.id} in container ${this.#taskId} is not running`);
      throw internal(`kill exec ${this.id}: ${(err as Error).message}`, err);
    }
  }

  async resize(size: { rows: number; cols: number }): Promise<void> {
    await writeCtl(join(this.#dir, 'ctl'), size, `exec ${this.id} in container ${this.#taskId}`);
  }

  async delete(): Promise<void> {
    const alive = async () => (await Promise.all((await conmonPidsIn(this.#dir)).map(isConmon))).some(Boolean);
    // Once the exit is known conmon is only finishing (it writes the exit file, then the sync pipe, then
    // ends): give it a moment rather than refusing a delete that follows wait() at once.
    for (let i = 0; this.#exited && i < 100 && (await alive()); i++) await new Promise((r) => setTimeout(r, 20));
    if (await alive()) throw conflict(`exec ${this.id} in container ${this.#taskId} is still running`);
    await rm(join(this.#ctx.socketDir, this.#cuuid), { force: true });
    await rm(this.#dir, { recursive: true, force: true });
  }

  async openStdin(): Promise<Writable> {
    if (!this.#stdin) throw conflict(`exec ${this.id} in container ${this.#taskId} was started without stdin`);
    return this.#ctx.attach(join(this.#ctx.socketDir, this.#cuuid, 'attach'));
  }
}
