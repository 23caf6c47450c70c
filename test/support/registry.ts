import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeExec } from '../../src/util/exec.ts';

/** Where Debian's `docker-registry` package installs the distribution registry. */
export const REGISTRY_BINARY = '/usr/bin/docker-registry';
/** apache2-utils' htpasswd, used to make the bcrypt password file the registry demands. */
export const HTPASSWD_BINARY = '/usr/bin/htpasswd';

/** The realm the registry puts in its Basic challenge when htpasswd auth is on. */
export const REGISTRY_REALM = 'janus-test';

/** A running test registry. */
export interface TestRegistry {
  /** `127.0.0.1:PORT`, usable as the registry part of an image reference (on the loopback of `netns` when given). */
  host: string;
  /** The registry's storage root (a fresh temp directory). */
  dataDir: string;
  /** Kills the registry and removes its temp directory. Idempotent. */
  stop(): Promise<void>;
}

/** Options of `startRegistry`. */
export interface StartRegistryOptions {
  /** Turns on htpasswd (Basic) auth with this single user. */
  htpasswd?: { username: string; password: string };
  /** Gives up waiting for the registry after this many milliseconds (default 15000). */
  timeoutMs?: number;
  /**
   * Runs the registry in this network namespace (`/run/netns/<netns>`, e.g. a
   * test daemon's `netns`), listening on that namespace's 127.0.0.1: reachable
   * by the daemon there and not from the host.
   */
  netns?: string;
}

/**
 * A reason to skip registry tests on this machine, or undefined when the
 * registry (and, with `htpasswd`, apache2-utils' htpasswd) is installed.
 * Use as `test('…', { skip: skipUnlessRegistry() }, …)`.
 */
export function skipUnlessRegistry(options: { htpasswd?: boolean } = {}): string | undefined {
  if (!existsSync(REGISTRY_BINARY)) return `${REGISTRY_BINARY} is missing (apt-get install docker-registry)`;
  if (options.htpasswd && !existsSync(HTPASSWD_BINARY)) return `${HTPASSWD_BINARY} is missing (apt-get install apache2-utils)`;
  return undefined;
}

/**
 * Starts Debian's real distribution registry on 127.0.0.1 (of `netns` when
 * given) with a kernel-chosen port, a temp storage directory and deletes
 * enabled, and resolves once `/v2/` answers (401 counts as answering when
 * auth is on). The process is killed
 * when the test process exits even if `stop` is never called, so a failed test
 * cannot leave a registry behind.
 */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'janus-registry-'));
  const dataDir = join(dir, 'data');
  await mkdir(dataDir);
  let child: ChildProcess | undefined;
  const killOnExit = (): void => { child?.kill('SIGKILL'); };
  try {
    let auth = '';
    if (options.htpasswd) {
      // The registry accepts only bcrypt entries; -B makes them.
      const { username, password } = options.htpasswd;
      const res = await new NodeExec().run(HTPASSWD_BINARY, ['-Bbn', username, password]);
      const htpasswdPath = join(dir, 'htpasswd');
      await writeFile(htpasswdPath, res.stdout.trim() + '\n', { mode: 0o600 });
      auth = `auth:\n  htpasswd:\n    realm: ${REGISTRY_REALM}\n    path: ${htpasswdPath}\n`;
    }
    const configPath = join(dir, 'config.yml');
    // Port 0 lets the kernel pick a free port; the registry logs the real address.
    await writeFile(configPath, [
      'version: 0.1',
      'log:',
      '  level: info',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${dataDir}`,
      '  delete:',
      '    enabled: true',
      '  maintenance:',
      '    uploadpurging:',
      '      enabled: false',
      'http:',
      '  addr: 127.0.0.1:0',
      '  secret: janus-test-secret',
      auth,
    ].join('\n'));

    // nsenter --net execs the registry itself (no fork), so the child is the registry and signals reach it.
    child = options.netns
      ? spawn('nsenter', [`--net=/run/netns/${options.netns}`, REGISTRY_BINARY, 'serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(REGISTRY_BINARY, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    process.once('exit', killOnExit);
    const proc = child;
    const host = await waitForAddress(proc, options.timeoutMs ?? 15000);
    await waitForV2(host, proc, options.timeoutMs ?? 15000, options.netns);

    let stopped: Promise<void> | undefined;
    return {
      host,
      dataDir,
      stop(): Promise<void> {
        stopped ??= (async () => {
          process.removeListener('exit', killOnExit);
          await killAndWait(proc);
          await rm(dir, { recursive: true, force: true });
        })();
        return stopped;
      },
    };
  } catch (err) {
    process.removeListener('exit', killOnExit);
    if (child) await killAndWait(child);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Reads the registry's log until it says where it listens; keeps draining afterwards so it never blocks on a full pipe. */
function waitForAddress(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const tail: string[] = [];
    let buffered = '';
    let found = false;
    const timer = setTimeout(() => fail(new Error(`docker-registry did not report its address within ${timeoutMs} ms:\n${tail.join('\n')}`)), timeoutMs);
    const fail = (err: Error): void => {
      if (found) return;
      found = true;
      clearTimeout(timer);
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(line);
        if (m && !found) {
          found = true;
          clearTimeout(timer);
          resolve(`127.0.0.1:${m[1]}`);
        }
      }
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', onData);
    child.once('error', (err) => fail(new Error(`cannot start ${REGISTRY_BINARY}: ${err.message}`)));
    child.once('exit', (code, signal) => fail(new Error(`docker-registry exited (${signal ?? code}) before listening:\n${tail.join('\n')}`)));
  });
}

async function waitForV2(host: string, child: ChildProcess, timeoutMs: number, netns?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`docker-registry on ${host} exited during start-up`);
    try {
      const status = netns ? await v2StatusIn(netns, host) : await v2Status(host);
      if (status === 200 || status === 401) return;
      last = new Error(`status ${status}`);
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry on ${host} did not answer /v2/ within ${timeoutMs} ms: ${String(last)}`);
}

async function v2Status(host: string): Promise<number> {
  const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.status;
}

/** The status of `/v2/` asked from inside `netns`: this process cannot enter it, so a child Node does the request there. */
async function v2StatusIn(netns: string, host: string): Promise<number> {
  const probe = `fetch(${JSON.stringify(`http://${host}/v2/`)}, { signal: AbortSignal.timeout(2000) })`
    + '.then(async (r) => { await r.arrayBuffer(); console.log(r.status); }, (e) => { console.error(String(e.cause ?? e)); process.exit(1); })';
  const r = await new NodeExec().run('nsenter', [`--net=/run/netns/${netns}`, process.execPath, '-e', probe], { check: false });
  if (r.code !== 0) throw new Error(r.stderr.trim() || `probe exited ${r.code}`);
  return Number(r.stdout.trim());
}

function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
