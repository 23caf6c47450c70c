// Compose benchmark: `compose up -d --wait` and `compose down -v` of the
// sample app (examples/compose), janus with every service at the container
// level, and with the worker as a microVM (vm.override.yaml); then `up -d`
// and `down -v` (no --wait: the peers have none) of the same app by janus
// compose, by docker-compose v1 against the janus daemon, by docker-compose
// v1 against `podman system service`, and by podman-compose against podman
// when it can run the app. Every peer's `up` is checked: the app must serve
// its page through the published port, or the peer is left out with a note;
// every command runs under a timeout, so a hang is a note, not a stuck bench.
// With the vm level: the whole app as one microVM (--isolation vm-stack)
// beside one microVM per service, and the QEMU processes' memory (PSS) after
// up --wait for each. Medians over --runs alternating runs; ratios.
// Prints figures only; there is no pass/fail threshold.
// Usage: node bench/compose.ts [--runs N] [--no-vm]
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { NodeExec } from '../src/util/exec.ts';
import { JANUS_BIN, startDaemon } from '../test/support/daemon.ts';
import { api, median, onPath, preparePodman, removeWorkDir, stopService, timed } from './bench-support.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, 'no-vm': { type: 'boolean', default: false } } });
const runs = Math.max(1, Number(values.runs));
const progress = (text: string): void => { process.stderr.write(`bench/compose: ${text}\n`); };

if (process.getuid?.() !== 0) {
  console.error('bench/compose: cannot run: needs root');
  process.exit(1);
}
const exec = new NodeExec();
const PORT = '18080';
/** Any one compose command (a peer's, or janus's) that takes longer than this is a hang: killed and reported. */
const PEER_TIMEOUT_MS = 120_000;

/** One compose client against one engine: its `up -d` and `down -v` command lines, and where its published port is. */
interface Peer {
  name: string;
  up: [string, string[]];
  down: [string, string[]];
  env: NodeJS.ProcessEnv;
  /** The network namespace (a /run/netns path) in which the published port answers. */
  netns: string;
  /** podman's: run the healthcheck stand-in (healthTicker) while it is up. */
  podmanHealth?: boolean;
  failed?: boolean;
}

/** Whether the sample's front end serves the init job's page on the published port in `netns`, within about 10 s. */
async function pageServed(netns: string): Promise<boolean> {
  for (let i = 0; i < 20; i++) {
    const r = await exec.run('nsenter', [`--net=${netns}`, 'curl', '-s', '-m', '3', `http://127.0.0.1:${PORT}/index.html`], { check: false, signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
    if (r?.code === 0 && r.stdout.includes('hello from janus compose')) return true;
    await new Promise((res) => setTimeout(res, 500));
  }
  return false;
}

/**
 * Stands in for the systemd timers podman 4.3 would run healthchecks from:
 * every second, `podman healthcheck run` on each running container that has
 * a healthcheck. Stop awaits the loop's end.
 */
function healthTicker(podman: string, podmanEnvironment: NodeJS.ProcessEnv): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await new Promise((res) => setTimeout(res, 1000));
      const listed = await exec.run(podman, ['ps', '-q', '--filter', 'health=starting', '--filter', 'health=healthy', '--filter', 'health=unhealthy'], { env: podmanEnvironment, check: false, signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
      const ids = listed?.stdout.split('\n').filter(Boolean) ?? [];
      await Promise.all(ids.map((id) => exec.run(podman, ['healthcheck', 'run', id], { env: podmanEnvironment, check: false, signal: AbortSignal.timeout(10_000) }).catch(() => undefined)));
    }
  })();
  return { stop: async () => { stopped = true; await loop; } };
}

const peers: Peer[] = [];
const notes: string[] = [];
let podmanNetns: string | undefined;
let podmanEnv: NodeJS.ProcessEnv | undefined;
let podmanBin: string | undefined;
const d = await startDaemon();
const work = await mkdtemp(join(tmpdir(), 'janus-bench-compose-'));
let service: ChildProcess | undefined;
const times: Record<string, number[]> = {};
const record = (what: string, ms: number): void => { (times[what] ??= []).push(ms); };
try {
  const env = { ...process.env, JANUS_HOST: d.host, JANUS_CONFIG: d.configDir, WEB_PORT: PORT };
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

  // The peers, all running `up -d` (no --wait) and `down -v` of the same file:
  //  - docker-compose v1 against janus's API (the same daemon, another compose client);
  //  - docker-compose v1 against `podman system service` (the same client, another engine);
  //  - podman-compose against podman, when it can run the sample at all (1.0.3 cannot: it fails on the
  //    `networks: {default: {aliases: [api]}}` mapping), tried once and reported otherwise.
  // v1 gets a copy of the file without the top-level `name:`, which it refuses, and `-p sample`. It has no --wait,
  // but it honours the depends_on conditions (init exited 0, backend healthy) as janus's `up -d` does.
  // podman runs in a network namespace of its own (as the janus daemon does), so its CNI bridge and port
  // rules never touch the host's network; its published port is checked there.
  const dockerCompose = onPath('docker-compose');
  const v1File = join(app, 'compose.v1.yaml');
  await writeFile(v1File, (await readFile(join(app, 'compose.yaml'), 'utf8')).replace(/^name: .*$/m, ''));
  const v1Args = ['-f', v1File, '-p', 'sample'];
  const janusNetns = `/run/netns/${d.netns}`;
  const podman = await preparePodman(work, { env });
  const podmanCompose = onPath('podman-compose');
  if (!podman) progress('podman is not installed (no other engine to compare with): janus and docker-compose v1 → janus only');
  if (!dockerCompose) progress('docker-compose is not installed: no docker-compose v1 rows');
  if (podman) {
    podmanNetns = `janus-bench-podman-${process.pid}`;
    await exec.run('ip', ['netns', 'add', podmanNetns]);
    await exec.run('ip', ['-n', podmanNetns, 'link', 'set', 'lo', 'up']);
    const inNetns = (file: string, args: string[]): [string, string[]] => ['nsenter', [`--net=/run/netns/${podmanNetns}`, file, ...args]];
    podmanEnv = { ...podman.env, WEB_PORT: PORT };
    podmanBin = podman.podman;
    const socket = join(work, 'podman.sock');
    service = spawn(...inNetns(podman.podman, ['system', 'service', '--time=0', `unix://${socket}`]), { env: podman.env, stdio: 'ignore' });
    for (let i = 0; i < 100 && !(await api(socket, 'GET', '/_ping').then((r) => r.status === 200, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
    // podman 4.3 runs healthchecks from systemd timers (systemd-run); there is no systemd here, so no check would ever
    // run and `service_healthy` would never come. Stand in for the timers while a podman peer runs: every second (the
    // backend's interval), `podman healthcheck run` on each container that has a healthcheck — the command the timer runs.
    if (dockerCompose) {
      peers.push({
        name: 'docker-compose v1 → podman service',
        up: [dockerCompose, [...v1Args, 'up', '-d']],
        down: [dockerCompose, [...v1Args, 'down', '-v']],
        env: { ...process.env, DOCKER_HOST: `unix://${socket}`, WEB_PORT: PORT },
        netns: `/run/netns/${podmanNetns}`,
        podmanHealth: true,
      });
    }
    if (podmanCompose) {
      peers.push({
        name: 'podman-compose → podman',
        // A project name of its own: a failed run may leave its network behind, which docker-compose v1 would then meet.
        up: inNetns(podmanCompose, ['-p', 'samplepc', '-f', join(app, 'compose.yaml'), 'up', '-d']),
        down: inNetns(podmanCompose, ['-p', 'samplepc', '-f', join(app, 'compose.yaml'), 'down', '-v']),
        env: podmanEnv,
        netns: `/run/netns/${podmanNetns}`,
        podmanHealth: true,
      });
    } else {
      progress('podman-compose is not installed: no podman-compose rows');
    }
  }
  if (dockerCompose) {
    peers.unshift({
      name: 'docker-compose v1 → janus',
      up: [dockerCompose, [...v1Args, 'up', '-d']],
      down: [dockerCompose, [...v1Args, 'down', '-v']],
      env: { ...process.env, DOCKER_HOST: d.host, WEB_PORT: PORT },
      netns: janusNetns,
    });
  }
  if (peers.length > 0) {
    peers.unshift({
      name: 'janus compose → janus',
      up: [JANUS_BIN, ['compose', ...files(false), 'up', '-d']],
      down: [JANUS_BIN, ['compose', ...files(false), 'down', '-v']],
      env,
      netns: janusNetns,
    });
  }
  /** One `up -d`, the page through the published port, one `down -v`; a failure or hang drops the peer with a note. */
  const upDown = async (peer: Peer, record?: (what: string, ms: number) => void): Promise<void> => {
    const health = peer.podmanHealth && podmanBin ? healthTicker(podmanBin, podmanEnv!) : undefined;
    try {
      const up = await timed(peer.up[0], peer.up[1], peer.env, PEER_TIMEOUT_MS);
      if (!(await pageServed(peer.netns))) throw new Error(`after up -d, http://127.0.0.1:${PORT}/ did not serve the init job's page within 10 s`);
      const down = await timed(peer.down[0], peer.down[1], peer.env, PEER_TIMEOUT_MS);
      record?.(`up -d (${peer.name})`, up);
      record?.(`down -v (${peer.name})`, down);
    } catch (err) {
      const first = (err as Error).message.split('\n').filter((l) => l.trim()).slice(-1)[0] ?? '';
      notes.push(`${peer.name}: left out: ${first.slice(0, 300)}`);
      progress(`${peer.name} left out: ${(err as Error).message.slice(0, 2000)}`);
      peer.failed = true;
      await timed(peer.down[0], peer.down[1], peer.env, PEER_TIMEOUT_MS).catch(() => 0);
    } finally {
      await health?.stop();
    }
  };
  for (const peer of peers) await upDown(peer); // warm-up, and the check that each runs the sample at all

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
    await timed(JANUS_BIN, ['compose', ...files(v.vm), 'up', '-d', '--wait', ...(v.up ?? [])], env, PEER_TIMEOUT_MS);
    await timed(JANUS_BIN, ['compose', ...files(v.vm), 'down', '-v'], env, PEER_TIMEOUT_MS);
  }
  for (let i = 0; i < runs; i++) {
    progress(`run ${i + 1} of ${runs}`);
    for (const v of variants) {
      record(`up -d --wait (janus, ${v.name})`, await timed(JANUS_BIN, ['compose', ...files(v.vm), 'up', '-d', '--wait', ...(v.up ?? [])], env, PEER_TIMEOUT_MS));
      if (v.vm || v.up) {
        const m = await qemuPss();
        (memory[v.name] ??= []).push(m.mib);
        qemuCount[v.name] = m.count;
      }
      record(`down -v (janus, ${v.name})`, await timed(JANUS_BIN, ['compose', ...files(v.vm), 'down', '-v'], env, PEER_TIMEOUT_MS));
    }
    for (const peer of peers) if (!peer.failed) await upDown(peer, record);
  }
  console.log(`bench/compose: the sample app (examples/compose: 4 services, one named volume, a healthcheck, a one-shot job), ${runs} runs, medians`);
  for (const [what, xs] of Object.entries(times)) console.log(`  ${what}: ${median(xs).toFixed(0)} ms  (runs: ${xs.map((x) => x.toFixed(0)).join(', ')})`);
  const ratio = (a: string, b: string, label: string): void => {
    const x = times[a];
    const y = times[b];
    if (x && y) console.log(`  ${label}: ${(median(x) / median(y)).toFixed(2)}`);
  };
  const ok = peers.filter((p) => !p.failed);
  for (const peer of ok[0]?.name === 'janus compose → janus' ? ok.slice(1) : []) {
    for (const verb of ['up -d', 'down -v']) ratio(`${verb} (${ok[0]!.name})`, `${verb} (${peer.name})`, `${verb}: ${ok[0]!.name} / ${peer.name}`);
  }
  if (ok.some((p) => p.name === 'docker-compose v1 → janus') && ok.some((p) => p.name === 'docker-compose v1 → podman service')) {
    for (const verb of ['up -d', 'down -v']) ratio(`${verb} (docker-compose v1 → janus)`, `${verb} (docker-compose v1 → podman service)`, `${verb}: docker-compose v1 → janus / → podman service (the engines alone)`);
  }
  ratio('up -d --wait (janus, worker as vm)', 'up -d --wait (janus, container)', 'up -d --wait: worker as vm / all containers');
  ratio('up -d --wait (janus, vm-stack)', 'up -d --wait (janus, one vm per service)', 'up -d --wait: vm-stack / one vm per service');
  ratio('down -v (janus, vm-stack)', 'down -v (janus, one vm per service)', 'down -v: vm-stack / one vm per service');
  for (const note of notes) console.log(`  note: ${note}`);
  for (const [name, xs] of Object.entries(memory)) {
    console.log(`  QEMU PSS after up --wait (${name}): ${median(xs).toFixed(0)} MiB in ${qemuCount[name]} QEMU process(es)  (runs: ${xs.map((x) => x.toFixed(0)).join(', ')})`);
  }
  if (memory['vm-stack'] && memory['one vm per service']) {
    console.log(`  QEMU PSS: vm-stack / one vm per service: ${(median(memory['vm-stack']) / median(memory['one vm per service'])).toFixed(2)}`);
  }
} finally {
  // podman: nothing of the bench's left (containers, pods, volumes, networks), then the service, its mounts, its namespace.
  if (podmanBin && podmanEnv) {
    for (const args of [['rm', '-af', '-t', '0'], ['pod', 'rm', '-af'], ['volume', 'prune', '-f'], ['network', 'prune', '-f']]) {
      await exec.run('nsenter', [`--net=/run/netns/${podmanNetns}`, podmanBin, ...args], { env: podmanEnv, check: false, signal: AbortSignal.timeout(60_000) }).catch(() => undefined);
    }
  }
  await stopService(service);
  if (podmanNetns) await exec.run('ip', ['netns', 'del', podmanNetns], { check: false });
  await d.stop();
  await removeWorkDir(work, 'bench/compose');
}
