// MicroVM benchmark: the vm level against the container level on the same
// daemon and run — `run --rm busybox true` (a VM started from its kind's
// template, as every VM after the first of a kind is), the same with a cold
// boot (each run a kind of its own: another RAM size), the template start
// alone (restore to the agent's answer, from the daemon's log), `exec`
// latency into a running workload, host memory per idle workload (PSS of
// QEMU vs conmon + process), and N workloads started at once. Alternating
// runs, medians and ratios.
// Usage: node bench/vm.ts [--runs N] [--idle N] [--concurrent N]
// Prints figures only; there is no pass/fail threshold.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { NodeExec } from '../src/util/exec.ts';
import { JANUS_BIN, startDaemon } from '../test/support/daemon.ts';
import { api, apiOk, memAvailable, median, memoryOf, timed } from './bench-support.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    idle: { type: 'string', default: '5' },
    concurrent: { type: 'string', default: '20' },
  },
});
const runs = Math.max(1, Number(values.runs));
const idle = Math.max(1, Number(values.idle));
const concurrent = Math.max(1, Number(values.concurrent));

if (process.getuid?.() !== 0) {
  console.error('bench/vm: cannot run: needs root');
  process.exit(1);
}
const exec = new NodeExec();
const ms = (x: number): string => `${x.toFixed(0)} ms`;
const MiB = 1024 * 1024;
const progress = (text: string): void => { process.stderr.write(`bench/vm: ${text}\n`); };

/** The parent of `pid`, or 0. */
async function parentOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? 0);
}

const LEVELS = { container: [] as string[], vm: ['--isolation', 'vm'] };
const VM_MEMORY = '256m';

const d = await startDaemon();
try {
  const env = { ...process.env, JANUS_HOST: d.host, JANUS_CONFIG: d.configDir };
  progress('bootstrapping busybox');
  await exec.run(JANUS_BIN, ['image', 'bootstrap', 'busybox'], { env });
  const levels = JSON.parse((await exec.run(JANUS_BIN, ['info', '--format', '{{json .Janus.IsolationLevels}}'], { env })).stdout) as { Name: string; Unavailable?: string; Accelerator?: string }[];
  const vm = levels.find((l) => l.Name === 'vm');
  if (vm?.Unavailable) {
    console.log(`bench/vm: the vm level does not work here: ${vm.Unavailable}`);
    process.exit(0);
  }

  const runOnce = (level: keyof typeof LEVELS | 'vm-cold', i = 0) => timed(JANUS_BIN, ['run', '--rm', '--network', 'none', '--memory',
    // A RAM size of its own makes a VM the first of its kind: it boots cold (and leaves a template nothing else uses).
    level === 'vm-cold' ? `${300 + 4 * i}m` : VM_MEMORY, ...LEVELS[level === 'vm-cold' ? 'vm' : level], 'busybox', 'true'], env);
  progress(`warming up (the first VM builds the initramfs and the image's disk, and the template of its kind), then ${runs} alternating runs`);
  await runOnce('vm');
  await runOnce('container');
  const start: Record<string, number[]> = { container: [], vm: [], 'vm-cold': [] };
  for (let i = 0; i < runs; i++) {
    for (const level of ['container', 'vm', 'vm-cold'] as const) start[level].push(await runOnce(level, i));
  }
  // The daemon logs each VM's start: `bootMs` is QEMU's start to the agent's answer (with a template: the restore).
  const ready = d.log().split('\n').filter((l) => l.includes('"VM ready"')).map((l) => JSON.parse(l) as { boot: string; bootMs: number });
  const restoreMs = ready.filter((r) => r.boot === 'template').map((r) => r.bootMs);
  const coldBootMs = ready.filter((r) => r.boot === 'cold').map((r) => r.bootMs);
  const accel = ((await exec.run(JANUS_BIN, ['info', '--format', '{{json .Janus.IsolationLevels}}'], { env }).then((r) => JSON.parse(r.stdout))) as { Name: string; Accelerator?: string }[]).find((l) => l.Name === 'vm')?.Accelerator;
  console.log(`bench/vm: ${runs} runs each, alternating; accelerator ${accel}; VM RAM ${VM_MEMORY}; --network none`);
  const label: Record<string, string> = { container: 'container', vm: 'vm (template)', 'vm-cold': 'vm (cold boot)' };
  for (const [k, xs] of Object.entries(start)) {
    console.log(`  run --rm busybox true, ${label[k].padEnd(14)} median ${ms(median(xs)).padStart(8)}  (min ${ms(Math.min(...xs))}, max ${ms(Math.max(...xs))})`);
  }
  console.log(`  vm / container ratio: ${(median(start.vm) / median(start.container)).toFixed(1)} (goal under TCG: vm ≤ 1500 ms)`);
  for (const [what, xs] of [['template start (restore to the agent\'s answer)', restoreMs], ['cold boot (QEMU start to the agent\'s answer, with the template saved)', coldBootMs]] as const) {
    if (xs.length) console.log(`  ${what}: median ${ms(median(xs))} (min ${ms(Math.min(...xs))}, max ${ms(Math.max(...xs))}, ${xs.length} VMs)${what.startsWith('template') ? ' (goal under TCG: ≤ 300 ms)' : ''}`);
  }

  // exec latency into one running workload of each level.
  const execTimes: Record<string, number[]> = { container: [], vm: [] };
  const names = { container: `bench-ct-${process.pid}`, vm: `bench-vm-${process.pid}` };
  for (const level of ['container', 'vm'] as const) {
    await exec.run(JANUS_BIN, ['run', '-d', '--name', names[level], '--network', 'none', '--memory', VM_MEMORY, ...LEVELS[level], 'busybox', 'sleep', '3600'], { env });
  }
  for (let i = 0; i < runs; i++) {
    for (const level of ['container', 'vm'] as const) execTimes[level].push(await timed(JANUS_BIN, ['exec', names[level], 'true'], env));
  }
  for (const [k, xs] of Object.entries(execTimes)) console.log(`  exec true, ${k.padEnd(9)}            median ${ms(median(xs)).padStart(8)}`);
  console.log(`  exec vm / container ratio: ${(median(execTimes.vm) / median(execTimes.container)).toFixed(2)}`);
  await exec.run(JANUS_BIN, ['rm', '-f', names.container, names.vm], { env });

  // Host memory per idle workload.
  for (const level of ['container', 'vm'] as const) {
    progress(`${idle} idle workloads at the ${level} level`);
    const before = await memAvailable();
    const ids: string[] = [];
    for (let i = 0; i < idle; i++) {
      ids.push((await exec.run(JANUS_BIN, ['run', '-d', '--network', 'none', '--memory', VM_MEMORY, ...LEVELS[level], 'busybox', 'sleep', '3600'], { env })).stdout.trim());
    }
    await new Promise((r) => setTimeout(r, 3000));
    const after = await memAvailable();
    let pss = 0;
    for (const id of ids) {
      const pid = (await apiOk(d.socket, 200, 'GET', `/v1.50/containers/${id}/json`)).State.Pid as number;
      // A container: its process and its conmon; a VM: QEMU (the pid inspect shows).
      for (const p of level === 'vm' ? [pid] : [pid, await parentOf(pid)]) pss += (await memoryOf(p)).pss;
    }
    console.log(`  idle ${level.padEnd(9)}: PSS ${(pss / idle / MiB).toFixed(1)} MiB per workload (${level === 'vm' ? 'QEMU' : 'conmon + sleep'}); host MemAvailable drop ${((before - after) / idle / MiB).toFixed(1)} MiB per workload${level === 'vm' ? ' (goal ≤ 64 MiB)' : ''}`);
    await Promise.all(ids.map((id) => api(d.socket, 'DELETE', `/v1.50/containers/${id}?force=1`)));
  }

  // N workloads at once.
  for (const level of ['container', 'vm'] as const) {
    progress(`${concurrent} workloads at once at the ${level} level`);
    const t0 = performance.now();
    const results = await Promise.allSettled(Array.from({ length: concurrent }, () => exec.run(JANUS_BIN, ['run', '-d', '--network', 'none', '--memory', VM_MEMORY, ...LEVELS[level], 'busybox', 'sleep', '600'], { env }).then((r) => r.stdout.trim())));
    const wall = performance.now() - t0;
    const ok = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<string>).value);
    const failed = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason).split('\n')[0]);
    console.log(`  ${concurrent} at once, ${level.padEnd(9)}: all running after ${ms(wall)} (${ok.length} started${failed.length ? `, ${failed.length} failed: ${failed[0]}` : ''})`);
    await Promise.all(ok.map((id) => api(d.socket, 'DELETE', `/v1.50/containers/${id}?force=1`)));
  }
} finally {
  await d.stop();
}
