// Working with running containers end to end: attach (output, stdin,
// signals, detach keys on a terminal), -t, --init, healthchecks (ps,
// inspect, events), top, stats, pause/unpause, rename, update, wait, port
// and container prune — the real CLI against the real daemon, runc under
// conmon and the bootstrapped busybox image.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { JANUS_BIN, skipUnlessRoot, startDaemon, type TestDaemon } from '../support/daemon.ts';
import { findContainerLeaks } from '../support/leaks.ts';
import { eventually, fails, mountsUnder, ok } from './helpers.ts';

/** A running CLI whose output is collected as it comes. */
interface Session {
  proc: ChildProcess;
  output(): string;
  /** Resolves once the output matches `re`. */
  waitFor(re: RegExp, what: string): Promise<void>;
  /** Resolves with the exit code. */
  exited: Promise<number>;
}

function follow(proc: ChildProcess): Session {
  let out = '';
  proc.stdout?.on('data', (b: Buffer) => { out += b.toString('utf8'); });
  proc.stderr?.on('data', (b: Buffer) => { out += b.toString('utf8'); });
  const exited = new Promise<number>((done) => proc.once('close', (code, signal) => done(code ?? (signal ? 128 : 255))));
  return {
    proc,
    output: () => out,
    waitFor: (re, what) => eventually(what, async () => (re.test(out) ? true : undefined)).then(() => {}),
    exited,
  };
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
// `script` gives the CLI a terminal (docker's detach keys are read only from one); it is util-linux's, in every Debian.
const noScript = spawnSync('script', ['--version']).status === 0 ? undefined : 'needs util-linux script(1) to give the CLI a terminal';

describe('interactive container commands end to end', { skip: skipUnlessRoot() }, () => {
  let d: TestDaemon;
  const ids: string[] = [];
  const inspect = async (name: string, format: string) => ok(await d.janus(['inspect', '--format', format, name]), `inspect ${format}`).trim();
  const remember = async (name: string) => { ids.push(await inspect(name, '{{.Id}}')); };
  const status = async (name: string) => ok(await d.janus(['ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.Status}}']), 'ps').trim();
  /** The CLI with its stdin a pipe the test writes to. */
  const cli = (args: string[]): Session & { type(text: string): void } => {
    const proc = spawn(JANUS_BIN, args, { env: { ...process.env, JANUS_HOST: d.host, JANUS_CONFIG: d.configDir }, stdio: ['pipe', 'pipe', 'pipe'] });
    return { ...follow(proc), type: (text) => { proc.stdin!.write(text); } };
  };
  /** The CLI on a terminal (through script(1)), its stdin a pipe the test writes to. */
  const onTerminal = (args: string[]): Session & { type(text: string): void } => {
    const cmd = [JANUS_BIN, ...args].map(quote).join(' ');
    const proc = spawn('script', ['-qefc', cmd, '/dev/null'], { env: { ...process.env, JANUS_HOST: d.host, JANUS_CONFIG: d.configDir }, stdio: ['pipe', 'pipe', 'pipe'] });
    const s = follow(proc);
    return { ...s, type: (text) => { proc.stdin!.write(text); } };
  };

  before(async () => {
    d = await startDaemon();
    ok(await d.janus(['image', 'bootstrap', 'busybox']), 'bootstrap busybox');
  });
  after(async () => { await d?.stop(); });

  test('attach: the output of a running container flows, and attach ends with its exit code', async () => {
    ok(await d.janus(['run', '-d', '--name', 'talker', 'busybox', 'sh', '-c', 'while [ ! -e /tmp/go ]; do echo tick; sleep 0.1; done; echo bye; exit 3']), 'run -d');
    await remember('talker');
    const s = follow(d.spawnJanus(['attach', 'talker']));
    await s.waitFor(/tick\n/, 'attached output');
    // Detached: the container ends as soon as the file exists, and the end of its PID 1 kills the
    // exec'd touch if touch has not exited by then (137 — a race of the test, not of attach).
    ok(await d.janus(['exec', '-d', 'talker', 'touch', '/tmp/go']), 'exec -d touch');
    assert.equal(await s.exited, 3, s.output());
    assert.match(s.output(), /tick\nbye\n$/);
    fails(await d.janus(['attach', 'talker']), /cannot attach to a stopped container/i, 'attach to a stopped container');
  });

  test('attach: stdin reaches a container started with -i, and its answers come back', async () => {
    ok(await d.janus(['run', '-d', '-i', '--name', 'reader', 'busybox', 'sh', '-c', 'while read l; do echo "got $l"; [ "$l" = quit ] && exit 5; done']), 'run -d -i');
    await remember('reader');
    // The input stays open while answers come (docker ends an attach's output once its input ends, unless the container is StdinOnce).
    const s = cli(['attach', 'reader']);
    s.type('hello\n');
    await s.waitFor(/got hello\n/, 'the answer to the first line');
    s.type('quit\n');
    assert.equal(await s.exited, 5, s.output());
    assert.equal(s.output(), 'got hello\ngot quit\n');
  });

  test('attach forwards the CLI\'s signals to the container (sig-proxy)', async () => {
    ok(await d.janus(['run', '-d', '--name', 'trapper', 'busybox', 'sh', '-c', 'trap "echo got USR1; exit 10" USR1; while true; do echo waiting; sleep 0.1; done']), 'run trapper');
    await remember('trapper');
    const s = follow(d.spawnJanus(['attach', 'trapper']));
    await s.waitFor(/waiting\n/, 'attached output');
    s.proc.kill('SIGUSR1');
    assert.equal(await s.exited, 10, s.output());
    assert.match(s.output(), /got USR1\n$/);
  });

  test('attach on a terminal: the detach keys (ctrl-p ctrl-q, or --detach-keys) leave the container running', { skip: noScript }, async () => {
    ok(await d.janus(['run', '-d', '-it', '--name', 'shell', 'busybox', 'sh']), 'run -d -it');
    await remember('shell');
    const s = onTerminal(['attach', 'shell']);
    s.type('echo answer-$((6*7))\n');
    await s.waitFor(/answer-42/, 'the shell to answer');
    s.type('\x10\x11');
    assert.equal(await s.exited, 0, s.output());
    assert.equal(await inspect('shell', '{{.State.Status}}'), 'running');
    const again = onTerminal(['attach', '--detach-keys', 'ctrl-x', 'shell']);
    again.type('echo second-$((2*3))\n');
    await again.waitFor(/second-6/, 'the shell to answer again');
    again.type('\x18');
    assert.equal(await again.exited, 0, again.output());
    assert.equal(await inspect('shell', '{{.State.Status}}'), 'running');
    const run = onTerminal(['run', '-it', '--name', 'shell2', 'busybox', 'sh']);
    run.type('echo third-$((3*3))\n');
    await run.waitFor(/third-9/, 'run -it to answer');
    run.type('\x10\x11');
    assert.equal(await run.exited, 0, run.output());
    await remember('shell2');
    assert.equal(await inspect('shell2', '{{.State.Status}}'), 'running');
    const exit = onTerminal(['attach', 'shell2']);
    exit.type('exit 6\n');
    assert.equal(await exit.exited, 6, exit.output());
  });

  test('-t gives the process a terminal: tty names a pty, stderr comes on stdout, lines end in CRLF', async () => {
    const tty = await d.janus(['run', '--rm', '-t', 'busybox', 'tty']);
    assert.equal(tty.code, 0, tty.stderr);
    assert.match(tty.stdout, /^\/dev\/pts\/\d+\r\n$/);
    const merged = await d.janus(['run', '--rm', '-t', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 4']);
    assert.equal(merged.code, 4);
    assert.equal(merged.stdout, 'out\r\nerr\r\n');
    assert.equal(merged.stderr, '');
    const plain = await d.janus(['run', '--rm', 'busybox', 'tty']);
    assert.equal(plain.code, 1, 'without -t there is no terminal');
    assert.equal(plain.stdout, 'not a tty\n');
  });

  test('--init: pid 1 is the init (catatonit or tini), the command its child, and the stop signal reaches the command', async () => {
    const r = await d.janus(['run', '--rm', '--init', 'busybox', 'sh', '-c', 'tr "\\0" " " < /proc/1/cmdline; echo; grep PPid /proc/$$/status; /sbin/docker-init --version']);
    assert.equal(r.code, 0, r.stderr);
    const [cmdline, ppid, version] = r.stdout.split('\n');
    assert.match(cmdline ?? '', /^\/sbin\/docker-init -- sh -c /);
    assert.match(ppid ?? '', /^PPid:\s+1$/);
    assert.match(version ?? '', /tini|catatonit/);
    // sleep as pid 1 ignores SIGTERM (stop would need the SIGKILL: 137); under an init it dies of it: 143.
    ok(await d.janus(['run', '-d', '--init', '--name', 'initd', 'busybox', 'sleep', '1000']), 'run --init');
    await remember('initd');
    ok(await d.janus(['stop', '-t', '600', 'initd']), 'stop');
    assert.equal(await inspect('initd', '{{.State.ExitCode}}'), '143');
    ok(await d.janus(['run', '-d', '--init', '--name', 'initusr', 'busybox', 'sh', '-c', 'trap "exit 11" USR1; while true; do sleep 0.1; done']), 'run --init trap');
    await remember('initusr');
    ok(await d.janus(['kill', '-s', 'USR1', 'initusr']), 'kill -s USR1');
    await eventually('the forwarded signal to end it', async () => ((await inspect('initusr', '{{.State.Status}}')) === 'exited' ? true : undefined));
    assert.equal(await inspect('initusr', '{{.State.ExitCode}}'), '11');
  });

  test('healthchecks: --health-* flags and the image\'s HEALTHCHECK; health in ps, inspect and events', async () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    ok(await d.janus(['run', '-d', '--name', 'fine', '--health-cmd', 'test -e /tmp/ready', '--health-interval', '300ms', '--health-retries', '2',
      'busybox', 'sh', '-c', 'touch /tmp/ready; sleep 1000']), 'run healthy');
    await remember('fine');
    ok(await d.janus(['run', '-d', '--name', 'sick', '--health-cmd', 'exit 1', '--health-interval', '300ms', '--health-retries', '2', 'busybox', 'sleep', '1000']), 'run unhealthy');
    await remember('sick');
    await eventually('fine to be healthy', async () => (/^Up .* \(healthy\)$/.test(await status('fine')) ? true : undefined));
    await eventually('sick to be unhealthy', async () => (/^Up .* \(unhealthy\)$/.test(await status('sick')) ? true : undefined));
    assert.equal(await inspect('fine', '{{.State.Health.Status}}'), 'healthy');
    assert.equal(await inspect('sick', '{{.State.Health.Status}} {{ge .State.Health.FailingStreak 2}}'), 'unhealthy true');
    assert.match(await inspect('sick', '{{(index .State.Health.Log 0).ExitCode}}'), /^1$/);
    assert.equal(ok(await d.janus(['ps', '-q', '--filter', 'health=unhealthy']), 'ps --filter health').trim(), (await inspect('sick', '{{.Id}}')).slice(0, 12));
    const until = String(Math.ceil(Date.now() / 1000));
    const events = ok(await d.janus(['events', '--since', since, '--until', until, '--filter', 'event=health_status', '--format', '{{.Action}} {{.Actor.Attributes.name}}']), 'events');
    const lines = events.trim().split('\n');
    assert.ok(lines.includes('health_status: healthy fine'), events);
    assert.ok(lines.includes('health_status: unhealthy sick'), events);
    assert.ok(lines.every((l) => l.startsWith('health_status: ')), events);
    const one = ok(await d.janus(['events', '--since', since, '--until', until, '--filter', 'container=sick', '--filter', 'event=health_status']), 'events for one container');
    assert.match(one, /container health_status: unhealthy [0-9a-f]{64} \(image=busybox, name=sick\)/);
    assert.doesNotMatch(one, /name=fine/);
    // docker commit keeps the container's healthcheck: a container of the image is checked without flags.
    ok(await d.janus(['commit', 'fine', 'checked:1']), 'commit');
    assert.equal(await inspect('checked:1', '{{json .Config.Healthcheck.Test}}'), '["CMD-SHELL","test -e /tmp/ready"]');
    ok(await d.janus(['run', '-d', '--name', 'inherited', 'checked:1', 'sleep', '1000']), 'run the image');
    await remember('inherited');
    await eventually('the image\'s healthcheck to pass', async () => ((await inspect('inherited', '{{.State.Health.Status}}')) === 'healthy' ? true : undefined));
    ok(await d.janus(['run', '-d', '--name', 'unchecked', '--no-healthcheck', 'checked:1', 'sleep', '1000']), 'run --no-healthcheck');
    await remember('unchecked');
    assert.match(await status('unchecked'), /^Up [^(]*$/, '--no-healthcheck: no health in ps');
    ok(await d.janus(['rm', '-f', 'fine', 'sick', 'inherited', 'unchecked']), 'rm');
  });

  test('top and stats --no-stream show the container\'s processes and usage', async () => {
    ok(await d.janus(['run', '-d', '--name', 'busy', '--memory', '64m', 'busybox', 'sh', '-c', 'sleep 1000 & sleep 999 & wait']), 'run');
    await remember('busy');
    await eventually('both sleeps', async () => ((await d.janus(['top', 'busy'])).stdout.includes('sleep 1000') ? true : undefined));
    const top = ok(await d.janus(['top', 'busy']), 'top');
    assert.match(top, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD\n/);
    assert.match(top, /\ssleep 1000\n/);
    assert.match(top, /\ssleep 999\n/);
    const custom = ok(await d.janus(['top', 'busy', '-o', 'pid,comm']), 'top -o');
    assert.match(custom, /^\s*PID\s+COMMAND\n(\s*\d+\s+(sh|sleep)\n)+$/);
    const stats = ok(await d.janus(['stats', '--no-stream', 'busy']), 'stats');
    assert.match(stats, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS\n/);
    assert.match(stats, /\n[0-9a-f]{12}\s+busy\s+\d+\.\d\d%\s+[\d.]+[KMG]?i?B \/ 64MiB\s+\d+\.\d\d%\s+.*\s3\n$/);
    assert.equal(ok(await d.janus(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'busy']), 'stats --format'), 'busy 3\n');
    fails(await d.janus(['top', 'nosuch']), /No such container: nosuch/, 'top of a missing container');
  });

  test('pause and unpause: ps and inspect show it, exec is refused while paused, stop and rm -f still work', async () => {
    ok(await d.janus(['run', '-d', '--name', 'frozen', 'busybox', 'sleep', '1000']), 'run');
    await remember('frozen');
    ok(await d.janus(['pause', 'frozen']), 'pause');
    assert.match(await status('frozen'), /^Up .* \(Paused\)$/);
    assert.equal(await inspect('frozen', '{{.State.Status}} {{.State.Paused}} {{.State.Running}}'), 'paused true true');
    fails(await d.janus(['exec', 'frozen', 'true']), /is paused, unpause the container before exec/, 'exec while paused');
    fails(await d.janus(['attach', 'frozen']), /cannot attach to a paused container/i, 'attach while paused');
    fails(await d.janus(['start', 'frozen']), /paused/, 'start while paused');
    ok(await d.janus(['unpause', 'frozen']), 'unpause');
    assert.match(await status('frozen'), /^Up [^(]*$/);
    assert.equal(ok(await d.janus(['exec', 'frozen', 'echo', 'thawed']), 'exec').trim(), 'thawed');
    fails(await d.janus(['unpause', 'frozen']), /not paused/, 'unpause of a running container');
    ok(await d.janus(['pause', 'frozen']), 'pause again');
    fails(await d.janus(['pause', 'frozen']), /already paused/, 'pause of a paused container');
    ok(await d.janus(['rm', '-f', 'frozen']), 'rm -f of a paused container');
    fails(await d.janus(['inspect', 'frozen']), /No such/, 'inspect after rm');
  });

  test('stop of a paused container sends the stop signal and thaws it, as docker does: a trapping shell exits with its own code', async () => {
    ok(await d.janus(['run', '-d', '--name', 'frozentrap', 'busybox', 'sh', '-c', 'trap "exit 42" TERM; while true; do sleep 0.1; done']), 'run');
    await remember('frozentrap');
    ok(await d.janus(['pause', 'frozentrap']), 'pause');
    ok(await d.janus(['stop', 'frozentrap']), 'stop');
    assert.equal(await inspect('frozentrap', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 42');
  });

  test('rename: the new name shows in ps and inspect, the old one is free, a taken one is refused', async () => {
    ok(await d.janus(['run', '-d', '--name', 'before', 'busybox', 'sleep', '1000']), 'run');
    await remember('before');
    ok(await d.janus(['rename', 'before', 'after']), 'rename');
    assert.equal(await inspect('after', '{{.Name}}'), '/after');
    assert.match(ok(await d.janus(['ps', '--format', '{{.Names}}']), 'ps'), /^after$/m);
    fails(await d.janus(['inspect', 'before']), /No such/, 'the old name');
    ok(await d.janus(['create', '--name', 'before', 'busybox', 'true']), 'the old name is free again');
    await remember('before');
    fails(await d.janus(['rename', 'after', 'before']), /already in use/, 'rename to a taken name');
    fails(await d.janus(['rename', 'after', 'after']), /same name as its current name/, 'rename to its own name');
    fails(await d.janus(['rename', 'nosuch', 'x']), /No such container: nosuch/, 'rename of a missing container');
    ok(await d.janus(['rm', '-f', 'after', 'before']), 'rm');
  });

  test('update --memory and --cpus change a running container\'s limits; bad values are refused', async () => {
    ok(await d.janus(['run', '-d', '--name', 'limited', '--memory', '64m', 'busybox', 'sleep', '1000']), 'run');
    await remember('limited');
    assert.equal(ok(await d.janus(['update', '--memory', '32m', '--cpus', '0.5', 'limited']), 'update').trim(), 'limited');
    assert.equal(await inspect('limited', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}'), '33554432 500000000');
    assert.match(ok(await d.janus(['stats', '--no-stream', '--format', '{{.MemUsage}}', 'limited']), 'stats'), / \/ 32MiB\n$/);
    fails(await d.janus(['update', '--memory', '2m', 'limited']), /[Mm]inimum memory limit allowed is 6MB/, 'update below the minimum');
    const bad = await d.janus(['update', '--memory', 'lots', 'limited']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /--memory/);
    ok(await d.janus(['rm', '-f', 'limited']), 'rm');
  });

  test('wait prints exit codes; port prints nothing without published ports', async () => {
    ok(await d.janus(['run', '-d', '--name', 'w1', 'busybox', 'sh', '-c', 'sleep 0.5; exit 6']), 'run w1');
    ok(await d.janus(['run', '-d', '--name', 'w2', 'busybox', 'sh', '-c', 'exit 0']), 'run w2');
    await remember('w1');
    await remember('w2');
    assert.equal(ok(await d.janus(['wait', 'w1', 'w2']), 'wait'), '6\n0\n');
    fails(await d.janus(['wait', 'nosuch']), /No such container: nosuch/, 'wait for a missing container');
    ok(await d.janus(['run', '-d', '--name', 'closed', '--network', 'none', 'busybox', 'sleep', '1000']), 'run --network none');
    await remember('closed');
    const port = await d.janus(['port', 'closed']);
    assert.equal(port.code, 0, port.stderr);
    assert.equal(port.stdout, '');
    fails(await d.janus(['port', 'closed', '80/tcp']), /No public port '80\/tcp' published for closed/, 'port of an unpublished port');
    ok(await d.janus(['rm', '-f', 'w1', 'w2', 'closed']), 'rm');
  });

  test('container prune removes stopped containers (with a label filter), keeps running ones, and reports what it removed', async () => {
    ok(await d.janus(['run', '--name', 'done1', '--label', 'prune=yes', 'busybox', 'true']), 'run done1');
    ok(await d.janus(['run', '--name', 'done2', 'busybox', 'true']), 'run done2');
    ok(await d.janus(['run', '-d', '--name', 'alive', '--label', 'prune=yes', 'busybox', 'sleep', '1000']), 'run alive');
    for (const n of ['done1', 'done2', 'alive']) await remember(n);
    const done1 = await inspect('done1', '{{.Id}}');
    const labelled = ok(await d.janus(['container', 'prune', '-f', '--filter', 'label=prune=yes']), 'prune --filter');
    assert.match(labelled, new RegExp(`^Deleted Containers:\\n${done1}\\n\\nTotal reclaimed space: `));
    fails(await d.janus(['inspect', 'done1']), /No such/, 'done1 is gone');
    const rest = ok(await d.janus(['container', 'prune', '-f']), 'prune');
    assert.match(rest, /^Deleted Containers:\n[0-9a-f]{64}\n/);
    const left = ok(await d.janus(['ps', '-a', '--format', '{{.Names}}']), 'ps -a').trim().split('\n');
    assert.ok(left.includes('alive'), 'a running container is kept');
    assert.ok(!left.includes('done2'), 'every stopped container is removed');
    ok(await d.janus(['rm', '-f', 'alive']), 'rm alive');
  });

  test('after rm nothing of the containers is left behind', async () => {
    const all = ok(await d.janus(['ps', '-aq']), 'ps -aq').trim();
    if (all !== '') ok(await d.janus(['rm', '-f', ...all.split('\n')]), 'rm -f the rest');
    assert.deepEqual(await mountsUnder(d.root), [], 'nothing mounted under the root');
    for (const id of ids) assert.deepEqual(await findContainerLeaks(d.root, id), [], `container ${id} left nothing behind`);
  });
});
