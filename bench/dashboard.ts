// Dashboard benchmark: N workloads (containers with --network none, to keep
// them cheap), the page in real headless Chromium: its first render (until
// the list of N is on screen), frame times while stats arrive at 1 Hz and
// the list scrolls, and the daemon's CPU cost of the stats stream (from
// /proc/<pid>/stat, with and without a viewer).
// Usage: node bench/dashboard.ts [--workloads N] [--seconds S]
// Prints figures only; there is no pass/fail threshold.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { startDaemon } from '../test/support/daemon.ts';
import { apiOk, median } from './bench-support.ts';

const { values } = parseArgs({ options: { workloads: { type: 'string', default: '200' }, seconds: { type: 'string', default: '30' } } });
const N = Math.max(1, Number(values.workloads));
const SECONDS = Math.max(5, Number(values.seconds));
const CHROMIUM = '/usr/bin/chromium';
const progress = (text: string): void => { process.stderr.write(`bench/dashboard: ${text}\n`); };

if (process.getuid?.() !== 0) {
  console.error('bench/dashboard: cannot run: needs root');
  process.exit(1);
}

/** utime + stime of a process, in clock ticks (1/100 s). */
async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** The daemon's CPU use over `seconds`, in % of one core. */
async function cpuPercent(pid: number, seconds: number): Promise<number> {
  const a = await cpuTicks(pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const b = await cpuTicks(pid);
  return ((b - a) / 100 / ((performance.now() - t0) / 1000)) * 100;
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

const d = await startDaemon({ timeoutMs: 60000 });
const ids: string[] = [];
let browser: Browser | undefined;
const work = await mkdtemp(join(tmpdir(), 'janus-bench-dash-'));
try {
  const pid = Number((await readFile(join(d.root, 'janus.pid'), 'utf8')).trim());
  progress(`daemon pid ${pid}; bootstrapping busybox`);
  const boot = await d.janus(['image', 'bootstrap', 'busybox']);
  if (boot.code !== 0) throw new Error(boot.stderr);
  progress(`starting ${N} containers (--network none)`);
  const t0 = performance.now();
  const startOne = async (i: number): Promise<void> => {
    const labels = i % 4 === 0 ? {} : { 'com.docker.compose.project': `proj${i % 4}`, 'com.docker.compose.service': `svc${i}` };
    const { Id } = await apiOk(d.socket, 201, 'POST', `/containers/create?name=bench${i}`, { Image: 'busybox', Cmd: ['sleep', '1000000'], Labels: labels, HostConfig: { NetworkMode: 'none' } });
    ids.push(Id);
    await apiOk(d.socket, 204, 'POST', `/containers/${Id}/start`);
  };
  for (let i = 0; i < N; i += 8) await Promise.all(Array.from({ length: Math.min(8, N - i) }, (_, k) => startOne(i + k)));
  progress(`${N} running after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const url = (await d.janus(['dashboard', '--print-url'])).stdout.trim();

  progress(`daemon CPU without viewers (${SECONDS} s)`);
  const idleCpu = await cpuPercent(pid, SECONDS);

  // A bare stream reader in the daemon's namespace: the stream's own cost, no page calls beside it.
  const token = new URL(url).searchParams.get('token')!;
  const reader = [
    "import { request } from 'node:http';",
    'let frames = 0; let bytes = 0; let workloads = 0;',
    "const req = request({ host: '127.0.0.1', port: 2380, path: '/dashboard/stream', headers: { Authorization: 'Bearer ' + process.argv[1] } }, (res) => {",
    "  let buf = '';",
    "  res.on('data', (b) => { bytes += b.length; buf += b; let i; while ((i = buf.indexOf('\\n\\n')) >= 0) { const ev = buf.slice(0, i); buf = buf.slice(i + 2);",
    "    if (ev.startsWith('event: stats')) frames++; else if (ev.startsWith('event: workloads')) workloads = JSON.parse(ev.slice(ev.indexOf('data: ') + 6)).length; } });",
    '});',
    'req.end();',
    "process.on('SIGTERM', () => { console.log(JSON.stringify({ frames, bytes, workloads })); process.exit(0); });",
  ].join('\n');
  const streamer = spawn('nsenter', [`--net=/run/netns/${d.netns}`, process.execPath, '--input-type=module', '-e', reader, token], { stdio: ['ignore', 'pipe', 'inherit'] });
  let streamOut = '';
  streamer.stdout.on('data', (b: Buffer) => { streamOut += b.toString(); });
  await new Promise((r) => setTimeout(r, 3000));
  progress(`daemon CPU with one stream reader (${SECONDS} s)`);
  const streamCpu = await cpuPercent(pid, SECONDS);
  const ended = new Promise((r) => streamer.once('close', r));
  streamer.kill('SIGTERM');
  await ended;
  const stream = JSON.parse(streamOut || '{}') as { frames?: number; bytes?: number; workloads?: number };

  progress('the page in headless Chromium');
  const wrapper = join(work, 'chromium');
  await writeFile(wrapper, `#!/bin/sh\nexec nsenter --net=/run/netns/${d.netns} ${CHROMIUM} "$@"\n`);
  await chmod(wrapper, 0o755);
  browser = await chromium.launch({ executablePath: wrapper, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const renders: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < 5; i++) {
    const ctx = await browser.newContext({ viewport: { width: 1500, height: 1000 } });
    const page = await ctx.newPage();
    const w0 = performance.now();
    await page.goto(url);
    await page.locator('li.row').first().waitFor();
    wall.push(performance.now() - w0);
    renders.push(await page.evaluate("performance.getEntriesByName('janus:list-rendered')[0].startTime") as number);
    const heading = await page.locator('#list-title').innerText();
    if (!heading.includes(`${N} (${N} running)`)) throw new Error(`the page lists ${heading}, not ${N}`);
    await ctx.close();
  }

  const ctx = await browser.newContext({ viewport: { width: 1500, height: 1000 } });
  const page = await ctx.newPage();
  await page.goto(url);
  await page.locator('li.row').first().click();
  await page.locator('.detail .chart-box').first().waitFor();
  await new Promise((r) => setTimeout(r, 3000));
  progress(`frame times for ${SECONDS} s (stats at 1 Hz, one workload open, the list scrolling)`);
  const pageCpuBefore = await cpuTicks(pid);
  const frames = await page.evaluate(`new Promise((done) => {
    const list = document.querySelector('.workload-list');
    const out = [];
    let last = performance.now();
    const end = last + ${SECONDS * 1000};
    let dir = 1;
    const step = (t) => {
      out.push(t - last);
      last = t;
      if (list) {
        list.scrollTop += 24 * dir;
        if (list.scrollTop + list.clientHeight >= list.scrollHeight - 1 || list.scrollTop <= 0) dir = -dir;
      }
      if (t < end) requestAnimationFrame(step); else done(out);
    };
    requestAnimationFrame(step);
  })`) as number[];
  const pageCpu = ((await cpuTicks(pid)) - pageCpuBefore) / SECONDS;
  const longTasks = frames.filter((f) => f > 50).length;

  console.log(`\nDashboard with ${N} workloads (containers, --network none), ${SECONDS} s windows, 2-core host`);
  console.log(`  first render (navigation start → list of ${N} on screen, performance mark): median ${median(renders).toFixed(0)} ms, runs ${renders.map((r) => r.toFixed(0)).join(', ')} ms`);
  console.log(`  same, wall clock from the bench (goto → first row visible, includes the token redirect): median ${median(wall).toFixed(0)} ms`);
  console.log(`  frame times while stats arrive and the list scrolls: ${frames.length} frames, median ${median(frames).toFixed(1)} ms, p95 ${pct(frames, 95).toFixed(1)} ms, p99 ${pct(frames, 99).toFixed(1)} ms, max ${Math.max(...frames).toFixed(1)} ms, ${longTasks} over 50 ms`);
  console.log(`  daemon CPU, no viewer: ${idleCpu.toFixed(2)} % of one core`);
  console.log(`  daemon CPU, one stream reader: ${streamCpu.toFixed(2)} % of one core → the stream costs ${(streamCpu - idleCpu).toFixed(2)} % (${stream.frames ?? '?'} frames, ${((stream.bytes ?? 0) / Math.max(1, stream.frames ?? 1) / 1024).toFixed(1)} KiB a frame, list of ${stream.workloads ?? '?'})`);
  console.log(`  daemon CPU with the page open (stream + the open workload's log follow): ${pageCpu.toFixed(2)} % of one core`);
} finally {
  await browser?.close();
  progress(`removing ${ids.length} containers`);
  for (let i = 0; i < ids.length; i += 8) {
    await Promise.all(ids.slice(i, i + 8).map((id) => apiOk(d.socket, 204, 'DELETE', `/containers/${id}?force=1`).catch((err: unknown) => progress(`rm ${id}: ${(err as Error).message}`))));
  }
  await d.stop();
  await rm(work, { recursive: true, force: true });
}
