import type { ChildProcess, SpawnOptions } from 'node:child_process';
import type { Readable } from 'node:stream';

/** Starts a program; node:child_process's `spawn` fits. Injected so tests can record what is launched. */
export type Spawn = (file: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

/** What one conmon invocation supervises. */
export interface ConmonArgsOptions {
  /** The container's id (also the exit file's name). */
  cid: string;
  /** A short unique id: conmon names the attach socket's symlink after it. */
  cuuid: string;
  /** The OCI runtime binary. */
  runtime: string;
  /** Global flags of the runtime, before its subcommand (e.g. `--root=DIR`). */
  runtimeArgs: string[];
  /** The bundle (create) or the exec session's directory (exec): conmon puts `ctl` and `attach` there. */
  bundle: string;
  containerPidFile: string;
  conmonPidFile?: string;
  exitDir: string;
  /** Written in conmon's k8s-file format. */
  logPath: string;
  logSizeMax?: number;
  /** Directory of short symlinks to bundles, keeping attach socket paths under 108 bytes. */
  socketDir: string;
  /** Directory conmon may keep per-container data in (its `oom` marker). */
  persistDir?: string;
  terminal: boolean;
  stdin: boolean;
  /** Keep the process's stdin open when an attached client leaves (conmon closes it by default). */
  leaveStdinOpen?: boolean;
  /** Exec mode: run `runtime exec --process SPEC` in container `cid` instead of `runtime create`. */
  execProcessSpec?: string;
  /**
   * Restore mode: run `runtime restore --image-path DIR` (conmon adds
   * `--detach` and `--work-path BUNDLE`) instead of `runtime create`; the
   * container is running, not created, once conmon reports its pid.
   */
  restorePath?: string;
  /** Extra flags of the runtime's `restore` (or `exec`) subcommand, before the container id. */
  runtimeOpts?: string[];
}

/**
 * conmon's argument list (conmon 2.1). Pure, so unit tests check it without
 * root. `--api-version 1` makes the sync pipe speak `{"data": N}` in both
 * modes, and in exec mode report the pid first and the exit code last.
 */
export function buildConmonArgs(o: ConmonArgsOptions): string[] {
  const args = ['--api-version', '-c', o.cid, '-u', o.cuuid, '-n', o.cid, '-r', o.runtime, '-b', o.bundle,
    '-p', o.containerPidFile, '--exit-dir', o.exitDir, '-l', `k8s-file:${o.logPath}`, '--socket-dir-path', o.socketDir];
  if (o.conmonPidFile) args.push('-P', o.conmonPidFile);
  if (o.persistDir) args.push('-0', o.persistDir);
  if (o.logSizeMax && o.logSizeMax > 0) args.push('--log-size-max', String(o.logSizeMax));
  for (const a of o.runtimeArgs) args.push('--runtime-arg', a);
  if (o.terminal) args.push('-t');
  if (o.stdin) args.push('-i');
  if (o.stdin && o.leaveStdinOpen) args.push('--leave-stdin-open');
  if (o.execProcessSpec) args.push('--exec', '--exec-process-spec', o.execProcessSpec);
  if (o.restorePath) args.push('--restore', o.restorePath);
  for (const a of o.runtimeOpts ?? []) args.push('--runtime-opt', a);
  return args;
}

/** One message conmon wrote to its sync pipe. */
export interface SyncMessage {
  /** The pid (first message), an exit code (exec's last message), or negative on failure. */
  data: number;
  message?: string;
}

/** Reads conmon's sync pipe message by message (one JSON object per line). */
export class SyncPipeReader {
  readonly #queue: SyncMessage[] = [];
  readonly #waiters: Array<(m: SyncMessage | undefined) => void> = [];
  #buf = '';
  #ended = false;
  readonly #stream: Readable;

  constructor(stream: Readable) {
    this.#stream = stream;
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.#buf += chunk;
      for (let nl = this.#buf.indexOf('\n'); nl >= 0; nl = this.#buf.indexOf('\n')) {
        const line = this.#buf.slice(0, nl).trim();
        this.#buf = this.#buf.slice(nl + 1);
        if (line) this.#push(parseSync(line));
      }
    });
    const end = (): void => {
      this.#ended = true;
      for (const w of this.#waiters.splice(0)) w(undefined);
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  }

  #push(m: SyncMessage): void {
    const w = this.#waiters.shift();
    if (w) w(m);
    else this.#queue.push(m);
  }

  /** The next message; undefined once conmon closed the pipe (it died or exited). */
  next(): Promise<SyncMessage | undefined> {
    const m = this.#queue.shift();
    if (m) return Promise.resolve(m);
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Stops reading; conmon gets EPIPE on a later write, after it has written its exit file. */
  close(): void {
    this.#stream.destroy();
  }
}

function parseSync(line: string): SyncMessage {
  try {
    const j = JSON.parse(line) as { data?: number; pid?: number; exit_code?: number; message?: string };
    const data = j.data ?? j.pid ?? j.exit_code;
    if (typeof data === 'number') return { data, message: j.message };
  } catch {
    /* fall through: reported as a failure with the raw text */
  }
  return { data: -1, message: `unreadable message from conmon: ${line}` };
}

/**
 * Launches conmon detached from the daemon (own session, stdio on
 * /dev/null) with its sync pipe on fd 3. conmon forks at once: the first
 * process exits and the forked one stays as the container's parent, which
 * is why the daemon can die without taking containers down.
 */
export function launchConmon(spawn: Spawn, binary: string, args: readonly string[], options: { cwd: string }): { reader: SyncPipeReader; child: ChildProcess } {
  const child = spawn(binary, args, {
    cwd: options.cwd,
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', _OCI_SYNCPIPE: '3' },
  });
  child.on('error', () => {
    /* a missing conmon closes the pipe at once; the reader reports it */
  });
  child.unref();
  const pipe = child.stdio[3] as Readable;
  return { reader: new SyncPipeReader(pipe), child };
}
