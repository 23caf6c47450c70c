// Start benchmark: `janus run --rm --network none busybox true` vs podman
// (runc, host ulimits) vs raw `runc run` on a prepared bundle, alternating,
// plus the daemon-side create → start → wait → remove time, host memory per
// idle container, and N containers started at once.
// Usage: node bench/start.ts [--runs N] [--idle N] [--concurrent N]
// Prints figures only; there is no pass/fail threshold.
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

const d = await startDaemon();
const work = await mkdtemp(join(tmpdir(), 'janus-bench-start-'));
try {
  const env = { ...process.env, JANUS_HOST: d.host, JANUS_CONFIG: d.configDir };
  await exec.run(JANUS_BIN, ['image', 'bootstrap', 'busybox'], { env });
  const runtimes = JSON.parse((await exec.run(JANUS_BIN, ['info', '--format', '{{json .Janus}}'], { env })).stdout) as unknown;

  // podman: its own storage under the work dir, runc, cgroupfs, the host's ulimits (its default nofile exceeds the hard limit here).
  const podmanBase = ['--root', join(work, 'podman', 'root'), '--runroot', join(work, 'podman', 'run'), '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
  const havePodman = existsSync('/usr/bin/podman');
  if (havePodman) {
    const archive = join(work, 'busybox.tar');
    await exec.run(JANUS_BIN, ['save', '-o', archive, 'busybox'], { env });
    await exec.run('podman', [...podmanBase, 'load', '-i', archive]);
  }

  // raw runc: a bundle prepared once.
  const bundle = join(work, 'bundle');
  await makeBusyboxRootfs(exec, join(bundle, 'rootfs'));
  await exec.run('runc', ['spec', '--bundle', bundle]);
  const spec = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['/bin/true'];
  spec.process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }];
  spec.root.readonly = true;
  await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));

  const kinds: Record<string, () => Promise<number>> = {
    janus: () => timed(JANUS_BIN, ['run', '--rm', '--network', 'none', 'busybox', 'true'], env),
    ...(havePodman ? { podman: () => timed('podman', [...podmanBase, 'run', '--rm', '--network', 'none', '--ulimit', 'host', 'busybox', 'true']) } : {}),
    runc: () => timed('runc', ['--root', join(work, 'runc-root'), 'run', '--bundle', bundle, `bench-${process.pid}`]),
    'janus API create→start→wait→rm': async () => {
      const t0 = performance.now();
      const c = await api(d.socket, 'POST', '/v1.50/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
      if (c.status !== 201) throw new Error(`create: ${c.status} ${JSON.stringify(c.body)}`);
      await api(d.socket, 'POST', `/v1.50/containers/${c.body.Id}/start`);
      await api(d.socket, 'POST', `/v1.50/containers/${c.body.Id}/wait`);
      await api(d.socket, 'DELETE', `/v1.50/containers/${c.body.Id}`);
      return performance.now() - t0;
    },
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
  for (const fn of Object.values(kinds)) await fn(); // warm caches once
  for (let i = 0; i < runs; i++) {
    for (const [k, fn] of Object.entries(kinds)) times[k].push(await fn());
  }
  console.log(`bench/start: ${runs} runs each, alternating; runtimes: ${JSON.stringify(runtimes)}`);
  for (const [k, xs] of Object.entries(times)) {
    console.log(`  ${k.padEnd(34)} median ${median(xs).toFixed(1)} ms  (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`);
  }
  if (times.podman) console.log(`  janus / podman ratio: ${(median(times.janus) / median(times.podman)).toFixed(2)} (goal ≤ 0.5)`);
  console.log(`  janus / raw runc ratio: ${(median(times.janus) / median(times.runc)).toFixed(2)}`);

  // Host memory per idle container: MemAvailable before and after, and the RSS of each container's processes.
  const memAvailable = async (): Promise<number> => Number(/MemAvailable:\s+(\d+)/.exec(await readFile('/proc/meminfo', 'utf8'))![1]) * 1024;
  const before = await memAvailable();
  const ids: string[] = [];
  for (let i = 0; i < idle; i++) {
    const c = await api(d.socket, 'POST', '/v1.50/containers/create', { Image: 'busybox', Cmd: ['sleep', '3600'] });
    await api(d.socket, 'POST', `/v1.50/containers/${c.body.Id}/start`);
    ids.push(c.body.Id);
  }
  await new Promise((r) => setTimeout(r, 1000));
  const after = await memAvailable();
  let rss = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const mine = ids.some((id) => cmd.includes(id)) || cmd.startsWith('sleep\u00003600');
    if (!mine) continue;
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    rss += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
  }
  console.log(`  idle containers: ${idle}; host MemAvailable drop ${((before - after) / idle / 1024 / 1024).toFixed(2)} MiB per container; RSS of conmon + sleep ${(rss / idle / 1024 / 1024).toFixed(2)} MiB per container`);
  await Promise.all(ids.map((id) => api(d.socket, 'DELETE', `/v1.50/containers/${id}?force=1`)));

  // N containers created and started at once.
  const t0 = performance.now();
  const results = await Promise.allSettled(Array.from({ length: concurrent }, async () => {
    const c = await api(d.socket, 'POST', '/v1.50/containers/create', { Image: 'busybox', Cmd: ['sleep', '600'] });
    if (c.status !== 201) throw new Error(`create ${c.status}: ${JSON.stringify(c.body)}`);
    const s = await api(d.socket, 'POST', `/v1.50/containers/${c.body.Id}/start`);
    if (s.status !== 204) throw new Error(`start ${s.status}: ${JSON.stringify(s.body)}`);
    return c.body.Id as string;
  }));
  const startedAll = performance.now() - t0;
  const failures = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
  const list = await api(d.socket, 'GET', '/v1.50/containers/json');
  console.log(`  ${concurrent} containers at once: ${concurrent - failures.length} started, ${failures.length} failed, ${list.body.length} running, in ${(startedAll / 1000).toFixed(1)} s`);
  for (const f of failures.slice(0, 3)) console.log(`    failure: ${(f.reason as Error).message}`);
  const all = await api(d.socket, 'GET', '/v1.50/containers/json?all=1');
  await Promise.all((all.body as Array<{ Id: string }>).map((c) => api(d.socket, 'DELETE', `/v1.50/containers/${c.Id}?force=1`)));
} finally {
  await d.stop();
  await rm(work, { recursive: true, force: true });
}
