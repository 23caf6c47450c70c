import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DockerClient } from './docker-client.ts';
import { DaemonError } from './daemon-error.ts';
import { isJanusError } from '../../core/errors.ts';
import type { JsonMessage } from './types.ts';

interface Seen { method: string; url: string; headers: IncomingMessage['headers']; body: string }

let dir: string;
let socket: string;
let server: Server;
let seen: Seen[] = [];
let apiVersion: string | undefined = '1.45';
let handler: (req: IncomingMessage, res: ServerResponse, body: string) => void = () => {};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'janus-client-test-'));
  socket = join(dir, 'fake.sock');
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.url === '/_ping') {
      if (apiVersion) res.setHeader('API-Version', apiVersion);
      res.setHeader('OSType', 'linux');
      res.end('OK');
      return;
    }
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    handler(req, res, body);
  });
  await new Promise<void>((r) => server.listen(socket, r));
});

after(async () => {
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

function reply(status: number, body: unknown): void {
  handler = (_req, res) => {
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(body));
  };
}

async function collect(it: AsyncIterable<JsonMessage>): Promise<JsonMessage[]> {
  const out: JsonMessage[] = [];
  for await (const m of it) out.push(m);
  return out;
}

const client = (): DockerClient => new DockerClient({ host: `unix://${socket}` });

test('negotiates the lower API version and prefixes paths with it', async () => {
  seen = [];
  apiVersion = '1.45';
  reply(200, [{ Id: 'sha256:1', RepoTags: ['busybox:latest'] }]);
  const c = client();
  const images = await c.listImages({ all: true, filters: { dangling: ['true'] } });
  assert.equal(images[0].Id, 'sha256:1');
  const url = new URL(seen[0].url, 'http://x');
  assert.equal(url.pathname, '/v1.45/images/json');
  assert.equal(url.searchParams.get('all'), '1');
  assert.deepEqual(JSON.parse(url.searchParams.get('filters') ?? ''), { dangling: { true: true } });
  assert.equal(await c.apiVersion(), '1.45');

  apiVersion = '1.99';
  assert.equal(await client().apiVersion(), '1.50', 'never above our own version');
  apiVersion = undefined;
  assert.equal(await client().apiVersion(), undefined, 'unversioned paths when the daemon does not say');
  apiVersion = '1.45';
});

test('error statuses become DaemonErrors with the daemon message and the matching kind', async () => {
  const cases: Array<[number, string]> = [[404, 'NotFound'], [409, 'Conflict'], [400, 'InvalidArgument'], [401, 'Unauthorized'], [403, 'Forbidden'], [501, 'NotImplemented'], [503, 'Unavailable'], [500, 'Internal']];
  for (const [status, kind] of cases) {
    reply(status, { message: `no such image: e2e/nosuch:${status}` });
    await assert.rejects(client().inspectImage('e2e/nosuch:1'), (err: unknown) => {
      assert.ok(err instanceof DaemonError);
      assert.equal(err.kind, kind, `status ${status}`);
      assert.equal(err.message, `no such image: e2e/nosuch:${status}`);
      assert.equal(err.inStream, false);
      return true;
    });
  }
  handler = (_req, res) => { res.statusCode = 500; res.end('plain text failure'); };
  await assert.rejects(client().info(), /plain text failure/);
});

test('pull streams JSON messages, sends X-Registry-Auth, and throws an error inside the stream', async () => {
  seen = [];
  handler = (_req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.write('{"status":"Pulling from e2e/small","id":"v1"}\r\n{"status":"Downloading","id":"abc","progressDetail":{"current":5,"total":10}}\n');
    setTimeout(() => res.end('{"status":"Digest: sha256:00"}\n{"errorDetail":{"message":"unauthorized: login first","code":401},"error":"unauthorized: login first"}\n'), 10);
  };
  const got: JsonMessage[] = [];
  await assert.rejects(async () => {
    for await (const m of client().pullImage('127.0.0.1:5000/e2e/small', { tag: 'v1', platform: 'linux/arm64', auth: { username: 'u', password: 'p?>' } })) got.push(m);
  }, (err: unknown) => {
    assert.ok(err instanceof DaemonError);
    assert.equal(err.kind, 'Unauthorized');
    assert.equal(err.inStream, true);
    assert.equal(err.message, 'unauthorized: login first');
    return true;
  });
  assert.deepEqual(got.map((m) => m.status), ['Pulling from e2e/small', 'Downloading', 'Digest: sha256:00']);
  assert.deepEqual(got[1].progressDetail, { current: 5, total: 10 });
  const url = new URL(seen[0].url, 'http://x');
  assert.equal(url.pathname, '/v1.45/images/create');
  assert.equal(url.searchParams.get('fromImage'), '127.0.0.1:5000/e2e/small');
  assert.equal(url.searchParams.get('tag'), 'v1');
  assert.equal(url.searchParams.get('platform'), 'linux/arm64');
  const header = String(seen[0].headers['x-registry-auth']);
  assert.doesNotMatch(header, /[+/]/, 'base64url alphabet');
  assert.deepEqual(JSON.parse(Buffer.from(header, 'base64url').toString()), { username: 'u', password: 'p?>' });
});

test('import and load send the tar body; repeated changes; names keep their slashes and colons', async () => {
  seen = [];
  reply(200, { status: 'sha256:feed' });
  const msgs = await collect(client().importImage(Readable.from([Buffer.from('TARBYTES')]), { repo: 'e2e/imported', tag: '1', changes: ['ENV A=b', 'WORKDIR /srv'], message: 'hi' }));
  assert.equal(msgs[0].status, 'sha256:feed');
  const url = new URL(seen[0].url, 'http://x');
  assert.equal(url.searchParams.get('fromSrc'), '-');
  assert.deepEqual(url.searchParams.getAll('changes'), ['ENV A=b', 'WORKDIR /srv']);
  assert.equal(seen[0].body, 'TARBYTES');
  assert.equal(seen[0].headers['content-type'], 'application/x-tar');

  seen = [];
  reply(200, [{ Untagged: 'busybox:latest' }, { Deleted: 'sha256:1' }]);
  const removed = await client().removeImage('127.0.0.1:5000/e2e/x@sha256:ab', { force: true });
  assert.equal(removed.length, 2);
  assert.equal(seen[0].method, 'DELETE');
  assert.equal(seen[0].url, '/v1.45/images/127.0.0.1:5000/e2e/x@sha256:ab?force=1');
});

test('save returns the raw stream; repeated names', async () => {
  seen = [];
  handler = (_req, res) => { res.setHeader('Content-Type', 'application/x-tar'); res.end('TAR'); };
  const stream = await client().saveImages(['busybox', 'alpine:3'], { format: 'oci' });
  let text = '';
  for await (const c of stream) text += String(c);
  assert.equal(text, 'TAR');
  const url = new URL(seen[0].url, 'http://x');
  assert.deepEqual(url.searchParams.getAll('names'), ['busybox', 'alpine:3']);
  assert.equal(url.searchParams.get('format'), 'oci');
});

test('a missing socket is Unavailable and says how to start a daemon', async () => {
  const c = new DockerClient({ host: `unix://${join(dir, 'absent.sock')}` });
  await assert.rejects(c.version(), (err: unknown) => {
    assert.ok(isJanusError(err, 'Unavailable'));
    assert.equal((err as Error).message, `Cannot connect to the Janus daemon at unix://${join(dir, 'absent.sock')}. Is the daemon running? Start one with: janus daemon`);
    return true;
  });
});

test('bad host addresses are refused', () => {
  assert.throws(() => new DockerClient({ host: 'ssh://x' }), /invalid daemon address "ssh:\/\/x"/);
  assert.throws(() => new DockerClient({ host: 'unix://relative.sock' }), /must be absolute/);
  assert.doesNotThrow(() => new DockerClient({ host: 'tcp://127.0.0.1:2375' }));
});

test('auth posts the credentials as JSON', async () => {
  seen = [];
  reply(200, { Status: 'Login Succeeded' });
  const r = await client().auth({ username: 'u', password: 'p', serveraddress: '127.0.0.1:5000' });
  assert.equal(r.Status, 'Login Succeeded');
  assert.deepEqual(JSON.parse(seen[0].body), { username: 'u', password: 'p', serveraddress: '127.0.0.1:5000' });
});

test('network endpoints: paths, query and bodies as docker sends them; errors as DaemonErrors', async () => {
  seen = [];
  reply(201, { Id: 'n'.repeat(64), Warning: '' });
  assert.deepEqual(await client().createNetwork({ Name: 'web', Internal: true, IPAM: { Config: [{ Subnet: '10.1.0.0/24' }] } }), { Id: 'n'.repeat(64), Warning: '' });
  reply(200, [{ Name: 'bridge' }]);
  assert.deepEqual(await client().listNetworks({ filters: { name: ['br'] } }), [{ Name: 'bridge' }]);
  reply(200, { Name: 'web' });
  await client().inspectNetwork('web', { verbose: true });
  reply(200, { NetworksDeleted: ['web'] });
  assert.deepEqual(await client().pruneNetworks({ filters: { until: ['1h'] } }), { NetworksDeleted: ['web'] });
  handler = (_req, res) => { res.statusCode = 200; res.end(); };
  await client().connectNetwork('web', 'c1', { Aliases: ['db'], IPAMConfig: { IPv4Address: '10.1.0.5' } });
  await client().disconnectNetwork('web', 'c1', { force: true });
  handler = (_req, res) => { res.statusCode = 204; res.end(); };
  await client().removeNetwork('a/b');
  const lines = seen.map((s) => `${s.method} ${decodeURIComponent(s.url.replace(/^\/v[\d.]+/, ''))}`);
  assert.deepEqual(lines, [
    'POST /networks/create',
    'GET /networks?filters={"name":{"br":true}}',
    'GET /networks/web?verbose=1',
    'POST /networks/prune?filters={"until":{"1h":true}}',
    'POST /networks/web/connect',
    'POST /networks/web/disconnect',
    'DELETE /networks/a/b',
  ]);
  assert.equal(seen[6].url.endsWith('/networks/a%2Fb'), true);
  assert.deepEqual(JSON.parse(seen[0].body), { Name: 'web', Internal: true, IPAM: { Config: [{ Subnet: '10.1.0.0/24' }] } });
  assert.deepEqual(JSON.parse(seen[4].body), { Container: 'c1', EndpointConfig: { Aliases: ['db'], IPAMConfig: { IPv4Address: '10.1.0.5' } } });
  assert.deepEqual(JSON.parse(seen[5].body), { Container: 'c1', Force: true });

  reply(403, { message: 'bridge is a pre-defined network and cannot be removed' });
  await assert.rejects(client().removeNetwork('bridge'), (err: unknown) => err instanceof DaemonError && isJanusError(err, 'Forbidden') && err.message === 'bridge is a pre-defined network and cannot be removed');
});
