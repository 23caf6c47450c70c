// Attach, exec start and logs against a fake daemon that hijacks the
// connection the way docker does (101 UPGRADED, then raw bytes both ways).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerClient } from './docker-client.ts';
import { DaemonError } from './daemon-error.ts';
import type { StreamChunk } from './types.ts';

const MUX = 'application/vnd.docker.multiplexed-stream';
const RAW = 'application/vnd.docker.raw-stream';

function frame(type: number, text: string): Buffer {
  const data = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

let dir: string;
let server: Server;
let upgrade: (req: IncomingMessage, socket: Duplex, body: string) => void = () => {};
let seen: { url: string; headers: IncomingMessage['headers']; body: string }[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'janus-hijack-test-'));
  server = createServer((req, res) => {
    if (req.url === '/_ping') {
      res.setHeader('API-Version', '1.50');
      res.end('OK');
      return;
    }
    seen.push({ url: req.url ?? '', headers: req.headers, body: '' });
    if (req.url?.includes('/logs')) {
      res.setHeader('Content-Type', req.url.includes('tty') ? RAW : MUX);
      res.write(frame(1, 'line one\n'));
      res.end(Buffer.concat([frame(2, 'oops\n'), frame(1, 'line two\n')]));
      return;
    }
    res.statusCode = 404;
    res.end(JSON.stringify({ message: 'no route' }));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // The request body (exec start's JSON) arrives with or right after the head.
    let body = head.toString();
    const length = Number(req.headers['content-length'] ?? 0);
    const go = () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      upgrade(req, socket, body);
    };
    if (body.length >= length) go();
    else {
      const onData = (c: Buffer) => {
        body += c.toString();
        if (body.length >= length) {
          socket.off('data', onData);
          go();
        }
      };
      socket.on('data', onData);
    }
  });
  await new Promise<void>((r) => server.listen(join(dir, 'd.sock'), r));
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

const client = () => new DockerClient({ host: `unix://${join(dir, 'd.sock')}` });

async function drain(output: AsyncIterable<StreamChunk>): Promise<string[]> {
  const got: string[] = [];
  for await (const c of output) got.push(`${c.stream}:${c.data.toString()}`);
  return got;
}

/** A daemon side that echoes stdin as stdout frames and, on the client's half-close, says so and ends. */
function echoUntilHalfClose(contentType: string, frameIt: boolean): void {
  upgrade = (_req, socket) => {
    socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
    // Output that arrives together with the head must not be lost.
    socket.write(frameIt ? frame(1, 'ready\n') : 'ready\n');
    socket.on('data', (c: Buffer) => socket.write(frameIt ? frame(1, c.toString()) : c));
    socket.on('end', () => {
      socket.write(frameIt ? frame(2, 'stdin closed\n') : 'stdin closed\n');
      socket.end();
    });
  };
}

test('attach: upgrade headers sent; stdin goes through; ending it half-closes while output still flows', async () => {
  seen = [];
  echoUntilHalfClose(MUX, true);
  const s = await client().containerAttach('web', { stdin: true, stdout: true, stderr: true, tty: false, detachKeys: 'ctrl-x' });
  assert.equal(s.tty, false);
  assert.ok(s.stdin);
  const out = drain(s.output);
  s.stdin.write('hello\n');
  s.stdin.end();
  assert.deepEqual(await out, ['stdout:ready\n', 'stdout:hello\n', 'stderr:stdin closed\n']);
  const req = seen[0];
  assert.equal(req.headers.connection, 'Upgrade');
  assert.equal(req.headers.upgrade, 'tcp');
  const url = new URL(req.url, 'http://x');
  assert.equal(url.pathname, '/v1.50/containers/web/attach');
  assert.deepEqual(Object.fromEntries(url.searchParams), { stdin: '1', stdout: '1', stderr: '1', stream: '1', detachKeys: 'ctrl-x' });
});

test('exec start: the JSON body is sent before the upgrade; a TTY stream is raw', async () => {
  seen = [];
  echoUntilHalfClose(RAW, false);
  const s = await client().execStart('abc', { tty: true, consoleSize: [24, 80] });
  assert.equal(s.tty, true);
  const out = drain(s.output);
  s.stdin?.end('typed');
  const got = await out;
  assert.ok(got.every((c) => c.startsWith('stdout:')), 'a TTY has one stream');
  assert.equal(got.map((c) => c.slice('stdout:'.length)).join(''), 'ready\ntypedstdin closed\n');
  assert.equal(new URL(seen[0].url, 'http://x').pathname, '/v1.50/exec/abc/start');
  assert.deepEqual(JSON.parse(seen[0].body), { Detach: false, Tty: true, ConsoleSize: [24, 80] });
});

test('a daemon that answers 200 and streams the body instead: output, no stdin', async () => {
  upgrade = (_req, socket) => {
    socket.write(`HTTP/1.1 200 OK\r\nContent-Type: ${MUX}\r\nConnection: close\r\n\r\n`);
    socket.end(Buffer.concat([frame(1, 'a'), frame(2, 'b')]));
  };
  const s = await client().containerAttach('web', { stdout: true, tty: false });
  assert.equal(s.stdin, undefined);
  assert.deepEqual(await drain(s.output), ['stdout:a', 'stderr:b']);
});

test('an error status before the upgrade is a DaemonError with the daemon\'s message', async () => {
  upgrade = (_req, socket) => {
    const body = JSON.stringify({ message: 'No such container: nope' });
    socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  };
  await assert.rejects(client().containerAttach('nope', { stdout: true, tty: false }), (err: unknown) => {
    assert.ok(err instanceof DaemonError);
    assert.equal(err.kind, 'NotFound');
    assert.equal(err.message, 'No such container: nope');
    return true;
  });
});

test('logs: demultiplexed without a TTY, raw with one', async () => {
  assert.deepEqual(await drain(client().containerLogs('plain', { tty: false, tail: '5' })), ['stdout:line one\n', 'stderr:oops\n', 'stdout:line two\n']);
  const url = new URL(seen[seen.length - 1].url, 'http://x');
  assert.deepEqual(Object.fromEntries(url.searchParams), { stdout: '1', stderr: '1', tail: '5' });
  // The fake sends the same framed bytes with a raw media type: they come through untouched.
  const raw = await drain(client().containerLogs('tty', { tty: true }));
  assert.equal(raw.length >= 1 && raw.every((c) => c.startsWith('stdout:')), true);
  assert.match(raw.join(''), /line one/);
});
