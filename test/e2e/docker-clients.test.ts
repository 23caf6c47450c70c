// Docker's own clients against a real janus daemon: the docker CLI (28.x,
// API 1.50), dockerode (the Node SDK), docker-py (the Python SDK) and
// docker-compose v1 (Python, through docker-py), each driving the scenarios its users run — what they print,
// their exit codes, stdout and stderr apart, errors in docker's words. The
// daemon runs in a network namespace of its own (startDaemon), so published
// ports are reached from there with nsenter, and the registry that pull and
// push talk to listens on that namespace's 127.0.0.1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import tar from 'tar-stream';
import { skipUnlessRoot, startDaemon, type CliResult, type TestDaemon } from '../support/daemon.ts';
import { findContainerLeaks } from '../support/leaks.ts';
import { skipUnlessRegistry, startRegistry } from '../support/registry.ts';
import { eventually, fails, ok } from './helpers.ts';

const run = promisify(execFile);

const found = (cmd: string): boolean => spawnSync(cmd, ['version'], { stdio: 'ignore' }).status !== null;
const noDocker = found('docker') ? undefined : 'the docker CLI is not installed (docker 28.x from docker.com)';
const noCompose = found('docker-compose') ? undefined : 'docker-compose is not installed (Debian package docker-compose, which scripts/setup installs)';
// Debian's python3-docker (docker-py 5.0.3), which docker-compose brings along.
const noDockerPy = spawnSync('/usr/bin/python3', ['-c', 'import docker'], { stdio: 'ignore' }).status === 0 ? undefined : 'docker-py is not installed (Debian package python3-docker, a dependency of docker-compose)';
/** Nanoseconds since the epoch of an RFC 3339 time with up to 9 fraction digits (Go trims trailing zeros, so the strings do not sort). */
const rfc3339Nanos = (t: string): bigint => {
  const m = /^([^.]+?)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(t);
  assert.ok(m, `an RFC 3339 time: ${t}`);
  return BigInt(Date.parse(`${m[1]}${m[3]}`)) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
};
/** A string matched literally inside a RegExp. */
const literal = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const noScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0 ? undefined : 'needs util-linux script(1) to give the CLI a terminal';

/** A command in the daemon's network namespace, where its published ports are. */
async function inNetns(netns: string, args: string[]): Promise<CliResult> {
  try {
    const r = await run('nsenter', [`--net=/run/netns/${netns}`, ...args], { timeout: 30000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Everything a stream carries until it ends. */
function collect(s: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.once('end', () => done(Buffer.concat(chunks)));
    s.once('error', fail);
  });
}

const SERVE = (text: string) => ['sh', '-c', `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`];

describe('docker clients against a janus daemon', { skip: skipUnlessRoot() }, () => {
  let d: TestDaemon;
  let netns: string;
  let home: string;

  /** Options of one client run. */
  interface ClientOptions { input?: string | Buffer; cwd?: string; timeoutMs?: number }

  /** Runs PROGRAM (docker, docker-compose) against the daemon with a private HOME and config; never throws for a non-zero exit. */
  function client(program: string, args: string[], opts: ClientOptions = {}): Promise<CliResult> {
    return new Promise((done, fail) => {
      const proc = spawn(program, args, {
        cwd: opts.cwd ?? home,
        env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: home, DOCKER_HOST: d.host, DOCKER_CONFIG: join(home, '.docker') },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const timer = setTimeout(() => proc.kill('SIGKILL'), opts.timeoutMs ?? 120000);
      proc.stdout.on('data', (b: Buffer) => out.push(b));
      proc.stderr.on('data', (b: Buffer) => err.push(b));
      proc.once('error', (e) => { clearTimeout(timer); fail(e); });
      proc.once('close', (code, signal) => {
        clearTimeout(timer);
        const stderr = Buffer.concat(err).toString('utf8') + (signal ? `\n[test] ${program} ${args.join(' ')} killed by ${signal}` : '');
        done({ code: code ?? 128, stdout: Buffer.concat(out).toString('utf8'), stderr });
      });
      proc.stdin.on('error', () => { /* the client may exit before reading its input */ });
      proc.stdin.end(opts.input ?? '');
    });
  }
  const docker = (args: string[], opts?: ClientOptions) => client('docker', args, opts);
  const inspect = async (ref: string, format: string) => ok(await docker(['inspect', '--format', format, ref]), `docker inspect ${format} ${ref}`).trim();
  const wget = (url: string) => inNetns(netns, ['busybox', 'timeout', '10', 'wget', '-qO-', url]);

  before(async () => {
    d = await startDaemon();
    assert.ok(d.netns, 'the test daemon runs in a network namespace of its own');
    netns = d.netns;
    home = await mkdtemp(join(tmpdir(), 'janus-docker-clients-'));
    ok(await d.janus(['image', 'bootstrap', 'busybox']), 'bootstrap busybox');
  });
  /** Removes every container, so one failed scenario leaves nothing for the next to count (nor mounted when the daemon stops). */
  const removeAllContainers = async (): Promise<void> => {
    const ids = ok(await d.janus(['ps', '-aq']), 'ps -aq').split('\n').filter(Boolean);
    if (ids.length > 0) ok(await d.janus(['rm', '-f', ...ids]), 'rm -f all');
  };

  after(async () => {
    try {
      if (d) await removeAllContainers().catch(() => {});
      await d?.stop();
    } finally {
      if (home) await rm(home, { recursive: true, force: true });
    }
  });

  describe('the docker CLI', { skip: noDocker }, () => {
    test('version and info: the server, its API versions, storage and drivers', async () => {
      const v = ok(await docker(['version', '--format', '{{.Server.Version}}|{{.Server.APIVersion}}|{{.Server.MinAPIVersion}}|{{.Server.Os}}']), 'docker version');
      assert.match(v.trim(), /^\d+\.\d+\.\d+\|1\.50\|1\.24\|linux$/);
      const table = ok(await docker(['version']), 'docker version');
      assert.match(table, /^Server: Janus$/m);
      const info = ok(await docker(['info', '--format', '{{.Images}}|{{.DockerRootDir}}|{{.Driver}}|{{json .Plugins.Volume}}|{{.Swarm.LocalNodeState}}']), 'docker info --format');
      assert.equal(info.trim(), `1|${d.root}|overlay|["local"]|inactive`);
      const text = await docker(['info']);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /Server Version: /);
      assert.match(text.stdout, /Network: bridge host null/);
      assert.doesNotMatch(text.stderr, /ERROR|error during connect/);
    });

    test('images: list, tag, inspect --format, rmi; a missing image in docker\'s words', async () => {
      const list = ok(await docker(['images']), 'docker images');
      assert.match(list, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n/);
      assert.match(list, /^busybox\s+latest\s+[0-9a-f]{12}\s+/m);
      ok(await docker(['tag', 'busybox', 'e2e/bb:1']), 'docker tag');
      const id = await inspect('busybox', '{{.Id}}');
      assert.equal(ok(await docker(['image', 'inspect', '--format', '{{.Id}} {{json .RepoTags}} {{.Os}}', 'e2e/bb:1']), 'image inspect').trim(), `${id} ["busybox:latest","e2e/bb:1"] linux`);
      assert.deepEqual(ok(await docker(['images', '--format', '{{.Repository}}:{{.Tag}}']), 'images --format').trim().split('\n').sort(), ['busybox:latest', 'e2e/bb:1']);
      assert.equal(ok(await docker(['rmi', 'e2e/bb:1']), 'rmi').trim(), 'Untagged: e2e/bb:1');
      const missing = await docker(['rmi', 'nosuch']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^Error response from daemon: No such image: nosuch/);
      fails(await docker(['image', 'inspect', 'nosuch']), /No such image: nosuch/, 'image inspect of a missing image');
    });

    test('push to and pull from a local registry: tag, push, rmi, pull back, the digest line and images', { skip: skipUnlessRegistry() }, async () => {
      await removeAllContainers();
      // The daemon has a network namespace of its own: the registry listens on its 127.0.0.1, plain http as for any loopback registry.
      const reg = await startRegistry({ netns });
      try {
        const repo = `${reg.host}/e2e/bb`;
        const ref = `${repo}:1`;
        const id = await inspect('busybox', '{{.Id}}');
        ok(await docker(['tag', 'busybox', ref]), 'tag');
        const push = await docker(['push', ref]);
        assert.equal(push.code, 0, push.stderr);
        assert.match(push.stdout, new RegExp(`^The push refers to repository \\[${literal(repo)}\\]$`, 'm'));
        assert.match(push.stdout, /^[0-9a-f]{12}: Pushed$/m);
        const digest = /^1: digest: (sha256:[0-9a-f]{64}) size: \d+$/m.exec(push.stdout)?.[1];
        assert.ok(digest, `push prints "1: digest: sha256:… size: N":\n${push.stdout}`);
        assert.equal(push.stderr, '');
        // The registry has it, asked from where the daemon is.
        const tags = await inNetns(netns, ['busybox', 'timeout', '10', 'wget', '-qO-', `http://${reg.host}/v2/e2e/bb/tags/list`]);
        assert.deepEqual(JSON.parse(tags.stdout), { name: 'e2e/bb', tags: ['1'] });
        const again = ok(await docker(['push', ref]), 'second push');
        assert.match(again, /^[0-9a-f]{12}: Layer already exists$/m);
        assert.match(again, new RegExp(`^1: digest: ${digest} size: \\d+$`, 'm'), 'the same manifest');

        // Gone locally, every name of it: the pull has to fetch it all.
        const removed = ok(await docker(['rmi', 'busybox', ref]), 'rmi');
        assert.match(removed, new RegExp(`^Untagged: busybox:latest$`, 'm'));
        assert.match(removed, new RegExp(`^Untagged: ${literal(ref)}$`, 'm'));
        assert.match(removed, new RegExp(`^Deleted: ${id}$`, 'm'));
        assert.equal(ok(await docker(['images', '-q']), 'images -q'), '');

        const pull = await docker(['pull', ref]);
        assert.equal(pull.code, 0, pull.stderr);
        assert.match(pull.stdout, /^1: Pulling from e2e\/bb$/m);
        assert.match(pull.stdout, /^[0-9a-f]{12}: Pull complete$/m);
        assert.match(pull.stdout, new RegExp(`^Digest: ${digest}$`, 'm'));
        assert.match(pull.stdout, new RegExp(`^Status: Downloaded newer image for ${literal(ref)}\n${literal(ref)}\n$`, 'm'));
        assert.equal(pull.stderr, '');
        const rows = ok(await docker(['images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}} {{.ID}}']), 'images --digests');
        assert.equal(rows.trim(), `${repo} 1 ${digest} ${id.slice(7, 19)}`);
        assert.equal(await inspect(ref, '{{.Id}} {{json .RepoDigests}}'), `${id} ["${repo}@${digest}"]`);
        const upToDate = ok(await docker(['pull', ref]), 'second pull');
        assert.match(upToDate, new RegExp(`^Status: Image is up to date for ${literal(ref)}$`, 'm'));
        // By digest, as users pin it.
        assert.match(ok(await docker(['pull', `${repo}@${digest}`]), 'pull by digest'), new RegExp(`^Digest: ${digest}$`, 'm'));
        const missing = await docker(['pull', `${repo}:nosuch`]);
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, /^Error response from daemon: .*(not found|manifest unknown)/m);

        // The pulled image is the one the other scenarios run: the same ID under its old name.
        ok(await docker(['tag', ref, 'busybox']), 'tag busybox');
        ok(await docker(['rmi', ref, `${repo}@${digest}`]), 'rmi the registry names');
        assert.deepEqual(ok(await docker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']), 'images').trim().split('\n'), [`busybox:latest ${id.slice(7, 19)}`]);
      } finally {
        await reg.stop();
      }
    });

    test('run --rm: stdout and stderr apart, the container\'s exit code, nothing left; a missing command is 127', async () => {
      const r = await docker(['run', '--rm', '-e', 'WHO=janus', 'busybox', 'sh', '-c', 'echo out $WHO; echo err >&2; exit 3']);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout, 'out janus\n');
      assert.equal(r.stderr, 'err\n');
      assert.equal(ok(await docker(['ps', '-aq']), 'ps -aq').trim(), '');
      const missing = await docker(['run', '--rm', 'busybox', 'nosuchcmd']);
      assert.equal(missing.code, 127, missing.stderr);
      assert.match(missing.stderr, /^docker: Error response from daemon: container [0-9a-f]{64}: .*exec: "nosuchcmd": executable file not found in \$PATH$/m);
      assert.doesNotMatch(missing.stderr, /level=error/, 'runc\'s log line is reduced to its message');
    });

    test('run -d, ps, logs -f, exec (-i, exit codes), stop, rm', async () => {
      const id = ok(await docker(['run', '-d', '--name', 'ticker', '--label', 'role=e2e', 'busybox', 'sh', '-c', 'echo one; echo two >&2; while true; do sleep 1; done']), 'run -d').trim();
      assert.match(id, /^[0-9a-f]{64}$/);
      const ps = ok(await docker(['ps']), 'ps');
      assert.match(ps, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n/);
      assert.match(ps, new RegExp(`^${id.slice(0, 12)}\\s+busybox\\s+"sh -c 'echo one; ec…"\\s+.+\\s+Up .+\\s+ticker$`, 'm'));
      assert.equal(ok(await docker(['ps', '-q', '--filter', 'label=role=e2e']), 'ps --filter').trim(), id.slice(0, 12));
      const logs = await docker(['logs', 'ticker']);
      assert.equal(logs.stdout, 'one\n');
      assert.equal(logs.stderr, 'two\n');
      assert.equal(ok(await docker(['exec', 'ticker', 'sh', '-c', 'echo $((6*7))']), 'exec').trim(), '42');
      assert.equal((await docker(['exec', 'ticker', 'sh', '-c', 'exit 4'])).code, 4);
      // A command that cannot run: docker's 127 and 126, the reason on stdout (the stream), as dockerd does it.
      const missing = await docker(['exec', 'ticker', 'nosuchcmd']);
      assert.equal(missing.code, 127, missing.stderr);
      assert.match(missing.stdout, /exec: "nosuchcmd": executable file not found in \$PATH\r\n$/);
      assert.equal((await docker(['exec', 'ticker', '/etc/passwd'])).code, 126);
      assert.equal(ok(await docker(['exec', '-i', 'ticker', 'tr', 'a-z', 'A-Z'], { input: 'piped in\n' }), 'exec -i'), 'PIPED IN\n');
      assert.equal(ok(await docker(['exec', '-u', 'nobody', '-w', '/tmp', 'ticker', 'sh', '-c', 'echo $(id -u) $PWD']), 'exec -u -w').trim(), '65534 /tmp');
      // sh as PID 1 ignores SIGTERM: stop waits its timeout and kills.
      ok(await docker(['stop', '-t', '1', 'ticker']), 'stop');
      assert.equal(await inspect('ticker', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 137');
      fails(await docker(['exec', 'ticker', 'true']), /is not running/, 'exec in a stopped container');
      ok(await docker(['rm', 'ticker']), 'rm');
      assert.deepEqual(await findContainerLeaks(d.root, id), []);

      // logs -f follows until the container exits, then ends by itself.
      ok(await docker(['run', '-d', '--name', 'follow', 'busybox', 'sh', '-c', 'echo first; sleep 2; echo second']), 'run -d follow');
      const followed = await docker(['logs', '-f', 'follow']);
      assert.equal(followed.code, 0, followed.stderr);
      assert.equal(followed.stdout, 'first\nsecond\n');
      ok(await docker(['rm', 'follow']), 'rm follow');
    });

    test('run -i takes stdin from a pipe; run -t gets a terminal; run -it takes what is typed', { skip: noScript }, async () => {
      assert.equal(ok(await docker(['run', '-i', '--rm', 'busybox', 'wc', '-l'], { input: 'a\nb\nc\n' }), 'run -i').trim(), '3');
      const r = spawnSync('script', ['-qefc', 'docker run -t --rm busybox sh -c "test -t 0 && test -t 1 && echo on-a-tty; exit 5"', '/dev/null'], {
        env: { PATH: process.env.PATH, HOME: home, DOCKER_HOST: d.host, DOCKER_CONFIG: join(home, '.docker') }, encoding: 'utf8', timeout: 60000,
      });
      assert.equal(r.status, 5, r.stdout + r.stderr);
      assert.match(r.stdout, /on-a-tty\r*\n/);
      // -it: what is typed on the terminal reaches the shell in the container.
      const typed = spawnSync('script', ['-qefc', 'docker run -it --rm busybox sh', '/dev/null'], {
        env: { PATH: process.env.PATH, HOME: home, DOCKER_HOST: d.host, DOCKER_CONFIG: join(home, '.docker') }, encoding: 'utf8', timeout: 60000,
        input: 'echo typed-$((40+2))\nexit 6\n',
      });
      assert.equal(typed.status, 6, typed.stdout + typed.stderr);
      assert.match(typed.stdout, /^typed-42\r*$/m);
    });

    test('kill, wait, restart, pause and unpause, rename, inspect --format', async () => {
      ok(await docker(['run', '-d', '--name', 'sleeper', 'busybox', 'sleep', '300']), 'run -d');
      ok(await docker(['pause', 'sleeper']), 'pause');
      assert.match(ok(await docker(['ps', '--filter', 'name=sleeper', '--format', '{{.Status}}']), 'ps').trim(), /^Up .+ \(Paused\)$/);
      ok(await docker(['unpause', 'sleeper']), 'unpause');
      ok(await docker(['rename', 'sleeper', 'dozer']), 'rename');
      ok(await docker(['restart', '-t', '1', 'dozer']), 'restart');
      assert.equal(await inspect('dozer', '{{.Name}} {{.State.Status}} {{.RestartCount}}'), '/dozer running 0');
      const waiting = docker(['wait', 'dozer']);
      ok(await docker(['kill', '-s', 'KILL', 'dozer']), 'kill');
      assert.equal(ok(await waiting, 'wait').trim(), '137');
      assert.equal(await inspect('dozer', '{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}} {{json .Config.Cmd}}'), 'exited 137 false ["sleep","300"]');
      ok(await docker(['rm', 'dozer']), 'rm');
    });

    test('create, then start -a: the output and exit code of a created container', async () => {
      ok(await docker(['create', '--name', 'later', 'busybox', 'sh', '-c', 'echo created-out; echo created-err >&2; exit 2']), 'create');
      assert.equal(await inspect('later', '{{.State.Status}}'), 'created');
      const r = await docker(['start', '-a', 'later']);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, 'created-out\n');
      assert.equal(r.stderr, 'created-err\n');
      assert.match(ok(await docker(['ps', '-a', '--filter', 'name=later', '--format', '{{.Status}}']), 'ps').trim(), /^Exited \(2\) /);
      ok(await docker(['rm', 'later']), 'rm');
    });

    test('cp both ways, diff, commit and run the committed image, export', async () => {
      const dir = join(home, 'cp');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'hello.txt'), 'hello from the host\n');
      ok(await docker(['create', '--name', 'files', 'busybox', 'cat', '/hello.txt']), 'create');
      ok(await docker(['cp', join(dir, 'hello.txt'), 'files:/hello.txt']), 'cp into');
      ok(await docker(['cp', 'files:/hello.txt', join(dir, 'back.txt')]), 'cp out of');
      assert.equal(await readFile(join(dir, 'back.txt'), 'utf8'), 'hello from the host\n');
      assert.match(ok(await docker(['diff', 'files']), 'diff'), /^A \/hello\.txt$/m);
      const image = ok(await docker(['commit', '-m', 'with hello', '-c', 'LABEL stage=e2e', 'files', 'e2e/committed:1']), 'commit').trim();
      assert.match(image, /^sha256:[0-9a-f]{64}$/);
      assert.equal(ok(await docker(['run', '--rm', 'e2e/committed:1']), 'run the committed image'), 'hello from the host\n');
      assert.equal(await inspect('e2e/committed:1', '{{.Config.Labels.stage}} {{.Comment}}'), 'e2e with hello');
      const tarPath = join(dir, 'export.tar');
      ok(await docker(['export', '-o', tarPath, 'files']), 'export');
      const names = (await run('tar', ['-tf', tarPath])).stdout.split('\n');
      assert.ok(names.includes('hello.txt') && names.includes('bin/busybox'), 'the export has the container\'s files');
      ok(await docker(['rm', 'files']), 'rm');
      ok(await docker(['rmi', 'e2e/committed:1']), 'rmi');
    });

    test('networks: create, ls, inspect; containers resolve each other by name; connect, disconnect; rm in docker\'s words', async () => {
      ok(await docker(['network', 'create', '--subnet', '10.91.0.0/24', '--label', 'app=e2e', 'e2enet']), 'network create');
      const ls = ok(await docker(['network', 'ls']), 'network ls');
      assert.match(ls, /^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE\n/);
      assert.match(ls, /^[0-9a-f]{12}\s+e2enet\s+bridge\s+local$/m);
      assert.equal(ok(await docker(['network', 'inspect', '--format', '{{.Driver}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Labels.app}}', 'e2enet']), 'network inspect').trim(), 'bridge 10.91.0.0/24 10.91.0.1 e2e');
      ok(await docker(['run', '-d', '--name', 'srv', '--network', 'e2enet', '--network-alias', 'www', 'busybox', ...SERVE('by-name')]), 'run srv');
      assert.match(await inspect('srv', '{{.NetworkSettings.Networks.e2enet.IPAddress}}'), /^10\.91\.0\.\d+$/);
      for (const name of ['srv', 'www']) {
        assert.equal(ok(await docker(['run', '--rm', '--network', 'e2enet', 'busybox', 'timeout', '10', 'wget', '-qO-', `http://${name}/`]), `wget ${name}`), 'by-name\n');
      }
      // A legacy link on a user network: the alias resolves in the linking container.
      assert.equal(ok(await docker(['run', '--rm', '--network', 'e2enet', '--link', 'srv:linked', 'busybox', 'timeout', '10', 'wget', '-qO-', 'http://linked/']), '--link'), 'by-name\n');

      ok(await docker(['network', 'create', 'e2eother']), 'network create other');
      ok(await docker(['run', '-d', '--name', 'visitor', '--network', 'e2eother', 'busybox', 'sleep', '300']), 'run visitor');
      ok(await docker(['network', 'connect', 'e2enet', 'visitor']), 'network connect');
      assert.equal(ok(await docker(['exec', 'visitor', 'timeout', '10', 'wget', '-qO-', 'http://srv/']), 'wget after connect'), 'by-name\n');
      const members = ok(await docker(['network', 'inspect', '--format', '{{range .Containers}}{{.Name}} {{end}}', 'e2enet']), 'members');
      assert.deepEqual(members.trim().split(' ').sort(), ['srv', 'visitor']);
      ok(await docker(['network', 'disconnect', 'e2enet', 'visitor']), 'network disconnect');

      const inUse = await docker(['network', 'rm', 'e2enet']);
      assert.equal(inUse.code, 1);
      assert.match(inUse.stderr, /^Error response from daemon: error while removing network: network e2enet .*has active endpoints/m);
      const missing = await docker(['network', 'rm', 'nosuchnet']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^Error response from daemon: network nosuchnet not found$/m);
      fails(await docker(['network', 'create', 'e2enet']), /network with name e2enet already exists/, 'duplicate network');
      fails(await docker(['network', 'rm', 'bridge']), /pre-defined network/, 'rm bridge');
      ok(await docker(['rm', '-f', 'srv', 'visitor']), 'rm');
      ok(await docker(['network', 'rm', 'e2enet', 'e2eother']), 'network rm');
    });

    test('run -p: port and ps show the binding, the port answers from the host\'s side, rm releases it', async () => {
      ok(await docker(['run', '-d', '--name', 'pub', '-p', '18181:80', 'busybox', ...SERVE('published')]), 'run -p');
      assert.equal(ok(await docker(['port', 'pub']), 'port').trim(), '80/tcp -> 0.0.0.0:18181');
      assert.equal(ok(await docker(['ps', '--filter', 'name=pub', '--format', '{{.Ports}}']), 'ps ports').trim(), '0.0.0.0:18181->80/tcp');
      assert.equal(await inspect('pub', '{{json .NetworkSettings.Ports}}'), '{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"18181"}]}');
      await eventually('the published port to answer', async () => ((await wget('http://127.0.0.1:18181/')).stdout === 'published\n' ? true : undefined));
      const clash = await docker(['run', '-d', '--name', 'clash', '-p', '18181:80', 'busybox', 'true']);
      assert.equal(clash.code, 125);
      assert.match(clash.stderr, /port is already allocated/);
      ok(await docker(['rm', '-f', 'pub', 'clash']), 'rm');
      assert.notEqual((await wget('http://127.0.0.1:18181/')).code, 0, 'the port is closed after rm');
    });

    test('volumes: create, ls, inspect, -v (read-write and :ro), in-use refusal, rm', async () => {
      ok(await docker(['volume', 'create', '--label', 'k=v', 'e2evol']), 'volume create');
      assert.match(ok(await docker(['volume', 'ls']), 'volume ls'), /^DRIVER\s+VOLUME NAME\nlocal\s+e2evol\n/);
      assert.equal(ok(await docker(['volume', 'inspect', '--format', '{{.Driver}} {{.Labels.k}} {{.Scope}}', 'e2evol']), 'volume inspect').trim(), 'local v local');
      ok(await docker(['run', '--rm', '-v', 'e2evol:/data', 'busybox', 'sh', '-c', 'echo kept > /data/f']), 'write');
      assert.equal(ok(await docker(['run', '--rm', '-v', 'e2evol:/data:ro', 'busybox', 'cat', '/data/f']), 'read'), 'kept\n');
      fails(await docker(['run', '--rm', '-v', 'e2evol:/data:ro', 'busybox', 'touch', '/data/g']), /Read-only file system/, 'write to :ro');
      const dir = join(home, 'bind');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'b.txt'), 'bound\n');
      assert.equal(ok(await docker(['run', '--rm', '-v', `${dir}:/b`, 'busybox', 'cat', '/b/b.txt']), 'bind mount'), 'bound\n');
      ok(await docker(['run', '-d', '--name', 'holder', '-v', 'e2evol:/data', 'busybox', 'sleep', '300']), 'run holder');
      fails(await docker(['volume', 'rm', 'e2evol']), /volume is in use/, 'rm a volume in use');
      ok(await docker(['rm', '-f', 'holder']), 'rm holder');
      assert.equal(ok(await docker(['volume', 'rm', 'e2evol']), 'volume rm').trim(), 'e2evol');
      fails(await docker(['volume', 'rm', 'e2evol']), /no such volume/, 'rm a missing volume');
    });

    test('stats --no-stream and top of a running container; MEM USAGE leaves the page cache out', async () => {
      // 32 MiB written to the container's own layer: page cache charged to its memory cgroup, which the kernel may drop.
      ok(await docker(['run', '-d', '--name', 'busy', 'busybox', 'sh', '-c', 'head -c 33554432 /dev/zero > /cached && exec sleep 300']), 'run');
      // stat, not wc: reading the file again would move its pages to the active list, which docker does not subtract.
      await eventually('the file to be written', async () => ((await docker(['exec', 'busy', 'sh', '-c', 'test $(stat -c %s /cached) -eq 33554432'])).code === 0 ? true : undefined));
      const stats = ok(await docker(['stats', '--no-stream', 'busy']), 'stats');
      assert.match(stats, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS\n/);
      assert.match(stats, /^[0-9a-f]{12}\s+busy\s+\d+\.\d+%\s+\S+ \/ \S+\s+\d+\.\d+%\s+.+\s+1\n/m);
      assert.match(ok(await docker(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'busy']), 'stats --format').trim(), /^busy 1$/);
      const raw = await new Docker({ socketPath: d.socket }).getContainer('busy').stats({ stream: false });
      const shown = ok(await docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', 'busy']), 'stats MemUsage').trim();
      const m = /^(\d+(?:\.\d+)?)(B|KiB|MiB|GiB) \/ \S+$/.exec(shown);
      assert.ok(m, `MEM USAGE / LIMIT: ${shown}`);
      const shownBytes = Number(m[1]) * 1024 ** ['B', 'KiB', 'MiB', 'GiB'].indexOf(m[2]!);
      assert.ok(raw.memory_stats.usage >= 32 * 1024 * 1024, `the cgroup is charged for the cached file: usage ${raw.memory_stats.usage}`);
      // docker's CLI shows usage less the cgroup's inactive file pages (memory.stat, which Janus passes on); how much of
      // the file the kernel keeps on the inactive list is its own affair, so the test checks that subtraction happened.
      const inactive = Number((raw.memory_stats.stats as Record<string, number> | undefined)?.total_inactive_file ?? 0);
      assert.ok(inactive > 0 && shownBytes <= raw.memory_stats.usage - inactive + 1024 * 1024,
        `docker stats shows the usage without the inactive page cache: ${shown} (usage ${raw.memory_stats.usage}, stats ${JSON.stringify(raw.memory_stats.stats)})`);
      const top = ok(await docker(['top', 'busy']), 'top');
      assert.match(top, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD\n/);
      assert.match(top, /sleep 300$/m);
      ok(await docker(['rm', '-f', 'busy']), 'rm');
    });

    test('events --since/--until replay what happened, filtered by type, container and event', async () => {
      const since = Math.floor(Date.now() / 1000) - 1;
      ok(await docker(['run', '--rm', '--name', 'evented', 'busybox', 'true']), 'run');
      ok(await docker(['network', 'create', 'evnet']), 'network create');
      ok(await docker(['network', 'rm', 'evnet']), 'network rm');
      const until = String(Math.floor(Date.now() / 1000) + 1);
      const actions = ok(await docker(['events', '--since', String(since), '--until', until, '--filter', 'type=container', '--filter', 'container=evented', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']), 'events');
      const lines = actions.trim().split('\n');
      const order = ['create', 'start', 'die', 'destroy'].map((a) => lines.indexOf(`container ${a} evented`));
      assert.ok(order.every((i, n) => i >= 0 && (n === 0 || i > order[n - 1]!)), `create, start, die, destroy in order:\n${actions}`);
      const die = ok(await docker(['events', '--since', String(since), '--until', until, '--filter', 'event=die', '--filter', 'container=evented', '--format', '{{.Action}} {{.Actor.Attributes.exitCode}}']), 'events die');
      assert.equal(die.trim(), 'die 0');
      const nets = ok(await docker(['events', '--since', String(since), '--until', until, '--filter', 'type=network', '--filter', 'network=evnet', '--format', '{{.Action}} {{.Actor.Attributes.name}}']), 'network events');
      assert.deepEqual(nets.trim().split('\n'), ['create evnet', 'destroy evnet']);
    });

    test('system df and the prune commands: container, network, volume, image, system', async () => {
      await removeAllContainers();
      ok(await docker(['create', '--name', 'leftover', 'busybox', 'true']), 'create');
      ok(await docker(['volume', 'create', 'unused']), 'volume create');
      ok(await docker(['network', 'create', 'unusednet']), 'network create');
      ok(await docker(['tag', 'busybox', 'e2e/spare:1']), 'tag');
      // An image on top of busybox: busybox's layer is shared, the new one is the child's own.
      ok(await docker(['run', '--name', 'writer', 'busybox', 'sh', '-c', 'head -c 100000 /dev/zero > /blob']), 'run writer');
      ok(await docker(['commit', 'writer', 'e2e/child:1']), 'commit');
      ok(await docker(['rm', 'writer']), 'rm writer');
      const df = ok(await docker(['system', 'df']), 'system df');
      assert.match(df, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\n/);
      assert.match(df, /^Images\s+2\s+1\s+/m);
      const verbose = ok(await docker(['system', 'df', '-v']), 'system df -v');
      assert.match(verbose, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\s+SHARED SIZE\s+UNIQUE SIZE\s+CONTAINERS$/m);
      const row = (name: string): string[] => {
        const line = verbose.split('\n').find((l) => l.startsWith(`${name} `));
        assert.ok(line, `df -v lists ${name}:\n${verbose}`);
        // SIZE, SHARED SIZE, UNIQUE SIZE, CONTAINERS: the last four columns (CREATED has spaces).
        return line.trim().split(/\s+/).slice(-4);
      };
      // The CLI prints SIZE with 3 significant digits and SHARED SIZE with 4: compare the figures, not the text.
      const bytes = (text: string | undefined): number => {
        const m = /^(\d+(?:\.\d+)?)(B|kB|MB|GB)$/.exec(text ?? '');
        assert.ok(m, `a size: ${text}`);
        return Number(m[1]) * 1000 ** ['B', 'kB', 'MB', 'GB'].indexOf(m[2]!);
      };
      const about = (a: string | undefined, b: string | undefined): boolean => Math.abs(bytes(a) - bytes(b)) <= bytes(a) * 0.005;
      const [busyboxSize, busyboxShared, busyboxUnique, busyboxUsers] = row('busybox');
      assert.ok(about(busyboxShared, busyboxSize), `all of busybox is shared with the child: ${busyboxShared} of ${busyboxSize}`);
      assert.deepEqual([busyboxUnique, busyboxUsers], ['0B', '1'], 'nothing of busybox is its own; leftover uses it');
      const [childSize, childShared, childUnique, childUsers] = row('e2e/child');
      assert.ok(about(childShared, busyboxSize), `the child shares busybox's layer: ${childShared} of ${childSize}`);
      assert.equal(childUsers, '0');
      assert.match(childUnique!, /^\d+(\.\d+)?kB$/, `the child's own layer holds the 100 kB file: ${childSize} ${childUnique}`);
      assert.match(df, /^Containers\s+1\s+0\s+/m);
      assert.match(df, /^Local Volumes\s+1\s+0\s+/m);
      assert.match(df, /^Build Cache\s+0\s+0\s+0B\s+0B$/m);
      assert.match(ok(await docker(['container', 'prune', '-f']), 'container prune'), /^Deleted Containers:\n[0-9a-f]{64}\n/);
      assert.match(ok(await docker(['network', 'prune', '-f']), 'network prune'), /^Deleted Networks:\nunusednet\n/);
      assert.match(ok(await docker(['volume', 'prune', '-af']), 'volume prune'), /^Deleted Volumes:\nunused\n/);
      assert.match(ok(await docker(['image', 'prune', '-f']), 'image prune'), /Total reclaimed space: /);
      const system = ok(await docker(['system', 'prune', '-f']), 'system prune');
      assert.match(system, /Total reclaimed space: /);
      assert.equal(ok(await docker(['images', '-q', 'e2e/spare']), 'images').trim().length, 12, 'a tagged image is not dangling');
      ok(await docker(['rmi', 'e2e/spare:1', 'e2e/child:1']), 'rmi');
    });

    test('errors in docker\'s words and exit codes: no such container, name and state conflicts', async () => {
      for (const args of [['inspect', 'ghost'], ['logs', 'ghost'], ['stop', 'ghost'], ['rm', 'ghost'], ['exec', 'ghost', 'true'], ['kill', 'ghost']]) {
        const r = await docker(args);
        assert.equal(r.code, 1, `docker ${args.join(' ')}`);
        assert.match(r.stderr, args[0] === 'inspect' ? /^Error: No such object: ghost$/m : /^Error response from daemon: No such container: ghost$/m, `docker ${args.join(' ')}`);
      }
      const start = await docker(['start', 'ghost']);
      assert.equal(start.code, 1);
      assert.match(start.stderr, /No such container: ghost[\s\S]*failed to start containers: ghost/);
      ok(await docker(['run', '-d', '--name', 'taken', 'busybox', 'sleep', '300']), 'run taken');
      const dup = await docker(['run', '--name', 'taken', 'busybox', 'true']);
      assert.equal(dup.code, 125, 'a daemon error of docker run exits 125');
      assert.match(dup.stderr, /Conflict\. The container name "\/taken" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\./);
      const running = await docker(['rm', 'taken']);
      assert.equal(running.code, 1);
      assert.match(running.stderr, /container is running: stop the container before removing or force remove/);
      const badImage = await docker(['run', '--rm', '--pull', 'never', 'nosuch/image:1', 'true']);
      assert.equal(badImage.code, 125);
      assert.match(badImage.stderr, /No such image: nosuch\/image:1/);
      ok(await docker(['rm', '-f', 'taken']), 'rm -f');
    });

    test('swarm, services, secrets, configs and plugins say Janus does not offer them; build falls back to the classic builder', async () => {
      for (const [args, pattern] of [
        [['swarm', 'init'], /swarm mode is not offered by Janus/],
        [['node', 'ls'], /swarm mode is not offered by Janus/],
        [['service', 'ls'], /swarm mode is not offered by Janus/],
        [['secret', 'ls'], /secrets are not offered by Janus/],
        [['config', 'ls'], /configs are not offered by Janus/],
        [['plugin', 'ls'], /plugins are not offered by Janus/],
      ] as const) {
        const r = await docker([...args]);
        assert.equal(r.code, 1, `docker ${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, new RegExp(`^Error response from daemon: ${pattern.source}`, 'm'), `docker ${args.join(' ')}`);
      }
      const ctx = join(home, 'ctx');
      await mkdir(ctx, { recursive: true });
      await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN true\n');
      // Without buildx the CLI falls back to the classic builder, which Janus serves (test/e2e/build.test.ts goes further).
      const build = await docker(['build', '-t', 'e2e/built', ctx]);
      assert.equal(build.code, 0, build.stderr);
      assert.match(build.stdout, /^Successfully tagged e2e\/built:latest$/m);
      // The SDK scenarios after this one count the images: only busybox.
      ok(await docker(['rmi', 'e2e/built']), 'rmi e2e/built');
      fails(await docker(['inspect', 'ghost']), /No such object: ghost/, 'inspect asks every kind of object and goes on past plugins');
    });
  });

  describe('dockerode', () => {
    let api: Docker;
    before(() => { api = new Docker({ socketPath: d.socket }); });

    /** docker's multiplexed stream (8-byte frame headers) split into stdout and stderr. */
    const demux = (buf: Buffer): { stdout: string; stderr: string } => {
      const out: Record<number, Buffer[]> = { 1: [], 2: [] };
      for (let at = 0; at + 8 <= buf.length;) {
        const size = buf.readUInt32BE(at + 4);
        out[buf[at]!]?.push(buf.subarray(at + 8, at + 8 + size));
        at += 8 + size;
      }
      return { stdout: Buffer.concat(out[1]!).toString('utf8'), stderr: Buffer.concat(out[2]!).toString('utf8') };
    };
    /** A hijacked stream demultiplexed by dockerode's own helper. */
    const demuxStream = async (stream: NodeJS.ReadWriteStream): Promise<{ stdout: string; stderr: string }> => {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      api.modem.demuxStream(stream, stdout, stderr);
      stream.once('end', () => { stdout.end(); stderr.end(); });
      const [o, e] = await Promise.all([collect(stdout), collect(stderr)]);
      return { stdout: o.toString('utf8'), stderr: e.toString('utf8') };
    };

    test('ping, version, info, images: list, tag, inspect, remove', async () => {
      assert.equal(String(await api.ping()), 'OK');
      const version = await api.version();
      assert.equal(version.ApiVersion, '1.50');
      assert.equal(version.Os, 'linux');
      const info = await api.info();
      assert.equal(info.DockerRootDir, d.root);
      const images = await api.listImages();
      assert.deepEqual(images.map((i) => i.RepoTags), [['busybox:latest']]);
      await api.getImage('busybox').tag({ repo: 'sdk/bb', tag: '1' });
      assert.deepEqual((await api.getImage('sdk/bb:1').inspect()).RepoTags, ['busybox:latest', 'sdk/bb:1']);
      assert.deepEqual(await api.getImage('sdk/bb:1').remove(), [{ Untagged: 'sdk/bb:1' }]);
    });

    test('containers: create, start, wait, demultiplexed logs; attach with stdin; the run helper', async () => {
      const c = await api.createContainer({ name: 'sdk-one', Image: 'busybox', Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'], Labels: { via: 'dockerode' } });
      await c.start();
      assert.deepEqual(await c.wait(), { StatusCode: 3 });
      const logs = demux(await c.logs({ stdout: true, stderr: true, follow: false }) as unknown as Buffer);
      assert.deepEqual(logs, { stdout: 'out\n', stderr: 'err\n' });
      const listed = await api.listContainers({ all: true, filters: { label: ['via=dockerode'] } });
      assert.deepEqual(listed.map((x) => [x.Names[0], x.State, x.Status.replace(/\d+ seconds?|Less than a second/, 'T')]), [['/sdk-one', 'exited', 'Exited (3) T ago']]);
      await c.remove();

      // Attach before start, stdin sent through the hijacked connection, output demultiplexed.
      const cat = await api.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'cat; echo done >&2'], OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true });
      const stream = await cat.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
      const output = demuxStream(stream);
      await cat.start();
      stream.end('through stdin\n');
      assert.deepEqual(await cat.wait(), { StatusCode: 0 });
      assert.deepEqual(await output, { stdout: 'through stdin\n', stderr: 'done\n' });
      await cat.remove();

      const sink = new PassThrough();
      const printed = collect(sink);
      const [result, container] = await api.run('busybox', ['echo', 'via run'], sink, { name: 'sdk-run' }) as [{ StatusCode: number }, Docker.Container];
      sink.end();
      assert.equal(result.StatusCode, 0);
      assert.equal((await printed).toString('utf8').replace(/\r/g, ''), 'via run\n');
      await container.remove();
    });

    test('exec streams and exit codes, archives both ways, commit, top, stats, inspect', async () => {
      const c = await api.createContainer({ name: 'sdk-live', Image: 'busybox', Cmd: ['sleep', '300'] });
      await c.start();
      const exec = await c.exec({ Cmd: ['sh', '-c', 'echo to-out; echo to-err >&2; exit 4'], AttachStdout: true, AttachStderr: true });
      const started = await exec.start({ hijack: true, stdin: false });
      assert.deepEqual(await demuxStream(started), { stdout: 'to-out\n', stderr: 'to-err\n' });
      const ended = await exec.inspect();
      assert.equal(ended.ExitCode, 4);
      assert.equal(ended.Running, false);

      const withStdin = await c.exec({ Cmd: ['wc', '-c'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
      const duplex = await withStdin.start({ hijack: true, stdin: true });
      const counted = demuxStream(duplex);
      duplex.end('12345');
      assert.equal((await counted).stdout.trim(), '5');

      const pack = tar.pack();
      pack.entry({ name: 'put.txt', mode: 0o644 }, 'put by dockerode\n');
      pack.finalize();
      await c.putArchive(pack as unknown as Readable, { path: '/tmp' });
      const archive = await c.getArchive({ path: '/tmp/put.txt' });
      const extract = tar.extract();
      const files: Record<string, string> = {};
      extract.on('entry', (header, body, next) => { void collect(body as unknown as NodeJS.ReadableStream).then((b) => { files[header.name] = b.toString('utf8'); next(); }); });
      const finished = new Promise<void>((done) => extract.once('finish', () => done()));
      archive.pipe(extract);
      await finished;
      assert.deepEqual(files, { 'put.txt': 'put by dockerode\n' });
      const committed = await c.commit({ repo: 'sdk/snap', tag: '1', comment: 'via dockerode' }) as { Id: string };
      assert.match(committed.Id, /^sha256:[0-9a-f]{64}$/);
      assert.equal((await api.getImage('sdk/snap:1').inspect()).Comment, 'via dockerode');
      await api.getImage('sdk/snap:1').remove();

      const top = await c.top();
      assert.ok(top.Titles.includes('PID') && top.Processes.some((p: string[]) => p.at(-1) === 'sleep 300'), JSON.stringify(top));
      const stats = await c.stats({ stream: false });
      assert.ok(stats.memory_stats.usage > 0 && stats.pids_stats?.current === 1, JSON.stringify(stats.pids_stats));
      const view = await c.inspect();
      assert.equal(view.Name, '/sdk-live');
      assert.equal(view.State.Running, true);
      assert.deepEqual(view.Config.Cmd, ['sleep', '300']);
      await c.remove({ force: true });
    });

    test('networks, volumes, a published port, events, df and prune', async () => {
      const since = Math.floor(Date.now() / 1000) - 1;
      const net = await api.createNetwork({ Name: 'sdknet', Labels: { via: 'dockerode' } });
      const volume = await api.createVolume({ Name: 'sdkvol' });
      assert.equal((volume as unknown as { name: string }).name, 'sdkvol');
      const srv = await api.createContainer({
        name: 'sdk-web', Image: 'busybox', Cmd: SERVE('from-sdk'), ExposedPorts: { '80/tcp': {} },
        HostConfig: { NetworkMode: 'sdknet', Binds: ['sdkvol:/data'], PortBindings: { '80/tcp': [{ HostPort: '18282' }] } },
        NetworkingConfig: { EndpointsConfig: { sdknet: { Aliases: ['web'] } } },
      });
      await srv.start();
      const view = await srv.inspect();
      assert.deepEqual(view.NetworkSettings.Ports, { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '18282' }] });
      assert.ok(view.NetworkSettings.Networks.sdknet?.Aliases?.includes('web'));
      // httpd listens a moment after start returns.
      await eventually('the published port to answer', async () => ((await wget('http://127.0.0.1:18282/')).stdout === 'from-sdk\n' ? true : undefined));

      const client = await api.createContainer({ Image: 'busybox', Cmd: ['sleep', '300'] });
      await client.start();
      await net.connect({ Container: client.id, EndpointConfig: { Aliases: ['visitor'] } });
      // By name: a container that started on the default bridge switches to the network's DNS server when connected, as with docker.
      const exec = await client.exec({ Cmd: ['timeout', '10', 'wget', '-qO-', 'http://web/'], AttachStdout: true, AttachStderr: true });
      assert.equal((await demuxStream(await exec.start({ hijack: true, stdin: false }))).stdout, 'from-sdk\n');
      const members = Object.values((await net.inspect()).Containers ?? {}).map((m) => (m as { Name: string }).Name).sort();
      assert.equal(members.length, 2);
      assert.ok(members.includes('sdk-web'));
      await net.disconnect({ Container: client.id });
      await client.remove({ force: true });

      const networks = await api.listNetworks({ filters: { label: ['via=dockerode'] } });
      assert.deepEqual(networks.map((n) => n.Name), ['sdknet']);
      const volumes = await api.listVolumes({ filters: { name: ['sdkvol'] } });
      assert.deepEqual(volumes.Volumes.map((v) => v.Name), ['sdkvol']);
      const df = await api.df();
      assert.ok(df.Images.length === 1 && df.Containers.some((c: { Names: string[] }) => c.Names[0] === '/sdk-web'), 'df lists images and containers');
      await srv.remove({ force: true });
      await net.remove();
      await api.getVolume('sdkvol').remove();

      const events = await api.getEvents({ since, until: Math.floor(Date.now() / 1000) + 1, filters: { type: ['network'], network: ['sdknet'] } });
      const seen = (await collect(events)).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { Action: string });
      assert.deepEqual(seen.map((e) => e.Action), ['create', 'connect', 'connect', 'disconnect', 'disconnect', 'destroy']);

      await api.createContainer({ name: 'sdk-leftover', Image: 'busybox', Cmd: ['true'] });
      const pruned = await api.pruneContainers();
      assert.equal(pruned.ContainersDeleted?.length, 1);
      assert.deepEqual(await api.pruneNetworks(), { NetworksDeleted: null });
    });

    test('errors carry docker\'s status codes and messages; swarm, secrets and plugins are 501', async () => {
      const failure = async (p: Promise<unknown>): Promise<{ statusCode: number; message: string }> => {
        try {
          await p;
        } catch (err) {
          const e = err as { statusCode: number; json?: { message?: string } };
          return { statusCode: e.statusCode, message: e.json?.message ?? '' };
        }
        return assert.fail('the call should have failed');
      };
      assert.deepEqual(await failure(api.getContainer('ghost').inspect()), { statusCode: 404, message: 'No such container: ghost' });
      assert.deepEqual(await failure(api.getImage('ghost:1').inspect()), { statusCode: 404, message: 'No such image: ghost:1' });
      const c = await api.createContainer({ name: 'sdk-dup', Image: 'busybox', Cmd: ['sleep', '300'] });
      await c.start();
      const dup = await failure(api.createContainer({ name: 'sdk-dup', Image: 'busybox' }));
      assert.equal(dup.statusCode, 409);
      assert.match(dup.message, /Conflict\. The container name "\/sdk-dup" is already in use/);
      const running = await failure(c.remove());
      assert.equal(running.statusCode, 409);
      await c.remove({ force: true });
      for (const [call, pattern] of [
        [() => api.listServices(), /swarm mode is not offered by Janus/],
        [() => api.swarmInspect(), /swarm mode is not offered by Janus/],
        [() => api.listSecrets(), /secrets are not offered by Janus/],
        [() => api.listConfigs(), /configs are not offered by Janus/],
        [() => api.listPlugins(), /plugins are not offered by Janus/],
      ] as const) {
        const e = await failure(call());
        assert.equal(e.statusCode, 501);
        assert.match(e.message, pattern);
      }
    });
  });

  describe('docker-py', { skip: noDockerPy }, () => {
    // One script, one line of JSON per step: what the SDK's users get back.
    const SCRIPT = String.raw`
import docker, io, json, sys, tarfile
c = docker.DockerClient(base_url=sys.argv[1], version='auto')
def out(k, v): print(json.dumps([k, v]), flush=True)
out('version', c.version()['ApiVersion'])
out('run', c.containers.run('busybox', ['sh', '-c', 'echo out; echo err >&2'], remove=True, stderr=True).decode())
try:
    c.containers.run('busybox', ['sh', '-c', 'exit 3'], remove=True)
except docker.errors.ContainerError as e:
    out('exit', e.exit_status)
ct = c.containers.run('busybox', ['sleep', '300'], detach=True, name='py-live', labels={'via': 'docker-py'}, environment={'X': '1'})
r = ct.exec_run(['sh', '-c', 'echo $X; exit 2'])
out('exec', [r.exit_code, r.output.decode()])
e = c.api.exec_create(ct.id, ['echo', 'keys'], detach_keys='ctrl-x')
out('exec-keys', [c.api.exec_start(e['Id']).decode(), c.api.exec_inspect(e['Id'])['DetachKeys']])
buf = io.BytesIO(); t = tarfile.open(fileobj=buf, mode='w'); data = b'from docker-py\n'
info = tarfile.TarInfo('py.txt'); info.size = len(data); t.addfile(info, io.BytesIO(data)); t.close()
out('put', ct.put_archive('/tmp', buf.getvalue()))
out('cat', ct.exec_run('cat /tmp/py.txt').output.decode())
out('list', [x.name for x in c.containers.list(filters={'label': 'via=docker-py'})])
n = c.networks.create('pynet')
n.connect(ct, aliases=['pyalias']); n.reload()
out('net', [x.name for x in n.containers])
n.disconnect(ct); n.remove()
v = c.volumes.create('pyvol'); out('vol', v.name); v.remove()
ct.stop(timeout=1); out('wait', ct.wait()['StatusCode']); ct.remove()
try:
    c.containers.get('ghost')
except docker.errors.NotFound as e:
    out('notfound', e.explanation)
try:
    c.swarm.init()
except docker.errors.APIError as e:
    out('swarm', [e.status_code, e.explanation])
`;

    test('run, exec (with detach keys), archives, networks, volumes, errors through docker-py', async () => {
      const r = await client('/usr/bin/python3', ['-c', SCRIPT, d.host]);
      assert.equal(r.code, 0, r.stderr);
      const got = Object.fromEntries(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as [string, unknown]));
      assert.deepEqual(got, {
        version: '1.50',
        run: 'out\nerr\n',
        exit: 3,
        exec: [2, '1\n'],
        'exec-keys': ['keys\n', 'ctrl-x'],
        put: true,
        cat: 'from docker-py\n',
        list: ['py-live'],
        net: ['py-live'],
        vol: 'pyvol',
        wait: 137,
        notfound: 'No such container: ghost',
        swarm: [501, 'swarm mode is not offered by Janus: it runs workloads on this host only (use docker-compose for multi-service stacks)'],
      });
    });
  });

  describe('docker-compose', { skip: noCompose }, () => {
    const project = 'e2estack';
    let dir: string;
    const compose = (args: string[]) => client('docker-compose', ['-p', project, ...args], { cwd: dir, timeoutMs: 300000 });

    before(async () => {
      dir = join(home, 'stack');
      await mkdir(dir, { recursive: true });
      // Three services in a chain: store keeps its page in the named volume, web (which mounts it too) serves its own
      // page on a published port, client waits for web by name. Each command runs as PID 1 and ignores SIGTERM:
      // stop_grace_period keeps every stop from waiting docker's 10 s.
      await writeFile(join(dir, 'docker-compose.yml'), [
        'version: "3.8"',
        'services:',
        '  store:',
        '    image: busybox',
        `    command: ["sh", "-c", "echo from-store > /data/index.html && exec httpd -f -p 80 -h /data"]`,
        '    networks: [back]',
        '    volumes: ["data:/data"]',
        '    stop_grace_period: 1s',
        '  web:',
        '    image: busybox',
        `    command: ["sh", "-c", "mkdir -p /www && echo from-web > /www/index.html && exec httpd -f -p 80 -h /www"]`,
        '    depends_on: [store]',
        '    ports: ["18383:80"]',
        '    networks: [back]',
        '    volumes: ["data:/shared:ro"]',
        '    stop_grace_period: 1s',
        '  client:',
        '    image: busybox',
        `    command: ["sh", "-c", "until wget -qO- http://web/; do sleep 1; done; exec sleep 300"]`,
        '    depends_on: [web]',
        '    stop_grace_period: 1s',
        '    networks: [back]',
        'networks:',
        '  back: {}',
        'volumes:',
        '  data: {}',
        '',
      ].join('\n'));
    });

    test('a three-service project with a network, a named volume and depends_on: up -d, ps, logs, exec, run, restart, recreate, down -v', async () => {
      const up = await compose(['up', '-d']);
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stderr, /Creating network "e2estack_back" with the default driver/);
      assert.match(up.stderr, /Creating volume "e2estack_data" with default driver/);
      for (const service of ['store', 'web', 'client']) assert.match(up.stderr, new RegExp(`^Creating e2estack_${service}_1\\s+\\.\\.\\. done`, 'm'));
      // depends_on: each service started after the one it depends on.
      const started = await Promise.all(['store', 'web', 'client'].map((s) => inspect(`e2estack_${s}_1`, '{{.State.StartedAt}}')));
      const [store, web, client] = started.map(rfc3339Nanos);
      assert.ok(store! < web! && web! < client!, `store, web, client started in order: ${started.join(', ')}`);

      const ps = ok(await compose(['ps']), 'compose ps');
      assert.match(ps, /^\s*Name\s+Command\s+State\s+Ports\s*\n-+\n/);
      assert.match(ps, /^e2estack_client_1\s+.+\s+Up\s*$/m);
      assert.match(ps, /^e2estack_store_1\s+.+\s+Up\s*$/m);
      assert.match(ps, /^e2estack_web_1\s+.+\s+Up\s+0\.0\.0\.0:18383->80\/tcp\s*$/m);
      assert.deepEqual(ok(await compose(['ps', '--services']), 'compose ps --services').trim().split('\n').sort(), ['client', 'store', 'web']);

      // Service names resolve on the project's network: the client reached web (a loop retries until web serves) ...
      await eventually('the client to log web\'s page', async () => (/from-web/.test((await compose(['logs', '--no-color', 'client'])).stdout) ? true : undefined));
      const logs = ok(await compose(['logs', '--no-color', 'client']), 'compose logs');
      assert.match(logs, /^client_1\s+\| from-web$/m);
      // ... and every service reaches the others by name, from inside (exec).
      assert.equal(ok(await compose(['exec', '-T', 'client', 'wget', '-qO-', 'http://web/']), 'exec client → web'), 'from-web\n');
      assert.equal(ok(await compose(['exec', '-T', 'web', 'wget', '-qO-', 'http://store/']), 'exec web → store'), 'from-store\n');
      const resolved = ok(await compose(['exec', '-T', 'client', 'sh', '-c', 'for n in store web client e2estack_store_1; do nslookup $n >/dev/null && echo $n; done']), 'nslookup');
      assert.deepEqual(resolved.trim().split('\n'), ['store', 'web', 'client', 'e2estack_store_1']);
      // The named volume is one volume: what store wrote, web reads (mounted read-only there).
      assert.equal(ok(await compose(['exec', '-T', 'web', 'cat', '/shared/index.html']), 'exec web cat'), 'from-store\n');
      fails(await compose(['exec', '-T', 'web', 'touch', '/shared/x']), /Read-only file system/, 'write to the :ro volume');
      assert.equal((await compose(['exec', '-T', 'client', 'sh', '-c', 'exit 3'])).code, 3, 'exec keeps the exit code');
      assert.equal(await inspect('e2estack_data', '{{.Driver}} {{index .Labels "com.docker.compose.project"}} {{index .Labels "com.docker.compose.volume"}}'), 'local e2estack data');
      assert.deepEqual((await inspect('e2estack_back', '{{range .Containers}}{{.Name}} {{end}}')).split(' ').sort(), ['e2estack_client_1', 'e2estack_store_1', 'e2estack_web_1']);

      await eventually('the published port to answer', async () => ((await wget('http://127.0.0.1:18383/')).stdout === 'from-web\n' ? true : undefined));
      const oneOff = await compose(['run', '--rm', '-T', 'client', 'sh', '-c', 'wget -qO- http://web/ && wget -qO- http://store/ && ping -c1 client_1 >/dev/null && echo linked']);
      assert.equal(oneOff.code, 0, oneOff.stderr);
      assert.equal(oneOff.stdout, 'from-web\nfrom-store\nlinked\n');
      const labels = ok(await docker(['ps', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Names}} {{.Label "com.docker.compose.service"}}']), 'docker ps by label');
      assert.deepEqual(labels.trim().split('\n').sort(), ['e2estack_client_1 client', 'e2estack_store_1 store', 'e2estack_web_1 web']);
      ok(await compose(['restart', 'web']), 'compose restart');
      await eventually('web to serve again', async () => ((await wget('http://127.0.0.1:18383/')).stdout === 'from-web\n' ? true : undefined));
      // Recreating reads the image's ContainerConfig (docker-compose v1 fails with KeyError 'ContainerConfig' without it).
      const recreate = await compose(['up', '-d', '--force-recreate', 'client']);
      assert.equal(recreate.code, 0, recreate.stderr);
      assert.match(recreate.stderr, /Recreating e2estack_client_1 \.\.\. done/);
      assert.match(ok(await compose(['ps']), 'compose ps').trim(), /^e2estack_client_1\s+.+\s+Up\s*$/m);

      const down = await compose(['down', '-v']);
      assert.equal(down.code, 0, down.stderr);
      for (const service of ['client', 'web', 'store']) {
        assert.match(down.stderr, new RegExp(`^Stopping e2estack_${service}_1\\s+\\.\\.\\. done`, 'm'));
        assert.match(down.stderr, new RegExp(`^Removing e2estack_${service}_1\\s+\\.\\.\\. done`, 'm'));
      }
      assert.match(down.stderr, /^Removing network e2estack_back$/m);
      assert.match(down.stderr, /^Removing volume e2estack_data$/m);
      assert.equal(ok(await docker(['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`]), 'ps').trim(), '');
      assert.doesNotMatch(ok(await docker(['network', 'ls']), 'network ls'), /e2estack/);
      assert.doesNotMatch(ok(await docker(['volume', 'ls']), 'volume ls'), /e2estack/);
      fails(await docker(['volume', 'inspect', 'e2estack_data']), /no such volume/, 'the volume is gone');
      fails(await docker(['network', 'inspect', 'e2estack_back']), /network e2estack_back not found/, 'the network is gone');
      assert.equal(ok(await compose(['ps', '-q']), 'compose ps -q').trim(), '');
    });

    test('the sample app of examples/compose: completion and health conditions, an alias, a shared volume, a published port; down -v', async () => {
      // The same file janus compose runs, less its top-level name: (docker-compose v1 predates it and refuses the key).
      const sampleDir = join(home, 'sample');
      await mkdir(sampleDir, { recursive: true });
      const file = await readFile(new URL('../../examples/compose/compose.yaml', import.meta.url), 'utf8');
      assert.match(file, /^name: sample$/m);
      await writeFile(join(sampleDir, 'docker-compose.yml'), file.replace(/^name: sample\n/m, ''));
      const sample = (args: string[]) => client('docker-compose', ['-p', 'samplev1', ...args], { cwd: sampleDir, timeoutMs: 300000 });
      const up = await sample(['up', '-d']);
      assert.equal(up.code, 0, up.stderr);
      // init ran to completion before the others started; the front end and the worker waited for the backend's health.
      const at = async (c: string, field: string) => Date.parse(await inspect(`samplev1_${c}_1`, `{{.State.${field}}}`));
      assert.equal(await inspect('samplev1_init_1', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 0');
      assert.ok((await at('init', 'FinishedAt')) <= (await at('backend', 'StartedAt')), 'the backend starts after init completed');
      assert.equal(await inspect('samplev1_backend_1', '{{.State.Health.Status}}'), 'healthy');
      await eventually('the front end to serve init\'s page on the published port', async () =>
        ((await wget('http://127.0.0.1:8080/')).stdout === 'hello from janus compose\n' ? true : undefined));
      // The worker reaches the backend by its alias and writes into the volume the front end serves.
      await eventually('the worker\'s ticks, with the backend\'s answer, to be served', async () =>
        (/^tick \d+ backend ok /m.test((await wget('http://127.0.0.1:8080/ticks.txt')).stdout) ? true : undefined), 60000);
      const down = await sample(['down', '-v']);
      assert.equal(down.code, 0, down.stderr);
      assert.match(down.stderr, /^Removing volume samplev1_site$/m);
      assert.equal(ok(await docker(['ps', '-aq', '--filter', 'label=com.docker.compose.project=samplev1']), 'ps').trim(), '');
      assert.doesNotMatch(ok(await docker(['volume', 'ls', '-q']), 'volume ls'), /samplev1/);
      assert.doesNotMatch(ok(await docker(['network', 'ls']), 'network ls'), /samplev1/);
    });
  });
});
