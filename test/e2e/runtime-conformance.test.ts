// One small conformance suite, run through the real CLI and daemon against
// every runtime the daemon reports in `janus info`: runc and crun at the
// container level, runsc (gVisor) at the sandbox level, qemu (microVMs) at
// the vm level. A runtime the daemon
// refused (crun 1.8 on a hybrid cgroup host) is skipped with the reason info
// gives; one that is not installed is skipped saying so.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { skipUnlessRoot, startDaemon, type TestDaemon } from '../support/daemon.ts';
import { findContainerLeaks } from '../support/leaks.ts';
import { eventually, fails, ok } from './helpers.ts';

/** What `janus info --format '{{json .Janus}}'` says about runtimes. */
interface JanusInfo {
  IsolationLevels: Array<{ Name: string; Backends: string[]; Unavailable?: string; Accelerator?: string }>;
  RefusedRuntimes?: Record<string, string>;
  Runtimes: Array<{ Name: string; Path: string; Version: string }>;
}

/** The runtimes Janus knows; any other that info lists is tested too. */
const KNOWN = ['runc', 'crun', 'runsc', 'qemu'];

/** Runtimes where --pids-limit is refused, and the words that say why. */
const PIDS_LIMIT_REFUSED: Record<string, RegExp> = {
  // It would cap the host cgroup of the whole gVisor sandbox, whose own Go threads count against it.
  runsc: /--pids-limit is not supported at the sandbox level/,
  // The guest agent does not limit processes inside the VM.
  qemu: /--pids-limit is not supported at the vm level/,
};

const rootSkip = skipUnlessRoot();
let daemon: TestDaemon | undefined;
let info: JanusInfo | undefined;
if (!rootSkip) {
  daemon = await startDaemon();
  ok(await daemon.janus(['image', 'bootstrap', 'busybox']), 'bootstrap busybox');
  info = JSON.parse(ok(await daemon.janus(['info', '--format', '{{json .Janus}}']), 'janus info')) as JanusInfo;
}
after(async () => { await daemon?.stop(); });

const vmLevel = info?.IsolationLevels.find((l) => l.Name === 'vm');
const listed = [...(info?.Runtimes.map((r) => r.Name) ?? []), ...(vmLevel?.Backends ?? [])];
for (const name of [...KNOWN, ...listed.filter((n) => !KNOWN.includes(n))]) {
  const refused = info?.RefusedRuntimes?.[name];
  const skip = rootSkip
    ?? (name === 'qemu' && vmLevel?.Unavailable ? `the vm level does not work here: ${vmLevel.Unavailable}`
      : !listed.includes(name) ? `${name} is not installed: janus info does not list it`
      : refused !== undefined ? `the daemon refused ${name}: ${refused}` : undefined);
  const level = info?.IsolationLevels.find((l) => l.Backends.includes(name))?.Name ?? (name === 'runsc' ? 'sandbox' : name === 'qemu' ? 'vm' : 'container');
  const flags = ['--runtime', name, ...(level !== 'container' ? ['--isolation', level] : [])];

  describe(`runtime conformance: ${name}`, { skip }, () => {
    const d = () => daemon!;
    const ids: string[] = [];
    const prefix = `conf-${name}`;
    const inspect = async (c: string, format: string) => ok(await d().janus(['inspect', '--format', format, c]), `inspect ${format}`).trim();
    const run = (args: string[], input?: string) => d().janus(['run', ...flags, ...args], input === undefined ? {} : { input });
    const runDetached = async (n: string, args: string[]) => {
      const id = ok(await d().janus(['run', '-d', ...flags, '--name', `${prefix}-${n}`, ...args]), `run -d ${n}`).trim();
      ids.push(id);
      return `${prefix}-${n}`;
    };

    test('the container runs on this runtime and level', async () => {
      const c = await runDetached('which', ['busybox', 'sleep', '1000']);
      assert.equal(await inspect(c, '{{.HostConfig.Runtime}}|{{.HostConfig.Isolation}}'), `${name}|${level}`);
      ok(await d().janus(['rm', '-f', c]), 'rm');
    });

    test('exit codes: the process\'s own, 127 for a missing command, 126 for a non-executable one', async () => {
      assert.equal((await run(['--rm', 'busybox', 'sh', '-c', 'exit 3'])).code, 3);
      const missing = await run(['--rm', 'busybox', 'nosuchcmd']);
      assert.equal(missing.code, 127, missing.stderr);
      assert.match(missing.stderr, /nosuchcmd/);
      const notExec = await run(['--rm', 'busybox', '/etc/passwd']);
      assert.equal(notExec.code, 126, notExec.stderr);
    });

    test('stdout and stderr come apart; stdin reaches the process with -i', async () => {
      const r = await run(['--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'out\n');
      assert.equal(r.stderr, 'err\n');
      const i = await run(['--rm', '-i', 'busybox', 'tr', 'a-z', 'A-Z'], 'shout\n');
      assert.equal(i.stdout, 'SHOUT\n', i.stderr);
    });

    test('-e, -w and --user set the process\'s environment, directory and ids', async () => {
      const r = await run(['--rm', '-e', 'FOO=bar', '-w', '/tmp', '--user', '1000:1000', 'busybox', 'sh', '-c', 'echo "$FOO $(pwd) $(id -u):$(id -g)"']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'bar /tmp 1000:1000\n');
      assert.equal(ok(await run(['--rm', '--user', 'nobody', 'busybox', 'id', '-un']), '--user nobody').trim(), 'nobody');
    });

    test('exec runs in the container with its own exit code, -u UID, -w and -e', async () => {
      const c = await runDetached('exec', ['busybox', 'sleep', '1000']);
      assert.equal(ok(await d().janus(['exec', c, 'echo', 'inside']), 'exec').trim(), 'inside');
      assert.equal((await d().janus(['exec', c, 'sh', '-c', 'exit 4'])).code, 4);
      assert.equal(ok(await d().janus(['exec', '-u', '1000:1000', '-w', '/tmp', '-e', 'X=1', c, 'sh', '-c', 'echo $(id -u):$(id -g) $PWD $X']), 'exec -u -w -e').trim(), '1000:1000 /tmp 1');
      ok(await d().janus(['rm', '-f', c]), 'rm');
    });

    test('exec -u NAME finds the user in the container\'s /etc/passwd', async () => {
      const c = await runDetached('execuser', ['busybox', 'sleep', '1000']);
      try {
        assert.equal(ok(await d().janus(['exec', '-u', 'nobody', c, 'id', '-u']), 'exec -u nobody').trim(), '65534');
        fails(await d().janus(['exec', '-u', 'nosuchuser', c, 'true']), /unable to find user nosuchuser/, 'exec -u of an unknown user');
      } finally {
        ok(await d().janus(['rm', '-f', c]), 'rm');
      }
    });

    test('stop sends the stop signal (a trapping shell exits with its code); --stop-signal; kill is 137', async () => {
      // The shell is its PID namespace's init, which ignores a signal it has no handler for: stop once the trap is set.
      const trapped = (c: string) => eventually(`the trap in ${c}`, async () => (ok(await d().janus(['logs', c]), 'logs').includes('trapped') ? true : undefined), 60000);
      const trap = await runDetached('trap', ['busybox', 'sh', '-c', 'trap "exit 42" TERM; echo trapped; while true; do sleep 0.1; done']);
      await trapped(trap);
      ok(await d().janus(['stop', trap]), 'stop');
      assert.equal(await inspect(trap, '{{.State.Status}} {{.State.ExitCode}}'), 'exited 42');
      const usr1 = await runDetached('usr1', ['--stop-signal', 'USR1', 'busybox', 'sh', '-c', 'trap "exit 10" USR1; echo trapped; while true; do sleep 0.1; done']);
      await trapped(usr1);
      ok(await d().janus(['stop', usr1]), 'stop --stop-signal');
      assert.equal(await inspect(usr1, '{{.State.ExitCode}}'), '10');
      const killed = await runDetached('killed', ['busybox', 'sleep', '1000']);
      ok(await d().janus(['kill', killed]), 'kill');
      await eventually('the kill to be recorded', async () => ((await inspect(killed, '{{.State.Status}}')) === 'exited' ? true : undefined));
      assert.equal(await inspect(killed, '{{.State.ExitCode}}'), '137');
      ok(await d().janus(['rm', trap, usr1, killed]), 'rm');
    });

    test('logs keep stdout and stderr apart, with --tail', async () => {
      // stdout and stderr are separate pipes: the pause makes "three" the last line whatever order the first two land in.
      const c = `${prefix}-logs`;
      ok(await d().janus(['run', ...flags, '--name', c, 'busybox', 'sh', '-c', 'echo one; echo two >&2; sleep 0.2; echo three']), 'run');
      ids.push(await inspect(c, '{{.Id}}'));
      const logs = await d().janus(['logs', c]);
      assert.equal(logs.stdout, 'one\nthree\n');
      assert.equal(logs.stderr, 'two\n');
      assert.equal(ok(await d().janus(['logs', '--tail', '1', c]), 'logs --tail'), 'three\n');
      ok(await d().janus(['rm', c]), 'rm');
    });

    test('--pids-limit: forks fail past the limit, the shell says so (or the level refuses it, saying why)', async () => {
      const script = 'for i in $(seq 1 30); do sleep 3 & done; echo all-started';
      const refused = PIDS_LIMIT_REFUSED[name];
      if (refused) {
        fails(await run(['--rm', '--pids-limit', '10', 'busybox', 'true']), refused, '--pids-limit at this level');
        return;
      }
      const bomb = await run(['--rm', '--pids-limit', '10', 'busybox', 'sh', '-c', script]);
      assert.notEqual(bomb.code, 0, 'the shell cannot fork past the limit');
      assert.match(bomb.stderr, /can't fork/);
      assert.doesNotMatch(bomb.stdout, /all-started/);
      assert.equal(ok(await run(['--rm', 'busybox', 'sh', '-c', script]), 'the same without a limit').trim(), 'all-started');
    });

    test('bad input is refused before anything runs', async () => {
      fails(await run(['--rm', '--pids-limit', 'many', 'busybox', 'true']), /pids-limit/, 'a bad --pids-limit');
      const other = level === 'sandbox' ? 'container' : 'sandbox';
      fails(await d().janus(['run', '--rm', '--runtime', name, '--isolation', other, 'busybox', 'true']), new RegExp(`--runtime ${name} runs the ${level} isolation level, not ${other}`), 'a runtime at the wrong level');
    });

    test('nothing of its containers is left behind', async () => {
      const mine = ok(await d().janus(['ps', '-aq', '--no-trunc', '--filter', `name=^${prefix}-`]), 'ps').trim();
      if (mine !== '') ok(await d().janus(['rm', '-f', ...mine.split('\n')]), 'rm -f the rest');
      for (const id of ids) assert.deepEqual(await findContainerLeaks(d().root, id), [], `container ${id} left nothing behind`);
    });
  });
}
