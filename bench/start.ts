// Start benchmark: `janus run --rm --network none busybox true` vs podman
// (runc, host ulimits) vs raw `runc run` on a prepared bundle, alternating,
// plus where janus's time goes (CLI start-up, each API call of the
// daemon-side create → start → wait → remove), host memory per idle
// container, and N containers started at once.
// Usage: node bench/start.ts [--runs N] [--idle N] [--concurrent N]
// Prints figures only; there is no pass/fail threshold.
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parseArgs } from 'node:util';
import { NodeExec } from '../src/util/exec.ts';
import { makeBusyboxRootfs } from '../src/runtimes/oci/busybox-rootfs.ts';
import { JANUS_BIN, startDaemon } from '../test/support/daemon.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    idle: { type: 'string', default: '20' },
    concurrent: { type: 'string', default: '200' },
  },
});
const runs = Math.max(1, Number(values.runs));
const idle = Math.max(1, Number(values.idle));
const concurrent = Math.max(1, Number(values.concurrent));

if (process.getuid?.() !== 0) {
  console.error('bench/start: cannot run: needs root');
  process.exit(1);
}
const exec = new NodeExec();
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x: number): string => `${x.toFixed(1)} ms`;
const MiB = 1024 * 1024;
const progress = (text: string): void => { process.stderr.write(`bench/start: ${text}\n`); };

/** Wall time of one program run, ms; throws when it fails. */
function timed(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(file, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${file} ${args.join(' ')} exited ${code}: ${err.trim()}`))));
  });
}

/** One Engine API call over the daemon's socket; resolves with status and parsed body. */
function api(socket: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
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
async function apiOk(socket: string, want: number, method: string, path: string, body?: unknown): Promise<any> {
  const r = await api(socket, method, path, body);
  if (r.status !== want) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** The hard limit of one resource of this process, from /proc/self/limits ("Max open files"). */
async function hardLimit(name: string): Promise<number> {
  const line = (await readFile('/proc/self/limits', 'utf8')).split('\n').find((l) => l.startsWith(name));
  const hard = line?.slice(name.length).trim().split(/\s+/)[1];
  return hard === undefined || hard === 'unlimited' ? Number.POSITIVE_INFINITY : Number(hard);
}

/** `file` found on PATH, or undefined. */
function onPath(file: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    if (dir && existsSync(join(dir, file))) return join(dir, file);
  }
  return undefined;
}

/** Mount points at or below `dir`, deepest first, from the kernel's table. */
async function mountsUnder(dir: string): Promise<string[]> {
  const points = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return points.reverse();
}

/** Resident and proportional memory of one process, bytes (0 when it is gone). */
async function memoryOf(pid: number): Promise<{ rss: number; pss: number }> {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { rss: kib('Rss'), pss: kib('Pss') };
}

/** The parent of `pid` (conmon for a container's first process), or 0. */
async function parentOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? 0);
}

const memAvailable = async (): Promise<number> => Number(/MemAvailable:\s+(\d+)/.exec(await readFile('/proc/meminfo', 'utf8'))![1]) * 1024;

const d = await startDaemon();
const work = await mkdtemp(join(tmpdir(), 'janus-bench-start-'));
try {
  const env = { ...process.env, JANUS_HOST: d.host, JANUS_CONFIG: d.configDir };
  progress('bootstrapping busybox');
  await exec.run(JANUS_BIN, ['image', 'bootstrap', 'busybox'], { env });
  const runtimes = JSON.parse((await exec.run(JANUS_BIN, ['info', '--format', '{{json .Janus.IsolationLevels}}'], { env })).stdout) as unknown;

  // podman with a private configuration and storage under the work dir: runc,
  // cgroupfs, file events, and ulimits within the host's hard limits. Its
  // defaults (nofile 1048576, nproc 4194304) exceed them, and root here lacks
  // CAP_SYS_RESOURCE, so runc cannot raise a hard limit: those runs fail with
  // EPERM. podman 4.3 also lowers its own RLIMIT_NPROC to 32768 before it
  // starts conmon (seen with strace), so nproc may not exceed that either.
  const podman = onPath('podman');
  const podmanEnv: NodeJS.ProcessEnv = { ...process.env, CONTAINERS_CONF: join(work, 'podman', 'containers.conf'), CONTAINERS_STORAGE_CONF: join(work, 'podman', 'storage.conf') };
  const nofile = Math.min(await hardLimit('Max open files'), 1048576);
  const nproc = Math.min(await hardLimit('Max processes'), 32768);
  if (podman) {
    progress('loading busybox into podman');
    await mkdir(join(work, 'podman'), { recursive: true });
    await writeFile(podmanEnv.CONTAINERS_CONF!, [
      '[containers]', `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]`,
      '[engine]', 'runtime = "runc"', 'cgroup_manager = "cgroupfs"', 'events_logger = "file"', '',
    ].join('\n'));
    await writeFile(podmanEnv.CONTAINERS_STORAGE_CONF!, [
      '[storage]', 'driver = "overlay"', `graphroot = "${join(work, 'podman', 'root')}"`, `runroot = "${join(work, 'podman', 'run')}"`, '',
    ].join('\n'));
    const archive = join(work, 'busybox.tar');
    await exec.run(JANUS_BIN, ['save', '-o', archive, 'busybox'], { env });
    await exec.run(podman, ['load', '-q', '-i', archive], { env: podmanEnv });
  }

  // raw runc: a bundle prepared once, the same rlimits.
  const bundle = join(work, 'bundle');
  await makeBusyboxRootfs(exec, join(bundle, 'rootfs'));
  await exec.run('runc', ['spec', '--bundle', bundle]);
  const spec = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['/bin/true'];
  spec.process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: nofile, soft: nofile }];
  spec.root.readonly = true;
  await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));

  const phases: Record<string, number[]> = { create: [], start: [], wait: [], remove: [] };
  const kinds: Record<string, () => Promise<number>> = {
    janus: () => timed(JANUS_BIN, ['run', '--rm', '--network', 'none', 'busybox', 'true'], env),
    ...(podman ? { podman: () => timed(podman, ['run', '--rm', '--network', 'none', 'busybox', 'true'], podmanEnv) } : {}),
    runc: () => timed('runc', ['--root', join(work, 'runc-root'), 'run', '--bundle', bundle, `bench-${process.pid}`]),
    'janus --version (CLI start-up)': () => timed(JANUS_BIN, ['--version'], env),
    'API create→start→wait→rm': async () => {
      const at = [performance.now()];
      const c = await apiOk(d.socket, 201, 'POST', '/v1.50/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
      at.push(performance.now());
      await apiOk(d.socket, 204, 'POST', `/v1.50/containers/${c.Id}/start`);
      at.push(performance.now());
      await apiOk(d.socket, 200, 'POST', `/v1.50/containers/${c.Id}/wait`);
      at.push(performance.now());
      await apiOk(d.socket, 204, 'DELETE', `/v1.50/containers/${c.Id}`);
      at.push(performance.now());
      Object.values(phases).forEach((xs, i) => xs.push(at[i + 1] - at[i]));
      return at[4] - at[0];
    },
  };
  progress(`warming up, then ${runs} alternating runs of ${Object.keys(kinds).length} kinds`);
  for (const fn of Object.values(kinds)) await fn();
  for (const xs of Object.values(phases)) xs.length = 0;
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) {
    for (const [k, fn] of Object.entries(kinds)) times[k].push(await fn());
  }
  console.log(`bench/start: ${runs} runs each, alternating; runtimes: ${JSON.stringify(runtimes)}; podman: ${podman ? `runc, cgroupfs, nofile ${nofile}, nproc ${nproc}` : 'not installed'}`);
  for (const [k, xs] of Object.entries(times)) {
    console.log(`  ${k.padEnd(34)} median ${ms(median(xs)).padStart(9)}  (min ${ms(Math.min(...xs))}, max ${ms(Math.max(...xs))})`);
  }
  console.log(`  daemon-side phases (medians): ${Object.entries(phases).map(([k, xs]) => `${k} ${ms(median(xs))}`).join(', ')}`);
  if (times.podman) console.log(`  janus / podman ratio: ${(median(times.janus) / median(times.podman)).toFixed(2)} (goal ≤ 0.5)`);
  console.log(`  janus / raw runc ratio: ${(median(times.janus) / median(times.runc)).toFixed(2)}`);

  // Host memory per idle container: MemAvailable before and after (all the
  // kernel's share too), and RSS / PSS of each container's conmon and process.
  progress(`${idle} idle containers`);
  const before = await memAvailable();
  const ids: string[] = [];
  for (let i = 0; i < idle; i++) {
    const c = await apiOk(d.socket, 201, 'POST', '/v1.50/containers/create', { Image: 'busybox', Cmd: ['sleep', '3600'], HostConfig: { NetworkMode: 'none' } });
    await apiOk(d.socket, 204, 'POST', `/v1.50/containers/${c.Id}/start`);
    ids.push(c.Id);
  }
  await new Promise((r) => setTimeout(r, 1000));
  const after = await memAvailable();
  let rss = 0;
  let pss = 0;
  let charged = 0;
  for (const id of ids) {
    // The container's memory cgroup: its process, page cache and kernel memory charged to it (conmon is outside).
    const stats = await apiOk(d.socket, 200, 'GET', `/v1.50/containers/${id}/stats?stream=false`);
    charged += Number(stats.memory_stats?.usage ?? 0);
    const pid = (await apiOk(d.socket, 200, 'GET', `/v1.50/containers/${id}/json`)).State.Pid as number;
    for (const p of [pid, await parentOf(pid)]) {
      const m = await memoryOf(p);
      rss += m.rss;
      pss += m.pss;
    }
  }
  console.log(`  idle containers: ${idle}; host MemAvailable drop ${((before - after) / idle / MiB).toFixed(2)} MiB per container; conmon + sleep: RSS ${(rss / idle / MiB).toFixed(2)} MiB, PSS ${(pss / idle / MiB).toFixed(2)} MiB per container; cgroup memory usage ${(charged / idle / MiB).toFixed(2)} MiB per container`);
  await Promise.all(ids.map((id) => api(d.socket, 'DELETE', `/v1.50/containers/${id}?force=1`)));

  // N containers created and started at once.
  progress(`${concurrent} containers at once`);
  const beforeMany = await memAvailable();
  const t0 = performance.now();
  const results = await Promise.allSettled(Array.from({ length: concurrent }, async () => {
    const c = await apiOk(d.socket, 201, 'POST', '/v1.50/containers/create', { Image: 'busybox', Cmd: ['sleep', '600'], HostConfig: { NetworkMode: 'none' } });
    await apiOk(d.socket, 204, 'POST', `/v1.50/containers/${c.Id}/start`);
    return c.Id as string;
  }));
  const startedAll = performance.now() - t0;
  const failures = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
  const running = (await apiOk(d.socket, 200, 'GET', '/v1.50/containers/json')).length as number;
  await new Promise((r) => setTimeout(r, 1000));
  const afterMany = await memAvailable();
  console.log(`  ${concurrent} containers at once: ${concurrent - failures.length} started, ${failures.length} failed, ${running} running, in ${(startedAll / 1000).toFixed(1)} s; host MemAvailable drop ${((beforeMany - afterMany) / Math.max(1, running) / MiB).toFixed(2)} MiB per running container`);
  for (const f of failures.slice(0, 3)) console.log(`    failure: ${(f.reason as Error).message}`);
  const all = await apiOk(d.socket, 200, 'GET', '/v1.50/containers/json?all=1');
  const t1 = performance.now();
  const removals = await Promise.allSettled((all as Array<{ Id: string }>).map((c) => apiOk(d.socket, 204, 'DELETE', `/v1.50/containers/${c.Id}?force=1`)));
  const removeFailures = removals.filter((r) => r.status === 'rejected').length;
  const leftMounts = (await mountsUnder(d.root)).filter((p) => p.includes('/runtimes/') || p.includes('/snapshots/'));
  console.log(`  removed them all at once in ${((performance.now() - t1) / 1000).toFixed(1)} s, ${removeFailures} failed; rootfs mounts left: ${leftMounts.length}`);
} finally {
  await d.stop();
  // podman leaves its storage mounted (overlay's own bind mount); unmount before removing.
  for (const p of await mountsUnder(work)) await exec.run('umount', ['-l', p], { check: false });
  await rm(work, { recursive: true, force: true }).catch((err: unknown) => console.error(`bench/start: cleanup of ${work}: ${(err as Error).message}`));
}
