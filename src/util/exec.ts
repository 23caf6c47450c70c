import { spawn } from 'node:child_process';

/** What a finished program left behind. */
export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of one program run. */
export interface ExecOptions {
  /** Bytes written to the program's stdin, which is then closed. */
  input?: string | Uint8Array;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  signal?: AbortSignal;
  /** When false, a non-zero exit resolves instead of throwing. Default true. */
  check?: boolean;
}

/**
 * Runs external programs (ip, mkfs, runc, qemu-img, …). Every call of an
 * external program in Janus goes through an injected Exec, so unit tests can
 * record argument lists without running anything.
 */
export interface Exec {
  /**
   * Runs `file` with `args` (never through a shell) and collects its output.
   * With `check` (the default) a non-zero exit or a signal throws an
   * ExecError carrying the command line and stderr.
   */
  run(file: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult>;
}

/** A program exited non-zero, was killed, or could not be started. */
export class ExecError extends Error {
  readonly result: ExecResult | undefined;
  readonly command: string;

  constructor(command: string, result: ExecResult | undefined, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExecError';
    this.command = command;
    this.result = result;
  }
}

/** The real Exec: node:child_process.spawn. */
export class NodeExec implements Exec {
  run(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const command = [file, ...args].join(' ');
    return new Promise((resolve, reject) => {
      const child = spawn(file, args, {
        env: options.env ?? process.env,
        cwd: options.cwd,
        signal: options.signal,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e) => reject(new ExecError(command, undefined, `${file}: ${e.message}`, { cause: e })));
      child.on('close', (code, signal) => {
        const result: ExecResult = {
          code,
          signal,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        };
        if (options.check !== false && (code !== 0 || signal !== null)) {
          const why = signal ? `killed by ${signal}` : `exit status ${code}`;
          const detail = result.stderr.trim() || result.stdout.trim();
          reject(new ExecError(command, result, `${command}: ${why}${detail ? `: ${detail}` : ''}`));
          return;
        }
        resolve(result);
      });
      child.stdin.on('error', () => {
        /* the program may exit before reading its input; its exit status tells */
      });
      child.stdin.end(options.input ?? '');
    });
  }
}
