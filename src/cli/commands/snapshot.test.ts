// `janus snapshot …`, `rm --snapshots`, `--from-snapshot` and `compose
// snapshot …` against a fake Docker API on a unix socket: what a user types,
// what the daemon receives, what the user sees.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeApi, type FakeApi } from '../../../test/support/fake-api.ts';
import type { SnapshotWire } from '../../api/client/types.ts';

let api: FakeApi;

const snap = (name: string, over: Partial<SnapshotWire> = {}): SnapshotWire => ({
  Name: name, ContainerID: 'c'.repeat(64), ContainerName: 'web', Created: new Date(Date.now() - 3 * 60_000).toISOString(), Isolation: 'container',
  Image: 'busybox', ImageID: `sha256:${'a'.repeat(64)}`, VmKernel: '', KernelRelease: '', Volumes: ['data'], Memory: false, Size: 64 * 1024 * 1024, CopyMode: 'copy', Project: '', ...over,
});

before(async () => { api = await startFakeApi(); });
beforeEach(() => { api.seen = []; });
after(() => api.close());

test('snapshot create sends the name and flags, prints the name; the daemon\'s refusal is shown as docker shows errors', async () => {
  api.answer = () => ({ status: 201, body: snap('s1') });
  const r = await api.cli(['snapshot', 'create', '--volumes', 'web', 's1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 's1\n');
  assert.equal(api.seen[0]!.method, 'POST');
  assert.equal(api.seen[0]!.path, '/janus/containers/web/snapshots');
  assert.deepEqual(JSON.parse(api.seen[0]!.body), { Name: 's1', Volumes: true });

  api.answer = () => ({ status: 501, body: { message: '--memory is not supported for containers on this host: it needs a CRIU checkpoint and criu is not installed (Debian package criu)' } });
  const mem = await api.cli(['snapshot', 'create', '--memory', 'web', 'm']);
  assert.notEqual(mem.code, 0);
  assert.deepEqual(JSON.parse(api.seen.at(-1)!.body), { Name: 'm', Memory: true });
  assert.match(mem.stderr, /^Error response from daemon: --memory is not supported .*criu is not installed/);

  const usage = await api.cli(['snapshot', 'create', 'web']);
  assert.equal(usage.code, 125, 'a missing SNAPSHOT is a usage error');
  assert.equal(api.seen.length, 2, 'nothing was sent for it');
});

test('snapshot ls shows a table (all containers without an argument), -q the names', async () => {
  api.answer = () => ({ status: 200, body: [snap('s1'), snap('s2', { Volumes: [], Size: 1500, Memory: true })] });
  const r = await api.cli(['snapshot', 'ls']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(api.seen[0]!.path, '/janus/snapshots');
  assert.match(r.stdout, /^CONTAINER +SNAPSHOT +ISOLATION +CREATED +SIZE +MEMORY +VOLUMES\nweb +s1 +container +3 minutes ago +67.1MB +false +data\nweb +s2 +container +3 minutes ago +1.5kB +true +\n$/);
  const q = await api.cli(['snapshot', 'ls', '-q', 'web']);
  assert.equal(api.seen.at(-1)!.path, '/janus/containers/web/snapshots');
  assert.equal(q.stdout, 's1\ns2\n');
});

test('snapshot restore and rm call their routes; rm --snapshots asks for them; --from-snapshot goes in HostConfig, a malformed one is refused first', async () => {
  api.answer = () => ({ status: 204 });
  assert.equal((await api.cli(['snapshot', 'restore', 'web', 's1'])).stdout, 's1\n');
  assert.deepEqual([api.seen[0]!.method, api.seen[0]!.path], ['POST', '/janus/containers/web/snapshots/s1/restore']);
  assert.equal((await api.cli(['snapshot', 'rm', 'web', 's1', 's2'])).stdout, 's1\ns2\n');
  assert.deepEqual(api.seen.slice(1).map((s) => `${s.method} ${s.path}`), ['DELETE /janus/containers/web/snapshots/s1', 'DELETE /janus/containers/web/snapshots/s2']);

  api.seen = [];
  await api.cli(['rm', '--snapshots', 'web']);
  assert.equal(api.seen[0]!.query.get('snapshots'), '1');
  api.seen = [];
  await api.cli(['rm', 'web']);
  assert.equal(api.seen[0]!.query.get('snapshots'), null, 'plain rm does not ask for the snapshots to go');

  api.seen = [];
  api.answer = (s) => (s.path === '/containers/create' ? { status: 201, body: { Id: 'd'.repeat(64), Warnings: [] } } : { status: 404, body: { message: 'no' } });
  await api.cli(['create', '--from-snapshot', 'web:s1', 'busybox']);
  assert.equal((JSON.parse(api.seen.find((s) => s.path === '/containers/create')!.body) as { HostConfig: { JanusFromSnapshot?: string } }).HostConfig.JanusFromSnapshot, 'web:s1');
  api.seen = [];
  const bad = await api.cli(['create', '--from-snapshot', 'web', 'busybox']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /invalid argument "web" for "--from-snapshot" flag: want CONTAINER:SNAPSHOT/);
  assert.equal(api.seen.length, 0);
});

test('compose snapshot restore stops the running services, restores the project, and starts them again — also when the daemon refuses; an unknown name stops nothing', async () => {
  for (const refused of [false, true]) {
    api.seen = [];
    api.answer = (s) => {
      if (s.path === '/janus/projects/p/snapshots') return { status: 200, body: [snap('p1', { Project: 'p', ContainerName: 'p-a-1' })] };
      if (s.path === '/containers/json') return { status: 200, body: [{ Id: 'a1', Names: ['/p-a-1'], State: 'running', Labels: {} }, { Id: 'b1', Names: ['/p-b-1'], State: 'exited', Labels: {} }] };
      if (s.path.endsWith('/restore')) return refused ? { status: 409, body: { message: 'volume shared is in use by container other, outside project p: remove that container first' } } : { status: 204 };
      return { status: 204 };
    };
    const r = await api.cli(['compose', '-p', 'p', 'snapshot', 'restore', '-t', '1', 'p1']);
    assert.equal(r.code === 0, !refused, r.stderr);
    if (refused) assert.match(r.stderr, /volume shared is in use by container other/);
    const calls = api.seen.map((s) => `${s.method} ${s.path}`);
    assert.deepEqual(calls, ['GET /janus/projects/p/snapshots', 'GET /containers/json', 'POST /containers/a1/stop', 'POST /janus/projects/p/snapshots/p1/restore', 'POST /containers/a1/start']);
    assert.deepEqual(JSON.parse(api.seen[1]!.query.get('filters')!), { label: { 'com.docker.compose.project=p': true } });
    assert.equal(api.seen[2]!.query.get('t'), '1');
  }
  api.seen = [];
  const unknown = await api.cli(['compose', '-p', 'p', 'snapshot', 'restore', 'nope']);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /No such snapshot: nope of project p/);
  assert.deepEqual(api.seen.map((s) => `${s.method} ${s.path}`), ['GET /janus/projects/p/snapshots'], 'nothing was stopped');
});
