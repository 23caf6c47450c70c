// Helpers shared by the benchmarks: timing, Engine API calls, host limits,
// mounts, and podman with a private configuration (for side-by-side runs).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { delimiter, join } from 'node:path';
import { processMemory } from '../src/cli/process-memory.ts';
import { NodeExec } from '../src/util/exec.ts';
import { JANUS_BIN } from '../test/support/daemon.ts';

/** The median of `xs` (which must not be empty). */
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Resident and proportional memory of one process, bytes (0 when it is gone): the CLI's own reader, shared with `janus bench`. */
export const memoryOf = processMemory;

/** The host's MemAvailable, bytes. */
export const memAvailable = async (): Promise<number> => Number(/MemAvailable:\s+(\d+)/.exec(await readFile('/proc/meminfo', 'utf8'))![1]) * 1024;

/** Wall time of one program run, ms; throws when it fails, or when it outlives `timeoutMs` (then it is SIGKILLed). */
export function timed(file: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(file, args, { env, stdio: ['ignore', 'ignore', 'pipe'], ...(timeoutMs ? { timeout: timeoutMs, killSignal: 'SIGKILL' as const } : {}) });
    let err = '';
    p.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    p.on('error', reject);
    p.on('close', (code, signal) => {
      if (code === 0) resolve(performance.now() - t0);
      else if (signal && timeoutMs && performance.now() - t0 >= timeoutMs) reject(new Error(`${file} ${args.join(' ')} did not finish within ${timeoutMs / 1000} s: ${err.trim()}`));
      else reject(new Error(`${file} ${args.join(' ')} exited ${code ?? signal}: ${err.trim()}`));
    });
  });
}

/** One Engine API call over the daemon's socket; resolves with status and parsed body. */
export function api(socket: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ socketPath: socket, method, path, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let parsed: unknown = text;
        try { parsed = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** An API call that must answer `want`; throws with the daemon's message otherwise. */
export async function apiOk(socket: string, want: number, method: string, path: string, body?: unknown): Promise<any> {
  const r = await api(socket, method, path, body);
  if (r.status !== want) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** The hard limit of one resource of this process, from /proc/self/limits ("Max open files"). */
export async function hardLimit(name: string): Promise<number> {
  const line = (await readFile('/proc/self/limits', 'utf8')).split('\n').find((l) => l.startsWith(name));
  const hard = line?.slice(name.length).trim().split(/\s+/)[1];
  return hard === undefined || hard === 'unlimited' ? Number.POSITIVE_INFINITY : Number(hard);
}

/** `file` found on PATH, or undefined. */
export function onPath(file: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    if (dir && existsSync(join(dir, file))) return join(dir, file);
  }
  return undefined;
}

/** Mount points at or below `dir`, deepest first, from the kernel's table. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const points = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return points.reverse();
}


/**
 * podman with a private configuration and storage under `work`, loaded with
 * the janus daemon's busybox (saved through the janus CLI with `env`):
 * runc, cgroupfs, file events, and ulimits within the host's hard limits.
 * Its defaults (nofile 1048576, nproc 4194304) exceed them, and root here
 * lacks CAP_SYS_RESOURCE, so runc cannot raise a hard limit: those runs fail
 * with EPERM. podman 4.3 also lowers its own RLIMIT_NPROC to 32768 before it
 * starts conmon (seen with strace), so nproc may not exceed that either.
 * Undefined when podman is not installed.
 */
export async function preparePodman(work: string, options: { env: NodeJS.ProcessEnv }): Promise<{ podman: string; env: NodeJS.ProcessEnv } | undefined> {
  const podman = onPath('podman');
  if (!podman) return undefined;
  const exec = new NodeExec();
  const env: NodeJS.ProcessEnv = { ...process.env, CONTAINERS_CONF: join(work, 'podman', 'containers.conf'), CONTAINERS_STORAGE_CONF: join(work, 'podman', 'storage.conf') };
  const nofile = Math.min(await hardLimit('Max open files'), 1048576);
  const nproc = Math.min(await hardLimit('Max processes'), 32768);
  await mkdir(join(work, 'podman'), { recursive: true });
  await writeFile(env.CONTAINERS_CONF!, [
    '[containers]', `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]`,
    '[engine]', 'runtime = "runc"', 'cgroup_manager = "cgroupfs"', 'events_logger = "file"',
    // Networks it creates (compose projects) are files: keep them under the temp dir, not in the host's /etc/cni/net.d.
    '[network]', `network_config_dir = "${join(work, 'podman', 'networks')}"`, '',
  ].join('\n'));
  await writeFile(env.CONTAINERS_STORAGE_CONF!, [
    '[storage]', 'driver = "overlay"', `graphroot = "${join(work, 'podman', 'root')}"`, `runroot = "${join(work, 'podman', 'run')}"`, '',
  ].join('\n'));
  const archive = join(work, 'busybox.tar');
  await exec.run(JANUS_BIN, ['save', '-o', archive, 'busybox'], { env: options.env });
  await exec.run(podman, ['load', '-q', '-i', archive], { env });
  return { podman, env };
}

/** Ends a peer's API service (podman system service): SIGTERM, then SIGKILL after 10 s. */
export async function stopService(service: ChildProcess | undefined): Promise<void> {
  if (!service || service.exitCode !== null) return;
  const ended = new Promise((r) => service.once('exit', r));
  service.kill('SIGTERM');
  await Promise.race([ended, new Promise((r) => setTimeout(r, 10000))]);
  if (service.exitCode === null) service.kill('SIGKILL');
}

/**
 * Removes a bench's work directory. podman's storage keeps a bind mount of
 * its own that an exiting service may still hold: unmount what is under it,
 * retry once, and say so (never throw) when it still cannot go.
 */
export async function removeWorkDir(work: string, label: string): Promise<void> {
  const exec = new NodeExec();
  for (let attempt = 0; ; attempt++) {
    for (const p of await mountsUnder(work)) await exec.run('umount', ['-l', p], { check: false });
    try {
      await rm(work, { recursive: true, force: true });
      return;
    } catch (err) {
      if (attempt > 0) {
        console.error(`${label}: cleanup of ${work}: ${(err as Error).message}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
