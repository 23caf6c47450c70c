import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeContainerService } from '../../../test/fakes/fake-container-service.ts';
import { JsonLogger } from '../../util/logger.ts';
import { apiRequestAllowed, createDashboardServer, type DashboardServer } from './dashboard-server.ts';
import { StatsSampler } from './stats-sampler.ts';

const TOKEN = 'tok-abcdefghijklmnopqrstuvwxyz';
let dir: string;
let dash: DashboardServer;
let port: number;
const apiCalls: string[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'janus-dash-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  await writeFile(join(dir, 'assets', 'a.js'), 'console.log(1)');
  const containers = new FakeContainerService();
  await containers.create({ image: 'busybox', name: 'one', run: { labels: { 'com.docker.compose.project': 'p' } } } as never);
  dash = createDashboardServer({
    containers,
    api: (req: IncomingMessage, res: ServerResponse) => {
      apiCalls.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('[]');
    },
    sampler: new StatsSampler({ cpus: 1, read: () => undefined, unifiedOnly: false }),
    assetsDir: dir,
    token: TOKEN,
    address: { host: '127.0.0.1', port: 0 },
    logger: new JsonLogger({ level: 'error' }),
    intervalMs: 50,
  });
  await new Promise<void>((r) => dash.server.listen(0, '127.0.0.1', r));
  port = (dash.server.address() as AddressInfo).port;
});

after(async () => {
  await dash.close();
  await rm(dir, { recursive: true, force: true });
});

function call(method: string, path: string, headers: Record<string, string> = {}, untilText?: string): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((done, fail) => {
    // The host the dashboard was told it listens on (port 0 in this test: the allowed Host is 127.0.0.1:0).
    const req = request({ host: '127.0.0.1', port, method, path, headers: { host: '127.0.0.1:0', ...headers } }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => {
        body += b.toString();
        if (untilText && body.includes(untilText)) {
          res.destroy();
          done({ status: res.statusCode ?? 0, headers: res.headers, body });
        }
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

const cookie = { cookie: `janus_dashboard=${TOKEN}` };

test('the page is served without the token, with a strict CSP and no CORS header; paths stay inside the build', async () => {
  const r = await call('GET', '/');
  assert.equal(r.status, 200);
  assert.match(r.body, /<title>t<\/title>/);
  assert.match(String(r.headers['content-security-policy']), /default-src 'self'/);
  assert.equal(r.headers['access-control-allow-origin'], undefined);
  assert.equal((await call('GET', '/assets/a.js')).headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal((await call('GET', '/assets/%2e%2e/%2e%2e/etc/passwd')).status, 404);
});

test('the link with the token sets an HttpOnly, SameSite=Strict cookie and drops the token from the address', async () => {
  const r = await call('GET', `/?token=${TOKEN}`);
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/');
  assert.match(String(r.headers['set-cookie']), new RegExp(`^janus_dashboard=${TOKEN}; Path=/; HttpOnly; SameSite=Strict`));
  assert.equal((await call('GET', '/?token=wrong')).status, 401);
});

test('the Engine API under /api: only with the token, only what the page uses, actions only from the page\'s origin', async () => {
  apiCalls.length = 0;
  assert.equal((await call('GET', '/api/containers/json?all=1')).status, 401);
  assert.equal((await call('GET', '/api/containers/json?all=1', cookie)).status, 200);
  assert.equal((await call('POST', '/api/containers/abc/stop', cookie)).status, 403);
  assert.equal((await call('POST', '/api/containers/abc/stop', { ...cookie, origin: 'http://127.0.0.1:0' })).status, 200);
  assert.equal((await call('POST', '/api/containers/create', { ...cookie, origin: 'http://127.0.0.1:0' })).status, 403);
  assert.deepEqual(apiCalls, ['GET /containers/json?all=1', 'POST /containers/abc/stop']);
  assert.equal(apiRequestAllowed('DELETE', '/containers/x'), true);
  assert.equal(apiRequestAllowed('POST', '/build'), false);
  assert.equal(apiRequestAllowed('POST', '/janus/advise'), true);
  assert.equal(apiRequestAllowed('GET', '/janus/bench'), true);
  assert.equal(apiRequestAllowed('PUT', '/janus/bench'), false);
  assert.equal(apiRequestAllowed('GET', '/containers/x/archive'), false);
});

test('the stream sends the workload list first, then stats frames', async () => {
  assert.equal((await call('GET', '/dashboard/stream')).status, 401);
  const r = await call('GET', '/dashboard/stream', cookie, 'event: stats');
  assert.equal(r.headers['content-type'], 'text/event-stream');
  const list = /event: workloads\ndata: (.*)\n/.exec(r.body);
  assert.ok(list, r.body);
  const workloads = JSON.parse(list[1]) as { name: string; project: string; isolation: string }[];
  assert.deepEqual(workloads.map((w) => [w.name, w.project]), [['one', 'p']]);
  assert.ok(r.body.indexOf('event: workloads') < r.body.indexOf('event: stats'), 'the list before any stats');
});

test('a websocket needs the token and the origin; one for no exec is refused', async () => {
  const upgrade = (headers: Record<string, string>) => new Promise<number>((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path: '/dashboard/exec/0123456789abcdef', headers: {
      host: '127.0.0.1:0', connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers,
    } });
    req.on('response', (res) => { res.resume(); done(res.statusCode ?? 0); });
    req.on('upgrade', (res, socket) => { socket.destroy(); done(res.statusCode ?? 0); });
    req.on('error', fail);
    req.end();
  });
  assert.equal(await upgrade({ origin: 'http://127.0.0.1:0' }), 401);
  assert.equal(await upgrade({ ...cookie, origin: 'http://evil.example' }), 403);
  assert.equal(await upgrade({ ...cookie, origin: 'http://127.0.0.1:0' }), 404, 'no such exec');
});
