// Start benchmark: `janus run --rm --network none busybox true` vs podman
// (runc, host ulimits) vs raw `runc run` on a prepared bundle, alternating,
// plus where janus's time goes (CLI start-up, each API call of the
// daemon-side create → start → wait → remove), host memory per idle
// container, and N containers started at once.
// Usage: node bench/start.ts [--runs N] [--idle N] [--concurrent N]
// Prints figures only; there is no pass/fail threshold.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NodeExec } from '../src/util/exec.ts';
import { makeBusyboxRootfs } from '../src/runtimes/oci/busybox-rootfs.ts';
import { JANUS_BIN, startDaemon } from '../test/support/daemon.ts';
import { api, apiOk, hardLimit, memAvailable, median, memoryOf, mountsUnder, preparePodman, timed } from './bench-support.ts';

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
const ms = (x: number): string => `${x.toFixed(1)} ms`;
const MiB = 1024 * 1024;
const progress = (text: string): void => { process.stderr.write(`bench/start: ${text}\n`); };

/** The parent of `pid` (conmon for a container's first process), or 0. */
async function parentOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? 0);
}

const d = await startDaemon();
const work = await mkdtemp(join(tmpdir(), 'janus-bench-start-'));
try {
  const env = { ...process.env, JANUS_HOST: d.host, JANUS_CONFIG: d.configDir };
  progress('bootstrapping busybox');
  await exec.run(JANUS_BIN, ['image', 'bootstrap', 'busybox'], { env });
  const runtimes = JSON.parse((await exec.run(JANUS_BIN, ['info', '--format', '{{json .Janus.IsolationLevels}}'], { env })).stdout) as unknown;

  const prepared = await preparePodman(work, { env });
  const podman = prepared?.podman;
  const podmanEnv = prepared?.env ?? {};
  const nofile = Math.min(await hardLimit('Max open files'), 1048576);
  const nproc = Math.min(await hardLimit('Max processes'), 32768);
  if (prepared) progress('loaded busybox into podman');

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
