// Compose benchmark: `compose up -d --wait` and `compose down -v` of the
// sample app (examples/compose), janus with every service at the container
// level, and with the worker as a microVM (vm.override.yaml), against
// podman-compose on podman when both are installed; and `up -d` / `down -v`
// of janus compose beside docker-compose v1, both against the janus daemon
// (the two compose clients on one daemon). With the vm level: the whole app
// as one microVM (--isolation vm-stack) beside one microVM per service, and
// the QEMU processes' memory (PSS) after up --wait for each.
// Medians over --runs runs; ratios.
// Prints figures only; there is no pass/fail threshold.
// Usage: node bench/compose.ts [--runs N] [--no-vm]
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { NodeExec } from '../src/util/exec.ts';
import { JANUS_BIN, startDaemon } from '../test/support/daemon.ts';
import { median, onPath, preparePodman, timed } from './bench-support.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, 'no-vm': { type: 'boolean', default: false } } });
const runs = Math.max(1, Number(values.runs));
const progress = (text: string): void => { process.stderr.write(`bench/compose: ${text}\n`); };

if (process.getuid?.() !== 0) {
  console.error('bench/compose: cannot run: needs root');
  process.exit(1);
}
const exec = new NodeExec();
const d = await startDaemon();
const work = await mkdtemp(join(tmpdir(), 'janus-bench-compose-'));
let service: ChildProcess | undefined;
const times: Record<string, number[]> = {};
const record = (what: string, ms: number): void => { (times[what] ??= []).push(ms); };
try {
  const env = { ...process.env, JANUS_HOST: d.host, JANUS_CONFIG: d.configDir, WEB_PORT: '18080' };
  await exec.run(JANUS_BIN, ['image', 'bootstrap', 'busybox'], { env });
  const app = join(work, 'app');
  await cp(resolve(import.meta.dirname, '../examples/compose'), app, { recursive: true });
  const files = (vm: boolean | string) => ['-f', join(app, 'compose.yaml'), ...(vm ? ['-f', join(app, typeof vm === 'string' ? vm : 'vm.override.yaml')] : [])];
  // One microVM per service, to compare with the whole app in one (vm-stack).
  await writeFile(join(app, 'all-vm.override.yaml'), `services:\n${['init', 'backend', 'worker', 'web'].map((s) => `  ${s}:\n    x-janus: {isolation: vm}\n`).join('')}`);
  /** PSS (MiB) of this daemon's QEMU processes, and how many there are. */
  const qemuPss = async (): Promise<{ mib: number; count: number }> => {
    let kib = 0;
    let count = 0;
    for (const pid of (await readdir('/proc')).filter((n) => /^\d+$/.test(n))) {
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (!cmdline.includes('qemu-system') || !cmdline.includes(d.root)) continue;
      const m = /^Pss:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => ''));
      if (m) {
        kib += Number(m[1]);
        count++;
      }
    }
    return { mib: kib / 1024, count };
  };
  const memory: Record<string, number[]> = {};
  const qemuCount: Record<string, number> = {};

  const levels = JSON.parse((await exec.run(JANUS_BIN, ['info', '--format', '{{json .Janus.IsolationLevels}}'], { env })).stdout) as Array<{ Name: string; Unavailable?: string; Accelerator?: string }>;
  let vmOk = !values['no-vm'];
  const vmLevel = levels.find((l) => l.Name === 'vm');
  if (vmOk && (!vmLevel || vmLevel.Unavailable)) {
    progress(`the vm level does not work here (${vmLevel?.Unavailable ?? 'not listed'}): container level only`);
    vmOk = false;
  }
  if (vmOk) {
    for (let i = 0; i < 600; i++) {
      const acc = (JSON.parse((await exec.run(JANUS_BIN, ['info', '--format', '{{json .Janus.IsolationLevels}}'], { env })).stdout) as typeof levels).find((l) => l.Name === 'vm')?.Accelerator;
      if (acc && acc !== 'probing') break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  // The peer: podman-compose against podman. docker-compose v1 cannot be it: it refuses the file's top-level `name:` and has no --wait.
  const podman = await preparePodman(work, { env });
  const podmanCompose = onPath('podman-compose');
  let peer: { name: string; env: NodeJS.ProcessEnv } | undefined;
  if (!podman) {
    progress('podman is not installed (no peer to compare with): janus alone');
  } else if (!podmanCompose) {
    progress('podman-compose is not installed (no peer to compare with): janus alone');
  } else {
    const socket = join(work, 'podman.sock');
    service = spawn(podman.podman, ['system', 'service', '--time=0', `unix://${socket}`], { env: podman.env, stdio: 'ignore' });
    peer = { name: 'podman-compose', env: { ...podman.env, WEB_PORT: '18080' } };
  }
  // A second comparison on the same daemon: docker-compose v1 (a v1-shaped copy of the file: no top-level name, -p instead)
  // against janus's API, `up -d` (v1 has no --wait; it still honours the depends_on conditions) — the two compose clients side by side.
  const dockerCompose = onPath('docker-compose');
  const v1File = join(app, 'compose.v1.yaml');
  await writeFile(v1File, (await readFile(join(app, 'compose.yaml'), 'utf8')).replace(/^name: .*$/m, ''));
  const v1Env = { ...process.env, DOCKER_HOST: d.host, WEB_PORT: '18080' };
  let v1 = dockerCompose !== undefined;
  if (v1) {
    try {
      await timed(dockerCompose!, ['-f', v1File, '-p', 'sample', 'up', '-d'], v1Env);
      await timed(dockerCompose!, ['-f', v1File, '-p', 'sample', 'down', '-v'], v1Env);
    } catch (err) {
      progress(`docker-compose v1 against janus failed, left out: ${(err as Error).message.split('\n')[0]}`);
      v1 = false;
    }
  } else {
    progress('docker-compose is not installed: no same-daemon comparison');
  }

  const variants: Array<{ name: string; vm: boolean | string; up?: string[] }> = [
    { name: 'container', vm: false },
    ...(vmOk ? [
      { name: 'worker as vm', vm: true },
      { name: 'one vm per service', vm: 'all-vm.override.yaml' },
      { name: 'vm-stack', vm: false, up: ['--isolation', 'vm-stack'] },
    ] : []),
  ];
  // Warm-up: the first VM of a kind boots and saves its template; later ones restore it.
  for (const v of variants) {
    await timed(JANUS_BIN, ['compose', ...files(v.vm), 'up', '-d', '--wait', ...(v.up ?? [])], env);
    await timed(JANUS_BIN, ['compose', ...files(v.vm), 'down', '-v'], env);
  }
  for (let i = 0; i < runs; i++) {
    progress(`run ${i + 1} of ${runs}`);
    for (const v of variants) {
      record(`up -d --wait (janus, ${v.name})`, await timed(JANUS_BIN, ['compose', ...files(v.vm), 'up', '-d', '--wait', ...(v.up ?? [])], env));
      if (v.vm || v.up) {
        const m = await qemuPss();
        (memory[v.name] ??= []).push(m.mib);
        qemuCount[v.name] = m.count;
      }
      record(`down -v (janus, ${v.name})`, await timed(JANUS_BIN, ['compose', ...files(v.vm), 'down', '-v'], env));
    }
    if (peer && podmanCompose) {
      record(`up -d (${peer.name})`, await timed(podmanCompose, ['-f', join(app, 'compose.yaml'), 'up', '-d'], peer.env));
      record(`down -v (${peer.name})`, await timed(podmanCompose, ['-f', join(app, 'compose.yaml'), 'down', '-v'], peer.env));
    }
    if (v1 || peer) {
      record('up -d (janus, container)', await timed(JANUS_BIN, ['compose', ...files(false), 'up', '-d'], env));
      record('down -v after up -d (janus, container)', await timed(JANUS_BIN, ['compose', ...files(false), 'down', '-v'], env));
    }
    if (v1) {
      record('up -d (docker-compose v1 → janus API)', await timed(dockerCompose!, ['-f', v1File, '-p', 'sample', 'up', '-d'], v1Env));
      record('down -v (docker-compose v1 → janus API)', await timed(dockerCompose!, ['-f', v1File, '-p', 'sample', 'down', '-v'], v1Env));
    }
  }
  console.log(`bench/compose: the sample app (examples/compose: 4 services, one named volume, a healthcheck, a one-shot job), ${runs} runs, medians`);
  for (const [what, xs] of Object.entries(times)) console.log(`  ${what}: ${median(xs).toFixed(0)} ms  (runs: ${xs.map((x) => x.toFixed(0)).join(', ')})`);
  const ratio = (a: string, b: string, label: string): void => {
    const x = times[a];
    const y = times[b];
    if (x && y) console.log(`  ${label}: ${(median(x) / median(y)).toFixed(2)}`);
  };
  if (peer) {
    ratio('up -d (janus, container)', `up -d (${peer.name})`, `up -d: janus / ${peer.name}`);
    ratio('down -v after up -d (janus, container)', `down -v (${peer.name})`, `down -v: janus / ${peer.name}`);
  }
  if (v1) {
    ratio('up -d (janus, container)', 'up -d (docker-compose v1 → janus API)', 'up -d: janus compose / docker-compose v1, same daemon');
    ratio('down -v after up -d (janus, container)', 'down -v (docker-compose v1 → janus API)', 'down -v: janus compose / docker-compose v1, same daemon');
  }
  ratio('up -d --wait (janus, worker as vm)', 'up -d --wait (janus, container)', 'up -d --wait: worker as vm / all containers');
  ratio('up -d --wait (janus, vm-stack)', 'up -d --wait (janus, one vm per service)', 'up -d --wait: vm-stack / one vm per service');
  ratio('down -v (janus, vm-stack)', 'down -v (janus, one vm per service)', 'down -v: vm-stack / one vm per service');
  for (const [name, xs] of Object.entries(memory)) {
    console.log(`  QEMU PSS after up --wait (${name}): ${median(xs).toFixed(0)} MiB in ${qemuCount[name]} QEMU process(es)  (runs: ${xs.map((x) => x.toFixed(0)).join(', ')})`);
  }
  if (memory['vm-stack'] && memory['one vm per service']) {
    console.log(`  QEMU PSS: vm-stack / one vm per service: ${(median(memory['vm-stack']) / median(memory['one vm per service'])).toFixed(2)}`);
  }
} finally {
  service?.kill('SIGTERM');
  await d.stop();
  await rm(work, { recursive: true, force: true }).catch(() => {});
}
