// Containers end to end: the real janus CLI, the real daemon, runc/runsc
// under conmon, and the bootstrapped busybox image. What users see: output,
// exit codes, state in ps/inspect, logs, exec, limits, security defaults,
// restart policies, volumes, live restore after kill -9 — and that nothing
// of a removed container is left on the host.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipUnlessRoot, startDaemon, type TestDaemon } from '../support/daemon.ts';
import { findContainerLeaks } from '../support/leaks.ts';
import { fails, ok } from './helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('containers end to end', { skip: skipUnlessRoot() }, () => {
  let d: TestDaemon;
  const inspect = async (name: string, format: string) => ok(await d.janus(['inspect', '--format', format, name]), `inspect ${format}`).trim();
  const noLeaks = async (id: string) => assert.deepEqual(await findContainerLeaks(d.root, id), [], `container ${id} left nothing behind`);

  before(async () => {
    d = await startDaemon();
    ok(await d.janus(['image', 'bootstrap', 'busybox']), 'bootstrap busybox');
  });
  after(async () => { await d?.stop(); });

  test('run prints stdout and stderr apart and exits with the container\'s code; --rm removes it', async () => {
    const r = await d.janus(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(ok(await d.janus(['ps', '-aq']), 'ps -aq').trim(), '');
  });

  test('a missing command exits 127, a non-executable one 126, with docker\'s words', async () => {
    const missing = await d.janus(['run', '--name', 'missing', 'busybox', 'nosuchcmd']);
    assert.equal(missing.code, 127, missing.stderr);
    assert.match(missing.stderr, /executable file not found/);
    assert.equal(await inspect('missing', '{{.State.ExitCode}}'), '127');
    const notExec = await d.janus(['run', '--rm', 'busybox', '/etc/passwd']);
    assert.equal(notExec.code, 126, notExec.stderr);
    const id = await inspect('missing', '{{.Id}}');
    ok(await d.janus(['rm', 'missing']), 'rm missing');
    await noLeaks(id);
  });

  test('detached lifecycle: ps, exec, stop (SIGKILL after the timeout: 137), start, kill, rm -f, and nothing leaks', async () => {
    const id = ok(await d.janus(['run', '-d', '--name', 'web', '--label', 'tier=front', 'busybox', 'sleep', '1000']), 'run -d').trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = ok(await d.janus(['ps']), 'ps');
    assert.match(ps, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n/);
    assert.match(ps, new RegExp(`${id.slice(0, 12)}\\s+busybox\\s+"sleep 1000"\\s+.*Up .*\\s+web\\n`));
    assert.equal(ok(await d.janus(['ps', '-q', '--filter', 'label=tier=front']), 'ps filter').trim(), id.slice(0, 12));
    assert.equal(ok(await d.janus(['exec', 'web', 'echo', 'hi']), 'exec').trim(), 'hi');
    assert.equal((await d.janus(['exec', 'web', 'sh', '-c', 'exit 4'])).code, 4);
    assert.equal(ok(await d.janus(['exec', '-u', 'nobody', '-w', '/tmp', '-e', 'X=1', 'web', 'sh', '-c', 'echo $(id -u) $PWD $X']), 'exec -u -w -e').trim(), '65534 /tmp 1');
    const top = ok(await d.janus(['top', 'web']), 'top');
    assert.match(top, /sleep 1000/);
    // sleep as PID 1 ignores SIGTERM: stop waits the timeout, then kills.
    ok(await d.janus(['stop', '-t', '1', 'web']), 'stop');
    assert.equal(await inspect('web', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 137');
    ok(await d.janus(['start', 'web']), 'start');
    assert.equal(await inspect('web', '{{.State.Status}}'), 'running');
    ok(await d.janus(['kill', '-s', 'KILL', 'web']), 'kill');
    await eventually('the kill to be recorded', async () => ((await inspect('web', '{{.State.Status}}')) === 'exited' ? true : undefined));
    ok(await d.janus(['start', 'web']), 'start again');
    fails(await d.janus(['rm', 'web']), /running|stop/i, 'rm of a running container without -f');
    ok(await d.janus(['rm', '-f', 'web']), 'rm -f');
    fails(await d.janus(['inspect', 'web']), /No such/i, 'inspect after rm');
    await noLeaks(id);
  });

  test('stop sends the stop signal first: a trapping shell exits with its own code', async () => {
    ok(await d.janus(['run', '-d', '--name', 'trap', 'busybox', 'sh', '-c', 'trap "exit 42" TERM; while true; do sleep 0.1; done']), 'run');
    ok(await d.janus(['stop', 'trap']), 'stop');
    assert.equal(await inspect('trap', '{{.State.ExitCode}}'), '42');
    ok(await d.janus(['run', '-d', '--name', 'usr1', '--stop-signal', 'USR1', 'busybox', 'sh', '-c', 'trap "exit 10" USR1; while true; do sleep 0.1; done']), 'run --stop-signal');
    ok(await d.janus(['stop', 'usr1']), 'stop usr1');
    assert.equal(await inspect('usr1', '{{.State.ExitCode}}'), '10');
    ok(await d.janus(['rm', 'trap', 'usr1']), 'rm');
  });

  test('logs: streams apart, --tail, -t timestamps, -f follows until the container ends', async () => {
    ok(await d.janus(['run', '--name', 'talk', 'busybox', 'sh', '-c', 'echo one; echo two >&2; sleep 0.2; echo three']), 'run');
    const all = await d.janus(['logs', 'talk']);
    assert.equal(all.stdout, 'one\nthree\n');
    assert.equal(all.stderr, 'two\n');
    assert.equal(ok(await d.janus(['logs', '--tail', '1', 'talk']), 'logs --tail').trim(), 'three');
    assert.match(ok(await d.janus(['logs', '-t', 'talk']), 'logs -t'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z one\n/);
    ok(await d.janus(['run', '-d', '--name', 'ticker', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo tick $i; sleep 0.3; done']), 'run ticker');
    const followed = ok(await d.janus(['logs', '-f', 'ticker']), 'logs -f');
    assert.equal(followed, 'tick 1\ntick 2\ntick 3\n');
    ok(await d.janus(['rm', 'talk', 'ticker']), 'rm');
  });

  test('security defaults: docker\'s capability set, mount denied, /proc/kcore masked; --privileged lifts them', async () => {
    const caps = ok(await d.janus(['run', '--rm', 'busybox', 'grep', 'CapEff', '/proc/self/status']), 'CapEff');
    assert.match(caps, /CapEff:\s+00000000a80425fb/);
    const mount = await d.janus(['run', '--rm', 'busybox', 'sh', '-c', 'mkdir -p /m && mount -t tmpfs none /m']);
    assert.notEqual(mount.code, 0, 'mount must be denied');
    assert.match(mount.stderr, /permission denied|not permitted/i);
    // The first of docker's masked /proc files this host's kernel has reads as empty.
    const masked = ['/proc/kcore', '/proc/timer_list', '/proc/keys'].find((p) => existsSync(p));
    assert.ok(masked, 'the host has none of /proc/kcore, /proc/timer_list, /proc/keys');
    assert.equal(ok(await d.janus(['run', '--rm', 'busybox', 'wc', '-c', masked]), masked).trim(), `0 ${masked}`);
    const priv = ok(await d.janus(['run', '--rm', '--privileged', 'busybox', 'grep', 'CapEff', '/proc/self/status']), 'privileged CapEff');
    assert.doesNotMatch(priv, /00000000a80425fb/);
    ok(await d.janus(['run', '--rm', '--privileged', 'busybox', 'sh', '-c', 'mkdir -p /m && mount -t tmpfs none /m']), 'privileged mount');
    const ro = await d.janus(['run', '--rm', '--read-only', 'busybox', 'touch', '/x']);
    assert.notEqual(ro.code, 0);
    assert.match(ro.stderr, /Read-only file system/);
    assert.equal(ok(await d.janus(['run', '--rm', '--user', '1000:1000', 'busybox', 'id']), 'user').trim(), 'uid=1000 gid=1000 groups=1000');
    const dropped = ok(await d.janus(['run', '--rm', '--cap-drop', 'ALL', 'busybox', 'grep', 'CapEff', '/proc/self/status']), 'cap-drop ALL');
    assert.match(dropped, /CapEff:\s+0000000000000000/);
  });

  test('limits: a memory hog is OOM-killed and reported; a fork bomb stops at the pids limit', async () => {
    const hog = await d.janus(['run', '--name', 'hog', '--memory', '16m', 'busybox', 'tail', '/dev/zero']);
    assert.equal(hog.code, 137, hog.stderr);
    assert.equal(await inspect('hog', '{{.State.OOMKilled}}'), 'true');
    const script = 'for i in $(seq 1 30); do sleep 3 & done; echo all-started';
    const bomb = await d.janus(['run', '--rm', '--pids-limit', '10', 'busybox', 'sh', '-c', script]);
    assert.notEqual(bomb.code, 0, 'the shell cannot fork past the limit');
    assert.match(bomb.stderr, /can't fork/);
    assert.doesNotMatch(bomb.stdout, /all-started/);
    assert.equal(ok(await d.janus(['run', '--rm', 'busybox', 'sh', '-c', script]), 'the same without a limit').trim(), 'all-started');
    ok(await d.janus(['rm', 'hog']), 'rm hog');
  });

  test('stdin: run -i and exec -i pass input through and close it at the end', async () => {
    const r = await d.janus(['run', '-i', '--rm', 'busybox', 'sh', '-c', 'cat; echo done'], { input: 'hello\nworld\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello\nworld\ndone\n');
    ok(await d.janus(['run', '-d', '--name', 'box', 'busybox', 'sleep', '1000']), 'run box');
    const e = await d.janus(['exec', '-i', 'box', 'sh', '-c', 'tr a-z A-Z'], { input: 'shout\n' });
    assert.equal(e.stdout, 'SHOUT\n', e.stderr);
    ok(await d.janus(['rm', '-f', 'box']), 'rm box');
  });

  test('restart policies: on-failure:2 retries twice; always restarts; unless-stopped stays stopped after stop', async () => {
    ok(await d.janus(['run', '-d', '--name', 'flaky', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 1']), 'run flaky');
    await eventually('two restarts', async () => {
      const s = await inspect('flaky', '{{.RestartCount}} {{.State.Status}}');
      return s === '2 exited' ? s : undefined;
    });
    ok(await d.janus(['run', '-d', '--name', 'again', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 0.2; exit 0']), 'run again');
    await eventually('a restart', async () => (Number(await inspect('again', '{{.RestartCount}}')) >= 1 ? true : undefined));
    ok(await d.janus(['stop', 'again']), 'stop again');
    const count = await inspect('again', '{{.RestartCount}}');
    await sleep(800);
    assert.equal(await inspect('again', '{{.RestartCount}} {{.State.Status}}'), `${count} exited`, 'a stopped container is not restarted');
    ok(await d.janus(['rm', '-f', 'flaky', 'again']), 'rm');
  });

  test('volumes: named data outlives the container; anonymous ones go with rm -v; binds and tmpfs', async () => {
    ok(await d.janus(['run', '--rm', '-v', 'keep:/data', 'busybox', 'sh', '-c', 'echo kept > /data/f']), 'write to a named volume');
    assert.equal(ok(await d.janus(['run', '--rm', '-v', 'keep:/data:ro', 'busybox', 'cat', '/data/f']), 'read it back').trim(), 'kept');
    const ro = await d.janus(['run', '--rm', '-v', 'keep:/data:ro', 'busybox', 'touch', '/data/g']);
    assert.notEqual(ro.code, 0, 'a read-only volume refuses writes');
    ok(await d.janus(['run', '--name', 'anon', '-v', '/scratch', 'busybox', 'true']), 'anonymous volume');
    const vol = await inspect('anon', '{{range .Mounts}}{{.Name}}{{end}}');
    assert.match(vol, /^[0-9a-f]{64}$/);
    ok(await d.janus(['rm', '-v', 'anon']), 'rm -v');
    assert.doesNotMatch(ok(await d.janus(['volume', 'ls', '-q']), 'volume ls'), new RegExp(vol));
    const dir = await mkdtemp(join(tmpdir(), 'janus-bind-'));
    await writeFile(join(dir, 'in.txt'), 'from host');
    assert.equal(ok(await d.janus(['run', '--rm', '-v', `${dir}:/host`, 'busybox', 'sh', '-c', 'cat /host/in.txt; echo back > /host/out.txt']), 'bind').trim(), 'from host');
    assert.equal((await readFile(join(dir, 'out.txt'), 'utf8')).trim(), 'back');
    fails(await d.janus(['run', '--rm', '--mount', 'type=bind,source=/no/such/dir,target=/x', 'busybox', 'true']), /does not exist/, 'bind of a missing path');
    assert.match(ok(await d.janus(['run', '--rm', '--tmpfs', '/fast:size=1m', 'busybox', 'sh', '-c', 'mount | grep /fast']), 'tmpfs'), /tmpfs on \/fast type tmpfs/);
  });

  test('system df: containers counted, running ones active, writable layers sized, stopped ones reclaimable; -v lists them', async () => {
    try {
      ok(await d.janus(['run', '--name', 'dfstopped', 'busybox', 'sh', '-c', 'head -c 300000 /dev/zero > /written']), 'run dfstopped');
      ok(await d.janus(['run', '-d', '--name', 'dfrunning', 'busybox', 'sh', '-c', 'head -c 1000000 /dev/zero > /big; sleep 1000']), 'run -d dfrunning');
      await eventually('dfrunning wrote /big', async () => ((await d.janus(['exec', 'dfrunning', 'sh', '-c', 'test $(wc -c < /big) -eq 1000000'])).code === 0 ? true : undefined));
      const total = ok(await d.janus(['ps', '-aq']), 'ps -aq').trim().split('\n').length;
      const running = ok(await d.janus(['ps', '-q']), 'ps -q').trim().split('\n').length;
      const table = ok(await d.janus(['system', 'df']), 'system df');
      const row = /\nContainers\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)( \(\d+%\))?\n/.exec(table);
      assert.ok(row, `a Containers row: ${table}`);
      assert.deepEqual([Number(row[1]), Number(row[2])], [total, running], table);
      assert.match(row[3], /^1\.\d+MB$/, 'both writable layers, about 1.3 MB');
      assert.match(row[4], /^3\d\d(\.\d+)?kB$/, 'the stopped one\'s layer is reclaimable, about 300 kB');
      const verbose = ok(await d.janus(['system', 'df', '-v']), 'system df -v');
      assert.match(verbose, /\nCONTAINER ID\s+IMAGE\s+COMMAND\s+LOCAL VOLUMES\s+SIZE\s+CREATED\s+STATUS\s+NAMES\n/);
      assert.match(verbose, /\n[0-9a-f]{12}\s+busybox\s+"sh -c 'head -c 3000…"\s+0\s+3\d\d(\.\d+)?kB\s+.*Exited \(0\).*\s+dfstopped\n/, verbose);
      assert.match(verbose, /\n[0-9a-f]{12}\s+busybox\s+"sh -c 'head -c 1000…"\s+0\s+1(\.0\d)?MB\s+.*Up .*\s+dfrunning\n/, verbose);
      assert.match(verbose, /\nbusybox\s+latest\s+[0-9a-f]{12}\s+.*\s+[1-9]\d*\n/, 'the image counts its containers');
    } finally {
      await d.janus(['rm', '-f', 'dfstopped', 'dfrunning']);
    }
  });

  test('bad input: clear errors, exit 125, nothing created', async () => {
    const before = ok(await d.janus(['ps', '-aq']), 'ps').trim();
    fails(await d.janus(['run', '--pull', 'never', 'no-such-image']), /No such image/i, 'unknown image');
    fails(await d.janus(['run', '--memory', 'lots', 'busybox', 'true']), /memory/, 'bad --memory');
    fails(await d.janus(['run', '--restart', 'sometimes', 'busybox', 'true']), /restart/, 'bad --restart');
    fails(await d.janus(['run', '--cap-add', 'NOT_A_CAP', 'busybox', 'true']), /NOT_A_CAP/, 'bad --cap-add');
    fails(await d.janus(['run', '--ulimit', 'nofile=10:5', 'busybox', 'true']), /soft limit/, 'bad --ulimit');
    const r = await d.janus(['run', '--memory', 'lots', 'busybox', 'true']);
    assert.equal(r.code, 125);
    ok(await d.janus(['create', '--name', 'taken', 'busybox', 'true']), 'create');
    fails(await d.janus(['create', '--name', 'taken', 'busybox', 'true']), /already in use/, 'name conflict');
    fails(await d.janus(['exec', 'taken', 'true']), /not running/, 'exec in a stopped container');
    ok(await d.janus(['rm', 'taken']), 'rm taken');
    assert.equal(ok(await d.janus(['ps', '-aq']), 'ps').trim(), before);
  });

  test('live restore: a container keeps running through kill -9 of the daemon, and an exit meanwhile is recorded', async () => {
    const id = ok(await d.janus(['run', '-d', '--name', 'survivor', 'busybox', 'sh', '-c', 'while true; do echo tick; sleep 0.2; done']), 'run survivor').trim();
    ok(await d.janus(['run', '-d', '--name', 'quitter', 'busybox', 'sh', '-c', 'sleep 1.5; exit 7']), 'run quitter');
    const pid = await inspect('survivor', '{{.State.Pid}}');
    await d.kill9();
    await sleep(2500);
    await d.restart();
    assert.equal(await inspect('survivor', '{{.State.Status}} {{.State.Pid}}'), `running ${pid}`);
    assert.equal(await inspect('quitter', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 7');
    const before = ok(await d.janus(['logs', 'survivor']), 'logs').split('\n').length;
    await sleep(700);
    assert.ok(ok(await d.janus(['logs', 'survivor']), 'logs').split('\n').length > before, 'the log keeps growing');
    ok(await d.janus(['rm', '-f', 'survivor', 'quitter']), 'rm');
    await noLeaks(id);
  });

  test('sandbox level: the same image under gVisor (runsc)', async () => {
    const r = await d.janus(['run', '--rm', '--isolation', 'sandbox', 'busybox', 'dmesg']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /gVisor/);
    const code = await d.janus(['run', '--rm', '--runtime', 'runsc', 'busybox', 'sh', '-c', 'exit 5']);
    assert.equal(code.code, 5);
    ok(await d.janus(['run', '-d', '--name', 'sbx', '--isolation', 'sandbox', 'busybox', 'sleep', '1000']), 'run sandbox');
    assert.equal(ok(await d.janus(['exec', 'sbx', 'echo', 'inside']), 'exec in sandbox').trim(), 'inside');
    const id = await inspect('sbx', '{{.Id}}');
    ok(await d.janus(['rm', '-f', 'sbx']), 'rm sandbox');
    await noLeaks(id);
  });
});
