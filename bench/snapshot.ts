// Snapshot benchmark: `snapshot create` of a running workload and
// `snapshot restore` of the stopped one, container vs VM, with --data MiB of
// random bytes written into each (the container's writable layer, the VM's
// disk), through the real CLI and daemon: wall time per command (CLI start
// included) and the snapshot's size on the host. Medians of --runs. For the
// VM's design choice it also times the alternative, internal qcow2
// snapshots (`qemu-img snapshot -c` / `-a`), on a copy of the VM's disk.
// Then `--memory` snapshots at each level that has them (a level that
// refuses prints why): create of a running workload holding --data MiB
// (at most 48) in RAM, restore of the stopped one (which continues it), and the size.
// Usage: node bench/snapshot.ts [--runs N] [--data MiB] [--memory-only]
// Prints figures only; there is no pass/fail threshold.
import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NodeExec } from '../src/util/exec.ts';
import { JANUS_BIN, startDaemon } from '../test/support/daemon.ts';
import { median, timed } from './bench-support.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, data: { type: 'string', default: '64' }, 'memory-only': { type: 'boolean', default: false } } });
const runs = Math.max(1, Number(values.runs));
const dataMiB = Math.max(1, Number(values.data));

if (process.getuid?.() !== 0) {
  console.error('bench/snapshot: cannot run: needs root');
  process.exit(1);
}
const exec = new NodeExec();
const MiB = 1024 * 1024;
const progress = (text: string): void => { process.stderr.write(`bench/snapshot: ${text}\n`); };
const fmt = (xs: number[]): string => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;

const LEVELS = { container: [] as string[], vm: ['--isolation', 'vm'] };

const d = await startDaemon();
try {
  const env = { ...process.env, JANUS_HOST: d.host, JANUS_CONFIG: d.configDir };
  const janus = async (args: string[]): Promise<string> => (await exec.run(JANUS_BIN, args, { env })).stdout;
  progress('bootstrapping busybox');
  await janus(['image', 'bootstrap', 'busybox']);
  const levels = JSON.parse(await janus(['info', '--format', '{{json .Janus.IsolationLevels}}'])) as { Name: string; Unavailable?: string }[];
  const vmUnavailable = levels.find((l) => l.Name === 'vm')?.Unavailable;
  const copyMode = { value: '' };
  const results: { level: string; create: number[]; restore: number[]; size: number }[] = [];
  let vmDisk = '';

  for (const level of values['memory-only'] ? [] : Object.keys(LEVELS) as (keyof typeof LEVELS)[]) {
    if (level === 'vm' && vmUnavailable) {
      console.log(`bench/snapshot: the vm level does not work here: ${vmUnavailable}`);
      continue;
    }
    const name = `bench-${level}`;
    progress(`${level}: starting, writing ${dataMiB} MiB`);
    const id = (await janus(['run', '-d', '--name', name, '--network', 'none', '--memory', '512m', ...LEVELS[level], 'busybox', 'sleep', '1000000'])).trim();
    await janus(['exec', name, 'sh', '-c', `dd if=/dev/urandom of=/data.bin bs=1M count=${dataMiB} 2>/dev/null && sync`]);
    const create: number[] = [];
    const restore: number[] = [];
    for (let i = 0; i < runs; i++) create.push(await timed(JANUS_BIN, ['snapshot', 'create', name, `s${i}`], env));
    const listed = JSON.parse(`[${(await janus(['snapshot', 'ls', '--format', '{{json .}}', name])).trim().split('\n').join(',')}]`) as { Bytes: number; CopyMode: string }[];
    copyMode.value = listed[0]?.CopyMode ?? '';
    await janus(['stop', '-t', '1', name]);
    for (let i = 0; i < runs; i++) restore.push(await timed(JANUS_BIN, ['snapshot', 'restore', name, `s${i}`], env));
    results.push({ level, create, restore, size: median(listed.map((s) => s.Bytes)) });
    if (level === 'vm') vmDisk = join(d.root, 'containers', id, 'root.qcow2');
    progress(`${level}: create ${fmt(create)}; restore ${fmt(restore)}`);
  }

  // The alternative for VMs: internal qcow2 snapshots on (a copy of) the stopped VM's disk.
  let internal: { create: number[]; apply: number[]; growth: number } | undefined;
  if (vmDisk) {
    const work = await mkdtemp(join(tmpdir(), 'bench-snapshot-'));
    try {
      const disk = join(work, 'disk.qcow2');
      await copyFile(vmDisk, disk);
      const before = (await stat(disk)).blocks * 512;
      const create: number[] = [];
      const apply: number[] = [];
      for (let i = 0; i < runs; i++) create.push(await timed('qemu-img', ['snapshot', '-c', `s${i}`, disk]));
      for (let i = 0; i < runs; i++) apply.push(await timed('qemu-img', ['snapshot', '-a', `s${i}`, disk]));
      internal = { create, apply, growth: ((await stat(disk)).blocks * 512 - before) / runs };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  // Memory snapshots: random bytes held in RAM (/dev/shm, a 64 MiB tmpfs at every level), saved and continued.
  const ramMiB = Math.min(dataMiB, 48);
  const memResults: { level: string; create: number[]; restore: number[]; size: number }[] = [];
  const memRefused: string[] = [];
  const MEM_LEVELS = { container: [] as string[], sandbox: ['--isolation', 'sandbox'], vm: ['--isolation', 'vm'] };
  for (const level of Object.keys(MEM_LEVELS) as (keyof typeof MEM_LEVELS)[]) {
    const unavailable = levels.find((l) => l.Name === level)?.Unavailable;
    if (unavailable) {
      memRefused.push(`${level}: the level does not work here: ${unavailable}`);
      continue;
    }
    const name = `bench-mem-${level}`;
    progress(`${level}: memory snapshots, ${ramMiB} MiB in RAM`);
    await janus(['run', '-d', '--name', name, '--network', 'none', '--memory', '256m', ...MEM_LEVELS[level], 'busybox', 'sh', '-c',
      `dd if=/dev/urandom of=/dev/shm/ram bs=1M count=${ramMiB} 2>/dev/null; exec sleep 1000000`]);
    await new Promise((r) => setTimeout(r, 3000));
    const first = await exec.run(JANUS_BIN, ['snapshot', 'create', '--memory', name, 'probe'], { env, check: false });
    if (first.code !== 0) {
      memRefused.push(`${level}: ${first.stderr.trim()}`);
      await exec.run(JANUS_BIN, ['rm', '-f', '--snapshots', name], { env });
      continue;
    }
    const create: number[] = [];
    const restore: number[] = [];
    for (let i = 0; i < runs; i++) create.push(await timed(JANUS_BIN, ['snapshot', 'create', '--memory', name, `m${i}`], env));
    const listed = JSON.parse(`[${(await janus(['snapshot', 'ls', '--format', '{{json .}}', name])).trim().split('\n').join(',')}]`) as { Name: string; Bytes: number }[];
    for (let i = 0; i < runs; i++) {
      await janus(['stop', '-t', '1', name]);
      restore.push(await timed(JANUS_BIN, ['snapshot', 'restore', name, `m${i}`], env));
    }
    memResults.push({ level, create, restore, size: median(listed.filter((x) => x.Name !== 'probe').map((x) => x.Bytes)) });
    progress(`${level}: create --memory ${fmt(create)}; restore ${fmt(restore)}`);
    await exec.run(JANUS_BIN, ['rm', '-f', '--snapshots', name], { env });
  }

  console.log(`\nbench/snapshot: ${dataMiB} MiB of random data in each workload, ${runs} runs, copies: ${copyMode.value} (cp --reflink=auto on this file system)\n`);
  console.log('level      snapshot create (running, paused meanwhile)   snapshot restore (stopped)           size');
  for (const r of results) {
    console.log(`${r.level.padEnd(10)} ${fmt(r.create).padEnd(46)} ${fmt(r.restore).padEnd(36)} ${(r.size / MiB).toFixed(1)} MiB`);
  }
  if (internal) {
    console.log(`\nalternative for VMs, internal qcow2 snapshots (qemu-img on a stopped copy of the disk, no CLI/daemon):`);
    console.log(`  qemu-img snapshot -c: ${fmt(internal.create)}; -a: ${fmt(internal.apply)}; file growth per snapshot ${(internal.growth / MiB).toFixed(2)} MiB`);
  }
  console.log(`\nmemory snapshots (--memory; ${ramMiB} MiB of random data held in RAM (/dev/shm), 256 MiB memory limit / guest RAM):`);
  console.log('level      snapshot create --memory (running)            snapshot restore (stopped → running)   size');
  for (const r of memResults) {
    console.log(`${r.level.padEnd(10)} ${fmt(r.create).padEnd(46)} ${fmt(r.restore).padEnd(38)} ${(r.size / MiB).toFixed(1)} MiB`);
  }
  for (const why of memRefused) console.log(`  refused: ${why}`);
  for (const r of results) await exec.run(JANUS_BIN, ['rm', '-f', '--snapshots', `bench-${r.level}`], { env });
} finally {
  await d.stop();
}
