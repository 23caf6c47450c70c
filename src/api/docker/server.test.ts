import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conflict, notFound, unauthorized } from '../../core/errors.ts';
import type { RegistryCredentials } from '../../core/registry.ts';
import type { HostFacts } from '../../host/host-probe.ts';
import { silentLogger } from '../../util/logger.ts';
import type { EngineEvent } from '../../core/events.ts';
import type { EventBus } from './event-bus.ts';
import { FakeContainerService } from '../../../test/fakes/fake-container-service.ts';
import { FakeImageService, makeDetail } from '../../../test/fakes/fake-image-service.ts';
import { createApiServer } from './server.ts';
import { VolumeEngine } from '../../engine/volume-engine.ts';
import { LocalVolumeDriver } from '../../volumes/local/local-volume-driver.ts';
import { NodeExec } from '../../util/exec.ts';
import type { SystemService } from './system-service.ts';

const HOST: HostFacts = {
  kernelVersion: '6.1.0-test',
  operatingSystem: 'Debian GNU/Linux 12 (bookworm)',
  osVersion: '12',
  architecture: 'x86_64',
  hostname: 'testhost',
  ncpu: 2,
  memTotal: 8 << 30,
  cgroupLayout: 'hybrid',
  cgroupV2Mount: '/sys/fs/cgroup/unified',
  ociRuntimes: [{ name: 'runc', path: '/usr/sbin/runc', version: '1.1.5' }],
  conmon: { name: 'conmon', path: '/usr/bin/conmon', version: '2.1.6' },
  qemu: [{ name: 'qemu-system-x86_64', path: '/usr/bin/qemu-system-x86_64', version: '7.2.11' }],
  kvmDevice: true,
  accelerators: [{ name: 'kvm', status: 'present (not yet probed by boot)' }, { name: 'tcg', status: 'available (software emulation)' }],
};

/** A minimal EventBus (the daemon's MemoryEventBus is above this layer). */
class FakeEventBus implements EventBus {
  readonly #log: EngineEvent[] = [];
  readonly #subs = new Set<(e: EngineEvent) => void>();
  #t = BigInt(Date.now()) * 1_000_000n;
  publish(event: Omit<EngineEvent, 'timeNano'>): void {
    const e = { ...event, timeNano: ++this.#t };
    this.#log.push(e);
    for (const s of this.#subs) s(e);
  }
  subscribe(listener: (e: EngineEvent) => void) {
    this.#subs.add(listener);
    return { backlog: [...this.#log], unsubscribe: () => { this.#subs.delete(listener); } };
  }
}

class FakeSystem implements SystemService {
  readonly serverVersion = '9.9.9';
  logins: Array<{ registry: string; credentials: RegistryCredentials }> = [];
  async info() {
    return {
      id: 'engine-id', rootDir: '/var/lib/janus-test', serverVersion: '9.9.9', storageDriver: 'overlay', defaultRuntime: 'runc',
      insecureRegistries: ['myreg:5000'], debug: false, host: HOST, warnings: [],
    };
  }
  async version() {
    return { version: '9.9.9', gitCommit: 'abc', buildTime: '', runtimeVersion: 'node v24', os: 'linux', arch: 'amd64', kernelVersion: '6.1.0-test' };
  }
  async login(registry: string, credentials: RegistryCredentials) {
    this.logins.push({ registry, credentials });
    if (credentials.password === 'wrong') throw unauthorized(`login to ${registry} failed: wrong credentials`);
    return { identityToken: 'tok' };
  }
}

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; text: string; json(): any }

let socket: string;
function call(method: string, path: string, options: { body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((done, fail) => {
    const req = request({ socketPath: socket, path, method, headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        done({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
    });
    req.on('error', fail);
    req.end(options.body);
  });
}
/** The JSON objects of a JSON-lines body. */
const lines = (r: Reply) => r.text.split(/\r?\n/).filter((l) => l !== '').map((l) => JSON.parse(l));

describe('Docker API server', () => {
  let dir: string;
  let server: Server;
  let images: FakeImageService;
  let system: FakeSystem;
  let events: FakeEventBus;
  let volumes: VolumeEngine;
  let containers: FakeContainerService;
  let volumeRoots = 0;
  const shutdown = new AbortController();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'janus-api-'));
    socket = join(dir, 'api.sock');
  });
  beforeEach(async () => {
    if (server) await new Promise((r) => server.close(r));
    images = new FakeImageService();
    images.add(makeDetail());
    system = new FakeSystem();
    events = new FakeEventBus();
    volumes = new VolumeEngine({ drivers: [new LocalVolumeDriver({ root: join(dir, `volumes-${++volumeRoots}`), exec: new NodeExec() })], events });
    containers = new FakeContainerService();
    server = createApiServer({ images, containers, volumes, system, events, logger: silentLogger, shutdown: shutdown.signal });
    await new Promise<void>((r) => server.listen(socket, r));
  });
  after(async () => {
    shutdown.abort();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  test('_ping answers OK to GET and HEAD with docker\'s headers', async () => {
    const get = await call('GET', '/_ping');
    assert.equal(get.status, 200);
    assert.equal(get.text, 'OK');
    assert.equal(get.headers['api-version'], '1.50');
    assert.equal(get.headers['docker-experimental'], 'false');
    assert.equal(get.headers['ostype'], 'linux');
    assert.equal(get.headers['server'], 'Janus/9.9.9 (linux)');
    assert.equal(get.headers['builder-version'], '1');
    assert.match(String(get.headers['cache-control']), /no-cache/);
    const head = await call('HEAD', '/v1.41/_ping');
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    assert.equal(head.headers['api-version'], '1.50');
  });

  test('version prefixes from 1.24 to 1.50 are accepted, others refused in docker\'s words', async () => {
    for (const p of ['/version', '/v1.24/version', '/v1.50/version', '/v1.43/version']) {
      const r = await call('GET', p);
      assert.equal(r.status, 200, p);
      assert.equal(r.json().ApiVersion, '1.50');
    }
    const tooNew = await call('GET', '/v1.51/version');
    assert.equal(tooNew.status, 400);
    assert.equal(tooNew.json().message, 'client version 1.51 is too new. Maximum supported API version is 1.50');
    assert.equal(tooNew.headers['api-version'], '1.50', 'even errors carry the API version for negotiation');
    const tooOld = await call('GET', '/v1.12/images/json');
    assert.equal(tooOld.status, 400);
    assert.match(tooOld.json().message, /client version 1\.12 is too old\. Minimum supported API version is 1\.24/);
  });

  test('unknown routes are 404 page not found', async () => {
    for (const [m, p] of [['GET', '/nope'], ['POST', '/images/json'], ['GET', '/v1.50/containers/x/y/z']]) {
      const r = await call(m, p);
      assert.equal(r.status, 404, `${m} ${p}`);
      assert.deepEqual(r.json(), { message: 'page not found' });
    }
  });

  test('/version has docker\'s shape', async () => {
    const v = (await call('GET', '/version')).json();
    assert.equal(v.Version, '9.9.9');
    assert.equal(v.MinAPIVersion, '1.24');
    assert.equal(v.Os, 'linux');
    assert.equal(v.Arch, 'amd64');
    assert.equal(v.GoVersion, 'node v24');
    assert.deepEqual(v.Platform, { Name: 'Janus' });
    assert.equal(v.Components[0].Name, 'Engine');
    assert.equal(v.Components[0].Details.ApiVersion, '1.50');
  });

  test('/info has docker\'s shape plus the Janus extension', async () => {
    const i = (await call('GET', '/info')).json();
    assert.equal(i.ID, 'engine-id');
    assert.equal(i.Images, 1);
    assert.equal(i.Driver, 'overlay');
    assert.equal(i.DockerRootDir, '/var/lib/janus-test');
    assert.equal(i.OSType, 'linux');
    assert.equal(i.OperatingSystem, 'Debian GNU/Linux 12 (bookworm)');
    assert.equal(i.NCPU, 2);
    assert.equal(i.CgroupVersion, '1');
    assert.deepEqual(i.Runtimes, { runc: { path: '/usr/sbin/runc' } });
    assert.equal(i.DefaultRuntime, 'runc');
    assert.equal(i.ServerVersion, '9.9.9');
    assert.deepEqual(i.RegistryConfig.IndexConfigs['myreg:5000'], { Name: 'myreg:5000', Mirrors: [], Secure: false, Official: false });
    assert.equal(i.Janus.CgroupLayout, 'hybrid');
    assert.deepEqual(i.Janus.Runtimes, [{ Name: 'runc', Path: '/usr/sbin/runc', Version: '1.1.5' }]);
    assert.deepEqual(i.Janus.Accelerators.map((a: { Name: string }) => a.Name), ['kvm', 'tcg']);
    assert.deepEqual(i.Janus.IsolationLevels.map((l: { Name: string }) => l.Name), ['container', 'sandbox', 'vm']);
    assert.deepEqual(i.Janus.IsolationLevels[2].Backends, ['qemu-system-x86_64']);
  });

  test('GET /images/json maps summaries and filters', async () => {
    const r = await call('GET', `/images/json?all=1&filters=${encodeURIComponent(JSON.stringify({ dangling: { false: true }, label: { 'a=b': true }, reference: ['busy*'], until: ['1700000000'] }))}`);
    assert.equal(r.status, 200);
    const [img] = r.json();
    assert.equal(img.Id, `sha256:${'1'.repeat(64)}`);
    assert.deepEqual(img.RepoTags, ['busybox:latest']);
    assert.equal(img.Size, 4261550);
    assert.equal(img.SharedSize, -1);
    assert.equal(img.Containers, -1);
    assert.equal(img.Labels, null);
    assert.equal('VirtualSize' in img, false);
    assert.deepEqual(images.calls.at(-1)?.args[0], { all: true, filters: { dangling: false, label: ['a=b'], reference: ['busy*'], until: 1700000000 }, sharedSize: false });
    const old = (await call('GET', '/v1.43/images/json')).json();
    assert.equal(old[0].VirtualSize, 4261550, 'API < 1.44 still gets VirtualSize');
  });

  test('GET /images/json?shared-size=1 computes SharedSize', async () => {
    images.byName.clear();
    images.add(makeDetail({ sharedSize: 4000 }));
    const [img] = (await call('GET', '/images/json?shared-size=1')).json();
    assert.equal(img.SharedSize, 4000);
    assert.equal((images.calls.at(-1)?.args[0] as { sharedSize?: boolean }).sharedSize, true);
    assert.equal((await call('GET', '/images/json?shared-size=0')).json()[0].SharedSize, -1);
  });

  test('bad query values and filters are 400 naming the parameter', async () => {
    const all = await call('GET', '/images/json?all=maybe');
    assert.equal(all.status, 400);
    assert.match(all.json().message, /all/);
    const f = await call('GET', `/images/json?filters=${encodeURIComponent('{"colour":["red"]}')}`);
    assert.equal(f.status, 400);
    assert.equal(f.json().message, "invalid filter 'colour'");
    const bad = await call('GET', '/images/json?filters=%7Bnot-json');
    assert.equal(bad.status, 400);
    assert.match(bad.json().message, /filters/);
    const d = await call('GET', `/images/json?filters=${encodeURIComponent('{"dangling":["maybe"]}')}`);
    assert.equal(d.status, 400);
    assert.match(d.json().message, /dangling=maybe/);
  });

  test('names with slashes and colons route by suffix', async () => {
    const name = '127.0.0.1:5000/a/b:t';
    images.add(makeDetail({ repoTags: [name], id: `sha256:${'9'.repeat(64)}` }));
    const r = await call('GET', `/v1.50/images/${name}/json`);
    assert.equal(r.status, 200);
    assert.deepEqual(images.calls.at(-1), { method: 'inspect', args: [name] });
    assert.equal(r.json().Id, `sha256:${'9'.repeat(64)}`);
    const h = await call('GET', `/images/${name}/history`);
    assert.equal(h.status, 200);
    assert.deepEqual(images.calls.at(-1), { method: 'history', args: [name] });
    const del = await call('DELETE', `/images/${encodeURIComponent(name)}`);
    assert.equal(del.status, 200);
    assert.deepEqual(images.calls.at(-1)?.args[0], name, 'percent-encoded names are decoded');
  });

  test('image inspect has docker\'s shape; older API versions get the legacy Config with nulls', async () => {
    const i = (await call('GET', '/images/busybox:latest/json')).json();
    assert.deepEqual(Object.keys(i), ['Id', 'RepoTags', 'RepoDigests', 'Parent', 'Comment', 'Created', 'DockerVersion', 'Author', 'Config', 'Architecture', 'Os', 'Size', 'GraphDriver', 'RootFS', 'Metadata']);
    assert.equal(i.Created, '2023-11-14T22:13:20.123456789Z');
    assert.deepEqual(i.Config, { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] });
    assert.deepEqual(i.GraphDriver, { Name: 'overlay2', Data: { LowerDir: '/root/overlay/snapshots/1/fs', UpperDir: '/root/overlay/snapshots/2/fs' } });
    assert.deepEqual(i.RootFS, { Type: 'layers', Layers: [`sha256:${'2'.repeat(64)}`, `sha256:${'3'.repeat(64)}`] });
    assert.deepEqual(i.Metadata, { LastTagTime: '0001-01-01T00:00:00Z' });
    const legacy = (await call('GET', '/v1.45/images/busybox:latest/json')).json();
    assert.equal(legacy.Config.Hostname, '');
    assert.equal(legacy.Config.Entrypoint, null);
    assert.equal(legacy.Config.Labels, null);
    assert.equal(legacy.Config.OnBuild, null);
    assert.deepEqual(legacy.Config.Cmd, ['sh']);
    assert.equal('ContainerConfig' in legacy, false, 'API 1.45 dropped ContainerConfig');
    // docker-compose v1 (API 1.35–1.38) reads ContainerConfig.Volumes when it recreates a container.
    const compose = (await call('GET', '/v1.38/images/busybox:latest/json')).json();
    assert.equal(compose.Container, '');
    assert.deepEqual(compose.ContainerConfig, compose.Config);
    // ... and negotiates the newest version: by its User-Agent it gets the field there too.
    const negotiated = (await call('GET', '/v1.50/images/busybox:latest/json', { headers: { 'User-Agent': 'docker-compose/1.29.2 docker-py/5.0.3 Linux/6.1.0' } })).json();
    assert.equal(negotiated.ContainerConfig.Cmd[0], 'sh');
  });

  test('engine errors map to statuses with {"message"}', async () => {
    const missing = await call('GET', '/images/nosuch/json');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json(), { message: 'No such image: nosuch' });
    images.remove = async () => { throw conflict('conflict: unable to remove busybox (must force)'); };
    const c = await call('DELETE', '/images/busybox');
    assert.equal(c.status, 409);
    assert.match(c.json().message, /must force/);
    images.list = async () => { throw new Error('disk on fire'); };
    const boom = await call('GET', '/images/json');
    assert.equal(boom.status, 500);
    assert.match(boom.json().message, /disk on fire/);
    images.list = async () => { throw Object.assign(new Error('write failed'), { code: 'ENOSPC' }); };
    const full = await call('GET', '/images/json');
    assert.equal(full.status, 507);
    assert.match(full.json().message, /no space left/);
  });

  test('pull streams docker JSON messages with progress bars, and passes X-Registry-Auth', async () => {
    const auth = Buffer.from(JSON.stringify({ username: 'u', password: 'p+/?', serveraddress: '127.0.0.1:5000' })).toString('base64url');
    const r = await call('POST', '/v1.50/images/create?fromImage=127.0.0.1%3A5000%2Fbusybox&tag=1.36&platform=linux%2Famd64', { headers: { 'X-Registry-Auth': auth } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    const msgs = lines(r);
    assert.deepEqual(msgs[0], { status: 'Pulling from library/busybox', id: 'latest' });
    assert.deepEqual(msgs[1], { status: 'Pulling fs layer', progressDetail: {}, id: 'aaaaaaaaaaaa' });
    assert.deepEqual(msgs[2], {
      status: 'Downloading',
      progressDetail: { current: 1024, total: 2048 },
      progress: `[=========================>                         ]  1.024kB/2.048kB`,
      id: 'aaaaaaaaaaaa',
    });
    assert.deepEqual(msgs.at(-1), { status: 'Status: Downloaded newer image for 127.0.0.1:5000/busybox:1.36' });
    const [ref, opts] = images.calls.at(-1)!.args as [string, { credentials: unknown; platform: unknown; signal: unknown }];
    assert.equal(ref, '127.0.0.1:5000/busybox:1.36');
    assert.deepEqual(opts.credentials, { username: 'u', password: 'p+/?' });
    assert.deepEqual(opts.platform, { os: 'linux', architecture: 'amd64' });
    assert.ok(opts.signal instanceof AbortSignal);
  });

  test('pull by digest joins fromImage and tag with @', async () => {
    const digest = `sha256:${'5'.repeat(64)}`;
    await call('POST', `/images/create?fromImage=busybox&tag=${digest}`);
    assert.equal(images.calls.at(-1)!.args[0], `busybox@${digest}`);
  });

  test('a pull failing before progress gets an error status; failing midway an errorDetail line', async () => {
    images.pull = async (ref, o = {}) => {
      o.progress?.({ id: 'latest', status: 'Pulling from library/nosuch' });
      throw notFound(`manifest for ${ref} not found`);
    };
    const early = await call('POST', '/images/create?fromImage=nosuch&tag=latest');
    assert.equal(early.status, 404);
    assert.deepEqual(early.json(), { message: 'manifest for nosuch:latest not found' });
    images.pull = async (_ref, o = {}) => {
      o.progress?.({ id: 'latest', status: 'Pulling from library/busybox' });
      o.progress?.({ id: 'aaaaaaaaaaaa', status: 'Pulling fs layer' });
      throw Object.assign(new Error('digest mismatch'), {});
    };
    const late = await call('POST', '/images/create?fromImage=busybox&tag=latest');
    assert.equal(late.status, 200);
    const msgs = lines(late);
    assert.deepEqual(msgs.at(-1), { errorDetail: { code: 500, message: 'digest mismatch' }, error: 'digest mismatch' });
  });

  test('bad X-Registry-Auth is refused naming the header; create needs fromImage or fromSrc', async () => {
    const r = await call('POST', '/images/create?fromImage=busybox', { headers: { 'X-Registry-Auth': 'not base64 !!' } });
    assert.equal(r.status, 400);
    assert.match(r.json().message, /X-Registry-Auth/);
    const none = await call('POST', '/images/create');
    assert.equal(none.status, 400);
    assert.match(none.json().message, /fromImage/);
  });

  test('push streams progress and ends with the digest line and aux', async () => {
    images.add(makeDetail({ repoTags: ['127.0.0.1:5000/x:1'] }));
    const auth = Buffer.from(JSON.stringify({ auth: Buffer.from('alice:secret').toString('base64') })).toString('base64');
    const r = await call('POST', '/images/127.0.0.1:5000/x/push?tag=1', { headers: { 'X-Registry-Auth': auth } });
    assert.equal(r.status, 200);
    const msgs = lines(r);
    assert.deepEqual(msgs.at(-2), { status: `1: digest: sha256:${'e'.repeat(64)} size: 527` });
    assert.deepEqual(msgs.at(-1), { progressDetail: {}, aux: { Tag: '1', Digest: `sha256:${'e'.repeat(64)}`, Size: 527 } });
    const [ref, opts] = images.calls.at(-1)!.args as [string, { credentials: unknown }];
    assert.equal(ref, '127.0.0.1:5000/x:1');
    assert.deepEqual(opts.credentials, { username: 'alice', password: 'secret' });
  });

  test('tag answers 201 and needs repo', async () => {
    const r = await call('POST', '/images/busybox:latest/tag?repo=127.0.0.1:5000/busybox&tag=v1');
    assert.equal(r.status, 201);
    assert.deepEqual(images.calls.at(-1), { method: 'tag', args: ['busybox:latest', '127.0.0.1:5000/busybox:v1'] });
    const bad = await call('POST', '/images/busybox/tag');
    assert.equal(bad.status, 400);
    assert.match(bad.json().message, /repo/);
  });

  test('delete lists Untagged and Deleted and passes force/noprune', async () => {
    const r = await call('DELETE', '/images/busybox:latest?force=1&noprune=true');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), [{ Untagged: 'busybox:latest' }, { Deleted: `sha256:${'1'.repeat(64)}` }]);
    assert.deepEqual(images.calls.at(-1)!.args[1], { force: true, noPrune: true });
  });

  test('history rows have docker\'s shape (Tags null on non-top rows)', async () => {
    const h = (await call('GET', '/images/busybox:latest/history')).json();
    assert.equal(h.length, 2);
    assert.deepEqual(Object.keys(h[0]), ['Id', 'Created', 'CreatedBy', 'Tags', 'Size', 'Comment']);
    assert.deepEqual(h[0].Tags, ['busybox:latest']);
    assert.equal(h[1].Id, '<missing>');
    assert.equal(h[1].Tags, null);
  });

  test('save streams a tar for one name or many; unknown names are 404', async () => {
    const one = await call('GET', '/images/busybox:latest/get');
    assert.equal(one.status, 200);
    assert.equal(one.headers['content-type'], 'application/x-tar');
    assert.equal(one.text, 'fake tar bytes');
    const many = await call('GET', `/images/get?names=busybox:latest&names=${'1'.repeat(12)}`);
    assert.equal(many.status, 200);
    assert.deepEqual(images.calls.at(-1)!.args[0], ['busybox:latest', '1'.repeat(12)]);
    const missing = await call('GET', '/images/get?names=nosuch');
    assert.equal(missing.status, 404);
    const none = await call('GET', '/images/get');
    assert.equal(none.status, 400);
  });

  test('load reads the tar body and reports what it loaded', async () => {
    const r = await call('POST', '/images/load?quiet=1', { body: 'TARBYTES', headers: { 'Content-Type': 'application/x-tar' } });
    assert.equal(r.status, 200);
    assert.deepEqual(lines(r), [
      { stream: 'Loaded image: busybox:latest\n' },
      { stream: `Loaded image ID: sha256:${'a'.repeat(64)}\n` },
    ]);
    assert.equal(images.calls.at(-1)!.args[0], 'TARBYTES');
    const loud = lines(await call('POST', '/images/load', { body: 'X' }));
    assert.equal(loud[0].status, 'Loading layer');
  });

  test('import takes the body, repo, tag, repeated changes and message', async () => {
    const q = 'fromSrc=-&repo=myimg&tag=v2&message=hello&changes=CMD%20%5B%22sh%22%5D&changes=ENV%20A%3D1';
    const r = await call('POST', `/images/create?${q}`, { body: 'ROOTFS' });
    assert.equal(r.status, 200);
    assert.deepEqual(lines(r), [{ status: `sha256:${'b'.repeat(64)}` }]);
    const [body, opts] = images.calls.at(-1)!.args as [string, Record<string, unknown>];
    assert.equal(body, 'ROOTFS');
    assert.equal(opts.reference, 'myimg:v2');
    assert.deepEqual(opts.changes, ['CMD ["sh"]', 'ENV A=1']);
    assert.equal(opts.message, 'hello');
    const url = await call('POST', '/images/create?fromSrc=http://example.invalid/x.tar');
    assert.equal(url.status, 501);
  });

  test('prune maps filters (dangling=false means all) and answers docker\'s shape', async () => {
    const r = await call('POST', `/images/prune?filters=${encodeURIComponent('{"dangling":{"false":true},"label":["x"]}')}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { ImagesDeleted: [{ Deleted: `sha256:${'f'.repeat(64)}` }], SpaceReclaimed: 4096 });
    assert.deepEqual(images.calls.at(-1)!.args[0], { all: true, filters: { label: ['x'] } });
    const bad = await call('POST', `/images/prune?filters=${encodeURIComponent('{"reference":["x"]}')}`);
    assert.equal(bad.status, 400);
  });

  test('auth logs in through the system service; bad JSON is 400; rejection 401', async () => {
    const ok = await call('POST', '/auth', { body: JSON.stringify({ username: 'u', password: 'p', serveraddress: 'https://127.0.0.1:5000/v2/' }) });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json(), { Status: 'Login Succeeded', IdentityToken: 'tok' });
    assert.deepEqual(system.logins.at(-1), { registry: '127.0.0.1:5000', credentials: { username: 'u', password: 'p' } });
    const hub = await call('POST', '/auth', { body: JSON.stringify({ username: 'u', password: 'p', serveraddress: 'https://index.docker.io/v1/' }) });
    assert.equal(hub.status, 200);
    assert.equal(system.logins.at(-1)!.registry, 'docker.io');
    const bad = await call('POST', '/auth', { body: '{"username":' });
    assert.equal(bad.status, 400);
    assert.match(bad.json().message, /malformed JSON/);
    const wrong = await call('POST', '/auth', { body: JSON.stringify({ username: 'u', password: 'wrong', serveraddress: 'r:1' }) });
    assert.equal(wrong.status, 401);
  });

  test("volumes: create (named and anonymous), list with filters, inspect, remove, prune (anonymous only unless all)", async () => {
    const created = await call('POST', '/volumes/create', { body: JSON.stringify({ Name: 'data', Labels: { app: 'x' } }) });
    assert.equal(created.status, 201);
    assert.equal(created.json().Name, 'data');
    assert.equal(created.json().Driver, 'local');
    assert.match(created.json().Mountpoint, /\/data\/_data$/);
    const anon = (await call('POST', '/volumes/create', { body: '{}' })).json();
    assert.match(anon.Name, /^[0-9a-f]{64}$/);
    assert.equal(anon.Labels['com.docker.volume.anonymous'], '');
    const listed = (await call('GET', `/volumes?filters=${encodeURIComponent('{"label":["app=x"]}')}`)).json();
    assert.deepEqual(listed.Volumes.map((v: { Name: string }) => v.Name), ['data']);
    assert.equal((await call('GET', '/volumes/data')).json().Labels.app, 'x');
    assert.equal((await call('GET', '/volumes/nope')).status, 404);
    assert.equal((await call('POST', '/volumes/create', { body: '{"Name": 3}' })).status, 400);
    assert.equal((await call('POST', '/volumes/create', { body: '{"Nmae": "x"}' })).status, 400);
    await volumes.create('busy');
    // Prune without all= removes only the anonymous volume.
    const pruned = (await call('POST', '/volumes/prune')).json();
    assert.deepEqual(pruned.VolumesDeleted, [anon.Name]);
    const all = (await call('POST', `/volumes/prune?filters=${encodeURIComponent('{"all":["true"],"label":["app=x"]}')}`)).json();
    assert.deepEqual(all.VolumesDeleted, ['data'], 'all=true with a label filter removes the matching named volume only');
    assert.equal((await call('DELETE', '/volumes/busy')).status, 204);
    assert.equal((await call('DELETE', '/volumes/busy')).status, 404);
  });

  test('system df reports images with LayersSize, volumes with usage, and honours type', async () => {
    await volumes.create('dfvol');
    const empty = (await call('GET', '/system/df')).json();
    assert.deepEqual(empty.Containers, []);
    assert.equal(empty.Images[0].Containers, 0);
    const created = await call('POST', '/containers/create', { body: JSON.stringify({ Image: 'busybox', Cmd: ['true'] }), headers: { 'Content-Type': 'application/json' } });
    const id = created.json().Id;
    containers.record(id).view.imageId = makeDetail().id;
    const df = (await call('GET', '/system/df')).json();
    assert.equal(df.LayersSize, makeDetail().size);
    assert.equal(df.Images.length, 1);
    assert.equal(df.Images[0].Containers, 1, 'the image counts the container using it, as docker\'s df does');
    assert.equal(df.Images[0].SharedSize, 0, 'df computes SharedSize (docker\'s CLI skips an image whose SharedSize is -1 when it sums what is in use)');
    assert.equal((images.calls.filter((c) => c.method === 'list').at(-1)?.args[0] as { sharedSize?: boolean }).sharedSize, true);
    assert.deepEqual(df.Containers.map((c: { Id: string }) => c.Id), [id], 'every container, stopped ones too');
    assert.equal(df.Containers[0].SizeRw, 12, 'the writable layer is measured');
    assert.equal(df.Containers[0].State, 'created');
    assert.deepEqual(containers.calls.filter((c) => c.method === 'list').at(-1)?.args, [{ all: true, size: true }]);
    assert.deepEqual(df.BuildCache, []);
    const vol = df.Volumes.find((v: { Name: string }) => v.Name === 'dfvol');
    assert.deepEqual(vol.UsageData.RefCount, 0);
    assert.equal(typeof vol.UsageData.Size, 'number');
    const onlyVolumes = (await call('GET', '/system/df?type=volume')).json();
    assert.deepEqual(Object.keys(onlyVolumes), ['Volumes']);
    const onlyImages = (await call('GET', '/system/df?type=image')).json();
    assert.deepEqual(Object.keys(onlyImages).sort(), ['Images', 'LayersSize']);
    assert.deepEqual(containers.calls.filter((c) => c.method === 'list').at(-1)?.args, [{ all: true, size: false }], 'containers are not sized for the image part alone');
    assert.equal((await call('GET', '/system/df?type=disks')).status, 400);
  });

  test('search is 501 and says why', async () => {
    const r = await call('GET', '/images/search?term=busybox');
    assert.equal(r.status, 501);
    assert.match(r.json().message, /search is not offered/);
  });

  test('bootstrap streams progress and an aux with the image', async () => {
    const r = await call('POST', '/janus/images/bootstrap?name=busybox');
    assert.equal(r.status, 200);
    const msgs = lines(r);
    assert.deepEqual(msgs[0], { status: 'Building busybox' });
    assert.deepEqual(msgs.at(-1), { aux: { Name: 'busybox:latest', ID: `sha256:${'c'.repeat(64)}` } });
    assert.equal((await call('POST', '/janus/images/bootstrap')).status, 400);
  });

  test('events: since/until replay the past with filters; without until the stream follows', async () => {
    events.publish({ type: 'image', action: 'pull', id: 'busybox:latest', attributes: { name: 'busybox' } });
    events.publish({ type: 'image', action: 'tag', id: 'sha256:1', attributes: { name: 'x:1' } });
    events.publish({ type: 'daemon', action: 'reload', id: 'd', attributes: {} });
    const until = ((Date.now() + 1) / 1000).toFixed(3);
    const past = await call('GET', `/events?since=0&until=${until}&filters=${encodeURIComponent('{"type":["image"]}')}`);
    assert.equal(past.status, 200);
    const got = lines(past);
    assert.deepEqual(got.map((e) => e.Action), ['pull', 'tag']);
    assert.equal(got[0].Type, 'image');
    assert.deepEqual(got[0].Actor, { ID: 'busybox:latest', Attributes: { name: 'busybox' } });
    assert.equal(got[0].status, 'pull');
    assert.equal(got[0].scope, 'local');
    assert.match(past.text, /"timeNano":\d{19}\}/, 'timeNano is an exact integer');

    // Follow: the response stays open and delivers new events as they come.
    const received: string[] = [];
    const req = request({ agent: false, socketPath: socket, path: '/events?filters=' + encodeURIComponent('{"event":{"delete":true}}'), method: 'GET' });
    const first = new Promise<void>((done) => {
      req.on('response', (res) => {
        res.setEncoding('utf8');
        res.on('data', (c: string) => { received.push(c); done(); });
      });
    });
    req.end();
    await new Promise((r) => setTimeout(r, 100));
    events.publish({ type: 'image', action: 'tag', id: 'ignored', attributes: {} });
    events.publish({ type: 'image', action: 'delete', id: 'sha256:gone', attributes: {} });
    await first;
    req.destroy();
    assert.equal(received.length, 1);
    assert.equal(JSON.parse(received[0]).Actor.ID, 'sha256:gone');
    const badType = await call('GET', `/events?filters=${encodeURIComponent('{"type":["planet"]}')}`);
    assert.equal(badType.status, 400);
    const badSince = await call('GET', '/events?since=yesterday');
    assert.equal(badSince.status, 400);
    assert.match(badSince.json().message, /since/);
  });
});
