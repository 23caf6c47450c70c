import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { Task, TaskSpec } from '../../core/runtime.ts';
import { NodeExec } from '../../util/exec.ts';
import { silentLogger } from '../../util/logger.ts';
import { minimalSpec } from '../../../test/conformance/runtime.ts';
import { makeBusyboxRootfs } from './busybox-rootfs.ts';
import { OciRuntime } from './oci-runtime.ts';
import type { Spawn } from './conmon.ts';
import { parseK8sLogLine } from './k8s-log.ts';
import {
  FrameDecoder, attachSocketPath, attachStdin, defaultAttachHelper, openAttachSocket,
  type AttachConnection, type AttachOutput, type Frame,
} from './attach-socket.ts';

const frame = (stream: number, payload: string | Buffer): Buffer => {
  const data = Buffer.from(payload);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(data.length, 4);
  return Buffer.concat([head, data]);
};
const show = (frames: Frame[]) => frames.map((f) => [f.stream, f.data.toString()]);

describe('FrameDecoder', () => {
  it('decodes several frames from one chunk, empty ones included', () => {
    const d = new FrameDecoder();
    const frames = d.push(Buffer.concat([frame(0, ''), frame(1, 'out'), frame(2, 'err'), frame(1, '')]));
    assert.deepEqual(show(frames), [[0, ''], [1, 'out'], [2, 'err'], [1, '']]);
    assert.equal(d.buffered, 0);
    d.end();
  });

  it('gives the same frames whatever the chunk boundaries', () => {
    const input = Buffer.concat([frame(1, 'hello'), frame(2, 'x'.repeat(300)), frame(0, ''), frame(1, 'bye\n')]);
    const want = [[1, 'hello'], [2, 'x'.repeat(300)], [0, ''], [1, 'bye\n']];
    for (let size = 1; size <= 17; size++) {
      const d = new FrameDecoder();
      const got: Frame[] = [];
      for (let i = 0; i < input.length; i += size) got.push(...d.push(input.subarray(i, i + size)));
      assert.deepEqual(show(got), want, `chunks of ${size} bytes`);
      d.end();
    }
    // Every single split point, two chunks.
    for (let cut = 0; cut <= input.length; cut++) {
      const d = new FrameDecoder();
      const got = [...d.push(input.subarray(0, cut)), ...d.push(input.subarray(cut))];
      assert.deepEqual(show(got), want, `cut at ${cut}`);
    }
  });

  it('holds back an incomplete frame and says so at the end', () => {
    const d = new FrameDecoder();
    assert.deepEqual(d.push(frame(1, 'abcdef').subarray(0, 10)), []);
    assert.equal(d.buffered, 10);
    assert.throws(() => d.end(), { kind: 'Internal', message: /ended inside a frame/ });
  });

  it('refuses an unknown stream, non-zero reserved bytes and a frame over the limit', () => {
    assert.throws(() => new FrameDecoder().push(frame(3, 'x')), { kind: 'Internal', message: /malformed frame header/ });
    const reserved = frame(1, 'x');
    reserved[2] = 1;
    assert.throws(() => new FrameDecoder().push(reserved), { kind: 'Internal', message: /malformed frame header/ });
    assert.throws(() => new FrameDecoder({ maxFrame: 4 }).push(frame(1, 'hello')), { kind: 'Internal', message: /over the 4 allowed/ });
  });
});

describe('attachSocketPath', () => {
  it('names the socket under the cuuid link', () => {
    assert.equal(attachSocketPath('/var/lib/janus/runtimes/runc/.s', '0123abcd'), '/var/lib/janus/runtimes/runc/.s/0123abcd/attach');
  });

  it('refuses a cuuid that is not one path segment, and paths a unix socket cannot have', () => {
    assert.throws(() => attachSocketPath('/s', '../x'), { kind: 'InvalidArgument' });
    assert.throws(() => attachSocketPath('/s', ''), { kind: 'InvalidArgument' });
    assert.throws(() => attachSocketPath(`/${'d'.repeat(100)}`, '0123abcd'), { kind: 'InvalidArgument', message: /over the 107/ });
  });

  it('finds the default helper under build/ of the repository', () => {
    assert.match(defaultAttachHelper(), /\/build\/janus-attach$/);
    assert.ok(existsSync(join(defaultAttachHelper(), '..', '..', 'native', 'janus-attach.c')));
  });
});

/** Runs `script` in node as a stand-in for janus-attach, so the Node side is tested without conmon. */
const fakeHelper = (script: string) => {
  const children: ChildProcess[] = [];
  const fake: Spawn = (_file, _args, options) => {
    const child = spawn(process.execPath, ['-e', script], options);
    children.push(child);
    return child;
  };
  return { helper: 'fake-janus-attach', spawn: fake, children };
};
const hex = (b: Buffer) => `Buffer.from('${b.toString('hex')}', 'hex')`;
const collect = async (output: AsyncIterable<AttachOutput>) => {
  const got: Array<[string, string]> = [];
  for await (const o of output) got.push([o.stream, o.data.toString()]);
  return got;
};

describe('openAttachSocket over a stand-in helper', () => {
  it('resolves after the connect marker and yields stdout and stderr apart until the helper ends', async () => {
    const bytes = Buffer.concat([frame(0, ''), frame(1, 'one'), frame(2, 'two'), frame(1, 'three')]);
    const conn = await openAttachSocket('/run/x/attach', fakeHelper(`process.stdout.write(${hex(bytes)})`));
    assert.deepEqual(await collect(conn.output), [['stdout', 'one'], ['stderr', 'two'], ['stdout', 'three']]);
    await conn.stdinClosed;
  });

  it('passes stdin through and resolves stdinClosed at the second marker', async () => {
    // Echoes its stdin back as one stdout frame once stdin ends, after the stdin-closed marker.
    const script = `process.stdout.write(${hex(frame(0, ''))}); const parts = [];
      process.stdin.on('data', (c) => parts.push(c));
      process.stdin.on('end', () => { const d = Buffer.concat(parts); const h = Buffer.alloc(8); h[0] = 1; h.writeUInt32BE(d.length, 4);
        process.stdout.write(Buffer.concat([${hex(frame(0, ''))}, h, d])); });`;
    const conn = await openAttachSocket('/run/x/attach', fakeHelper(script));
    conn.stdin.end('ping');
    await conn.stdinClosed;
    assert.deepEqual(await collect(conn.output), [['stdout', 'ping']]);
  });

  it('rejects with Conflict and the helper\'s message when nothing listens', async () => {
    const script = `process.stderr.write('janus-attach: connect to /run/x/attach: No such file or directory\\n'); process.exit(3)`;
    await assert.rejects(openAttachSocket('/run/x/attach', fakeHelper(script)), { kind: 'Conflict', message: /No such file or directory/ });
  });

  it('rejects with Internal and the helper\'s message for other failures before connecting', async () => {
    await assert.rejects(openAttachSocket('/run/x/attach', fakeHelper(`process.stderr.write('janus-attach: socket: oops\\n'); process.exit(1)`)),
      { kind: 'Internal', message: /socket: oops/ });
  });

  it('ends output with Internal when the helper fails after connecting', async () => {
    const script = `process.stdout.write(${hex(Buffer.concat([frame(0, ''), frame(1, 'a')]))}, () => { process.stderr.write('janus-attach: reading from x: boom\\n'); process.exit(1); })`;
    const conn = await openAttachSocket('/run/x/attach', fakeHelper(script));
    const got: string[] = [];
    await assert.rejects((async () => { for await (const o of conn.output) got.push(o.data.toString()); })(), { kind: 'Internal', message: /boom/ });
    assert.deepEqual(got, ['a']);
  });

  it('fails with Internal on a malformed frame, before or after connecting', async () => {
    // The bad frame comes only after the test wrote to stdin, so it cannot share a chunk with the marker.
    const later = `process.stdout.write(${hex(frame(0, ''))}); process.stdin.once('data', () => process.stdout.write(${hex(frame(7, 'x'))}))`;
    const conn = await openAttachSocket('/run/x/attach', fakeHelper(later));
    conn.stdin.write('go');
    await assert.rejects(collect(conn.output), { kind: 'Internal', message: /malformed/ });
    const early = `process.stdout.write(${hex(frame(9, ''))}); setInterval(() => {}, 1000)`;
    await assert.rejects(openAttachSocket('/run/x/attach', fakeHelper(early)), { kind: 'Internal', message: /malformed/ });
  });

  it('close ends output without an error, and leaving a for-await early closes', async () => {
    const forever = `process.stdout.write(${hex(Buffer.concat([frame(0, ''), frame(1, 'a')]))}); setInterval(() => {}, 1000)`;
    const conn = await openAttachSocket('/run/x/attach', fakeHelper(forever));
    conn.close();
    conn.close();
    await collect(conn.output);
    await conn.stdinClosed;
    const second = await openAttachSocket('/run/x/attach', fakeHelper(forever));
    for await (const o of second.output) {
      assert.equal(o.data.toString(), 'a');
      break;
    }
    await second.stdinClosed; // resolves only once the helper is gone
  });

  it('aborting before the connection is up rejects with the reason and ends the helper', async () => {
    const ac = new AbortController();
    const fake = fakeHelper('setInterval(() => {}, 1000)');
    const aborted = openAttachSocket('/run/x/attach', { ...fake, signal: ac.signal });
    ac.abort(new Error('stop'));
    await assert.rejects(aborted, { message: 'stop' });
    const child = fake.children[0];
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    assert.equal(child.signalCode, 'SIGKILL');
    await assert.rejects(openAttachSocket('/run/x/attach', { ...fakeHelper(''), signal: AbortSignal.abort(new Error('early')) }), { message: 'early' });
  });

  it('Unavailable when the helper binary is missing; InvalidArgument for a relative path', async () => {
    await assert.rejects(openAttachSocket('/run/x/attach', { helper: '/nonexistent/janus-attach' }),
      { kind: 'Unavailable', message: /janus-attach is missing: run scripts\/setup/ });
    await assert.rejects(openAttachSocket('x/attach', { helper: '/nonexistent/janus-attach' }), { kind: 'InvalidArgument' });
  });
});

const RUNC = '/usr/sbin/runc';
const CONMON = '/usr/bin/conmon';
const HELPER = defaultAttachHelper();

function realSkip(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (runc creates namespaces and mounts)';
  if (!existsSync(RUNC) || !existsSync(CONMON)) return 'needs runc and conmon (scripts/setup installs them)';
  if (!existsSync('/bin/busybox')) return 'needs /bin/busybox (busybox-static)';
  if (!existsSync(HELPER)) return `needs ${HELPER} (scripts/setup builds it)`;
  return undefined;
}

describe('janus-attach against conmon and runc', { skip: realSkip(), timeout: 5 * 60_000 }, () => {
  let dir: string;
  let rootfs: string;
  let runtime: OciRuntime;
  /** The connection behind the latest openStdin, so tests read its output too. */
  let last: AttachConnection | undefined;
  let lastPath: string | undefined;
  const tasks: Task[] = [];
  let n = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'janus-attach-'));
    rootfs = join(dir, 'rootfs');
    await makeBusyboxRootfs(new NodeExec(), rootfs);
    runtime = new OciRuntime({
      name: 'runc', binary: RUNC, conmon: CONMON, stateDir: join(dir, 'state'), exec: new NodeExec(), logger: silentLogger, pollMs: 200,
      // The runtime computes the socket path from its own records; connecting here keeps the output in reach of the test.
      attach: async (socketPath) => {
        lastPath = socketPath;
        last = await openAttachSocket(socketPath, { helper: HELPER });
        return last.stdin;
      },
    });
  });

  after(async () => {
    for (const t of tasks) await t.delete({ force: true }).catch(() => undefined);
    last?.close();
    if (dir) {
      const left = await readdir(join(dir, 'state')).catch(() => [] as string[]);
      for (const id of left.filter((e) => !e.startsWith('.'))) await runtime.remove(id);
      await rm(dir, { recursive: true, force: true });
    }
  });

  const start = async (args: string[], io: { tty: boolean; stdinOnce?: boolean }): Promise<{ task: Task; logPath: string }> => {
    const oci = minimalSpec(args);
    if (io.tty) {
      oci.mounts!.push({ destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] });
    }
    const logPath = join(dir, `log-${n}`);
    const spec: TaskSpec = { oci, rootfs: [{ type: 'bind', source: rootfs, options: ['rbind', 'rw'] }], io: { tty: io.tty, stdin: true, stdinOnce: io.stdinOnce ?? true, logPath } };
    const task = await runtime.create(`attach-${process.pid}-${n++}`, spec);
    tasks.push(task);
    await task.start();
    return { task, logPath };
  };
  const open = async (target: { openStdin(): Promise<Writable> }): Promise<AttachConnection> => {
    last = undefined;
    await target.openStdin();
    assert.ok(last);
    return last;
  };

  it('relays stdin to the container and its stdout and stderr back apart; ending stdin closes the container\'s', async () => {
    const { task } = await start(['sh', '-c', 'read x; echo got:$x; echo err >&2; cat; echo after-eof'], { tty: false });
    const conn = await open(task);
    conn.stdin.write('hello\n');
    conn.stdin.end('more\n');
    const got = await collect(conn.output);
    const text = (s: string) => got.filter(([stream]) => stream === s).map(([, d]) => d).join('');
    assert.equal(text('stdout'), 'got:hello\nmore\nafter-eof\n');
    assert.equal(text('stderr'), 'err\n');
    assert.equal((await task.wait()).code, 0);
    await task.delete();
  });

  it('moves megabytes both ways at once (cat) without conmon and the helper waiting on each other', async () => {
    const { task } = await start(['cat'], { tty: false });
    const conn = await open(task);
    const input = Buffer.alloc(4 << 20);
    for (let i = 0; i < input.length; i++) input[i] = (i * 7 + (i >> 13)) & 0xff;
    conn.stdin.end(input);
    const parts: Buffer[] = [];
    for await (const o of conn.output) {
      assert.equal(o.stream, 'stdout');
      parts.push(o.data);
    }
    assert.ok(Buffer.concat(parts).equals(input), 'the output is the input, byte for byte');
    assert.equal((await task.wait()).code, 0);
    await task.delete();
  });

  it('with a TTY everything arrives as stdout', async () => {
    const { task } = await start(['sh', '-c', 'read x; echo got:$x; echo err >&2'], { tty: true });
    const conn = await open(task);
    conn.stdin.write('hello\n');
    const got = await collect(conn.output);
    assert.ok(got.length > 0);
    assert.ok(got.every(([stream]) => stream === 'stdout'), JSON.stringify(got));
    const all = got.map(([, d]) => d).join('');
    assert.match(all, /got:hello\r\n/);
    assert.match(all, /err\r\n/);
    assert.equal((await task.wait()).code, 0);
    await task.delete();
  });

  it('without StdinOnce the container\'s stdin outlives an attach that ends its input (docker attach, then attach again)', async () => {
    const { task, logPath } = await start(['sh', '-c', 'while read x; do echo got:$x; done; echo eof'], { tty: false, stdinOnce: false });
    const first = await open(task);
    first.stdin.end('one\n');
    await first.stdinClosed;
    const second = await open(task);
    second.stdin.write('two\n');
    for await (const o of second.output) {
      if (o.data.toString().includes('got:two')) break;
    }
    assert.equal(await task.status(), 'running');
    const log = await readFile(logPath, 'utf8');
    assert.match(log, /got:one/);
    assert.doesNotMatch(log, /eof/);
    await task.kill('SIGKILL');
    await task.wait();
    await task.delete();
  });

  it('with a TTY the container\'s stdin outlives the first client even with StdinOnce (docker run -it, detach, attach again)', { timeout: 60000 }, async () => {
    const { task, logPath } = await start(['sh', '-c', 'while read x; do echo got:$x; done; echo eof'], { tty: true, stdinOnce: true });
    const first = await open(task);
    first.stdin.write('one\n');
    for await (const o of first.output) {
      if (o.data.toString().includes('got:one')) break; // leaving the loop closes the connection
    }
    await first.stdinClosed;
    const second = await open(task);
    second.stdin.write('two\n');
    for await (const o of second.output) {
      if (o.data.toString().includes('got:two')) break;
    }
    assert.equal(await task.status(), 'running');
    assert.doesNotMatch(await readFile(logPath, 'utf8'), /eof/);
    await task.kill('SIGKILL');
    await task.wait();
    await task.delete();
  });

  it('close() detaches: the container keeps running and a new connection reaches it', async () => {
    const { task } = await start(['sh', '-c', 'while :; do echo tick; sleep 0.1; done'], { tty: false });
    const first = await open(task);
    for await (const o of first.output) {
      assert.equal(o.data.toString(), 'tick\n');
      break; // leaving the loop closes the connection
    }
    await first.stdinClosed; // resolves once the helper is gone
    assert.equal(await task.status(), 'running');
    const second = await open(task);
    for await (const o of second.output) {
      assert.equal(o.data.toString(), 'tick\n');
      break;
    }
    await task.kill('SIGKILL');
    assert.equal((await task.wait()).signal, 'SIGKILL');
    await task.delete();
  });

  it('reaches an exec session\'s own attach socket', async () => {
    const { task } = await start(['sleep', '600'], { tty: false });
    const proc = await task.exec('e1', { args: ['sh', '-c', 'read x; echo exec:$x'], cwd: '/', env: ['PATH=/bin'], user: { uid: 0, gid: 0 } }, { tty: false, stdin: true });
    const conn = await open(proc);
    conn.stdin.end('hi\n');
    assert.deepEqual(await collect(conn.output), [['stdout', 'exec:hi\n']]);
    assert.equal((await proc.wait()).code, 0);
    await proc.delete();
    await task.kill('SIGKILL');
    await task.wait();
    await task.delete();
  });

  it('attachStdin: the daemon\'s stdin-only connector; output goes to the log', async () => {
    const { task, logPath } = await start(['sh', '-c', 'cat; echo done'], { tty: false });
    const helperless = new OciRuntime({
      name: 'runc', binary: RUNC, conmon: CONMON, stateDir: join(dir, 'state'), exec: new NodeExec(), logger: silentLogger, pollMs: 200,
      attach: attachStdin({ helper: HELPER }),
    });
    const stdin = await (await helperless.load(task.id)).openStdin();
    stdin.write('a\n');
    stdin.end('b\n');
    assert.equal((await task.wait()).code, 0);
    const lines = (await readFile(logPath, 'utf8')).split('\n').map(parseK8sLogLine).filter((l) => l !== undefined).map((l) => l.text);
    assert.deepEqual(lines, ['a', 'b', 'done']);
    await task.delete();
  });

  it('once the process has ended its socket is gone: Conflict', async () => {
    const { task } = await start(['sh', '-c', 'read x'], { tty: false });
    const conn = await open(task);
    conn.stdin.end('x\n');
    await collect(conn.output);
    assert.equal((await task.wait()).code, 0);
    assert.ok(lastPath);
    await assert.rejects(openAttachSocket(lastPath, { helper: HELPER }), { kind: 'Conflict', message: /No such file or directory/ });
    await task.delete();
  });
});
