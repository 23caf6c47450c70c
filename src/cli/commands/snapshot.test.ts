// `janus snapshot …`, `rm --snapshots`, `--from-snapshot` and `compose
// snapshot …` against a fake Docker API on a unix socket: what a user types,
// what the daemon receives, what the user sees.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { SnapshotWire } from '../../api/client/types.ts';
import { runCli } from '../run-cli.ts';

interface Seen { method: string; path: string; query: URLSearchParams; body: string }

let dir: string;
let socket: string;
let server: Server;
let seen: Seen[] = [];
let answer: (s: Seen) => { status: number; body?: unknown } = () => ({ status: 404, body: { message: 'page not found' } });

const snap = (name: string, over: Partial<SnapshotWire> = {}): SnapshotWire => ({
  Name: name, ContainerID: 'c'.repeat(64), ContainerName: 'web', Created: new Date(Date.now() - 3 * 60_000).toISOString(), Isolation: 'container',
  Image: 'busybox', ImageID: `sha256:${'a'.repeat(64)}`, VmKernel: '', KernelRelease: '', Volumes: ['data'], Size: 64 * 1024 * 1024, CopyMode: 'copy', Project: '', ...over,
});

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'janus-snapshot-cli-'));
  socket = join(dir, 'daemon.sock');
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.url === '/_ping') {
      res.setHeader('API-Version', '1.50');
      res.end('OK');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://daemon');
    const s = { method: req.method ?? '', path: url.pathname.replace(/^\/v1\.50/, ''), query: url.searchParams, body: Buffer.concat(chunks).toString('utf8') };
    seen.push(s);
    const { status, body } = answer(s);
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json');
    res.end(body === undefined ? undefined : JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(socket, r));
});
beforeEach(() => { seen = []; });
after(async () => {
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b: Buffer) => { out += b.toString(); });
  stderr.on('data', (b: Buffer) => { err += b.toString(); });
  const code = await runCli(argv, { stdin: Readable.from([]), stdout, stderr, env: { JANUS_HOST: `unix://${socket}`, JANUS_CONFIG: join(dir, 'config') } });
  return { code, stdout: out, stderr: err };
}

test('snapshot create sends the name and flags, prints the name; the daemon\'s refusal is shown as docker shows errors', async () => {
  answer = () => ({ status: 201, body: snap('s1') });
  const r = await cli(['snapshot', 'create', '--volumes', 'web', 's1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 's1\n');
  assert.equal(seen[0]!.method, 'POST');
  assert.equal(seen[0]!.path, '/janus/containers/web/snapshots');
  assert.deepEqual(JSON.parse(seen[0]!.body), { Name: 's1', Volumes: true });

  answer = () => ({ status: 501, body: { message: '--memory is not supported for containers on this host: it needs a CRIU checkpoint and criu is not installed (Debian package criu)' } });
  const mem = await cli(['snapshot', 'create', '--memory', 'web', 'm']);
  assert.notEqual(mem.code, 0);
  assert.deepEqual(JSON.parse(seen.at(-1)!.body), { Name: 'm', Memory: true });
  assert.match(mem.stderr, /^Error response from daemon: --memory is not supported .*criu is not installed/);

  const usage = await cli(['snapshot', 'create', 'web']);
  assert.equal(usage.code, 125, 'a missing SNAPSHOT is a usage error');
  assert.equal(seen.length, 2, 'nothing was sent for it');
});

test('snapshot ls shows a table (all containers without an argument), -q the names', async () => {
  answer = () => ({ status: 200, body: [snap('s1'), snap('s2', { Volumes: [], Size: 1500 })] });
  const r = await cli(['snapshot', 'ls']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(seen[0]!.path, '/janus/snapshots');
  assert.match(r.stdout, /^CONTAINER +SNAPSHOT +ISOLATION +CREATED +SIZE +VOLUMES\nweb +s1 +container +3 minutes ago +67.1MB +data\nweb +s2 +container +3 minutes ago +1.5kB +\n$/);
  const q = await cli(['snapshot', 'ls', '-q', 'web']);
  assert.equal(seen.at(-1)!.path, '/janus/containers/web/snapshots');
  assert.equal(q.stdout, 's1\ns2\n');
});

test('snapshot restore and rm call their routes; rm --snapshots asks for them; --from-snapshot goes in HostConfig, a malformed one is refused first', async () => {
  answer = () => ({ status: 204 });
  assert.equal((await cli(['snapshot', 'restore', 'web', 's1'])).stdout, 's1\n');
  assert.deepEqual([seen[0]!.method, seen[0]!.path], ['POST', '/janus/containers/web/snapshots/s1/restore']);
  assert.equal((await cli(['snapshot', 'rm', 'web', 's1', 's2'])).stdout, 's1\ns2\n');
  assert.deepEqual(seen.slice(1).map((s) => `${s.method} ${s.path}`), ['DELETE /janus/containers/web/snapshots/s1', 'DELETE /janus/containers/web/snapshots/s2']);

  seen = [];
  await cli(['rm', '--snapshots', 'web']);
  assert.equal(seen[0]!.query.get('snapshots'), '1');
  seen = [];
  await cli(['rm', 'web']);
  assert.equal(seen[0]!.query.get('snapshots'), null, 'plain rm does not ask for the snapshots to go');

  seen = [];
  answer = (s) => (s.path === '/containers/create' ? { status: 201, body: { Id: 'd'.repeat(64), Warnings: [] } } : { status: 404, body: { message: 'no' } });
  await cli(['create', '--from-snapshot', 'web:s1', 'busybox']);
  assert.equal((JSON.parse(seen.find((s) => s.path === '/containers/create')!.body) as { HostConfig: { JanusFromSnapshot?: string } }).HostConfig.JanusFromSnapshot, 'web:s1');
  seen = [];
  const bad = await cli(['create', '--from-snapshot', 'web', 'busybox']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /invalid argument "web" for "--from-snapshot" flag: want CONTAINER:SNAPSHOT/);
  assert.equal(seen.length, 0);
});

test('compose snapshot restore stops the running services, restores the project, and starts them again — also when the daemon refuses; an unknown name stops nothing', async () => {
  for (const refused of [false, true]) {
    seen = [];
    answer = (s) => {
      if (s.path === '/janus/projects/p/snapshots') return { status: 200, body: [snap('p1', { Project: 'p', ContainerName: 'p-a-1' })] };
      if (s.path === '/containers/json') return { status: 200, body: [{ Id: 'a1', Names: ['/p-a-1'], State: 'running', Labels: {} }, { Id: 'b1', Names: ['/p-b-1'], State: 'exited', Labels: {} }] };
      if (s.path.endsWith('/restore')) return refused ? { status: 409, body: { message: 'volume shared is in use by container other, outside project p: remove that container first' } } : { status: 204 };
      return { status: 204 };
    };
    const r = await cli(['compose', '-p', 'p', 'snapshot', 'restore', '-t', '1', 'p1']);
    assert.equal(r.code === 0, !refused, r.stderr);
    if (refused) assert.match(r.stderr, /volume shared is in use by container other/);
    const calls = seen.map((s) => `${s.method} ${s.path}`);
    assert.deepEqual(calls, ['GET /janus/projects/p/snapshots', 'GET /containers/json', 'POST /containers/a1/stop', 'POST /janus/projects/p/snapshots/p1/restore', 'POST /containers/a1/start']);
    assert.deepEqual(JSON.parse(seen[1]!.query.get('filters')!), { label: { 'com.docker.compose.project=p': true } });
    assert.equal(seen[2]!.query.get('t'), '1');
  }
  seen = [];
  const unknown = await cli(['compose', '-p', 'p', 'snapshot', 'restore', 'nope']);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /No such snapshot: nope of project p/);
  assert.deepEqual(seen.map((s) => `${s.method} ${s.path}`), ['GET /janus/projects/p/snapshots'], 'nothing was stopped');
});
