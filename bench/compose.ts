// Compose benchmark: `compose up -d --wait` and `compose down -v` of the
// sample app (examples/compose), janus with every service at the container
// level, and with the worker as a microVM (vm.override.yaml), against
// podman-compose / docker-compose on podman's system service when podman is
// installed. Medians over --runs runs; ratios janus / peer. Prints figures
// only; there is no pass/fail threshold.
// Usage: node bench/compose.ts [--runs N] [--no-vm]
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
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
  const files = (vm: boolean) => ['-f', join(app, 'compose.yaml'), ...(vm ? ['-f', join(app, 'vm.override.yaml')] : [])];

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

  // The peer: podman's system service driven by docker-compose (v1 refuses the file's top-level `name:`) or podman-compose.
  const podman = await preparePodman(work, { env });
  const peerCompose = onPath('podman-compose');
  let peer: { name: string; up: string[]; down: string[]; env: NodeJS.ProcessEnv; file: string } | undefined;
  if (!podman) {
    progress('podman is not installed (no peer to compare with): janus alone');
  } else if (!peerCompose) {
    progress('podman-compose is not installed (docker-compose v1 refuses the Compose Specification file: top-level name, --wait): janus alone');
  } else {
    const socket = join(work, 'podman.sock');
    service = spawn(podman.podman, ['system', 'service', '--time=0', `unix://${socket}`], { env: podman.env, stdio: 'ignore' });
    peer = { name: 'podman-compose', file: join(app, 'compose.yaml'), env: { ...podman.env, WEB_PORT: '18080' }, up: ['up', '-d'], down: ['down', '-v'] };
  }

  const variants: Array<{ name: string; vm: boolean }> = [{ name: 'container', vm: false }, ...(vmOk ? [{ name: 'worker as vm', vm: true }] : [])];
  // Warm-up: the first VM of a kind boots and saves its template; later ones restore it.
  for (const v of variants) {
    await timed(JANUS_BIN, ['compose', ...files(v.vm), 'up', '-d', '--wait'], env);
    await timed(JANUS_BIN, ['compose', ...files(v.vm), 'down', '-v'], env);
  }
  for (let i = 0; i < runs; i++) {
    progress(`run ${i + 1} of ${runs}`);
    for (const v of variants) {
      record(`up -d --wait (janus, ${v.name})`, await timed(JANUS_BIN, ['compose', ...files(v.vm), 'up', '-d', '--wait'], env));
      record(`down -v (janus, ${v.name})`, await timed(JANUS_BIN, ['compose', ...files(v.vm), 'down', '-v'], env));
    }
    if (peer && peerCompose) {
      record(`up -d --wait (${peer.name})`, await timed(peerCompose, ['-f', peer.file, ...peer.up], peer.env));
      record(`down -v (${peer.name})`, await timed(peerCompose, ['-f', peer.file, ...peer.down], peer.env));
    }
  }
  console.log(`bench/compose: the sample app (examples/compose: 4 services, one named volume, a healthcheck, a one-shot job), ${runs} runs, medians`);
  for (const [what, xs] of Object.entries(times)) console.log(`  ${what}: ${median(xs).toFixed(0)} ms  (runs: ${xs.map((x) => x.toFixed(0)).join(', ')})`);
  if (peer) {
    for (const op of ['up -d --wait', 'down -v']) {
      const ours = times[`${op} (janus, container)`];
      const theirs = times[`${op} (${peer.name})`];
      if (ours && theirs) console.log(`  ${op}: janus / ${peer.name} ${(median(ours) / median(theirs)).toFixed(2)}`);
    }
  } else {
    const c = times['up -d --wait (janus, container)'];
    const v = times['up -d --wait (janus, worker as vm)'];
    if (c && v) console.log(`  up -d --wait: worker as vm / all containers ${(median(v) / median(c)).toFixed(2)}`);
  }
} finally {
  service?.kill('SIGTERM');
  await d.stop();
  await rm(work, { recursive: true, force: true }).catch(() => {});
}
