import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeContainerService } from '../../../test/fakes/fake-container-service.ts';
import { FakeImageService, makeDetail } from '../../../test/fakes/fake-image-service.ts';
import type { EngineEvent } from '../../core/events.ts';
import type { HostFacts } from '../../host/host-probe.ts';
import { silentLogger } from '../../util/logger.ts';
import type { EventBus } from './event-bus.ts';
import { createApiServer } from './server.ts';
import type { SystemService } from './system-service.ts';
import type { VolumeService } from '../../engine/volume-service.ts';

const HOST = { kernelVersion: '6.1.0', operatingSystem: 'Test', osVersion: '1', architecture: 'x86_64', hostname: 'h', ncpu: 1, memTotal: 1 << 30, cgroupLayout: 'v2', ociRuntimes: [], qemu: [], kvmDevice: false, accelerators: [] } satisfies HostFacts;

const events: EventBus = { publish() {}, subscribe: () => ({ backlog: [] as EngineEvent[], unsubscribe() {} }) };
const system: SystemService = {
  serverVersion: '9.9.9',
  info: async () => ({ id: 'x', rootDir: '/r', serverVersion: '9.9.9', storageDriver: 'overlay', defaultRuntime: 'runc', insecureRegistries: [], debug: false, host: HOST, warnings: [] }),
  version: async () => ({ version: '9.9.9', gitCommit: '', buildTime: '', runtimeVersion: 'node', os: 'linux', arch: 'amd64', kernelVersion: '6.1.0' }),
  login: async () => ({}),
};
const volumes = {} as VolumeService;

interface Reply { status: number; headers: IncomingMessage['headers']; body: Buffer; text: string; json(): any }

let socketPath: string;

function call(method: string, path: string, options: { body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((done, fail) => {
    const req = request({ socketPath, path, method, headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        done({ status: res.statusCode ?? 0, headers: res.headers, body, text, json: () => JSON.parse(text) });
      });
    });
    req.on('error', fail);
    req.end(options.body);
  });
}

const json = (o: unknown) => ({ body: JSON.stringify(o), headers: { 'Content-Type': 'application/json' } });

/** Splits docker's multiplexed stream into [stream type, text] frames. */
function demux(buf: Buffer): [number, string][] {
  const out: [number, string][] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const size = buf.readUInt32BE(at + 4);
    out.push([buf[at], buf.subarray(at + 8, at + 8 + size).toString('utf8')]);
    at += 8 + size;
  }
  assert.equal(at, buf.length, 'the stream ends on a frame boundary');
  return out;
}

/** A raw upgrade request: resolves with the response head and the socket, and collects everything after the head. */
function upgrade(method: string, path: string, body = ''): Promise<{ head: string; socket: Socket; rest: () => Buffer; ended: Promise<void> }> {
  return new Promise((done, fail) => {
    const socket = connect(socketPath);
    let buf = Buffer.alloc(0);
    let head: string | undefined;
    let resolveEnd: () => void;
    const ended = new Promise<void>((r) => { resolveEnd = r; });
    socket.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (head === undefined) {
        const i = buf.indexOf('\r\n\r\n');
        if (i < 0) return;
        head = buf.subarray(0, i).toString('latin1');
        buf = buf.subarray(i + 4);
        done({ head, socket, rest: () => buf, ended });
      }
    });
    socket.on('end', () => resolveEnd());
    socket.on('error', fail);
    socket.write(`${method} ${path} HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });
}

describe('container and exec routes (fake engine, unix socket)', () => {
  let dir: string;
  let server: Server;
  let fake: FakeContainerService;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'janus-containers-api-'));
    socketPath = join(dir, 'api.sock');
  });
  beforeEach(async () => {
    if (server) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    const images = new FakeImageService();
    images.add(makeDetail());
    fake = new FakeContainerService();
    server = createApiServer({ images, containers: fake, volumes, system, events, logger: silentLogger });
    await new Promise<void>((r) => server.listen(socketPath, r));
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  async function create(config: Record<string, unknown>, name?: string): Promise<string> {
    const r = await call('POST', `/v1.50/containers/create${name ? `?name=${name}` : ''}`, json({ Image: 'busybox', ...config }));
    assert.equal(r.status, 201, r.text);
    return r.json().Id;
  }
  async function run(config: Record<string, unknown>, name?: string): Promise<string> {
    const id = await create(config, name);
    assert.equal((await call('POST', `/containers/${id}/start`)).status, 204);
    await new Promise((r) => setImmediate(r));
    return id;
  }

  test('create answers 201 with Id and Warnings and passes the parsed request; errors have their statuses', async () => {
    const r = await call('POST', '/v1.50/containers/create?name=web', json({ Image: 'busybox', Cmd: ['echo', 'hi'], HostConfig: { Memory: 64 << 20, NetworkMode: 'none' } }));
    assert.equal(r.status, 201);
    assert.match(r.json().Id, /^[0-9a-f]{64}$/);
    assert.deepEqual(r.json().Warnings, []);
    const req = fake.calls.find((c) => c.method === 'create')!.args[0] as { name: string; run: { cmd: string[]; memory: number }; network: unknown };
    assert.equal(req.name, 'web');
    assert.deepEqual(req.run.cmd, ['echo', 'hi']);
    assert.equal(req.run.memory, 64 << 20);
    assert.deepEqual(req.network, { mode: 'none' });

    assert.equal((await call('POST', '/containers/create?name=web', json({ Image: 'busybox' }))).status, 409);
    const missing = await call('POST', '/containers/create', json({ Image: 'nosuch:1' }));
    assert.equal(missing.status, 404);
    assert.equal(missing.json().message, 'No such image: nosuch:1');
    const malformed = await call('POST', '/containers/create', { body: '{"Image":' });
    assert.equal(malformed.status, 400);
    assert.match(malformed.json().message, /malformed JSON/);
    const wrongType = await call('POST', '/containers/create', json({ Image: 'busybox', HostConfig: { Memory: '1g' } }));
    assert.equal(wrongType.status, 400);
    assert.match(wrongType.json().message, /HostConfig\.Memory/);
    const unsupported = await call('POST', '/containers/create', json({ Image: 'busybox', HostConfig: { Devices: [{ PathOnHost: '/dev/fuse' }] } }));
    assert.equal(unsupported.status, 501);
    assert.match(unsupported.json().message, /HostConfig\.Devices/);
    const badFlag = await call('POST', '/containers/create', json({ Image: 'busybox', HostConfig: { Memory: 1024 } }));
    assert.equal(badFlag.status, 400);
    assert.match(badFlag.json().message, /minimum memory limit/);
    assert.equal(fake.calls.filter((c) => c.method === 'create').length, 3, 'bad requests never reach the engine');
  });

  test('start 204 then 304; stop 204 then 304; kill of a stopped container 409; restart, pause, unpause 204', async () => {
    const id = await create({ Cmd: ['sleep', '100'] });
    assert.equal((await call('POST', `/containers/${id}/start`)).status, 204);
    assert.equal((await call('POST', `/containers/${id}/start`)).status, 304);
    assert.equal((await call('POST', `/containers/${id.slice(0, 12)}/pause`)).status, 204);
    assert.equal((await call('POST', `/containers/${id}/unpause`)).status, 204);
    assert.equal((await call('POST', `/containers/${id}/restart?t=1`)).status, 204);
    assert.equal((await call('POST', `/containers/${id}/stop?t=-1&signal=SIGINT`)).status, 204);
    assert.deepEqual(fake.calls.at(-1), { method: 'stop', args: [id, { timeout: -1, signal: 'SIGINT' }] });
    assert.equal((await call('POST', `/containers/${id}/stop`)).status, 304);
    const kill = await call('POST', `/containers/${id}/kill`);
    assert.equal(kill.status, 409);
    assert.match(kill.json().message, /is not running/);
    const badSignal = await call('POST', `/containers/${id}/kill?signal=SIGNOPE`);
    assert.equal(badSignal.status, 400);
    const body = await call('POST', `/containers/${id}/start`, json({ Binds: ['/a:/b'] }));
    assert.equal(body.status, 400, 'a HostConfig at start is refused as docker does');
    assert.equal((await call('POST', '/containers/nope/start')).status, 404);
  });

  test('rename, remove (409 while running, force, v, link), 404 for unknown containers', async () => {
    const id = await run({ Cmd: ['sleep', '100'] }, 'one');
    assert.equal((await call('POST', '/containers/one/rename?name=two')).status, 204);
    assert.equal((await call('POST', '/containers/two/rename')).status, 400);
    const busy = await call('DELETE', '/containers/two');
    assert.equal(busy.status, 409);
    assert.match(busy.json().message, /cannot remove a running container/);
    assert.equal((await call('DELETE', '/containers/two?link=1')).status, 501);
    assert.equal((await call('DELETE', '/containers/two?force=1&v=1')).status, 204);
    assert.deepEqual(fake.calls.at(-1), { method: 'remove', args: ['two', { force: true, volumes: true }] });
    assert.equal((await call('DELETE', `/containers/${id}`)).status, 404);
    const gone = await call('GET', `/containers/${id}/json`);
    assert.equal(gone.status, 404);
    assert.equal(gone.json().message, `No such container: ${id}`);
  });

  test('inspect has docker\'s shape with the Janus extension; list gives summaries with docker\'s Status text', async () => {
    const id = await run({ Cmd: ['sleep', '100'], Labels: { app: 'x' }, HostConfig: { NetworkMode: 'none' } }, 'insp');
    await create({ Cmd: ['true'] }, 'idle');
    const i = (await call('GET', '/containers/insp/json?size=1')).json();
    assert.equal(i.Id, id);
    assert.equal(i.Name, '/insp');
    assert.equal(i.State.Status, 'running');
    assert.equal(i.State.Running, true);
    assert.equal(i.State.FinishedAt, '0001-01-01T00:00:00Z');
    assert.match(i.Created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.equal(i.Path, 'sleep');
    assert.deepEqual(i.Args, ['100']);
    assert.equal(i.HostConfig.NetworkMode, 'none');
    assert.equal(i.SizeRw, 12);
    assert.deepEqual(Object.keys(i.NetworkSettings.Networks), ['none']);
    assert.deepEqual(i.Janus, { Isolation: 'container', Runtime: 'runc', Accelerator: '' });
    assert.deepEqual(i.Config.Labels, { app: 'x' });

    const running = (await call('GET', '/containers/json')).json();
    assert.deepEqual(running.map((c: { Names: string[] }) => c.Names), [['/insp']]);
    assert.match(running[0].Status, /^Up (Less than a second|\d+ seconds?|About a minute|\d+ minutes|About an hour|\d+ hours|\d+ days|\d+ weeks|\d+ months|\d+ years)$/);
    assert.equal(running[0].Command, 'sleep 100');
    const all = (await call('GET', '/containers/json?all=1')).json();
    assert.deepEqual(all.map((c: { Names: string[] }) => c.Names[0]), ['/idle', '/insp']);
    assert.equal(all[0].Status, 'Created');
    assert.equal(all[0].State, 'created');
    const filtered = (await call('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ status: ['created'] }))}`)).json();
    assert.deepEqual(filtered.map((c: { Names: string[] }) => c.Names[0]), ['/idle']);
    assert.deepEqual(fake.calls.filter((c) => c.method === 'list').at(-1)!.args[0], { all: true, size: false, filters: { status: ['created'] } });
    assert.equal((await call('GET', `/containers/json?filters=${encodeURIComponent('{"status":["asleep"]}')}`)).status, 400);
    assert.deepEqual((await call('GET', `/containers/json?all=1&filters=${encodeURIComponent('{"is-task":["true"]}')}`)).json(), []);
    const limited = (await call('GET', '/containers/json?limit=1')).json();
    assert.deepEqual(limited.map((c: { Names: string[] }) => c.Names[0]), ['/idle'], 'limit implies all');
  });

  test('logs are multiplexed frames without a TTY, raw with one; timestamps prefix each entry', async () => {
    const id = await run({ Cmd: ['echo', 'hello'] });
    fake.emit(id, 'stderr', 'oops\n');
    const r = await call('GET', `/containers/${id}/logs?stdout=1&stderr=1`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
    assert.deepEqual(demux(r.body), [[1, 'hello\n'], [2, 'oops\n']]);
    const ts = await call('GET', `/containers/${id}/logs?stdout=1&timestamps=1&tail=1`);
    const frames = demux(ts.body);
    assert.equal(frames.length, 1);
    assert.match(frames[0][1], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.123456789Z hello\n$/);
    const old = await call('GET', `/v1.41/containers/${id}/logs?stdout=1`);
    assert.equal(old.headers['content-type'], 'application/vnd.docker.raw-stream', 'before API 1.42 docker called the framed stream raw');

    const tty = await run({ Cmd: ['echo', 'in a tty'], Tty: true });
    const raw = await call('GET', `/containers/${tty}/logs?stdout=1&stderr=1`);
    assert.equal(raw.headers['content-type'], 'application/vnd.docker.raw-stream');
    assert.equal(raw.text, 'in a tty\n');
    const none = await call('GET', `/containers/${id}/logs`);
    assert.equal(none.status, 400);
    assert.match(none.json().message, /choose at least one stream/);
    assert.equal((await call('GET', `/containers/${id}/logs?stdout=1&tail=some`)).status, 400);
  });

  test('logs follow streams new output until the container stops', async () => {
    const id = await run({ Cmd: ['sleep', '100'] });
    fake.emit(id, 'stdout', 'first\n');
    const got: Buffer[] = [];
    const done = new Promise<number>((resolve) => {
      request({ socketPath, path: `/containers/${id}/logs?stdout=1&follow=1`, agent: false }, (res) => {
        res.on('data', (c: Buffer) => {
          got.push(c);
          if (Buffer.concat(got).includes('first\n') && !Buffer.concat(got).includes('second')) fake.emit(id, 'stdout', 'second\n');
          if (Buffer.concat(got).includes('second\n')) fake.exit(id, 0);
        });
        res.on('end', () => resolve(res.statusCode ?? 0));
      }).end();
    });
    assert.equal(await done, 200);
    assert.deepEqual(demux(Buffer.concat(got)), [[1, 'first\n'], [1, 'second\n']]);
  });

  test('wait sends its headers at once and the body when the container exits; an exited one answers at once', async () => {
    const id = await run({ Cmd: ['sleep', '100'] });
    const body = await new Promise<string>((resolve, fail) => {
      const req = request({ socketPath, path: `/containers/${id}/wait?condition=next-exit`, method: 'POST', agent: false }, (res) => {
        assert.equal(res.statusCode, 200);
        assert.equal(res.headers['content-type'], 'application/json');
        let text = '';
        res.on('data', (c: Buffer) => { text += c.toString(); });
        res.on('end', () => resolve(text));
        // The headers came before the exit: only now does the container stop.
        fake.exit(id, 3);
      });
      req.on('error', fail);
      req.end();
    });
    assert.deepEqual(JSON.parse(body), { StatusCode: 3 });
    const again = await call('POST', `/containers/${id}/wait`);
    assert.deepEqual(again.json(), { StatusCode: 3 });
    assert.equal((await call('POST', `/containers/${id}/wait?condition=soon`)).status, 400);
    assert.equal((await call('POST', '/containers/nope/wait')).status, 404);
  });

  test('exec start upgrades to a raw connection: stdin goes in, framed output comes back, half-close ends stdin', async () => {
    const id = await run({ Cmd: ['sleep', '100'] });
    const created = await call('POST', `/containers/${id}/exec`, json({ Cmd: ['cat'], AttachStdin: true, AttachStdout: true, AttachStderr: true }));
    assert.equal(created.status, 201);
    const execId = created.json().Id;
    const { head, socket, rest, ended } = await upgrade('POST', `/v1.50/exec/${execId}/start`, JSON.stringify({ Detach: false, Tty: false }));
    assert.match(head, /^HTTP\/1\.1 101 UPGRADED\r\n/);
    assert.match(head, /\r\nContent-Type: application\/vnd\.docker\.multiplexed-stream\r\n/);
    assert.match(head, /\r\nConnection: Upgrade\r\n/);
    assert.match(head, /\r\nUpgrade: tcp\r\n/);
    assert.match(head, /\r\nApi-Version: 1\.50\r\n/);
    socket.write('ping\n');
    socket.end();
    await ended;
    assert.deepEqual(demux(rest()), [[1, 'ping\n']]);
    const inspect = (await call('GET', `/exec/${execId}/json`)).json();
    assert.equal(inspect.Running, false);
    assert.equal(inspect.ExitCode, 0);
    assert.equal(inspect.ContainerID, id);
    assert.deepEqual(inspect.ProcessConfig, { tty: false, entrypoint: 'cat', arguments: [], privileged: false });
    assert.deepEqual((await call('GET', `/containers/${id}/json`)).json().ExecIDs, [execId]);
  });

  test('exec start without an upgrade streams the output as the body; detach answers at once; errors keep their statuses', async () => {
    const id = await run({ Cmd: ['sleep', '100'] });
    const mk = async (cmd: string[], extra: Record<string, unknown> = {}) => (await call('POST', `/containers/${id}/exec`, json({ Cmd: cmd, AttachStdout: true, AttachStderr: true, ...extra }))).json().Id;
    const echo = await mk(['echo-err', 'to', 'stderr']);
    const r = await call('POST', `/exec/${echo}/start`, json({}));
    assert.equal(r.status, 200);
    assert.deepEqual(demux(r.body), [[2, 'to stderr\n']]);
    const ttyExec = await mk(['echo', 'tty'], { Tty: true });
    const raw = await call('POST', `/exec/${ttyExec}/start`, json({ Tty: true }));
    assert.equal(raw.headers['content-type'], 'application/vnd.docker.raw-stream');
    assert.equal(raw.text, 'tty\n');
    const detached = await mk(['sleep', '5']);
    assert.equal((await call('POST', `/exec/${detached}/start`, json({ Detach: true }))).status, 200);
    assert.equal((await call('POST', `/exec/${detached}/start`, json({}))).status, 409, 'an exec starts once');
    assert.equal((await call('POST', '/exec/nope/start', json({}))).status, 404);
    assert.equal((await call('POST', `/containers/${id}/exec`, json({ Cmd: [] }))).status, 400);
    assert.equal((await call('POST', `/exec/${detached}/resize?h=24&w=80`)).status, 200);
    assert.deepEqual(fake.execs.get(detached)!.resizes, [{ rows: 24, cols: 80 }]);
    assert.equal((await call('POST', `/exec/${detached}/resize?h=24`)).status, 400);
    const stopped = await create({});
    assert.equal((await call('POST', `/containers/${stopped}/exec`, json({ Cmd: ['ls'] }))).status, 409);
  });

  test('attach over an upgraded connection: output of a TTY-less StdinOnce container is framed, stdin end closes its stdin', async () => {
    const id = await run({ Cmd: ['cat'], OpenStdin: true, StdinOnce: true, AttachStdin: true });
    const { head, socket, rest, ended } = await upgrade('POST', `/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1`);
    assert.match(head, /^HTTP\/1\.1 101 UPGRADED\r\n/);
    socket.write('hello over attach\n');
    socket.end();
    await ended;
    assert.deepEqual(demux(rest()), [[1, 'hello over attach\n']]);
    assert.equal((await call('GET', `/containers/${id}/json`)).json().State.Status, 'exited', 'the end of stdin ended cat');
  });

  test('attach over a websocket: binary frames both ways, a close frame detaches', async () => {
    const id = await run({ Cmd: ['cat'], OpenStdin: true });
    const plain = await call('GET', `/containers/${id}/attach/ws?stream=1&stdout=1`);
    assert.equal(plain.status, 400);
    assert.match(plain.json().message, /websocket upgrade/);
    const socket = connect(socketPath);
    let buf = Buffer.alloc(0);
    socket.on('data', (c: Buffer) => { buf = Buffer.concat([buf, c]); });
    const ended = new Promise<void>((r) => socket.on('end', () => r()));
    socket.write(`GET /v1.50/containers/${id}/attach/ws?stream=1&stdin=1&stdout=1 HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    const until = async (test: () => boolean) => { while (!test()) await new Promise((r) => setTimeout(r, 5)); };
    await until(() => buf.includes('\r\n\r\n'));
    const head = buf.subarray(0, buf.indexOf('\r\n\r\n')).toString();
    buf = buf.subarray(buf.indexOf('\r\n\r\n') + 4);
    assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(head, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/, 'the RFC 6455 example key');
    /** One masked client frame. */
    const frame = (opcode: number, payload: Buffer) => {
      const mask = Buffer.from([1, 2, 3, 4]);
      return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, Buffer.from(payload.map((b, i) => b ^ mask[i & 3]))]);
    };
    socket.write(frame(2, Buffer.from('over ws\n')));
    await until(() => buf.length >= 2 + 8);
    assert.deepEqual([buf[0], buf[1], buf.subarray(2, 10).toString()], [0x82, 8, 'over ws\n']);
    buf = buf.subarray(10);
    socket.write(frame(9, Buffer.from('p')));
    await until(() => buf.length >= 3);
    assert.deepEqual([...buf.subarray(0, 3)], [0x8a, 1, 0x70], 'a ping gets its pong');
    buf = buf.subarray(3);
    socket.write(frame(8, Buffer.alloc(0)));
    await ended;
    assert.equal(buf[0], 0x88, 'a close frame answers the close');
    socket.destroy();
    assert.equal((await call('GET', `/containers/${id}/json`)).json().State.Running, true, 'closing the websocket detaches');
  });

  test('daemon shutdown ends hijacked connections without stopping their containers', async () => {
    const shutdown = new AbortController();
    const own = join(dir, 'own.sock');
    const images = new FakeImageService();
    const srv = createApiServer({ images, containers: fake, volumes, system, events, logger: silentLogger, shutdown: shutdown.signal });
    await new Promise<void>((r) => srv.listen(own, r));
    const id = await run({ Cmd: ['sleep', '100'] });
    const saved = socketPath;
    socketPath = own;
    try {
      const { ended, socket } = await upgrade('POST', `/containers/${id}/attach?stream=1&stdout=1`);
      const closed = new Promise<void>((r) => socket.on('close', () => r()));
      shutdown.abort();
      await Promise.race([ended, closed]);
    } finally {
      socketPath = saved;
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    }
    assert.equal((await call('GET', `/containers/${id}/json`)).json().State.Running, true);
  });

  test('closing an attached connection detaches without stopping the container', async () => {
    const id = await run({ Cmd: ['sleep', '100'], Tty: true });
    const { socket } = await upgrade('POST', `/containers/${id}/attach?stream=1&stdout=1`);
    fake.emit(id, 'stdout', 'x');
    socket.destroy();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await call('GET', `/containers/${id}/json`)).json().State.Running, true);
    assert.equal((await call('POST', `/containers/${id}/resize?h=40&w=100`)).status, 200);
    assert.deepEqual(fake.record(id).resizes, [{ rows: 40, cols: 100 }]);
  });

  test('an upgrade request that fails before hijacking gets a normal error response', async () => {
    const { head } = await upgrade('POST', '/containers/nope/attach?stream=1&stdout=1');
    assert.match(head, /^HTTP\/1\.1 404 Not Found\r\n/);
    assert.match(head, /\r\nConnection: close(\r\n|$)/i);
  });

  test('archive: HEAD carries the path stat header, GET the tar, PUT extracts; missing paths are 404', async () => {
    const id = await create({});
    const head = await call('HEAD', `/containers/${id}/archive?path=/etc/hostname`);
    assert.equal(head.status, 200);
    const stat = JSON.parse(Buffer.from(String(head.headers['x-docker-container-path-stat']), 'base64').toString('utf8'));
    assert.deepEqual(stat, { name: 'hostname', size: 13, mode: 0o644, mtime: '2024-01-02T03:04:05.5Z', linkTarget: '' });
    assert.equal((await call('HEAD', `/containers/${id}/archive?path=/nope`)).status, 404);
    assert.equal((await call('HEAD', `/containers/${id}/archive`)).status, 400);
    const get = await call('GET', `/containers/${id}/archive?path=/etc/hostname`);
    assert.equal(get.headers['content-type'], 'application/x-tar');
    assert.equal(get.text, 'fake tar of /etc/hostname');
    const put = await call('PUT', `/containers/${id}/archive?path=/tmp&noOverwriteDirNonDir=1&copyUIDGID=true`, { body: 'TAR' });
    assert.equal(put.status, 200);
    assert.equal(fake.archives.get(`${id}:/tmp`)?.toString(), 'TAR');
    assert.deepEqual(fake.calls.at(-1)!.args[2], { noOverwriteDirNonDir: true, copyUidGid: true });
  });

  test('stats: one-shot and the first sample of a stream have docker\'s shape; a stopped container gives zeros', async () => {
    const id = await run({ Cmd: ['sleep', '100'] }, 'st');
    const one = await call('GET', `/containers/${id}/stats?stream=false&one-shot=true`);
    assert.equal(one.status, 200);
    const s = one.json();
    assert.equal(s.name, '/st');
    assert.equal(s.id, id);
    assert.equal(s.cpu_stats.online_cpus, 2);
    assert.equal(s.memory_stats.usage, 10_000_000);
    assert.equal(s.memory_stats.stats.inactive_file, 1_000_000);
    assert.equal(s.pids_stats.current, 3);
    assert.equal(s.precpu_stats.cpu_usage.total_usage, 0);
    assert.equal(s.preread, '0001-01-01T00:00:00Z');
    assert.deepEqual(s.blkio_stats.io_service_bytes_recursive.map((e: { op: string; value: number }) => [e.op, e.value]), [['read', 4096], ['write', 8192]]);

    const first = await new Promise<any>((resolve) => {
      const req = request({ socketPath, path: `/containers/${id}/stats`, agent: false }, (res) => {
        res.once('data', (c: Buffer) => {
          req.destroy();
          resolve(JSON.parse(c.toString().split('\n')[0]));
        });
      });
      req.end();
    });
    assert.equal(first.name, '/st');
    const idle = await create({});
    const zero = (await call('GET', `/containers/${idle}/stats?stream=0`)).json();
    assert.equal(zero.read, '0001-01-01T00:00:00Z');
    assert.deepEqual(zero.memory_stats, {});
  });

  test('update, top, changes, export, commit, prune', async () => {
    const id = await run({ Cmd: ['sleep', '100'] }, 'upd');
    const up = await call('POST', `/containers/${id}/update`, json({ Memory: 128 << 20, NanoCpus: 1_500_000_000, PidsLimit: -1, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } }));
    assert.equal(up.status, 200);
    assert.deepEqual(up.json(), { Warnings: null });
    assert.deepEqual(fake.calls.at(-1)!.args[1], { memory: 128 << 20, cpus: 1.5, pidsLimit: 0, restartPolicy: { name: 'on-failure', maximumRetryCount: 3 } });
    assert.equal((await call('POST', `/containers/${id}/update`, json({ CpusetCpus: '0' }))).status, 501);
    assert.equal((await call('POST', `/containers/${id}/update`, json({ RestartPolicy: { Name: 'sometimes' } }))).status, 400);
    const top = (await call('GET', `/containers/${id}/top?ps_args=aux`)).json();
    assert.equal(top.Titles[1], 'PID');
    assert.deepEqual(fake.calls.at(-1), { method: 'top', args: [id, 'aux'] });
    assert.deepEqual((await call('GET', `/containers/${id}/changes`)).json()[1], { Path: '/tmp/new', Kind: 1 });
    assert.equal((await call('GET', `/containers/${id}/export`)).text, 'fake rootfs tar');
    const commit = await call('POST', `/commit?container=upd&repo=mine&tag=v1&comment=c&author=a&changes=${encodeURIComponent('CMD ["sh"]')}&pause=0`, { body: 'null' });
    assert.equal(commit.status, 201);
    assert.deepEqual(commit.json(), { Id: `sha256:${'c'.repeat(64)}` });
    assert.deepEqual(fake.calls.at(-1)!.args, ['upd', { reference: 'mine:v1', message: 'c', author: 'a', changes: ['CMD ["sh"]'], pause: false }]);
    assert.equal((await call('POST', '/commit?container=upd', json({ Cmd: ['x'] }))).status, 501);
    assert.equal((await call('POST', '/commit?container=upd&repo=mine', json({ container: 'upd', repo: 'mine', pause: true }))).status, 201, 'dockerode repeats the query in the body');
    await create({}, 'dead1');
    const pruned = (await call('POST', `/containers/prune?filters=${encodeURIComponent('{"until":["2100-01-01T00:00:00Z"]}')}`)).json();
    assert.equal(pruned.ContainersDeleted.length, 1);
    assert.equal(pruned.SpaceReclaimed, 12);
    assert.equal((await call('POST', `/containers/prune?filters=${encodeURIComponent('{"label!":["a"]}')}`)).status, 501);
  });
});
