// API benchmark: the same docker CLI against janus and against
// `podman system service`, side by side: `docker run --rm --network none
// busybox true`, and `docker ps` with N running containers, alternating.
// Both run with --network none so neither touches the host's network (the
// janus daemon runs in a network namespace of its own anyway).
// Usage: node bench/api.ts [--runs N] [--containers N]
// Prints figures only; there is no pass/fail threshold.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NodeExec } from '../src/util/exec.ts';
import { JANUS_BIN, startDaemon } from '../test/support/daemon.ts';
import { median, onPath, preparePodman, removeWorkDir, stopService, timed } from './bench-support.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    containers: { type: 'string', default: '100' },
  },
});
const runs = Math.max(1, Number(values.runs));
const count = Math.max(1, Number(values.containers));
const progress = (text: string): void => { process.stderr.write(`bench/api: ${text}\n`); };

if (process.getuid?.() !== 0) {
  console.error('bench/api: cannot run: needs root');
  process.exit(1);
}
const docker = onPath('docker');
if (!docker) {
  console.error('bench/api: cannot run: the docker CLI is not installed');
  process.exit(1);
}
const exec = new NodeExec();
const d = await startDaemon();
const work = await mkdtemp(join(tmpdir(), 'janus-bench-api-'));
let service: ChildProcess | undefined;
try {
  const janusEnv = { ...process.env, JANUS_HOST: d.host, JANUS_CONFIG: d.configDir };
  await exec.run(JANUS_BIN, ['image', 'bootstrap', 'busybox'], { env: janusEnv });
  const dockerConfig = join(work, 'docker-config');
  const targets: Record<string, NodeJS.ProcessEnv> = { janus: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: dockerConfig } };

  const podman = await preparePodman(work, { env: janusEnv });
  if (podman) {
    const socket = join(work, 'podman.sock');
    service = spawn(podman.podman, ['system', 'service', '--time=0', `unix://${socket}`], { env: podman.env, stdio: 'ignore' });
    targets.podman = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: dockerConfig };
    for (let i = 0; i < 100; i++) {
      if (await timed(docker, ['version'], targets.podman).then(() => true, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } else {
    progress('podman is not installed: janus only');
  }

  const dockerRun = (env: NodeJS.ProcessEnv) => timed(docker, ['run', '--rm', '--network', 'none', 'busybox', 'true'], env);
  const dockerPs = (env: NodeJS.ProcessEnv) => timed(docker, ['ps'], env);
  const times: Record<string, number[]> = {};
  for (const name of Object.keys(targets)) await dockerRun(targets[name]!); // warm-up
  progress(`${runs} alternating runs of docker run --rm`);
  for (let i = 0; i < runs; i++) {
    for (const [name, env] of Object.entries(targets)) (times[`docker run --rm (${name})`] ??= []).push(await dockerRun(env));
  }
  progress(`starting ${count} containers in each`);
  for (const env of Object.values(targets)) {
    for (let i = 0; i < count; i++) await timed(docker, ['run', '-d', '--network', 'none', '--label', 'bench=api', 'busybox', 'sleep', '3600'], env);
  }
  progress(`${runs} alternating runs of docker ps`);
  for (let i = 0; i < runs; i++) {
    for (const [name, env] of Object.entries(targets)) (times[`docker ps, ${count} running (${name})`] ??= []).push(await dockerPs(env));
  }

  console.log(`bench/api: the docker CLI (${(await exec.run(docker, ['version', '--format', '{{.Client.Version}}'], { env: targets.janus })).stdout.trim()}) against janus and podman system service; ${runs} runs each, alternating`);
  for (const [k, xs] of Object.entries(times)) {
    console.log(`  ${k.padEnd(40)} median ${median(xs).toFixed(1).padStart(7)} ms  (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`);
  }
  if (targets.podman) {
    for (const what of ['docker run --rm', `docker ps, ${count} running`]) {
      const ratio = median(times[`${what} (janus)`]!) / median(times[`${what} (podman)`]!);
      console.log(`  ${what}: janus / podman ${ratio.toFixed(2)} (goal ≤ 1)`);
    }
  }
  for (const env of Object.values(targets)) {
    const ids = (await exec.run(docker, ['ps', '-aq', '--filter', 'label=bench=api'], { env })).stdout.split('\n').filter(Boolean);
    for (let i = 0; i < ids.length; i += 50) await exec.run(docker, ['rm', '-f', ...ids.slice(i, i + 50)], { env, check: false });
  }
} finally {
  await stopService(service);
  await d.stop();
  await removeWorkDir(work, 'bench/api');
}
