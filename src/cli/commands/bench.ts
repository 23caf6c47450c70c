import { readFile, writeFile } from 'node:fs/promises';
import type { DockerClient } from '../../api/client/docker-client.ts';
import { isJanusError, unavailable } from '../../core/errors.ts';
import { BENCH_LEVELS, writeBenchCache, type BenchLevel, type BenchResults, type LevelFigures } from '../bench-cache.ts';
import { benchChartSvg, benchTable } from '../bench-chart.ts';
import type { CliContext, Command } from '../command.ts';
import { workloadPss } from '../process-memory.ts';
import { parseRamSize } from '../ram-size.ts';
import { UsageError } from '../usage-error.ts';

interface LevelInfo { Name: string; Backends?: string[]; Unavailable?: string; Accelerator?: string }

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs `cmd` in container `id` through the API and resolves with its stdout and exit code. */
async function execIn(client: DockerClient, id: string, cmd: string[], signal: AbortSignal): Promise<{ stdout: string; code: number }> {
  const { Id } = await client.execCreate(id, { Cmd: cmd, AttachStdout: true, AttachStderr: true }, { signal });
  const stream = await client.execStart(Id, { signal });
  let stdout = '';
  for await (const chunk of stream.output) if (chunk.stream === 'stdout') stdout += chunk.data.toString();
  const info = await client.execInspect(Id, { signal });
  return { stdout, code: info.ExitCode ?? -1 };
}

/** Wall time of `run --rm --network none IMAGE true` at `level`, through the API as the CLI does it, ms. */
async function runRmTrue(client: DockerClient, image: string, level: BenchLevel, signal: AbortSignal): Promise<number> {
  const t0 = performance.now();
  const { Id } = await client.containerCreate({ Image: image, Cmd: ['true'], HostConfig: { AutoRemove: true, NetworkMode: 'none', Isolation: level } }, { signal });
  const wait = await client.containerWait(Id, { condition: 'removed', signal });
  await client.containerStart(Id, { signal });
  const r = await wait.result;
  if (r.StatusCode !== 0) throw unavailable(`run --rm ${image} true at the ${level} level exited ${r.StatusCode}`);
  return performance.now() - t0;
}

/** Seconds between two /proc/uptime readings the workload printed around its job (10 ms resolution, inside the workload's own clock). */
function timedScript(job: string): string[] {
  return ['sh', '-c', `a=$(cut -d' ' -f1 /proc/uptime); ${job}; b=$(cut -d' ' -f1 /proc/uptime); echo "$a $b"`];
}

/**
 * `janus bench`: measures this host at each isolation level that works,
 * side by side in one run — cold and warm `run --rm true`, exec latency,
 * idle host memory per workload (PSS of its process tree), how many fit in
 * a memory budget, and a CPU-bound (md5sum) and an I/O-bound (dd with fsync)
 * job's throughput inside a workload. Prints a table, writes an SVG chart,
 * and hands the results to the daemon (PUT /janus/bench), which keeps them
 * for `janus advise` and the dashboard. It must run on the daemon's
 * host (memory is read from /proc); `--quick` uses few iterations (VM boots
 * are slow without KVM). Figures only: nothing passes or fails.
 */
export const benchCommand: Command = {
  spec: {
    name: 'bench',
    usage: '[OPTIONS]',
    description: 'Measure start time, exec latency, memory, density and throughput at each isolation level on this host',
    args: { min: 0, max: 0 },
    flags: [
      { name: 'quick', type: 'bool', description: 'Few iterations (finishes in about a minute or two)' },
      { name: 'image', type: 'string', valueName: 'image', default: 'busybox', description: 'Image to measure with (needs sh, true, sleep, dd, md5sum, cut)' },
      { name: 'budget', type: 'string', valueName: 'bytes', description: 'Memory budget for the density figure (default: the host\'s MemAvailable now)' },
      { name: 'chart', type: 'string', valueName: 'file', default: 'janus-bench.svg', description: 'Where to write the SVG chart' },
      { name: 'output', short: 'o', type: 'string', valueName: 'file', description: 'Also write the results to this file (janus advise --bench-file reads one)' },
      { name: 'format', type: 'string', valueName: 'string', description: "Output format: 'table' (default) or 'json'" },
    ],
  },
  async run(ctx, args) {
    const quick = args.bool('quick');
    const image = args.string('image') ?? 'busybox';
    const format = args.string('format') ?? 'table';
    if (format !== 'table' && format !== 'json') throw new UsageError(`--format ${format} is not supported: want table or json`, { command: 'bench' });
    const budgetText = args.string('budget');
    let budget: number;
    if (budgetText !== undefined) {
      try { budget = parseRamSize(budgetText); } catch (err) { throw new UsageError(`invalid argument ${JSON.stringify(budgetText)} for "--budget" flag: ${(err as Error).message}`, { command: 'bench' }); }
    } else {
      const m = /^MemAvailable:\s+(\d+)/m.exec(await readFile('/proc/meminfo', 'utf8').catch(() => ''));
      if (!m) throw unavailable('cannot read MemAvailable from /proc/meminfo: give --budget');
      budget = Number(m[1]) * 1024;
    }
    const client = ctx.client();
    const signal = ctx.signal;
    const progress = (text: string): void => { ctx.stderr.write(`bench: ${text}\n`); };
    try {
      await client.inspectImage(image, { signal });
    } catch (err) {
      if (isJanusError(err, 'NotFound')) throw unavailable(`bench needs the image ${image}: janus image bootstrap busybox (or pull it)`);
      throw err;
    }

    let info = await client.info({ signal });
    const levelsOf = (i: typeof info) => ((i as { Janus?: { IsolationLevels?: LevelInfo[] } }).Janus?.IsolationLevels ?? []);
    // The VM accelerator is probed by booting a guest in the background after the daemon starts.
    for (let t = 0; t < 120 && levelsOf(info).find((l) => l.Name === 'vm' && !l.Unavailable && l.Accelerator === 'probing'); t++) {
      if (t === 0) progress('waiting for the daemon\'s VM accelerator probe');
      await new Promise((r) => setTimeout(r, 500));
      info = await client.info({ signal });
    }
    const levelInfo = levelsOf(info);
    const startRuns = quick ? { container: 3, sandbox: 3, vm: 2 } : { container: 10, sandbox: 10, vm: 5 };
    const execRuns = quick ? 3 : 10;
    const jobMiB = quick ? 16 : 64;
    const results: BenchResults = {
      version: 1,
      measuredAt: new Date().toISOString(),
      quick,
      host: {
        name: String(info.Name ?? ''),
        kernel: String((info as { KernelVersion?: string }).KernelVersion ?? ''),
        cpus: Number((info as { NCPU?: number }).NCPU ?? 0),
        memTotal: Number((info as { MemTotal?: number }).MemTotal ?? 0),
        ...(levelInfo.find((l) => l.Name === 'vm')?.Accelerator ? { accelerator: levelInfo.find((l) => l.Name === 'vm')!.Accelerator } : {}),
      },
      budgetBytes: budget,
      iterations: { start: startRuns.container, exec: execRuns },
      levels: {} as Record<BenchLevel, LevelFigures>,
    };

    for (const level of BENCH_LEVELS) {
      const li = levelInfo.find((l) => l.Name === level);
      const works = !!li && !li.Unavailable && (li.Backends?.length ?? 0) > 0;
      const f: LevelFigures = { works, notes: [] };
      results.levels[level] = f;
      if (!works) {
        f.why = li?.Unavailable ?? 'the daemon reports no backend for it';
        progress(`${level}: does not work here (${f.why})`);
        continue;
      }
      await measureLevel(ctx, { client, image, level, f, startRuns: startRuns[level], execRuns, jobMiB, budget, progress });
    }

    const output = args.string('output');
    if (output !== undefined) await writeBenchCache(output, results);
    const chart = args.string('chart') ?? 'janus-bench.svg';
    await writeFile(chart, benchChartSvg(results));
    if (format === 'json') {
      ctx.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    } else {
      ctx.stdout.write(benchTable(results));
      for (const l of BENCH_LEVELS) for (const n of results.levels[l].notes) ctx.stdout.write(`note (${l}): ${n}\n`);
      ctx.stdout.write(`chart: ${chart}\n${output !== undefined ? `results written to ${output}\n` : ''}`);
    }
    // The daemon keeps the figures for janus advise and the dashboard. Recorded after printing, so
    // a daemon that refuses them (or has no such endpoint) costs the error, not the measurements.
    await client.benchRecord(results, { signal });
    if (format !== 'json') ctx.stdout.write('results recorded by the daemon (janus advise and the dashboard use them)\n');
  },
};

async function measureLevel(
  ctx: CliContext,
  o: { client: DockerClient; image: string; level: BenchLevel; f: LevelFigures; startRuns: number; execRuns: number; jobMiB: number; budget: number; progress: (t: string) => void },
): Promise<void> {
  const { client, image, level, f } = o;
  const signal = ctx.signal;
  o.progress(`${level}: cold start, then ${o.startRuns} warm starts`);
  f.coldStartMs = await runRmTrue(client, image, level, signal);
  const warm: number[] = [];
  for (let i = 0; i < o.startRuns; i++) warm.push(await runRmTrue(client, image, level, signal));
  f.warmStartMs = median(warm);

  o.progress(`${level}: one idle workload: exec latency, memory, CPU and I/O jobs`);
  const { Id } = await client.containerCreate({ Image: image, Cmd: ['sleep', '3600'], HostConfig: { NetworkMode: 'none', Isolation: level } }, { signal });
  try {
    await client.containerStart(Id, { signal });
    const execs: number[] = [];
    for (let i = 0; i < o.execRuns; i++) {
      const t0 = performance.now();
      const r = await execIn(client, Id, ['true'], signal);
      if (r.code !== 0) throw unavailable(`exec true at the ${level} level exited ${r.code}`);
      execs.push(performance.now() - t0);
    }
    f.execMs = median(execs);

    // Let the workload settle (a VM's guest finishes booting work it deferred) before reading its memory.
    await new Promise((r) => setTimeout(r, 2000));
    const pid = Number((await client.containerInspect(Id, { signal }) as { State?: { Pid?: number } }).State?.Pid ?? 0);
    const mem = pid > 0 ? await workloadPss(pid) : { pss: 0, processes: 0 };
    if (mem.pss > 0) {
      f.idlePssBytes = mem.pss;
      f.fitInBudget = Math.floor(o.budget / mem.pss);
      f.notes.push(`idle memory is the PSS of ${mem.processes} host processes`);
    } else {
      f.notes.push('idle memory not measured: the workload\'s processes could not be read (bench must run as root on the daemon\'s host)');
    }

    const seconds = (out: string): number | undefined => {
      const [a, b] = out.trim().split(/\s+/).map(Number);
      return Number.isFinite(a) && Number.isFinite(b) && b > a ? b - a : undefined;
    };
    const cpu = await execIn(client, Id, timedScript(`dd if=/dev/zero bs=1M count=${o.jobMiB} 2>/dev/null | md5sum >/dev/null`), signal);
    const cpuS = cpu.code === 0 ? seconds(cpu.stdout) : undefined;
    if (cpuS) f.cpuMBps = (o.jobMiB * 1.048576) / cpuS;
    else f.notes.push(`CPU job not measured (exit ${cpu.code}, output ${JSON.stringify(cpu.stdout.trim())}; a job under 10 ms cannot be timed)`);
    const io = await execIn(client, Id, timedScript(`dd if=/dev/zero of=/janus-bench.io bs=1M count=${o.jobMiB} conv=fsync 2>/dev/null; rm -f /janus-bench.io`), signal);
    const ioS = io.code === 0 ? seconds(io.stdout) : undefined;
    if (ioS) f.ioMBps = (o.jobMiB * 1.048576) / ioS;
    else f.notes.push(`I/O job not measured (exit ${io.code}, output ${JSON.stringify(io.stdout.trim())})`);
  } finally {
    await client.containerRemove(Id, { force: true }).catch(() => {});
  }
}
