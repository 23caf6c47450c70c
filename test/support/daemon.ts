import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { killProcessesUnder } from './leaks.ts';

/** The repository's launcher: `bin/janus daemon …` and `bin/janus <command> …`. */
export const JANUS_BIN = resolve(import.meta.dirname, '../../bin/janus');

/** What one CLI run left behind. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of one CLI run. */
export interface CliOptions {
  /** Written to the CLI's stdin, which is then closed (for `load`, `import -`, `--password-stdin`). */
  input?: string | Buffer;
  /** Extra environment variables, on top of JANUS_HOST and JANUS_CONFIG. */
  env?: Record<string, string>;
  /** Kills the CLI after this many milliseconds (default 300000) and reports it in stderr. */
  timeoutMs?: number;
}

/** A daemon running on a private root and socket, and a CLI pointed at it. */
export interface TestDaemon {
  /** The network namespace the daemon runs in (`/run/netns/<name>`), or undefined for the host's. */
  netns?: string;
  /** The daemon's storage root (a fresh temp directory, removed by `stop`). */
  root: string;
  /** The unix socket path. */
  socket: string;
  /** `unix://<socket>`, the value of JANUS_HOST. */
  host: string;
  /** The CLI's config directory (JANUS_CONFIG), where `login` stores credentials. */
  configDir: string;
  /** Runs `bin/janus ARGS…` with JANUS_HOST and JANUS_CONFIG set; never throws for a non-zero exit. */
  janus(args: string[], opts?: CliOptions): Promise<CliResult>;
  /** Starts `bin/janus ARGS…` without waiting, for tests that act while a command runs. */
  spawnJanus(args: string[], opts?: { env?: Record<string, string> }): ChildProcess;
  /** Everything the current daemon process wrote to stderr so far (its structured log). */
  log(): string;
  /** How the last daemon process ended, or undefined while it runs. */
  exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Starts the daemon again on the same root and socket after `kill9` or `stop({ keepRoot: true })`. */
  restart(): Promise<void>;
  /** SIGTERM, waits for a clean exit (SIGKILL after 10 s), removes the temp directory unless keepRoot. Idempotent. */
  stop(opts?: { keepRoot?: boolean }): Promise<void>;
  /** SIGKILL, the way a crash or power loss ends the daemon; keeps the root for `restart`. */
  kill9(): Promise<void>;
}

/** Options of `startDaemon`. */
export interface StartDaemonOptions {
  /** Passed as `--insecure-registry H` each. */
  insecureRegistries?: string[];
  /** Gives up waiting for `/_ping` after this many milliseconds (default 20000). */
  timeoutMs?: number;
  /**
   * Run the daemon in the host's network namespace. By default (as root) it
   * runs in a network namespace of its own, so the bridges, veths and
   * nftables rules its containers get never touch the host's network; a
   * daemon that pulls from the test registry on the host's 127.0.0.1 needs
   * the host's (and is given it whenever `insecureRegistries` is set).
   * Alternatively, keep the daemon's own namespace and start the registry
   * in it: `startRegistry({ netns: daemon.netns })` (test/support/registry.ts).
   */
  hostNetwork?: boolean;
}

/**
 * A reason to skip a test when not running as root (the daemon unpacks layers
 * with ownership, device nodes and xattrs), or undefined as root.
 * Use as `test('…', { skip: skipUnlessRoot() }, …)`.
 */
export function skipUnlessRoot(): string | undefined {
  return process.getuid?.() === 0 ? undefined : 'needs root: the daemon sets ownership, device nodes and xattrs when unpacking layers';
}

/**
 * Starts `bin/janus daemon --root <tmp>/root --host unix://<tmp>/janus.sock`
 * and resolves once `/_ping` answers 200. A daemon that exits or does not
 * answer in time rejects with its stderr in the message. The daemon is
 * SIGKILLed when the test process exits, so a failed test cannot leave one
 * behind.
 */
export async function startDaemon(options: StartDaemonOptions = {}): Promise<TestDaemon> {
  const dir = await mkdtemp(join(tmpdir(), 'janus-daemon-'));
  const root = join(dir, 'root');
  const socket = join(dir, 'janus.sock');
  const configDir = join(dir, 'config');
  await mkdir(configDir, { mode: 0o700 });
  const host = `unix://${socket}`;
  const timeoutMs = options.timeoutMs ?? 20000;
  const daemonArgs = ['daemon', '--root', root, '--host', host];
  for (const h of options.insecureRegistries ?? []) daemonArgs.push('--insecure-registry', h);
  const ownNetns = process.getuid?.() === 0 && !options.hostNetwork && (options.insecureRegistries ?? []).length === 0;
  const netns = ownNetns ? `janus-test-${process.pid}-${randomBytes(3).toString('hex')}` : undefined;
  const removeNetns = (): void => {
    if (!netns) return;
    try {
      execFileSync('ip', ['netns', 'del', netns], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  };
  if (netns) {
    execFileSync('ip', ['netns', 'add', netns]);
    execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    process.once('exit', removeNetns);
  }

  let child: ChildProcess | undefined;
  let stderr = '';
  let exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const killOnExit = (): void => { child?.kill('SIGKILL'); };

  const launch = async (): Promise<void> => {
    stderr = '';
    exitStatus = undefined;
    process.removeListener('exit', killOnExit);
    process.on('exit', killOnExit);
    // nsenter --net keeps the mount namespace, so /sys/fs/cgroup stays the host's (ip netns exec would remount /sys).
    const proc = netns
      ? spawn('nsenter', [`--net=/run/netns/${netns}`, JANUS_BIN, ...daemonArgs], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(JANUS_BIN, daemonArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.once('exit', (code, signal) => { exitStatus = { code, signal }; });
    proc.stdout?.on('data', (b: Buffer) => { stderr += b.toString('utf8'); });
    proc.stderr?.on('data', (b: Buffer) => { stderr += b.toString('utf8'); });
    let exited: string | undefined;
    proc.once('exit', (code, signal) => { exited = signal ?? String(code); });
    proc.once('error', (err) => { exited = err.message; });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (exited !== undefined) throw new Error(`janus daemon exited (${exited}) before answering /_ping on ${socket}:\n${tail(stderr)}`);
      if (await ping(socket)) return;
      if (Date.now() > deadline) {
        await killAndWait(proc, 'SIGKILL');
        throw new Error(`janus daemon did not answer /_ping on ${socket} within ${timeoutMs} ms:\n${tail(stderr)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const cliEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    ...process.env,
    JANUS_HOST: host,
    JANUS_CONFIG: configDir,
    ...extra,
  });

  try {
    await launch();
  } catch (err) {
    process.removeListener('exit', killOnExit);
    removeNetns();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  let stopped: Promise<void> | undefined;
  return {
    netns,
    root,
    socket,
    host,
    configDir,
    janus(args, opts = {}) {
      return new Promise((done, fail) => {
        const proc = spawn(JANUS_BIN, args, { env: cliEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let timedOut = false;
        const timer = setTimeout(() => { timedOut = true; proc.kill('SIGKILL'); }, opts.timeoutMs ?? 300000);
        proc.stdout.on('data', (b: Buffer) => out.push(b));
        proc.stderr.on('data', (b: Buffer) => err.push(b));
        proc.once('error', (e) => { clearTimeout(timer); fail(e); });
        proc.once('close', (code, signal) => {
          clearTimeout(timer);
          let stderrText = Buffer.concat(err).toString('utf8');
          if (timedOut) stderrText += `\n[test] janus ${args.join(' ')} killed after ${opts.timeoutMs ?? 300000} ms`;
          else if (signal) stderrText += `\n[test] janus ${args.join(' ')} killed by ${signal}`;
          done({ code: code ?? 128, stdout: Buffer.concat(out).toString('utf8'), stderr: stderrText });
        });
        proc.stdin.on('error', () => { /* the CLI may exit before reading its input */ });
        proc.stdin.end(opts.input ?? '');
      });
    },
    spawnJanus(args, opts = {}) {
      return spawn(JANUS_BIN, args, { env: cliEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    },
    log: () => stderr,
    exitStatus: () => exitStatus,
    async restart() {
      if (child && child.exitCode === null && child.signalCode === null) throw new Error('janus daemon is still running; stop or kill9 it first');
      await launch();
    },
    stop(opts = {}) {
      stopped ??= (async () => {
        if (child) await killAndWait(child, 'SIGTERM');
        process.removeListener('exit', killOnExit);
        if (!opts.keepRoot) {
          const left = await killProcessesUnder(dir);
          if (left.length) process.stderr.write(`[test] killed ${left.length} process(es) the daemon's workloads left:\n  ${left.join('\n  ')}\n`);
          removeNetns();
          process.removeListener('exit', removeNetns);
          await rm(dir, { recursive: true, force: true });
        }
      })();
      const s = stopped;
      if (opts.keepRoot) stopped = undefined;
      return s;
    },
    async kill9() {
      if (child) await killAndWait(child, 'SIGKILL');
    },
  };
}

/** True when the daemon on `socket` answers `GET /_ping` with 200. */
function ping(socket: string): Promise<boolean> {
  return new Promise((done) => {
    const req = request({ socketPath: socket, path: '/_ping', method: 'GET', timeout: 2000 }, (res) => {
      res.resume();
      res.once('end', () => done(res.statusCode === 200));
      res.once('error', () => done(false));
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => done(false));
    req.end();
  });
}

function killAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill(signal);
  });
}

function tail(text: string): string {
  return text.split('\n').slice(-30).join('\n');
}
