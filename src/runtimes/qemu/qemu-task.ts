import { readFile, rm } from 'node:fs/promises';
import { constants as os } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { conflict, internal, notImplemented, unavailable } from '../../core/errors.ts';
import type { OciProcess, OciResources } from '../../core/oci-runtime-spec.ts';
import type { ExecProcess, Exit, Task, TaskCheckpoint, TaskStats, TaskStatus, VmDetails } from '../../core/runtime.ts';
import { writeFileAtomic } from '../../util/atomic-file.ts';
import type { Exec } from '../../util/exec.ts';
import type { Logger } from '../../util/logger.ts';
import { ProcessStartError } from '../oci/process-start-error.ts';
import { signalNumber } from '../oci/oci-task.ts';
import { MAX_PAYLOAD, Msg, decodeRecords, recordNumber, recordValue, type Frame, type Records } from './agent-protocol.ts';
import type { AgentConnection } from './agent-connection.ts';
import { K8sLogWriter } from './k8s-log-writer.ts';
import type { QmpClient } from './qmp-client.ts';
import { startRecords } from './guest-spec.ts';
import { removeVmCgroups } from './vm-cgroup.ts';
import { CHECKPOINT_SHAPE, CHECKPOINT_STATE, type VmCheckpointShape } from './vm-checkpoint.ts';
import { saveVmState } from './vm-state-stream.ts';

/** What a VM task keeps on disk (`task.json`), enough for a new daemon to re-adopt it. */
export interface VmTaskState {
  id: string;
  accel: 'kvm' | 'tcg';
  kernelRelease: string;
  memoryMiB: number;
  cpus: number;
  /** QEMU's pid. */
  pid: number;
  tty: boolean;
  stdin: boolean;
  logPath: string;
  /** Rotate the log at this size (bytes; 0 or absent: never). */
  logMaxSize?: number;
  process: OciProcess;
  consoleSize?: { rows: number; cols: number };
  started: boolean;
  netnsPath?: string;
  /** QEMU's cgroup directories (removed at delete). */
  cgroups?: string[];
  /** How the guest came up: booted, restored from a template, or continued from a memory checkpoint. */
  boot?: 'cold' | 'template' | 'checkpoint';
  /** Guest RAM is QEMU's memory-backend object `ram` (a VM from a template, and one continued from its checkpoint), not the machine's own. */
  ramObject?: boolean;
  /** Namespace interfaces handed to the guest through taps (undone at delete). */
  nics: { name: string; tap: string }[];
}

/** Paths of one VM task. */
export interface VmTaskPaths {
  dir: string;
  state: string;
  exit: string;
  agentSocket: string;
  /** Where a VM's state is streamed to and from QEMU (templates, memory checkpoints). */
  migSocket: string;
  qmpSocket: string;
  consoleLog: string;
  pidFile: string;
  rootDisk: string;
}

/** Everything a QemuTask needs from its runtime. */
export interface VmTaskContext {
  exec: Exec;
  logger: Logger;
  /** How long a SIGKILL may take inside the guest before QEMU itself is killed. */
  killGraceMs: number;
}

interface Channel {
  log: K8sLogWriter;
  tty: boolean;
  stdin: boolean;
  started: PromiseWithResolvers<number>;
  exit: PromiseWithResolvers<Exit>;
  exited: boolean;
}

const WORKLOAD = 1;

/** The host cost of QEMU's CPU time, from /proc/<pid>/stat (utime + stime, in clock ticks of 1/100 s). */
async function processCpuNanos(pid: number): Promise<bigint> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = BigInt(fields[11] ?? 0) + BigInt(fields[12] ?? 0);
  return ticks * 10_000_000n;
}

/** How long a guest whose workload exited gets to sync, unmount and power off before QEMU is killed. */
const POWER_OFF_GRACE_MS = 10_000;

/** True while `pid` is this VM's QEMU (not a recycled pid). */
export async function isQemuOf(pid: number, id: string): Promise<boolean> {
  if (pid <= 0) return false;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.includes(`janus-${id.slice(0, 12)}`);
}

/**
 * One microVM running one workload. QEMU (daemonized, so it outlives the
 * daemon) supervises the guest; the guest agent runs the workload and its
 * execs and reports their output and exits over the agent connection,
 * which this object turns into the same log files, exits and streams as a
 * container's. The workload's exit is written to `exit.json` before the
 * agent is told it was recorded; only then does the guest power off.
 */
export class QemuTask implements Task {
  readonly id: string;
  readonly #ctx: VmTaskContext;
  readonly #paths: VmTaskPaths;
  readonly #state: VmTaskState;
  readonly #conn: AgentConnection | undefined;
  readonly #qmp: QmpClient | undefined;
  readonly #channels = new Map<number, Channel>();
  readonly #statsWaiters: PromiseWithResolvers<Records>[] = [];
  readonly #configErrors: PromiseWithResolvers<Records>[] = [];
  readonly #workloadExit = Promise.withResolvers<Exit>();
  #exit: Exit | undefined;
  #qemuGone = false;
  #nextChannel = 2;
  #continued = false;
  #killTimer: NodeJS.Timeout | undefined;

  constructor(o: { ctx: VmTaskContext; paths: VmTaskPaths; state: VmTaskState; conn?: AgentConnection; qmp?: QmpClient; exit?: Exit }) {
    this.id = o.state.id;
    this.#ctx = o.ctx;
    this.#paths = o.paths;
    this.#state = o.state;
    this.#conn = o.conn;
    this.#qmp = o.qmp;
    this.#channels.set(WORKLOAD, this.#newChannel(o.state.logPath, o.state.tty, o.state.stdin, o.state.logMaxSize));
    if (o.exit) this.#recorded(o.exit);
    o.conn?.onFrame((f) => this.#onFrame(f));
    const gone = (): void => void this.#onQemuGone();
    if (o.qmp) void o.qmp.closed.then(gone);
    else if (!o.exit) void this.#onQemuGone();
    void o.conn?.closed.then(() => {
      // The agent's socket closes only with QEMU (the daemon never closes it while the task lives).
      if (!o.qmp) gone();
    });
  }

  get pid(): number {
    return this.#state.pid;
  }

  get vm(): VmDetails {
    return { accelerator: this.#state.accel, kernel: this.#state.kernelRelease, memoryMiB: this.#state.memoryMiB, cpus: this.#state.cpus, boot: this.#state.boot ?? 'cold' };
  }

  #newChannel(logPath: string, tty: boolean, stdin: boolean, maxSize?: number): Channel {
    const started = Promise.withResolvers<number>();
    // Nobody may be waiting for the start when the VM dies: the rejection must not be unhandled.
    started.promise.catch(() => {});
    return { log: new K8sLogWriter(logPath, { maxSize }), tty, stdin, started, exit: Promise.withResolvers<Exit>(), exited: false };
  }

  /** Applies CONFIG and waits until the agent has processed it. */
  async configure(records: Records): Promise<void> {
    await this.#request(Msg.CONFIG, records, 'configuring the VM');
  }

  /** Sends an agent-wide request and waits until the agent has processed it: a STATS round trip after it proves it succeeded. */
  async #request(type: number, records: Records, what: string): Promise<void> {
    const conn = this.#requireConn();
    const failed = Promise.withResolvers<Records>();
    this.#configErrors.push(failed);
    conn.sendRecords(type, 0, records);
    let outcome: Records | undefined;
    try {
      // QUIESCE may wait up to 10 s for the workload to freeze: the answer gets longer than that.
      outcome = await Promise.race([this.#agentStats(30_000).then(() => undefined), failed.promise]);
    } finally {
      this.#configErrors.splice(this.#configErrors.indexOf(failed), 1);
    }
    if (outcome) {
      const message = `${what} failed: ${recordValue(outcome, 'message') ?? 'the agent reported an error'}`;
      throw recordValue(outcome, 'kind') === 'busy' ? conflict(message) : internal(message);
    }
  }

  /**
   * Memory checkpoints. QEMU will not save a VM while a 9p share is
   * mounted in it, so `prepare` has the agent freeze the workload and let
   * go of its shares (Conflict naming the mount when one is in use);
   * `save` streams the stopped VM's whole state (RAM included) into the
   * directory beside a record of the machine's shape; `finish` has the
   * agent mount the shares again and thaw the workload. A VM created with
   * `restoreFrom` that directory continues from that moment.
   */
  readonly checkpoint: TaskCheckpoint = {
    prepare: async () => {
      if ((await this.status()) !== 'running') throw conflict(`container ${this.id} is not running: a memory snapshot needs a running VM`);
      await this.#request(Msg.QUIESCE, [], 'letting go of the guest\'s 9p shares for a memory snapshot');
    },
    save: async (dir: string) => {
      const shape: VmCheckpointShape = {
        format: 1, accel: this.#state.accel, cpus: this.#state.cpus, memoryMiB: this.#state.memoryMiB,
        kernelRelease: this.#state.kernelRelease, ramObject: !!this.#state.ramObject, nics: this.#state.nics.length,
      };
      await saveVmState(this.#requireQmp(), join(dir, CHECKPOINT_STATE), this.#paths.migSocket, { ignoreShared: false });
      await writeFileAtomic(join(dir, CHECKPOINT_SHAPE), JSON.stringify(shape));
    },
    finish: async () => {
      await this.#request(Msg.THAW, [], 'mounting the guest\'s 9p shares again after a memory snapshot');
    },
  };

  async start(): Promise<void> {
    if (this.#state.boot === 'checkpoint' && !this.#continued) {
      // Continued from a checkpoint: its workload runs already.
      this.#continued = true;
      return;
    }
    if (this.#state.started) throw conflict(`VM ${this.id} was already started`);
    const conn = this.#requireConn();
    const ch = this.#channels.get(WORKLOAD)!;
    const process = { ...this.#state.process, ...(this.#state.consoleSize ? { consoleSize: { height: this.#state.consoleSize.rows, width: this.#state.consoleSize.cols } } : {}) };
    conn.sendRecords(Msg.START, WORKLOAD, startRecords(process, { init: true, tty: this.#state.tty, stdin: this.#state.stdin }));
    await Promise.race([ch.started.promise, ch.exit.promise.then(() => undefined)]);
    this.#state.started = true;
    await writeFileAtomic(this.#paths.state, JSON.stringify(this.#state));
  }

  async status(): Promise<TaskStatus> {
    if (this.#exit || this.#qemuGone) return 'stopped';
    if (!this.#state.started) return 'created';
    try {
      const s = await this.#qmp?.execute<{ status: string }>('query-status');
      // postmigrate: stopped after its state was saved (a memory checkpoint), until `cont`.
      return s?.status === 'paused' || s?.status === 'postmigrate' ? 'paused' : 'running';
    } catch {
      return this.#exit ? 'stopped' : 'running';
    }
  }

  async kill(signal: string, options: { all?: boolean } = {}): Promise<void> {
    if (this.#exit || this.#qemuGone || !this.#state.started) throw conflict(`container ${this.id} is not running`);
    const n = signalNumber(signal);
    if ((await this.status()) === 'paused' && n === os.signals.SIGKILL) {
      // A paused guest cannot act on a signal; SIGKILL ends the VM itself.
      await this.#killQemu();
      return;
    }
    this.#requireConn().sendRecords(Msg.SIGNAL, WORKLOAD, [['signal', String(n)], ...(options.all ? [['all', '1'] as [string, string]] : [])]);
    if (n === os.signals.SIGKILL && !this.#killTimer) {
      // A guest too sick to act on SIGKILL (hung kernel) still has to stop: end QEMU.
      this.#killTimer = setTimeout(() => void this.#killQemu(), this.#ctx.killGraceMs);
      this.#killTimer.unref();
    }
  }

  wait(): Promise<Exit> {
    return this.#workloadExit.promise;
  }

  async exec(id: string, process: OciProcess, io: { tty: boolean; stdin: boolean }): Promise<ExecProcess> {
    return this.startChannel(id, process, { ...io, logPath: join(this.#paths.dir, `exec-${id}.log`) });
  }

  /**
   * Starts a process on a new agent channel: an exec of the first workload
   * (default), an exec of the rooted workload on channel `workload`, or
   * (`root`) another workload of a stack VM, in its own mount and PID
   * namespaces rooted at that directory of the first workload's root. Its
   * output goes to `logPath`; its exit is acknowledged without ending the VM.
   */
  async startChannel(id: string, process: OciProcess, io: { tty: boolean; stdin: boolean; logPath: string; logMaxSize?: number; root?: string; hostname?: string; workload?: number }): Promise<VmChannelProcess> {
    if ((await this.status()) !== 'running') throw conflict(`container ${this.id} is not running`);
    const conn = this.#requireConn();
    const channel = this.#nextChannel++;
    const ch = this.#newChannel(io.logPath, io.tty, io.stdin, io.logMaxSize);
    this.#channels.set(channel, ch);
    conn.sendRecords(Msg.START, channel, startRecords(process, { init: !!io.root, tty: io.tty, stdin: io.stdin, ...(io.root ? { root: io.root } : {}), ...(io.hostname ? { hostname: io.hostname } : {}), ...(io.workload ? { workload: io.workload } : {}) }));
    let pid: number;
    try {
      pid = await ch.started.promise;
    } catch (err) {
      this.#channels.delete(channel);
      throw err;
    }
    return new QemuExecProcess({ id, pid, channel, logPath: io.logPath, task: this, ch });
  }

  async pause(): Promise<void> {
    const status = await this.status();
    if (status !== 'running') throw conflict(`container ${this.id} is not running (${status}): cannot pause`);
    await this.#requireQmp().execute('stop');
  }

  async resume(): Promise<void> {
    const status = await this.status();
    if (status !== 'paused') throw conflict(`container ${this.id} is not paused (${status})`);
    await this.#requireQmp().execute('cont');
  }

  async openStdin(): Promise<Writable> {
    return this.stdinOf(WORKLOAD);
  }

  /** A writable for the stdin of `channel`'s process; ending it sends EOF, destroying it only detaches. */
  async stdinOf(channel: number): Promise<Writable> {
    const ch = this.#channels.get(channel);
    if (!ch || ch.exited || this.#qemuGone) throw conflict(`container ${this.id} is not running`);
    if (!ch.stdin) throw conflict(`container ${this.id} was created without stdin`);
    const conn = this.#requireConn();
    return new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (let i = 0; i < chunk.length; i += MAX_PAYLOAD) conn.send(Msg.STDIN, channel, chunk.subarray(i, i + MAX_PAYLOAD));
        cb();
      },
      final(cb) {
        conn.send(Msg.STDIN, channel);
        cb();
      },
    });
  }

  async update(_resources: OciResources): Promise<void> {
    throw notImplemented(`container ${this.id} runs in a VM, whose memory and CPUs are fixed while it runs: recreate it with new limits`);
  }

  async resize(size: { rows: number; cols: number }): Promise<void> {
    return this.resizeChannel(WORKLOAD, size);
  }

  /** Resizes the terminal of `channel`'s process. */
  async resizeChannel(channel: number, size: { rows: number; cols: number }): Promise<void> {
    const ch = this.#channels.get(channel);
    if (!ch?.tty) throw conflict(`container ${this.id}: the process has no terminal`);
    if (channel === WORKLOAD) this.#state.consoleSize = size;
    if (!this.#state.started && channel === WORKLOAD) return;
    this.#requireConn().sendRecords(Msg.RESIZE, channel, [['rows', String(size.rows)], ['cols', String(size.cols)]]);
  }

  /** Signals `channel`'s process (`all`: for a workload, every process in it). */
  signalChannel(channel: number, signal: string, all = false): void {
    this.#requireConn().sendRecords(Msg.SIGNAL, channel, [['signal', String(signalNumber(signal))], ...(all ? [['all', '1'] as [string, string]] : [])]);
  }

  async stats(): Promise<TaskStats> {
    if ((await this.status()) === 'stopped') throw conflict(`container ${this.id} is not running`);
    const [guest, cpu] = await Promise.all([this.#agentStats(), processCpuNanos(this.#state.pid)]);
    return {
      cpuUsageNanos: cpu,
      memoryUsageBytes: recordNumber(guest, 'mem_used', 0),
      memoryLimitBytes: recordNumber(guest, 'mem_total', this.#state.memoryMiB * 1024 * 1024),
      pids: recordNumber(guest, 'pids', 0),
      readAt: new Date(),
    };
  }

  async #agentStats(timeoutMs = 10_000): Promise<Records> {
    const conn = this.#requireConn();
    const w = Promise.withResolvers<Records>();
    this.#statsWaiters.push(w);
    conn.send(Msg.STATS, 0);
    const t = setTimeout(() => {
      // A waiter left behind would take the next answer, and every later one would be one answer late.
      this.#statsWaiters.splice(this.#statsWaiters.indexOf(w), 1);
      w.reject(unavailable(`the agent of VM ${this.id} did not answer`));
    }, timeoutMs);
    try {
      return await w.promise;
    } finally {
      clearTimeout(t);
    }
  }

  async delete(options: { force?: boolean } = {}): Promise<void> {
    if (!options.force) {
      const status = await this.status();
      if (status === 'running' || status === 'paused') throw conflict(`container ${this.id} is ${status}: stop it first or force the removal`);
    }
    // After an acknowledged exit the guest syncs and unmounts its disk, then powers off: killing QEMU
    // meanwhile would lose the guest's last writes from a disk that outlives the task. Bounded: a stuck guest is killed.
    if (this.#exit && !this.#qemuGone) {
      for (let i = 0; i < POWER_OFF_GRACE_MS / 20 && (await isQemuOf(this.#state.pid, this.id)); i++) await new Promise((r) => setTimeout(r, 20));
    }
    await this.#killQemu();
    this.#conn?.close();
    this.#qmp?.close();
    for (const ch of this.#channels.values()) await ch.log.close();
    await removeVmTask(this.#ctx, this.#paths, this.#state);
  }

  #requireConn(): AgentConnection {
    if (!this.#conn || this.#qemuGone) throw conflict(`container ${this.id} is not running`);
    return this.#conn;
  }

  #requireQmp(): QmpClient {
    if (!this.#qmp || this.#qemuGone) throw conflict(`container ${this.id} is not running`);
    return this.#qmp;
  }

  async #killQemu(): Promise<void> {
    if (await isQemuOf(this.#state.pid, this.id)) {
      try {
        process.kill(this.#state.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      for (let i = 0; i < 100 && (await isQemuOf(this.#state.pid, this.id)); i++) await new Promise((r) => setTimeout(r, 20));
    }
    await this.#onQemuGone();
  }

  #onFrame(f: Frame): void {
    try {
      this.#dispatch(f);
    } catch (err) {
      this.#ctx.logger.warn('bad message from a guest agent', { id: this.id, type: f.type, error: err });
    }
  }

  #dispatch(f: Frame): void {
    if (f.channel === 0) {
      if (f.type === Msg.STATS) this.#statsWaiters.shift()?.resolve(decodeRecords(f.payload));
      else if (f.type === Msg.ERROR) {
        const recs = decodeRecords(f.payload);
        const waiter = this.#configErrors[0];
        if (waiter) waiter.resolve(recs);
        else this.#ctx.logger.warn('guest agent error', { id: this.id, message: recordValue(recs, 'message') });
      } else if (f.type === Msg.LOG) {
        const recs = decodeRecords(f.payload);
        this.#ctx.logger.info('guest agent', { id: this.id, level: recordValue(recs, 'level'), message: recordValue(recs, 'message') });
      }
      return;
    }
    const ch = this.#channels.get(f.channel);
    if (!ch) {
      // An exit we already recorded before a daemon restart, repeated by the agent: acknowledge it again.
      if (f.type === Msg.EXIT) this.#conn?.send(Msg.ACK, f.channel);
      return;
    }
    switch (f.type) {
      case Msg.STDOUT:
        ch.log.write('stdout', f.payload);
        break;
      case Msg.STDERR:
        ch.log.write(ch.tty ? 'stdout' : 'stderr', f.payload);
        break;
      case Msg.STARTED:
        ch.started.resolve(recordNumber(decodeRecords(f.payload), 'pid', 0));
        break;
      case Msg.ERROR: {
        const recs = decodeRecords(f.payload);
        const kind = recordValue(recs, 'kind');
        const message = recordValue(recs, 'message') ?? 'the process could not be started';
        const code = kind === 'notfound' ? 127 : kind === 'permission' ? 126 : undefined;
        ch.started.reject(code ? new ProcessStartError(code, message) : internal(message));
        break;
      }
      case Msg.EXIT: {
        const recs = decodeRecords(f.payload);
        const sig = recordNumber(recs, 'signal', 0);
        const name = sig ? Object.entries(os.signals).find(([, v]) => v === sig)?.[0] : undefined;
        const exit: Exit = { code: recordNumber(recs, 'code', 0), exitedAt: new Date(), oomKilled: recordValue(recs, 'oom') === '1', ...(name ? { signal: name } : {}) };
        void this.#onExit(f.channel, ch, exit);
        break;
      }
      default:
        break;
    }
  }

  async #onExit(channel: number, ch: Channel, exit: Exit): Promise<void> {
    if (ch.exited) return;
    ch.exited = true;
    await ch.log.flush().catch(() => {});
    if (channel === WORKLOAD) {
      // Durable before acknowledged: after the ACK the guest powers off, and only this file remembers the exit.
      await writeFileAtomic(this.#paths.exit, JSON.stringify({ ...exit, exitedAt: exit.exitedAt.toISOString() })).catch((err: unknown) => {
        this.#ctx.logger.error('cannot record a VM exit', { id: this.id, error: err });
      });
      this.#recorded(exit);
    }
    ch.started.resolve(0);
    ch.exit.resolve(exit);
    this.#conn?.send(Msg.ACK, channel);
  }

  #recorded(exit: Exit): void {
    this.#exit ??= exit;
    clearTimeout(this.#killTimer);
    const ch = this.#channels.get(WORKLOAD);
    if (ch) {
      ch.exited = true;
      ch.exit.resolve(exit);
      ch.started.resolve(0);
    }
    this.#workloadExit.resolve(this.#exit);
  }

  async #onQemuGone(): Promise<void> {
    if (this.#qemuGone) return;
    this.#qemuGone = true;
    clearTimeout(this.#killTimer);
    const exit: Exit = { code: 137, signal: 'SIGKILL', exitedAt: new Date(), oomKilled: false };
    for (const [n, ch] of this.#channels) {
      if (ch.exited) continue;
      ch.exited = true;
      await ch.log.flush().catch(() => {});
      ch.started.reject(internal(`VM ${this.id} ended before the process started${await this.#consoleTail()}`));
      ch.exit.resolve(exit);
      if (n === WORKLOAD && this.#state.started) {
        this.#ctx.logger.warn('a VM ended without its workload exiting', { id: this.id, console: await this.#consoleTail() });
        await writeFileAtomic(this.#paths.exit, JSON.stringify({ ...exit, exitedAt: exit.exitedAt.toISOString() })).catch(() => {});
      }
    }
    for (const w of this.#statsWaiters.splice(0)) w.reject(conflict(`container ${this.id} is not running`));
    this.#recorded(this.#exit ?? exit);
  }

  async #consoleTail(): Promise<string> {
    const text = await readFile(this.#paths.consoleLog, 'utf8').catch(() => '');
    const lines = text.trim().split('\n').filter(Boolean).slice(-5);
    return lines.length ? ` (console: ${lines.join(' | ')})` : '';
  }
}

/** A process on its own agent channel: an exec, or a further workload of a stack VM. */
export interface VmChannelProcess extends ExecProcess {
  /** The agent channel (execs of a workload name it). */
  readonly channel: number;
  /** Signals the process (`all`: for a workload, every process in its PID namespace). */
  kill(signal: string, options?: { all?: boolean }): Promise<void>;
}

/** An exec'd process inside a VM, on its own agent channel. */
class QemuExecProcess implements VmChannelProcess {
  readonly id: string;
  readonly pid: number;
  readonly logPath: string;
  readonly channel: number;
  readonly #channel: number;
  readonly #task: QemuTask;
  readonly #ch: Channel;

  constructor(o: { id: string; pid: number; channel: number; logPath: string; task: QemuTask; ch: Channel }) {
    this.id = o.id;
    this.pid = o.pid;
    this.logPath = o.logPath;
    this.channel = o.channel;
    this.#channel = o.channel;
    this.#task = o.task;
    this.#ch = o.ch;
  }

  wait(): Promise<Exit> {
    return this.#ch.exit.promise;
  }

  async kill(signal: string, options: { all?: boolean } = {}): Promise<void> {
    if (this.#ch.exited) throw conflict(`exec ${this.id} in container ${this.#task.id} is not running`);
    this.#task.signalChannel(this.#channel, signal, options.all);
  }

  resize(size: { rows: number; cols: number }): Promise<void> {
    return this.#task.resizeChannel(this.#channel, size);
  }

  openStdin(): Promise<Writable> {
    return this.#task.stdinOf(this.#channel);
  }

  async delete(): Promise<void> {
    if (!this.#ch.exited) throw conflict(`exec ${this.id} in container ${this.#task.id} is still running`);
    await this.#ch.log.close();
    await rm(this.logPath, { force: true });
  }
}

/**
 * Removes every trace of a VM task on the host: the taps and redirect
 * rules in its network namespace (when the namespace still exists), its
 * sockets and its directory (the qcow2 disk with it). Safe to repeat.
 */
export async function removeVmTask(ctx: VmTaskContext, paths: VmTaskPaths, state: VmTaskState | undefined): Promise<void> {
  if (state?.netnsPath) {
    for (const nic of state.nics) {
      const inNs = (argv: string[]) => ctx.exec.run('nsenter', [`--net=${state.netnsPath}`, '--', ...argv], { check: false }).catch(() => undefined);
      await inNs(['tc', 'qdisc', 'del', 'dev', nic.name, 'ingress']);
      await inNs(['ip', 'link', 'del', nic.tap]);
    }
  }
  await removeVmCgroups(state?.cgroups ?? []);
  await rm(paths.agentSocket, { force: true });
  await rm(paths.qmpSocket, { force: true });
  await rm(paths.dir, { recursive: true, force: true });
}
