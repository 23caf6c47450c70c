// Images from Dockerfiles end to end: the multi-stage example in
// examples/build built with the janus CLI and with `docker build` (classic
// builder, DOCKER_BUILDKIT=0) against the janus API; the result runs; its
// config is what docker's Dockerfile reference says; a rebuild is fully
// cached (same image ID); changing one file reruns only what follows it;
// .dockerignore keeps files out; bad input gives clear errors and leaves
// no build container, mount, snapshot or context copy behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { skipUnlessRoot, startDaemon, type CliResult, type TestDaemon } from '../support/daemon.ts';
import { eventually, fails, mountsUnder, ok } from './helpers.ts';

const EXAMPLE = resolve(import.meta.dirname, '../../examples/build');
const noDocker = spawnSync('docker', ['--version'], { stdio: 'ignore' }).status === 0 ? undefined : 'the docker CLI is not installed (docker 28.x from docker.com)';

/** The steps of a classic build's output: each step's text and whether it came from the cache or ran a container. */
function steps(output: string): Array<{ title: string; cached: boolean; ran: boolean }> {
  return output.split(/^(?=Step \d+\/\d+ : )/m).filter((s) => s.startsWith('Step ')).map((s) => ({
    title: s.split('\n')[0]!,
    cached: s.includes(' ---> Using cache'),
    ran: s.includes(' ---> Running in '),
  }));
}

describe('janus build end to end', { skip: skipUnlessRoot() }, () => {
  let d: TestDaemon;
  let work: string;
  let home: string;

  function docker(args: string[], opts: { cwd?: string; input?: string } = {}): Promise<CliResult> {
    return new Promise((done, fail) => {
      const proc = spawn('docker', args, {
        cwd: opts.cwd ?? home,
        env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: home, DOCKER_HOST: d.host, DOCKER_CONFIG: join(home, '.docker'), DOCKER_BUILDKIT: '0' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      proc.stdout.on('data', (b: Buffer) => out.push(b));
      proc.stderr.on('data', (b: Buffer) => err.push(b));
      proc.once('error', fail);
      proc.once('close', (code) => done({ code: code ?? 128, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
      proc.stdin.on('error', () => {});
      proc.stdin.end(opts.input ?? '');
    });
  }

  /** A fresh copy of the example to build (and change). */
  async function exampleCopy(name: string): Promise<string> {
    const dir = join(work, name);
    await cp(EXAMPLE, dir, { recursive: true });
    return dir;
  }

  /** Everything a build could leave behind: containers, mounts under the root, unfinished snapshots, context copies. */
  async function leftovers(): Promise<string[]> {
    const out: string[] = [];
    const ids = ok(await d.janus(['ps', '-aq']), 'ps -aq').split('\n').filter(Boolean);
    if (ids.length > 0) out.push(`containers: ${ids.join(' ')}`);
    for (const m of await mountsUnder(d.root)) out.push(`mount: ${m}`);
    const meta = JSON.parse(await readFile(join(d.root, 'overlay', 'metadata.json'), 'utf8')) as { snapshots?: Record<string, { kind: string }> };
    for (const [key, s] of Object.entries(meta.snapshots ?? {})) if (s.kind !== 'committed') out.push(`snapshot: ${key} (${s.kind})`);
    for (const name of await readdir(join(d.root, 'builder')).catch(() => [] as string[])) if (name.startsWith('ctx-')) out.push(`context copy: ${name}`);
    return out;
  }

  before(async () => {
    d = await startDaemon();
    ok(await d.janus(['image', 'bootstrap', 'busybox']), 'bootstrap busybox');
    work = await mkdtemp(join(tmpdir(), 'janus-build-'));
    home = join(work, 'home');
    await mkdir(home);
  });
  after(async () => {
    await d?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('the multi-stage example builds only the stages it needs; the image runs and its config is docker\'s', async () => {
    const dir = await exampleCopy('first');
    const out = ok(await d.janus(['build', '-t', 'example:1', dir]), 'janus build');
    assert.match(out, /^Step 1\/19 : FROM \$\{BASE\} AS builder$/m);
    assert.doesNotMatch(out, /this stage is not needed/, 'the broken stage is not built for the default target');
    assert.match(out, /^Successfully built [0-9a-f]{12}$/m);
    assert.match(out, /^Successfully tagged example:1$/m);
    const run = await d.janus(['run', '--rm', '--network', 'none', 'example:1']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'Hello from Janus (version 1.0)\nrunning as nobody\n');

    const config = JSON.parse(ok(await d.janus(['image', 'inspect', '--format', '{{json .Config}}', 'example:1']), 'inspect')) as Record<string, unknown>;
    assert.deepEqual(config.Cmd, ['greet']);
    assert.deepEqual(config.Entrypoint, ['entry.sh']);
    assert.ok((config.Env as string[]).includes('APP_HOME=/app'));
    assert.ok((config.Env as string[]).includes('PATH=/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'));
    assert.equal(config.WorkingDir, '/app');
    assert.equal(config.User, 'nobody');
    assert.deepEqual(config.ExposedPorts, { '8080/tcp': {}, '53/udp': {} });
    assert.deepEqual(config.Healthcheck, { Test: ['CMD-SHELL', 'test -s /app/greeting.txt'], Interval: 30e9, Timeout: 3e9, Retries: 2 });
    assert.deepEqual(config.Labels, { 'org.opencontainers.image.title': 'janus build example', 'org.opencontainers.image.description': 'a two-stage build on busybox' });
    assert.deepEqual(config.Volumes, { '/data': {} });
    assert.equal(config.StopSignal, 'SIGINT');

    // COPY --chmod, COPY --chown with a here-document, and the build stage's output copied across.
    const files = ok(await d.janus(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', 'example:1', '-c',
      'stat -c "%a %U:%G %n" /app/bin/entry.sh /data/README /app/greeting.txt; cat /data/README']), 'stat');
    assert.equal(files, '755 root:root /app/bin/entry.sh\n644 nobody:nogroup /data/README\n644 root:root /app/greeting.txt\nData written by the example lives here.\n');
    assert.deepEqual(await leftovers(), []);
  });

  test('a second build is fully cached and gives the same image ID', async () => {
    const dir = await exampleCopy('cached');
    const first = ok(await d.janus(['build', '-q', dir]), 'first build').trim();
    const again = ok(await d.janus(['build', '-t', 'example:again', dir]), 'second build');
    const all = steps(again);
    assert.equal(all.length, 19);
    for (const s of all.filter((x) => !x.title.includes(': FROM '))) {
      assert.ok(s.cached && !s.ran, `step ${s.title} should come from the cache`);
    }
    const id = ok(await d.janus(['image', 'inspect', '--format', '{{.Id}}', 'example:again']), 'inspect').trim();
    assert.equal(id, first);
    // No containers ran for it: none were created since (the events say so).
    assert.doesNotMatch(again, /Running in/);
  });

  test('changing one copied file reruns only the steps after it', async () => {
    const dir = await exampleCopy('changed');
    const before = ok(await d.janus(['build', '-q', dir]), 'build before').trim();
    await writeFile(join(dir, 'app', 'VERSION'), '2.0\n');
    const out = ok(await d.janus(['build', '-t', 'example:2', dir]), 'build after the change');
    const all = steps(out);
    const at = (prefix: string) => all.find((s) => s.title.includes(prefix))!;
    assert.ok(at('ARG GREETING').cached && at('WORKDIR /src').cached, 'steps before the COPY stay cached');
    assert.ok(!at('COPY app/ ./').cached, 'the COPY of the changed directory runs');
    assert.ok(at('RUN sh build.sh').ran, 'the RUN after it runs again');
    assert.ok(at('LABEL org.opencontainers').cached && at('WORKDIR $APP_HOME').cached, 'the final stage is cached up to the COPY --from');
    assert.ok(!at('COPY --from=builder').cached, 'what copies the rebuilt file runs');
    const after = ok(await d.janus(['image', 'inspect', '--format', '{{.Id}}', 'example:2']), 'inspect').trim();
    assert.notEqual(after, before);
    assert.equal(ok(await d.janus(['run', '--rm', '--network', 'none', 'example:2']), 'run'), 'Hello from Janus (version 2.0)\nrunning as nobody\n');
  });

  test('.dockerignore keeps files out of the context; a file it excludes cannot be copied', async () => {
    const dir = join(work, 'ignored');
    await mkdir(join(dir, 'logs'), { recursive: true });
    await writeFile(join(dir, 'keep.txt'), 'kept\n');
    await writeFile(join(dir, 'secret.txt'), 'do not ship\n');
    await writeFile(join(dir, 'logs', 'a.log'), 'log\n');
    await writeFile(join(dir, 'logs', 'keep.log'), 'this one stays\n');
    await writeFile(join(dir, '.dockerignore'), 'secret.txt\nlogs\n!logs/keep.log\n');
    await writeFile(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY . /ctx/\nCMD ["find", "/ctx", "-type", "f"]\n');
    ok(await d.janus(['build', '-t', 'ignored', dir]), 'build');
    const listed = ok(await d.janus(['run', '--rm', '--network', 'none', 'ignored']), 'run').split('\n').filter(Boolean).sort();
    assert.deepEqual(listed, ['/ctx/.dockerignore', '/ctx/Dockerfile', '/ctx/keep.txt', '/ctx/logs/keep.log']);
    await writeFile(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY secret.txt /\n');
    fails(await d.janus(['build', dir]), /COPY failed: file not found in build context or excluded by \.dockerignore: stat secret\.txt/, 'copy an excluded file');
    // The example's own .dockerignore keeps app/notes.log out of the builder stage.
    const ex = await exampleCopy('ignored-example');
    const ls = ok(await d.janus(['build', '-q', '--target', 'builder', ex]), 'build --target builder').trim();
    assert.equal(ok(await d.janus(['run', '--rm', '--network', 'none', ls, 'ls', '/src']), 'ls /src'), 'VERSION\nbin\nbuild.sh\ngreeting.txt\n');
  });

  test('--target and --build-arg: the build stage alone, with another greeting; a failing stage is built only when targeted', async () => {
    const dir = await exampleCopy('target');
    const id = ok(await d.janus(['build', '-q', '--target', 'builder', '--build-arg', 'GREETING=bonjour', dir]), 'build --target builder').trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(ok(await d.janus(['run', '--rm', '--network', 'none', id, 'cat', '/src/greeting.txt']), 'run'), 'Bonjour from Janus (version 1.0)\n');
    const broken = await d.janus(['build', '--target', 'broken', dir]);
    assert.equal(broken.code, 1, 'janus build exits with the failing RUN\'s code');
    assert.match(broken.stdout, /this stage is not needed by the default target/);
    assert.match(broken.stderr, /The command '\/bin\/sh -c echo "this stage is not needed by the default target" && exit 1' returned a non-zero code: 1/);
    const unknown = await d.janus(['build', '--target', 'nosuch', dir]);
    assert.match(unknown.stderr, /target stage "nosuch" could not be found/);
    const unused = ok(await d.janus(['build', '-t', 'x', '--build-arg', 'NOT_USED=1', dir]), 'an unused build arg');
    assert.match(unused, /\[Warning\] One or more build-args \[NOT_USED\] were not consumed/);
  });

  test('bad input: a syntax error names its line, a missing file, a failing RUN\'s code and output, a path out of the context — and nothing is left behind', async () => {
    const dir = join(work, 'bad');
    await mkdir(dir, { recursive: true });
    const build = async (dockerfile: string) => {
      await writeFile(join(dir, 'Dockerfile'), dockerfile);
      return d.janus(['build', dir]);
    };
    let r = await build('FROM busybox\nRUN true\nFOO bar\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Dockerfile parse error on line 3: unknown instruction: FOO/);
    r = await build('FROM busybox\nCOPY missing.txt /\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /COPY failed: file not found in build context or excluded by \.dockerignore: stat missing\.txt: file does not exist/);
    r = await build('FROM busybox\nRUN echo to stdout; echo to stderr >&2; exit 3\n');
    assert.equal(r.code, 3, 'the exit code of the failing RUN');
    assert.match(r.stdout, /to stdout\nto stderr\n/);
    assert.match(r.stderr, /The command '\/bin\/sh -c echo to stdout; echo to stderr >&2; exit 3' returned a non-zero code: 3/);
    r = await build('FROM busybox\nCOPY ../x /\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /COPY failed: forbidden path outside the build context: \.\.\/x/);
    r = await build('FROM busybox\nADD http://example.com/x.tar.gz /\n');
    assert.match(r.stderr, /remote URLs cannot be fetched: builds have no network access/);
    r = await build('FROM busybox\nRUN --mount=type=cache,target=/x true\n');
    assert.match(r.stderr, /line 2: RUN --mount needs BuildKit/);
    r = await build('FROM nosuchimage:1\n');
    assert.equal(r.code, 1);
    assert.deepEqual(await leftovers(), []);
  });

  test('ADD extracts local archives (not other files); ONBUILD triggers run in the child; RUN here-documents; a Dockerfile or a tar on stdin', async () => {
    const dir = join(work, 'features');
    await mkdir(join(dir, 'payload', 'sub'), { recursive: true });
    await writeFile(join(dir, 'payload', 'sub', 'f.txt'), 'inner\n');
    spawnSync('tar', ['czf', join(dir, 'payload.tar.gz'), '-C', join(dir, 'payload'), '.']);
    await writeFile(join(dir, 'plain.txt'), 'not an archive\n');
    await writeFile(join(dir, 'Dockerfile'), [
      'FROM busybox AS base', 'ONBUILD RUN echo "trigger ran" > /trigger.txt', '',
      'FROM base', 'ADD payload.tar.gz /opt/gz/', 'ADD --chown=1:2 plain.txt /opt/',
      'RUN <<EOF', 'echo "heredoc $((1+2))" > /hd.txt', 'EOF',
      'RUN cat <<EOT > /hd2.txt', 'home is $HOME', 'EOT',
      'CMD cat /opt/gz/sub/f.txt /hd.txt /hd2.txt /trigger.txt; stat -c "%u:%g" /opt/plain.txt', '',
    ].join('\n'));
    ok(await d.janus(['build', '-t', 'features', dir]), 'build');
    assert.equal(ok(await d.janus(['run', '--rm', '--network', 'none', 'features']), 'run'), 'inner\nheredoc 3\nhome is /root\ntrigger ran\n1:2\n');
    const fromStdin = ok(await d.janus(['build', '-q', '-'], { input: 'FROM busybox\nRUN echo from-stdin > /s.txt\n' }), 'a Dockerfile on stdin').trim();
    assert.equal(ok(await d.janus(['run', '--rm', '--network', 'none', fromStdin, 'cat', '/s.txt']), 'run'), 'from-stdin\n');
    const tarred = spawnSync('tar', ['cf', '-', '-C', dir, '.'], { maxBuffer: 1 << 24 }).stdout;
    const fromTar = ok(await d.janus(['build', '-q', '-'], { input: tarred }), 'a context tar on stdin').trim();
    assert.equal(fromTar, ok(await d.janus(['image', 'inspect', '--format', '{{.Id}}', 'features']), 'inspect').trim(), 'the same context, the same cached image');
  });

  test('a canceled build (the CLI interrupted during a RUN) stops its command and leaves nothing behind', async () => {
    const dir = join(work, 'cancel');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'Dockerfile'), 'FROM busybox\nRUN echo started; sleep 60; echo never\n');
    const cli = d.spawnJanus(['build', '--no-cache', dir]);
    let out = '';
    cli.stdout!.on('data', (b: Buffer) => { out += b.toString('utf8'); });
    await eventually('the RUN to start', async () => (out.includes('started\n') ? true : undefined));
    const exited = new Promise<number | null>((done) => cli.once('close', (code) => done(code)));
    cli.kill('SIGINT');
    assert.notEqual(await exited, 0);
    await eventually('the build container to go', async () => ((await leftovers()).length === 0 ? true : undefined));
  });

  test('a daemon killed during a RUN leaves nothing behind once it is back', async () => {
    const dir = join(work, 'crash');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'Dockerfile'), 'FROM busybox\nRUN echo started; sleep 60; echo never\n');
    const cli = d.spawnJanus(['build', '--no-cache', dir]);
    let out = '';
    cli.stdout!.on('data', (b: Buffer) => { out += b.toString('utf8'); });
    const exited = new Promise<void>((done) => cli.once('close', () => done()));
    await eventually('the RUN to start', async () => (out.includes('started\n') ? true : undefined));
    await d.kill9();
    await exited;
    await d.restart();
    await eventually('the build container, its mounts and the context copy to go', async () => ((await leftovers()).length === 0 ? true : undefined));
  });

  test('builder prune empties the cache: the next build runs every step again', async () => {
    const dir = await exampleCopy('pruned');
    ok(await d.janus(['build', '-q', dir]), 'build');
    const pruned = ok(await d.janus(['builder', 'prune', '-f']), 'builder prune');
    assert.match(pruned, /^Total reclaimed space: /m);
    const again = ok(await d.janus(['build', dir]), 'build after prune');
    assert.ok(steps(again).some((s) => s.ran), 'RUN steps run again');
    assert.doesNotMatch(again, /Using cache/);
    ok(await d.janus(['run', '--rm', '--network', 'none', ok(await d.janus(['build', '-q', dir]), 'cached').trim()]), 'the rebuilt image runs');
  });

  describe('docker build against the janus API', { skip: noDocker }, () => {
    test('the example builds, runs and hits the cache the janus CLI filled (same image ID); a failing RUN exits with its code', async () => {
      const dir = await exampleCopy('docker');
      const viaJanus = ok(await d.janus(['build', '-q', dir]), 'janus build').trim();
      const out = await docker(['build', '-t', 'dexample', dir]);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, /^Successfully built [0-9a-f]{12}$/m);
      assert.match(out.stdout, /^Successfully tagged dexample:latest$/m);
      const id = ok(await docker(['image', 'inspect', '--format', '{{.Id}}', 'dexample']), 'docker inspect').trim();
      assert.equal(id, viaJanus, 'docker\'s context gives the same checksums, so the same cached image');
      const run = await docker(['run', '--rm', '--network', 'none', 'dexample']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'Hello from Janus (version 1.0)\nrunning as nobody\n');
      assert.equal(ok(await docker(['image', 'inspect', '--format', '{{json .Config.Healthcheck}} {{.Config.StopSignal}} {{json .Config.ExposedPorts}}', 'dexample']), 'inspect').trim(),
        '{"Test":["CMD-SHELL","test -s /app/greeting.txt"],"Interval":30000000000,"Timeout":3000000000,"Retries":2} SIGINT {"53/udp":{},"8080/tcp":{}}');
      const quiet = await docker(['build', '-q', '--no-cache', '--build-arg', 'GREETING=hi', '--target', 'builder', dir]);
      assert.equal(quiet.code, 0, quiet.stderr);
      assert.match(quiet.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
      // A Dockerfile outside the context: the CLI adds it to the tar under a generated name (and leaves the tar unterminated).
      const outside = join(work, 'outside.Dockerfile');
      await writeFile(outside, 'FROM busybox\nCOPY app/VERSION /VERSION\nCMD ["cat", "/VERSION"]\n');
      const viaF = await docker(['build', '-q', '-f', outside, dir]);
      assert.equal(viaF.code, 0, viaF.stderr);
      assert.equal(ok(await docker(['run', '--rm', '--network', 'none', viaF.stdout.trim()]), 'run'), '1.0\n');
      const bad = join(work, 'docker-bad');
      await mkdir(bad);
      await writeFile(join(bad, 'Dockerfile'), 'FROM busybox\nRUN echo failing; exit 7\n');
      const failed = await docker(['build', bad]);
      assert.equal(failed.code, 7);
      assert.match(failed.stdout, /failing/);
      assert.match(failed.stderr, /The command '\/bin\/sh -c echo failing; exit 7' returned a non-zero code: 7/);
      await writeFile(join(bad, 'Dockerfile'), 'FROM busybox\nBOGUS x\n');
      const parse = await docker(['build', bad]);
      assert.equal(parse.code, 1);
      assert.match(parse.stderr, /Error response from daemon: Dockerfile parse error on line 2: unknown instruction: BOGUS/);
      assert.deepEqual(await leftovers(), []);
    });
  });
});
