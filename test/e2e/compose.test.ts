// janus compose end to end: the sample app of examples/compose brought up by
// the real CLI against a real daemon running in a network namespace of its
// own. What users see: the stack ready after `up --wait`, HTTP through the
// published port, services reaching each other by name and alias, startup
// ordered by health and completion, prefixed logs, exec and run, only the
// changed service recreated, the volume kept across down/up, one service as a
// microVM on the shared network and volume, clear errors for bad input with
// nothing created, and nothing left after `down -v`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { skipUnlessRoot, startDaemon, type CliResult, type TestDaemon } from '../support/daemon.ts';
import { findContainerLeaks } from '../support/leaks.ts';
import { eventually, fails, ok } from './helpers.ts';

const run = promisify(execFile);
const EXAMPLE = resolve(import.meta.dirname, '../../examples/compose');
const PORT = '18080';

interface VmLevel { Name: string; Unavailable?: string; Accelerator?: string }

describe('compose end to end', { skip: skipUnlessRoot() }, () => {
  let d: TestDaemon;
  let dir: string;
  const ids = new Set<string>();
  const janus = (args: string[], env: Record<string, string> = {}) => d.janus(args, { env: { WEB_PORT: PORT, ...env } });
  const compose = (args: string[], files: string[] = ['compose.yaml']): Promise<CliResult> =>
    janus(['compose', ...files.flatMap((f) => ['-f', join(dir, f)]), ...args]);
  const wget = async (path: string): Promise<{ code: number; stdout: string }> => {
    try {
      const r = await run('nsenter', [`--net=/run/netns/${d.netns}`, 'busybox', 'timeout', '10', 'wget', '-qO-', `http://127.0.0.1:${PORT}${path}`], { timeout: 20000 });
      return { code: 0, stdout: r.stdout };
    } catch (err) {
      return { code: 1, stdout: (err as { stdout?: string }).stdout ?? '' };
    }
  };
  /** service → container ID of the project's containers (all states). */
  const byService = async (project = 'sample'): Promise<Record<string, string>> => {
    const out = ok(await janus(['ps', '-a', '--no-trunc', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Label "com.docker.compose.service"}}/{{.Label "com.docker.compose.container-number"}} {{.ID}}']), 'ps by label');
    const map: Record<string, string> = {};
    for (const line of out.trim().split('\n').filter(Boolean)) {
      const [key, id] = line.split(' ');
      map[key!] = id!;
      ids.add(id!);
    }
    return map;
  };
  const labelled = async (kind: 'network' | 'volume', project = 'sample'): Promise<string[]> =>
    ok(await janus([kind, 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`]), `${kind} ls`).trim().split('\n').filter(Boolean);

  before(async () => {
    d = await startDaemon();
    assert.ok(d.netns, 'the test daemon runs in a network namespace of its own');
    ok(await d.janus(['image', 'bootstrap', 'busybox']), 'bootstrap busybox');
    dir = await mkdtemp(join(tmpdir(), 'janus-compose-e2e-'));
    await cp(EXAMPLE, dir, { recursive: true });
  });
  after(async () => {
    await d?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('up --wait: ordered by completion and health, ready, reachable through the published port', async () => {
    const up = await compose(['up', '-d', '--wait']);
    ok(up, 'compose up -d --wait');
    const at = (line: string): number => {
      const i = up.stderr.indexOf(line);
      assert.ok(i >= 0, `up's progress shows "${line}":\n${up.stderr}`);
      return i;
    };
    assert.ok(at(' Container sample-init-1  Exited') < at(' Container sample-backend-1  Started'), 'the backend starts after init completed');
    assert.ok(at(' Container sample-backend-1  Healthy') < at(' Container sample-web-1  Started'), 'the front end starts once the backend is healthy');
    assert.ok(at(' Container sample-backend-1  Healthy') < at(' Container sample-worker-1  Started'), 'the worker starts once the backend is healthy');
    // The daemon's own record agrees: init had finished before the backend started.
    const initEnd = Date.parse(ok(await janus(['inspect', '--format', '{{.State.FinishedAt}}', 'sample-init-1']), 'inspect init').trim());
    const backendStart = Date.parse(ok(await janus(['inspect', '--format', '{{.State.StartedAt}}', 'sample-backend-1']), 'inspect backend').trim());
    assert.ok(initEnd <= backendStart, `init finished (${initEnd}) before the backend started (${backendStart})`);
    assert.equal(ok(await janus(['inspect', '--format', '{{.State.Health.Status}}', 'sample-backend-1']), 'health').trim(), 'healthy');

    const ps = ok(await compose(['ps', '--format', '{{.Name}} {{.Service}} {{.State}}']), 'compose ps');
    assert.deepEqual(ps.trim().split('\n').sort(), ['sample-backend-1 backend running', 'sample-web-1 web running', 'sample-worker-1 worker running']);
    const psAll = ok(await compose(['ps', '-a', '--format', '{{.Name}} {{.Status}}']), 'compose ps -a');
    assert.match(psAll, /^sample-init-1 Exited \(0\)/m);
    assert.match(ok(await compose(['ps']), 'compose ps table'), /^NAME\s+IMAGE\s+COMMAND\s+SERVICE\s+CREATED\s+STATUS\s+PORTS$/m);
    assert.match(ok(await compose(['port', 'web', '80']), 'compose port'), new RegExp(`:${PORT}\\n$`));

    assert.equal((await wget('/index.html')).stdout, 'hello from janus compose\n');
    const labels = JSON.parse(ok(await janus(['inspect', '--format', '{{json .Config.Labels}}', 'sample-web-1']), 'labels')) as Record<string, string>;
    assert.equal(labels['com.docker.compose.project'], 'sample');
    assert.equal(labels['com.docker.compose.service'], 'web');
    assert.equal(labels['com.docker.compose.container-number'], '1');
    assert.equal(labels['com.docker.compose.oneoff'], 'False');
    assert.equal(labels['com.docker.compose.project.config_files'], join(dir, 'compose.yaml'));
    assert.match(labels['com.docker.compose.config-hash'] ?? '', /^[0-9a-f]{16,}$/);
    assert.match(labels['com.docker.compose.depends_on'] ?? '', /init:service_completed_successfully/);
    assert.deepEqual(await labelled('network'), ok(await janus(['network', 'ls', '-q', '--filter', 'name=sample_default']), 'network').trim().split('\n'));
    assert.equal((await labelled('volume')).join(), 'sample_site');
    assert.match(ok(await compose(['ls']), 'compose ls'), /^sample\s+exited\(1\), running\(3\)\s/m);
    await byService();
  });

  test('services reach each other by service name, container name and alias; the worker fills the shared volume', async () => {
    for (const host of ['backend', 'api', 'sample-backend-1']) {
      const got = ok(await compose(['exec', '-T', 'web', 'timeout', '10', 'wget', '-qO-', `http://${host}:8000/`]), `wget ${host}`);
      assert.match(got, /^backend ok /, `${host} resolves to the backend`);
    }
    const ticks = await eventually('ticks served by the front end', async () => {
      const r = await wget('/ticks.txt');
      return r.code === 0 && /tick \d+ backend ok/.test(r.stdout) ? r.stdout : undefined;
    }, 60000);
    assert.match(ticks, /^tick \d+ backend ok /m, 'the worker reached the backend by its alias and wrote into the volume the front end serves');
  });

  test('logs carry per-service prefixes; exec runs in the service with its environment and exit code; run makes a one-off', async () => {
    const logs = ok(await compose(['logs', '--no-color', 'init', 'backend']), 'compose logs');
    assert.match(logs, /^sample-init-1\s+\| init done$/m);
    assert.match(logs, /^sample-backend-1\s+\| backend listening$/m);
    assert.doesNotMatch(logs, /worker started/, 'only the services asked for');
    assert.match(ok(await compose(['logs', '--no-log-prefix', 'web']), 'logs without prefix'), /^web serving$/m);
    assert.equal(ok(await compose(['exec', '-T', 'backend', 'sh', '-c', 'echo $ROLE']), 'exec env'), 'backend\n');
    assert.equal(ok(await compose(['exec', '-T', '-e', 'X=7', '-w', '/tmp', 'worker', 'sh', '-c', 'echo $X $(pwd)']), 'exec -e -w'), '7 /tmp\n');
    assert.equal((await compose(['exec', '-T', 'web', 'sh', '-c', 'exit 3'])).code, 3, 'exec exits with the command\'s code');
    fails(await compose(['exec', '-T', '--index', '2', 'web', 'true']), /not running/, 'exec --index of a missing replica');
    assert.equal(ok(await compose(['run', '--rm', '--no-deps', '-T', 'worker', 'cat', '/site/index.html']), 'compose run'), 'hello from janus compose\n');
    assert.equal(ok(await compose(['run', '--rm', '-T', '-e', 'X=y', 'web', 'sh', '-c', 'echo $X; timeout 10 wget -qO- http://api:8000/']), 'run with its dependencies').split('\n')[0], 'y');
    const all = ok(await janus(['ps', '-a', '--filter', 'label=com.docker.compose.oneoff=True', '-q']), 'one-offs');
    assert.equal(all.trim(), '', 'run --rm removed its container');
  });

  test('up again recreates only the service whose configuration changed; --scale adds and removes replicas', async () => {
    const before = await byService();
    await writeFile(join(dir, 'env.override.yaml'), 'services:\n  web:\n    environment:\n      COLOR: blue\n');
    const up = await compose(['up', '-d', '--wait'], ['compose.yaml', 'env.override.yaml']);
    ok(up, 'up with changed env');
    const afterUp = await byService();
    assert.notEqual(afterUp['web/1'], before['web/1'], 'web was recreated');
    for (const s of ['backend/1', 'worker/1', 'init/1']) assert.equal(afterUp[s], before[s], `${s} was kept`);
    assert.match(up.stderr, / Container sample-web-1  Recreate/);
    assert.doesNotMatch(up.stderr, /sample-(backend|worker)-1  Recreate/);
    assert.equal(ok(await compose(['exec', '-T', 'web', 'sh', '-c', 'echo $COLOR'], ['compose.yaml', 'env.override.yaml']), 'new env'), 'blue\n');

    ok(await compose(['up', '-d', '--wait', '--scale', 'worker=2'], ['compose.yaml', 'env.override.yaml']), 'scale up');
    const scaled = await byService();
    assert.ok(scaled['worker/2'], 'a second worker');
    assert.equal(scaled['worker/1'], afterUp['worker/1']);
    ok(await compose(['up', '-d', '--wait'], ['compose.yaml', 'env.override.yaml']), 'scale back');
    const back = await byService();
    assert.equal(back['worker/2'], undefined, 'the second worker is gone');
    assert.equal(back['web/1'], afterUp['web/1'], 'an unchanged configuration recreates nothing');
  });

  test('down keeps the named volume; up again serves what was written before', async () => {
    ok(await compose(['exec', '-T', 'worker', 'sh', '-c', 'echo persisted > /site/marker.txt']), 'write marker');
    ok(await compose(['down']), 'compose down');
    assert.deepEqual(Object.keys(await byService()), [], 'no containers left');
    assert.deepEqual(await labelled('network'), [], 'the project network is gone');
    assert.deepEqual(await labelled('volume').then((v) => v.length), 1, 'the named volume stays');
    ok(await compose(['up', '-d', '--wait']), 'up again');
    assert.equal((await wget('/marker.txt')).stdout, 'persisted\n');
    await byService();
    ok(await compose(['down']), 'down');
  });

  /** Why the daemon cannot run isolation level `name` here, or undefined when it can. */
  const levelUnavailable = async (name: string): Promise<string | undefined> => {
    const levels = JSON.parse(ok(await janus(['info', '--format', '{{json .Janus.IsolationLevels}}']), 'info')) as VmLevel[];
    const level = levels.find((l) => l.Name === name);
    return !level || level.Unavailable ? `the ${name} level does not work here: ${level?.Unavailable ?? 'not listed'}` : undefined;
  };

  test('a mixed project: the worker as a microVM on the shared network and volume', async (t) => {
    const unavailable = await levelUnavailable('vm');
    if (unavailable) return t.skip(unavailable);
    await eventually('the accelerator probe', async () => {
      const acc = (JSON.parse(ok(await janus(['info', '--format', '{{json .Janus.IsolationLevels}}']), 'info')) as VmLevel[]).find((l) => l.Name === 'vm')?.Accelerator;
      return acc && acc !== 'probing' ? acc : undefined;
    }, 60000);
    const files = ['compose.yaml', 'vm.override.yaml'];
    ok(await compose(['up', '-d', '--wait'], files), 'up with a VM worker');
    await byService();
    // Cleared only now: until up recreated the worker, the container worker kept appending its own ticks.
    ok(await compose(['run', '--rm', '--no-deps', '-T', 'init', 'rm', '-f', '/site/ticks.txt'], files), 'clear the ticks');
    assert.equal(ok(await janus(['inspect', '--format', '{{.HostConfig.Isolation}}', 'sample-worker-1']), 'isolation').trim(), 'vm');
    assert.equal(ok(await janus(['inspect', '--format', '{{.HostConfig.Isolation}}', 'sample-web-1']), 'isolation').trim(), 'container');
    const ticks = await eventually('ticks written by the VM', async () => {
      const r = await wget('/ticks.txt');
      return r.code === 0 && /tick \d+ backend ok/.test(r.stdout) ? r.stdout : undefined;
    }, 120000);
    assert.match(ticks, /^tick \d+ backend ok /m, 'the VM reached the backend by alias and wrote into the volume the front end serves');
    ok(await compose(['down'], files), 'down the mixed project');
    assert.deepEqual(Object.keys(await byService()), []);
  });

  test('a mixed project: the front end in a gVisor sandbox serves the shared volume on the published port', async (t) => {
    const unavailable = await levelUnavailable('sandbox');
    if (unavailable) return t.skip(unavailable);
    const files = ['compose.yaml', 'sandbox.override.yaml'];
    ok(await compose(['up', '-d', '--wait'], files), 'up with a sandboxed front end');
    assert.equal(ok(await janus(['inspect', '--format', '{{.HostConfig.Isolation}} {{.HostConfig.Runtime}}', 'sample-web-1']), 'isolation').trim(), 'sandbox runsc');
    assert.match(ok(await compose(['exec', '-T', 'web', 'dmesg'], files), 'dmesg in web'), /gVisor/, 'the front end runs under gVisor');
    const page = await eventually('the sandbox\'s page on the published port', async () => {
      const r = await wget('/index.html');
      return r.code === 0 ? r.stdout : undefined;
    }, 30000);
    assert.equal(page, 'hello from janus compose\n');
    // The worker (a container) writes into the volume the sandbox serves, by way of the backend's alias.
    await eventually('the worker\'s ticks through the sandbox', async () => {
      const r = await wget('/ticks.txt');
      return r.code === 0 && /tick \d+ backend ok/.test(r.stdout) ? true : undefined;
    }, 60000);
    assert.equal(ok(await compose(['run', '--rm', '--no-deps', '-T', 'init', 'wget', '-qO-', 'http://web/index.html'], files), 'the sandbox by service name'), 'hello from janus compose\n');
    ok(await compose(['down'], files), 'down the mixed project');
    assert.deepEqual(Object.keys(await byService()), []);
  });

  test('bad input: clear errors and nothing created; a failing one-shot job fails up naming it, and down removes the rest', async () => {
    await writeFile(join(dir, 'broken.yaml'), 'services:\n  web:\n    image: busybox\n    ports: ["80:80"]\n    restrat: always\n');
    const broken = await janus(['compose', '-f', join(dir, 'broken.yaml'), '-p', 'broken', 'up', '-d']);
    fails(broken, /restrat/, 'an unknown key');
    assert.match(broken.stderr, /broken\.yaml/, 'the error names the file');
    await writeFile(join(dir, 'cycle.yaml'), 'services:\n  a:\n    image: busybox\n    depends_on: [b]\n  b:\n    image: busybox\n    depends_on: [a]\n');
    fails(await janus(['compose', '-f', join(dir, 'cycle.yaml'), '-p', 'broken', 'up', '-d']), /cycle/i, 'a dependency cycle');
    fails(await janus(['compose', '-f', join(dir, 'nosuch.yaml'), 'up', '-d']), /nosuch\.yaml/, 'a missing file');
    assert.deepEqual(Object.keys(await byService('broken')), [], 'no containers');
    assert.deepEqual(await labelled('network', 'broken'), [], 'no networks');

    await writeFile(join(dir, 'failing.yaml'), [
      'services:',
      '  job:', '    image: busybox', '    command: ["sh", "-c", "exit 4"]', '    volumes: [data:/data]',
      '  app:', '    image: busybox', '    command: ["sleep", "300"]', '    depends_on:', '      job:', '        condition: service_completed_successfully',
      'volumes:', '  data: {}', '',
    ].join('\n'));
    const failing = await janus(['compose', '-f', join(dir, 'failing.yaml'), '-p', 'failing', 'up', '-d']);
    fails(failing, /service "job" didn't complete successfully: exit 4/, 'a failing dependency');
    assert.ok(Object.keys(await byService('failing')).includes('job/1'), 'the failed job is left for inspection');
    assert.equal((await labelled('network', 'failing')).length, 1);
    ok(await janus(['compose', '-p', 'failing', 'down', '-v']), 'down by project name alone');
    assert.deepEqual(Object.keys(await byService('failing')), []);
    assert.deepEqual(await labelled('network', 'failing'), []);
    assert.deepEqual(await labelled('volume', 'failing'), []);
  });

  test('stop, start, restart, pause, unpause, kill, top, images and config act on the services named', async () => {
    ok(await compose(['up', '-d', '--wait']), 'up');
    const state = async (svc: string) => ok(await compose(['ps', '-a', '--format', '{{.State}}', svc]), `ps ${svc}`).trim();
    ok(await compose(['stop', 'web']), 'stop web');
    assert.equal(await state('web'), 'exited');
    assert.equal(await state('backend'), 'running', 'only the named service stopped');
    ok(await compose(['start', 'web']), 'start web');
    assert.equal(await state('web'), 'running');
    const started = ok(await janus(['inspect', '--format', '{{.State.StartedAt}}', 'sample-backend-1']), 'started').trim();
    ok(await compose(['restart', 'backend']), 'restart backend');
    assert.notEqual(ok(await janus(['inspect', '--format', '{{.State.StartedAt}}', 'sample-backend-1']), 'restarted').trim(), started);
    ok(await compose(['pause', 'worker']), 'pause');
    assert.equal(await state('worker'), 'paused');
    ok(await compose(['unpause', 'worker']), 'unpause');
    assert.equal(await state('worker'), 'running');
    const top = ok(await compose(['top', 'web']), 'top');
    assert.match(top, /^sample-web-1$/m);
    assert.match(top, /httpd -f -p 80/);
    assert.match(ok(await compose(['images']), 'images'), /^sample-web-1\s+busybox\s+latest\s+[0-9a-f]{12}\s/m);
    assert.equal(ok(await compose(['config', '--services']), 'config --services'), 'init\nbackend\nworker\nweb\n');
    assert.equal(ok(await compose(['config', '--volumes']), 'config --volumes'), 'site\n');
    assert.match(ok(await compose(['config']), 'config'), /^services:$/m);
    ok(await compose(['kill', 'worker']), 'kill');
    // kill returns once the signal is sent (as docker's does); the exit is recorded a moment later.
    await eventually('the killed worker to be recorded as exited', async () => {
      const status = ok(await compose(['ps', '-a', '--format', '{{.Status}}', 'worker']), 'ps');
      return /^Exited/.test(status) ? status : undefined;
    }, 30000).then((status) => assert.match(status, /^Exited \(137\)/));
    ok(await compose(['rm', '-f', 'worker']), 'rm -f');
    assert.equal((await byService())['worker/1'], undefined, 'rm removed the stopped worker');
    fails(await compose(['stop', 'nosuch']), /no such service: nosuch/, 'an unknown service');
    ok(await compose(['down']), 'down');
  });

  test('build goes through the daemon; run uses the built image; down --rmi local removes it', async () => {
    await mkdir(join(dir, 'tool'), { recursive: true });
    await writeFile(join(dir, 'tool', 'Dockerfile'), 'FROM busybox\nRUN echo built by compose > /built.txt\nCMD ["cat", "/built.txt"]\n');
    await writeFile(join(dir, 'build.yaml'), 'services:\n  tool:\n    build: ./tool\n');
    const c = (args: string[]) => janus(['compose', '-f', join(dir, 'build.yaml'), '-p', 'built', ...args]);
    ok(await c(['build']), 'compose build');
    assert.match(ok(await janus(['images', '--format', '{{.Repository}}']), 'images'), /^built-tool$/m);
    assert.equal(ok(await c(['run', '--rm', '-T', 'tool']), 'run the built image'), 'built by compose\n');
    ok(await c(['down', '--rmi', 'local']), 'down --rmi local');
    assert.doesNotMatch(ok(await janus(['images', '--format', '{{.Repository}}']), 'images'), /^built-tool$/m);
  });

  test('up in the foreground prints each service\'s output with its prefix and stops the project on an interrupt', async () => {
    await writeFile(join(dir, 'fg.yaml'), 'services:\n  say:\n    image: busybox\n    command: ["sh", "-c", "echo hello attached; trap \'exit 0\' TERM; sleep 300 & wait"]\n');
    const child = d.spawnJanus(['compose', '-f', join(dir, 'fg.yaml'), '-p', 'fg', 'up']);
    let out = '';
    child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
    let err = '';
    child.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await eventually('the prefixed output', async () => (/^fg-say-1\s+\| hello attached$/m.test(out) ? true : undefined), 60000);
    child.kill('SIGINT');
    assert.equal(await exited, 130, `up ends as interrupted\n${err}`);
    assert.match(err, /Gracefully stopping/);
    assert.equal(ok(await janus(['inspect', '--format', '{{.State.Status}}', 'fg-say-1']), 'state').trim(), 'exited', 'the interrupt stopped the service');
    await byService('fg');
    ok(await janus(['compose', '-p', 'fg', 'down']), 'down');
  });

  test('down -v leaves nothing behind', async () => {
    ok(await compose(['up', '-d', '--wait']), 'up');
    await byService();
    ok(await compose(['down', '-v']), 'down -v');
    assert.deepEqual(Object.keys(await byService()), []);
    assert.deepEqual(await labelled('network'), []);
    assert.deepEqual(await labelled('volume'), []);
    assert.equal(ok(await compose(['ls', '-a']), 'ls -a').trim(), 'NAME      STATUS    CONFIG FILES');
    for (const id of ids) assert.deepEqual(await findContainerLeaks(d.root, id), [], `container ${id.slice(0, 12)} left nothing`);
  });
});
