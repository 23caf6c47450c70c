import type { Writable } from 'node:stream';
import type { Mount } from './snapshotter.ts';
import type { OciResources, OciRuntimeSpec, OciProcess } from './oci-runtime-spec.ts';

/** How a workload ended. */
export interface Exit {
  /** Docker's exit code: the process's status, or 128+N when killed by signal N. */
  code: number;
  /** The signal that killed it, when one did (e.g. `SIGKILL`). */
  signal?: string;
  exitedAt: Date;
  /** The memory limit's OOM killer ended it. */
  oomKilled: boolean;
}

/** Where a task's standard streams go. */
export interface TaskIo {
  /** Allocate a pseudo-terminal (stdout and stderr are then one stream). */
  tty: boolean;
  /** Keep stdin open for attach. */
  stdin: boolean;
  /**
   * docker's StdinOnce: without a TTY, the process's stdin closes when the
   * first attached client detaches. Otherwise (a TTY, `-i` without an
   * attached client, `-d -i`, `attach` then detach) stdin stays open across
   * attaches.
   */
  stdinOnce?: boolean;
  /** The container's log file; the supervisor appends every line of output to it. */
  logPath: string;
  /** Log rotation: the file is rotated at this many bytes (0: never). */
  logMaxSize?: number;
  /** Rotated files kept beside the live one. */
  logMaxFiles?: number;
}

/** What a runtime needs to create one workload. */
export interface TaskSpec {
  /** The OCI runtime spec (config.json); `root.path` is filled in by the runtime. */
  oci: OciRuntimeSpec;
  /** The root filesystem, from the snapshotter. */
  rootfs: Mount[];
  io: TaskIo;
}

/** A running or finished exec'd process inside a task. */
export interface ExecProcess {
  readonly id: string;
  readonly pid: number;
  /** Resolves once the process has ended. */
  wait(): Promise<Exit>;
  kill(signal: string): Promise<void>;
  resize(size: { rows: number; cols: number }): Promise<void>;
  /** The process's output, in the same k8s-file format as the task's log. */
  readonly logPath: string;
  /** The process's stdin (see Task.openStdin). Conflict when it was started without stdin. */
  openStdin(): Promise<Writable>;
  /** Removes the process's files (its log included) after it ended. Conflict while it runs. */
  delete(): Promise<void>;
}

/** Live resource use of a task, from its cgroup. */
export interface TaskStats {
  cpuUsageNanos: bigint;
  /** All memory charged to the task, page cache included (v1 `memory.usage_in_bytes`, v2 `memory.current`). */
  memoryUsageBytes: number;
  memoryLimitBytes: number;
  /**
   * The counters of the cgroup's `memory.stat` under the kernel's own names:
   * cgroup v1's (`cache`, `rss`, `total_inactive_file`, …) or v2's (`anon`,
   * `file`, `inactive_file`, …). How much of the usage is page cache the
   * kernel can drop is read from these. Absent (or empty) when the backend
   * has no memory cgroup to read, e.g. a VM.
   */
  memoryStat?: Readonly<Record<string, number>>;
  /** cgroup v1 only: the highest usage seen (`memory.max_usage_in_bytes`). */
  memoryMaxUsageBytes?: number;
  /** cgroup v1 only: how often the limit was hit (`memory.failcnt`). */
  memoryFailcnt?: number;
  pids: number;
  readAt: Date;
}

/** A microVM's machine, as `inspect` shows it. */
export interface VmDetails {
  /** `kvm` or `tcg`. */
  accelerator: string;
  /** The guest kernel's release. */
  kernel: string;
  memoryMiB: number;
  cpus: number;
  /** `cold`: the guest booted; `template`: it was restored from a saved, booted guest. */
  boot: 'cold' | 'template' | 'checkpoint';
}

export type TaskStatus = 'created' | 'running' | 'paused' | 'stopped';

/**
 * One workload under a runtime: a container (runc/crun), a sandbox (runsc)
 * or a microVM (QEMU). Lifecycle: `Runtime.create` → `start` → (`pause` ↔
 * `resume`, `exec`, `kill`) → `wait` resolves → `delete`. A supervisor
 * process (conmon, or QEMU itself) owns the workload, so a Task survives
 * daemon restarts and is re-adopted with `Runtime.load`.
 */
export interface Task {
  readonly id: string;
  /** The workload's init process on the host (or QEMU's pid). */
  readonly pid: number;
  start(): Promise<void>;
  status(): Promise<TaskStatus>;
  /** Signals the init process (`all`: every process of the task). Conflict when not running. */
  kill(signal: string, options?: { all?: boolean }): Promise<void>;
  /** Resolves when the init process has ended, however long that takes; repeat calls get the same Exit. */
  wait(): Promise<Exit>;
  exec(id: string, process: OciProcess, io: { tty: boolean; stdin: boolean }): Promise<ExecProcess>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /**
   * A connection to the init process's stdin (output is read from the log).
   * Ending the stream closes the process's stdin; destroying it only
   * detaches. Several may be open at once. Conflict when the task was
   * created without `io.stdin` or is not running.
   */
  openStdin(): Promise<Writable>;
  /** Changes the resource limits of a live task (memory, cpu, pids). Conflict when not running. */
  update(resources: OciResources): Promise<void>;
  /** Resizes the task's terminal. Conflict without one. */
  resize(size: { rows: number; cols: number }): Promise<void>;
  stats(): Promise<TaskStats>;
  /** What a VM backend tells about the machine (absent for containers): shown by `inspect`. */
  readonly vm?: VmDetails;
  /** Removes every trace on the host (runtime state, supervisor, cgroup). Conflict while running unless `force`. */
  delete(options?: { force?: boolean }): Promise<void>;
  /** Memory checkpoints (`snapshot create --memory`); absent where the backend has none. */
  readonly checkpoint?: TaskCheckpoint;
}

/**
 * How a running task's memory and process state is saved, so that a task
 * created with `restoreFrom` continues where it was. The engine calls
 * `prepare` on the running task, then pauses it, copies its files, calls
 * `save`, resumes it and calls `finish` — so the files and the memory are
 * of one moment. `finish` is called whenever `prepare` succeeded, also
 * when a later step failed.
 */
export interface TaskCheckpoint {
  /** Readies the running task (a VM's guest lets go of its 9p shares); an error saying why when this task or host cannot be checkpointed. */
  prepare(): Promise<void>;
  /** Writes the paused task's state into the empty directory `dir`; the task stays paused. */
  save(dir: string): Promise<void>;
  /** Undoes `prepare` once the task runs again. */
  finish(): Promise<void>;
}

/** A backend that runs tasks at one isolation level. */
export interface Runtime {
  /** `runc`, `crun`, `runsc`, `qemu`. */
  readonly name: string;
  /**
   * Creates (does not start) a task. Conflict when `id` exists.
   * `restoreFrom`: a directory `TaskCheckpoint.save` wrote (of a task with
   * the same spec); `start` then continues the saved processes instead of
   * starting the spec's process afresh.
   */
  create(id: string, spec: TaskSpec, options?: { signal?: AbortSignal; restoreFrom?: string }): Promise<Task>;
  /** Re-adopts a task created by an earlier daemon. NotFound when the runtime no longer knows it. */
  load(id: string): Promise<Task>;
  /** IDs of every task this runtime holds on the host (for start-up cleanup). */
  list(): Promise<string[]>;
}
