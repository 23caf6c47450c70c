import { spawn as nodeSpawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm, mkdtemp } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Runtime, Task, TaskSpec } from '../../core/runtime.ts';
import type { OciRuntimeSpec } from '../../core/oci-runtime-spec.ts';
import { asJanusError, conflict, invalidArgument, notFound, unavailable } from '../../core/errors.ts';
import type { Exec } from '../../util/exec.ts';
import type { Logger } from '../../util/logger.ts';
import { writeFileAtomic } from '../../util/atomic-file.ts';
import type { Spawn } from './conmon.ts';
import { mountAll } from './rootfs-mount.ts';
import { OciTask, removeTask, superviseTask, taskPaths, type AttachStdin, type OciTaskContext, type OciTaskState } from './oci-task.ts';
import { probeCriu, type CriuProbe } from './criu-probe.ts';
import { makeBusyboxRootfs } from './busybox-rootfs.ts';

/** Options of `OciRuntime`. */
export interface OciRuntimeOptions {
  name: 'runc' | 'crun' | 'runsc';
  /** The runtime binary, e.g. /usr/bin/runc. */
  binary: string;
  /** conmon's binary, e.g. /usr/bin/conmon. */
  conmon: string;
  /** This runtime's directory, e.g. `<root>/runtimes/runc`: one subdirectory per task. */
  stateDir: string;
  exec: Exec;
  logger: Logger;
  /** The runtime's `--root`; default `<stateDir>/.root`. Must not be shared by two OciRuntimes. */
  runtimeRoot?: string;
  /** Where conmon puts attach socket symlinks; default `<stateDir>/.s` (keep it short: socket paths max 108 bytes). */
  socketDir?: string;
  /** Global runtime flags before the subcommand (e.g. `--platform=ptrace` for runsc). */
  runtimeArgs?: string[];
  /**
   * The global flags instead of `runtimeArgs` for a task that joins a
   * network namespace made for it (runsc: gVisor's own network stack takes
   * over the namespace's interfaces, where other tasks run with
   * `--network=none`). Default `runtimeArgs`.
   */
  networkRuntimeArgs?: string[];
  /** Starts conmon; default node:child_process spawn. */
  spawn?: Spawn;
  /** Period of the fallback poll while waiting for an exit, ms (default 1000). */
  pollMs?: number;
  /** Opens a process's stdin through conmon's attach socket; without it `openStdin` is Unavailable. */
  attach?: AttachStdin;
  /** criu, which runc and crun checkpoint through (default `criu` on PATH); probed once, on the first memory snapshot. */
  criu?: string;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * The `container` and `sandbox` isolation levels: runc, crun or runsc,
 * each container supervised by its own conmon, which outlives the daemon,
 * keeps the container's stdio, writes its log (k8s-file) and its exit
 * status. All state lives in `stateDir`, so a new OciRuntime over the same
 * directory re-adopts tasks with `load`.
 */
export class OciRuntime implements Runtime {
  readonly name: string;
  readonly #ctx: OciTaskContext;
  readonly #networkArgs: string[] | undefined;

  constructor(options: OciRuntimeOptions) {
    this.name = options.name;
    this.#networkArgs = options.networkRuntimeArgs;
    const stateDir = resolve(options.stateDir);
    let criu: Promise<CriuProbe> | undefined;
    this.#ctx = {
      name: options.name,
      binary: options.binary,
      conmon: options.conmon,
      stateDir,
      runtimeRoot: options.runtimeRoot ?? join(stateDir, '.root'),
      socketDir: options.socketDir ?? join(stateDir, '.s'),
      runtimeArgs: options.runtimeArgs ?? [],
      exec: options.exec,
      spawn: options.spawn ?? nodeSpawn,
      logger: options.logger.child({ runtime: options.name }),
      pollMs: options.pollMs ?? 1000,
      attach: options.attach ?? (async () => { throw unavailable('stdin of containers is not available: the daemon was started without an attach helper'); }),
      criu: () => (criu ??= probeCriu(options.exec, { criu: options.criu })),
    };
  }

  /**
   * With `restoreFrom` (a directory a task's checkpoint was saved into)
   * nothing runs yet: `start` has conmon run the runtime's `restore`, which
   * continues the saved processes.
   */
  async create(id: string, spec: TaskSpec, options: { signal?: AbortSignal; restoreFrom?: string } = {}): Promise<Task> {
    if (!ID.test(id)) throw invalidArgument(`invalid task id: ${id}`);
    options.signal?.throwIfAborted();
    const ctx = this.#ctx;
    const paths = taskPaths(ctx.stateDir, id);
    await mkdir(ctx.stateDir, { recursive: true });
    await mkdir(ctx.socketDir, { recursive: true });
    await mkdir(ctx.runtimeRoot, { recursive: true, mode: 0o700 });
    try {
      await mkdir(paths.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw conflict(`task ${id} already exists in ${ctx.name}`);
      throw err;
    }
    const state: OciTaskState = {
      id, cuuid: randomBytes(8).toString('hex'), pid: 0, conmonPid: 0, mountCount: spec.rootfs.length,
      logPath: spec.io.logPath, createdAt: new Date().toISOString(), stdin: spec.io.stdin,
      io: {
        terminal: spec.io.tty, stdin: spec.io.stdin,
        // docker closes a StdinOnce container's stdin after the first client only without a TTY: `run -it`, detach, attach types on.
        leaveStdinOpen: spec.io.stdin && (!spec.io.stdinOnce || spec.io.tty),
        ...(spec.io.logMaxSize ? { logSizeMax: spec.io.logMaxSize } : {}),
      },
      ...(options.restoreFrom ? { restoreFrom: resolve(options.restoreFrom) } : {}),
      ...(spec.oci.linux?.namespaces?.some((n) => n.type === 'network' && n.path) ? { joinsNetwork: true } : {}),
    };
    try {
      await mkdir(paths.rootfs, { recursive: true });
      await mkdir(paths.exits);
      await writeFileAtomic(paths.state, JSON.stringify(state));
      await mountAll(ctx.exec, spec.rootfs, paths.rootfs);
      const oci: OciRuntimeSpec = {
        ...spec.oci,
        root: { ...spec.oci.root, path: paths.rootfs },
        process: spec.oci.process ? { ...spec.oci.process, terminal: spec.io.tty } : spec.oci.process,
      };
      await writeFileAtomic(paths.config, JSON.stringify(oci));
      options.signal?.throwIfAborted();
      // A restore runs the processes at once: it waits for start.
      if (!state.restoreFrom) await superviseTask(this.#taskContext(state), state, { signal: options.signal });
      return new OciTask(this.#taskContext(state), state);
    } catch (err) {
      await removeTask(ctx, id, state).catch((e: unknown) => ctx.logger.error('cleanup after a failed create failed', { id, error: e }));
      throw asJanusError(err, `create ${id}`);
    }
  }

  async load(id: string): Promise<Task> {
    if (!ID.test(id)) throw notFound(`no task ${id} in ${this.name}`);
    let text: string;
    try {
      text = await readFile(taskPaths(this.#ctx.stateDir, id).state, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`no task ${id} in ${this.name}`);
      throw err;
    }
    const state = JSON.parse(text) as OciTaskState;
    if (!(state.pid > 0)) throw notFound(`task ${id} in ${this.name} was never created completely`);
    return new OciTask(this.#taskContext(state), state);
  }

  /** The context of one task: the network flags for a task that joins a network namespace made for it. */
  #taskContext(state: OciTaskState): OciTaskContext {
    return state.joinsNetwork && this.#networkArgs ? { ...this.#ctx, runtimeArgs: this.#networkArgs } : this.#ctx;
  }

  async list(): Promise<string[]> {
    try {
      const entries = await readdir(this.#ctx.stateDir, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /**
   * Removes every trace of task `id` whatever state it is in, including a
   * half-created one that `load` refuses: for the daemon's start-up cleanup.
   */
  async remove(id: string): Promise<void> {
    if (!ID.test(id)) throw invalidArgument(`invalid task id: ${id}`);
    let state: OciTaskState | undefined;
    try {
      state = JSON.parse(await readFile(taskPaths(this.#ctx.stateDir, id).state, 'utf8')) as OciTaskState;
    } catch {
      state = undefined;
    }
    await removeTask(this.#ctx, id, state);
  }
}

/** What `probeOciRuntime` found. */
export interface OciRuntimeProbe {
  ok: boolean;
  /** Why the runtime cannot be used here (its own words), when it cannot. */
  error?: string;
}

/**
 * Runs a trivial container (`true` in a busybox rootfs, no conmon) to learn
 * whether a runtime works on this host: a binary that exists may still
 * refuse the host (crun 1.8 and the hybrid cgroup layout). Never throws;
 * leaves nothing behind.
 */
export async function probeOciRuntime(binary: string, exec: Exec, options: { runtimeArgs?: string[]; busybox?: string; tmpDir?: string } = {}): Promise<OciRuntimeProbe> {
  let dir: string | undefined;
  const id = `janus-probe-${randomBytes(4).toString('hex')}`;
  const root = (d: string) => [...(options.runtimeArgs ?? []), `--root=${join(d, 'root')}`];
  try {
    dir = await mkdtemp(join(options.tmpDir ?? '/tmp', 'janus-probe-'));
    await makeBusyboxRootfs(exec, join(dir, 'rootfs'), { busybox: options.busybox });
    await writeFileAtomic(join(dir, 'config.json'), JSON.stringify(probeSpec(join(dir, 'rootfs'))));
    const r = await exec.run(binary, [...root(dir), 'run', '--bundle', dir, id], { check: false });
    if (r.code === 0) return { ok: true };
    return { ok: false, error: (r.stderr.trim() || r.stdout.trim() || `exit status ${r.code}`).split('\n').slice(-3).join('\n') };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  } finally {
    if (dir) {
      await exec.run(binary, [...root(dir), 'delete', '--force', id], { check: false }).catch(() => undefined);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

function probeSpec(rootfs: string): OciRuntimeSpec {
  return {
    ociVersion: '1.0.2',
    process: { user: { uid: 0, gid: 0 }, args: ['/bin/true'], cwd: '/', env: ['PATH=/bin'], rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }] },
    root: { path: rootfs, readonly: true },
    hostname: 'probe',
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: { namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }] },
  };
}
