import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { isJanusError, type ErrorKind } from '../core/errors.ts';
import { MediaType, type Descriptor } from '../core/oci.ts';
import type { RemoteRepository } from '../core/registry.ts';
import { skipUnlessRegistry, startRegistry, type TestRegistry } from '../../test/support/registry.ts';
import { HttpRegistry, parseChallenge } from './http-registry.ts';
import { parseReference } from './reference.ts';

const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const blob = (data: Uint8Array, mediaType: string = MediaType.OciLayerGzip): { desc: Descriptor; data: Uint8Array } =>
  ({ desc: { mediaType, digest: sha256(data), size: data.length }, data });
const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

async function rejectsKind(p: Promise<unknown>, kind: ErrorKind, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isJanusError(err, kind), `want ${kind}, got ${(err as Error)?.stack ?? String(err)}`);
    assert.match(err.message, message);
    return true;
  });
}

/** An image (config + one layer + manifest) ready to push. */
function makeImage(mediaType: string = MediaType.OciManifest) {
  const layer = blob(randomBytes(200_000), mediaType === MediaType.OciManifest ? MediaType.OciLayerGzip : MediaType.DockerLayerGzip);
  const config = blob(json({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer.data)] } }),
    mediaType === MediaType.OciManifest ? MediaType.OciConfig : MediaType.DockerConfig);
  const manifestBytes = json({ schemaVersion: 2, mediaType, config: config.desc, layers: [layer.desc] });
  return { layer, config, manifest: blob(manifestBytes, mediaType) };
}

async function pushImage(repo: RemoteRepository, image: ReturnType<typeof makeImage>, tag: string): Promise<void> {
  for (const b of [image.layer, image.config]) await repo.pushBlob(b.desc, async () => Readable.from([b.data]));
  await repo.pushManifest(tag, image.manifest.desc, image.manifest.data);
}

/** Exercises one repository end to end; shared by the auth variants. */
async function roundTrip(reg: HttpRegistry, host: string, credentials?: { username: string; password: string }): Promise<void> {
  const repo = reg.repository(parseReference(`${host}/janus/app:1`), { credentials });
  const image = makeImage();
  assert.equal(await repo.hasBlob(image.layer.desc), false);
  await pushImage(repo, image, '1');
  assert.equal(await repo.hasBlob(image.layer.desc), true);

  const byTag = await repo.resolve('1');
  assert.deepEqual(byTag, { mediaType: MediaType.OciManifest, digest: image.manifest.desc.digest, size: image.manifest.desc.size });
  assert.deepEqual(await repo.resolve(image.manifest.desc.digest), byTag);
  assert.deepEqual(await readAll(await repo.fetch(byTag)), Buffer.from(image.manifest.data));
  assert.deepEqual(await readAll(await repo.fetch(image.layer.desc)), Buffer.from(image.layer.data));
  assert.deepEqual(await readAll(await repo.fetch(image.layer.desc, { offset: 150_000 })), Buffer.from(image.layer.data.subarray(150_000)));

  // Mount into another repository of the same registry; an unknown blob is not mountable.
  const other = reg.repository(parseReference(`${host}/janus/other:x`), { credentials });
  assert.equal(await other.hasBlob(image.layer.desc), false);
  assert.equal(await other.mountBlob(image.layer.desc, 'janus/app'), true);
  assert.equal(await other.hasBlob(image.layer.desc), true);
  const stranger = blob(randomBytes(10));
  assert.equal(await other.mountBlob(stranger.desc, 'janus/app'), false);
  assert.equal(await other.hasBlob(stranger.desc), false);

  // Push by digest only, then resolve that digest in the other repository.
  await other.mountBlob(image.config.desc, 'janus/app');
  await other.pushManifest(image.manifest.desc.digest, image.manifest.desc, image.manifest.data);
  assert.equal((await other.resolve(image.manifest.desc.digest)).digest, image.manifest.desc.digest);

  await rejectsKind(repo.resolve('nope'), 'NotFound', new RegExp(`^manifest unknown: ${host.replace(/\./g, '\\.')}/janus/app:nope$`));
  await rejectsKind(repo.resolve(stranger.desc.digest), 'NotFound', /manifest unknown: .*janus\/app@sha256:/);
  await rejectsKind(repo.fetch(stranger.desc), 'NotFound', /blob unknown: .*janus\/app@sha256:/);
  const missingRepo = reg.repository(parseReference(`${host}/janus/absent:1`), { credentials });
  await rejectsKind(missingRepo.resolve('1'), 'NotFound', /janus\/absent:1/);
  // A manifest pointing at blobs the registry lacks is refused.
  const orphan = makeImage();
  await rejectsKind(repo.pushManifest('orphan', orphan.manifest.desc, orphan.manifest.data), 'NotFound', /blob unknown|manifest blob unknown/);
}

describe('HttpRegistry against docker-registry without auth', { skip: skipUnlessRegistry() }, () => {
  let r: TestRegistry;
  before(async () => { r = await startRegistry(); });
  after(async () => { await r?.stop(); });

  test('push, resolve, fetch, mount and 404s', async () => {
    await roundTrip(new HttpRegistry({ retryDelayMs: 10 }), r.host);
  });

  test('Docker schema2 manifests keep their media type', async () => {
    const reg = new HttpRegistry();
    const repo = reg.repository(parseReference(`${r.host}/janus/docker:v2`));
    const image = makeImage(MediaType.DockerManifest);
    await pushImage(repo, image, 'v2');
    assert.equal((await repo.resolve('v2')).mediaType, MediaType.DockerManifest);
  });

  test('an image index is resolved as an index', async () => {
    const reg = new HttpRegistry();
    const repo = reg.repository(parseReference(`${r.host}/janus/multi:1`));
    const image = makeImage();
    await pushImage(repo, image, 'amd64');
    const index = blob(json({
      schemaVersion: 2, mediaType: MediaType.OciIndex,
      manifests: [{ ...image.manifest.desc, platform: { architecture: 'amd64', os: 'linux' } }],
    }), MediaType.OciIndex);
    await repo.pushManifest('1', index.desc, index.data);
    assert.deepEqual(await repo.resolve('1'), index.desc);
    assert.deepEqual(await readAll(await repo.fetch(index.desc)), Buffer.from(index.data));
  });

  test('login against a registry without auth succeeds', async () => {
    assert.deepEqual(await new HttpRegistry().login(r.host, { username: 'x', password: 'y' }), {});
  });

  test('a digest mismatch on blob upload is refused', async () => {
    const repo = new HttpRegistry({ retryDelayMs: 1 }).repository(parseReference(`${r.host}/janus/bad:1`));
    const b = blob(randomBytes(100));
    await rejectsKind(repo.pushBlob(b.desc, async () => Readable.from([randomBytes(100)])), 'InvalidArgument', /digest/);
  });
});

describe('HttpRegistry against docker-registry with htpasswd', { skip: skipUnlessRegistry({ htpasswd: true }) }, () => {
  let r: TestRegistry;
  const creds = { username: 'alice', password: 's3cret' };
  before(async () => { r = await startRegistry({ htpasswd: creds }); });
  after(async () => { await r?.stop(); });

  test('round trip with Basic credentials', async () => {
    await roundTrip(new HttpRegistry(), r.host, creds);
  });

  test('missing or wrong credentials are Unauthorized', async () => {
    const reg = new HttpRegistry();
    await rejectsKind(reg.repository(parseReference(`${r.host}/janus/app:1`)).resolve('1'), 'Unauthorized', /janus\/app:1/);
    const wrong = reg.repository(parseReference(`${r.host}/janus/app:1`), { credentials: { ...creds, password: 'nope' } });
    await rejectsKind(wrong.resolve('1'), 'Unauthorized', /janus\/app:1/);
    await rejectsKind(wrong.hasBlob(blob(randomBytes(4)).desc), 'Unauthorized', /janus\/app/);
  });

  test('login checks the credentials', async () => {
    const reg = new HttpRegistry();
    assert.deepEqual(await reg.login(r.host, creds), {});
    await rejectsKind(reg.login(r.host, { ...creds, password: 'bad' }), 'Unauthorized', new RegExp(`login to ${r.host.replace(/\./g, '\\.')} failed`));
  });
});

/**
 * A bearer-token front for the registry: a token server and a proxy that
 * demands tokens carrying the right scope, the way Docker Hub behaves.
 */
async function startBearerFront(upstream: string, user: { username: string; password: string }) {
  const tokens = new Map<string, string[]>();
  const tokenRequests: URLSearchParams[] = [];
  const listen = async (server: Server): Promise<string> => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const issue = (scopes: string[], res: ServerResponse, extra: Record<string, unknown> = {}) => {
    const token = randomBytes(16).toString('hex');
    tokens.set(token, scopes);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ token, expires_in: 300, ...extra }));
  };
  const tokenServer = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const params = req.method === 'POST' ? new URLSearchParams(Buffer.concat(chunks).toString()) : url.searchParams;
      tokenRequests.push(params);
      const scopes = params.getAll('scope');
      if (params.get('service') !== 'test-registry') { res.statusCode = 400; res.end(); return; }
      if (req.method === 'POST') {
        if (params.get('grant_type') === 'refresh_token' && params.get('refresh_token') === 'refresh-me') { issue(scopes, res); return; }
        res.statusCode = 401; res.end(); return;
      }
      const auth = req.headers.authorization;
      if (!auth) { issue(scopes.map((s) => s.replace(/:[^:]*$/, ':pull')), res); return; } // anonymous pull only
      const [u, p] = Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString().split(':');
      if (u !== user.username || p !== user.password) { res.statusCode = 401; res.end(); return; }
      issue(scopes, res, params.get('offline_token') === 'true' ? { refresh_token: 'refresh-me' } : {});
    });
  });
  const tokenHost = await listen(tokenServer);
  const proxy = createServer((req, res) => {
    const path = req.url ?? '/';
    const token = req.headers.authorization?.replace(/^Bearer /, '');
    const granted = token ? tokens.get(token) : undefined;
    const m = /^\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(path);
    const need = m ? `repository:${m[1]}:${req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'push'}` : undefined;
    const ok = granted !== undefined && (need === undefined || granted.some((g) => {
      const [, name, actions] = /^repository:(.+):([^:]+)$/.exec(g) ?? [];
      const [, wantName, wantAction] = /^repository:(.+):([^:]+)$/.exec(need) ?? [];
      return name === wantName && actions.split(',').includes(wantAction);
    }));
    if (!ok) {
      res.statusCode = 401;
      res.setHeader('www-authenticate', `Bearer realm="http://${tokenHost}/token",service="test-registry"${need ? `,scope="${need}"` : ''}`);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    const headers = { ...req.headers, host: upstream };
    delete headers.authorization;
    const up = httpRequest({ host: '127.0.0.1', port: Number(upstream.split(':')[1]), method: req.method, path, headers }, (upRes) => {
      const h = { ...upRes.headers };
      // Upload locations point at the upstream; send clients back through the proxy.
      if (typeof h.location === 'string') h.location = h.location.replace(`http://${upstream}`, '');
      res.writeHead(upRes.statusCode ?? 502, h);
      upRes.pipe(res);
    });
    up.on('error', () => { res.statusCode = 502; res.end(); });
    req.pipe(up);
  });
  const host = await listen(proxy);
  return {
    host, tokenRequests,
    async stop() {
      proxy.closeAllConnections(); tokenServer.closeAllConnections();
      await Promise.all([new Promise((r) => proxy.close(r)), new Promise((r) => tokenServer.close(r))]);
    },
  };
}

describe('HttpRegistry bearer flow against a token server', { skip: skipUnlessRegistry() }, () => {
  let r: TestRegistry;
  let front: Awaited<ReturnType<typeof startBearerFront>>;
  const creds = { username: 'bob', password: 'pw' };
  before(async () => {
    r = await startRegistry();
    front = await startBearerFront(r.host, creds);
  });
  after(async () => {
    await front?.stop();
    await r?.stop();
  });

  test('round trip with tokens per scope, cached', async () => {
    const reg = new HttpRegistry();
    await roundTrip(reg, front.host, creds);
    const scopes = front.tokenRequests.map((p) => p.getAll('scope').join(' '));
    assert.ok(scopes.includes('repository:janus/app:pull,push'), scopes.join('\n'));
    assert.ok(scopes.includes('repository:janus/other:pull,push repository:janus/app:pull'), scopes.join('\n'));
    // Tokens are cached per scope: far fewer token requests than registry requests.
    assert.ok(front.tokenRequests.length < 12, `${front.tokenRequests.length} token requests`);
  });

  test('anonymous pull works, anonymous push is Unauthorized', async () => {
    const reg = new HttpRegistry();
    const repo = reg.repository(parseReference(`${front.host}/janus/app:1`));
    assert.equal((await repo.resolve('1')).mediaType, MediaType.OciManifest);
    const b = blob(randomBytes(10));
    await rejectsKind(repo.pushBlob(b.desc, async () => Readable.from([b.data])), 'Unauthorized', /janus\/app@sha256/);
  });

  test('wrong password is Unauthorized; login hands back an identity token that works', async () => {
    const reg = new HttpRegistry();
    await rejectsKind(reg.login(front.host, { ...creds, password: 'x' }), 'Unauthorized', /rejected the credentials/);
    const { identityToken } = await reg.login(front.host, creds);
    assert.equal(identityToken, 'refresh-me');
    const repo = new HttpRegistry().repository(parseReference(`${front.host}/janus/ident:1`), { credentials: { identityToken } });
    const b = blob(randomBytes(10));
    await repo.pushBlob(b.desc, async () => Readable.from([b.data]));
    assert.equal(await repo.hasBlob(b.desc), true);
    const post = front.tokenRequests.at(-1);
    assert.equal(post?.get('grant_type'), 'refresh_token');
  });
});

describe('HttpRegistry transport behaviour (scripted fetch)', () => {
  type Handler = (url: string, init: RequestInit) => Response | Promise<Response>;
  const scripted = (handlers: Handler[]) => {
    const calls: Array<{ url: string; init: RequestInit }> = [];
    const f = (async (input: string | URL | Request, init: RequestInit = {}) => {
      const url = String(input);
      calls.push({ url, init });
      const h = handlers.shift();
      if (!h) throw new Error(`unexpected request ${url}`);
      return h(url, init);
    }) as typeof fetch;
    return { f, calls };
  };
  const desc = blob(new TextEncoder().encode('hello world'));

  test('retries 5xx and 429 on idempotent requests', async () => {
    const { f, calls } = scripted([
      () => new Response('', { status: 503 }),
      () => new Response('', { status: 429, headers: { 'retry-after': '0' } }),
      () => new Response('hello world', { status: 200 }),
    ]);
    const repo = new HttpRegistry({ fetch: f, retryDelayMs: 1 }).repository(parseReference('127.0.0.1:1/x:1'));
    assert.equal((await readAll(await repo.fetch(desc.desc))).toString(), 'hello world');
    assert.equal(calls.length, 3);
    assert.equal(calls[0].url, `http://127.0.0.1:1/v2/x/blobs/${desc.desc.digest}`);
  });

  test('gives up after maxRetries with Unavailable naming the registry', async () => {
    const err = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    const { f, calls } = scripted([() => { throw err; }, () => { throw err; }, () => { throw err; }]);
    const repo = new HttpRegistry({ fetch: f, retryDelayMs: 1, maxRetries: 2 }).repository(parseReference('127.0.0.1:1/x:1'));
    await rejectsKind(repo.resolve('1'), 'Unavailable', /cannot reach registry 127\.0\.0\.1:1: ECONNREFUSED/);
    assert.equal(calls.length, 3);
  });

  test('TOOMANYREQUESTS is Unavailable once retries run out', async () => {
    const body = JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'toomanyrequests: slow down' }] });
    const { f } = scripted([() => new Response(body, { status: 429 })]);
    const repo = new HttpRegistry({ fetch: f, maxRetries: 0 }).repository(parseReference('localhost:5000/x:1'));
    await rejectsKind(repo.resolve('1'), 'Unavailable', /rate limiting/);
  });

  test('a server ignoring Range still yields the bytes from the offset', async () => {
    const { f, calls } = scripted([() => new Response('hello world', { status: 200 })]);
    const repo = new HttpRegistry({ fetch: f }).repository(parseReference('127.0.0.1:1/x:1'));
    assert.equal((await readAll(await repo.fetch(desc.desc, { offset: 6 }))).toString(), 'world');
    assert.equal(new Headers(calls[0].init.headers).get('range'), 'bytes=6-');
  });

  test('https for remote registries, docker.io via registry-1.docker.io, insecure falls back to http', async () => {
    const { f, calls } = scripted([
      () => new Response('', { status: 404 }),
      () => new Response('', { status: 404 }),
      () => { throw new TypeError('fetch failed'); },
      () => new Response('', { status: 404 }),
    ]);
    const reg = new HttpRegistry({ fetch: f, insecureRegistries: ['insecure.example:5000'] });
    await rejectsKind(reg.repository(parseReference('busybox')).resolve('latest'), 'NotFound', /^manifest unknown: busybox:latest$/);
    await rejectsKind(reg.repository(parseReference('example.com/a/b')).resolve('latest'), 'NotFound', /example\.com\/a\/b:latest/);
    await rejectsKind(reg.repository(parseReference('insecure.example:5000/a')).resolve('1'), 'NotFound', /insecure\.example:5000\/a:1/);
    assert.deepEqual(calls.map((c) => c.url), [
      'https://registry-1.docker.io/v2/library/busybox/manifests/latest',
      'https://example.com/v2/a/b/manifests/latest',
      'https://insecure.example:5000/v2/',
      'http://insecure.example:5000/v2/a/manifests/1',
    ]);
    const accept = new Headers(calls[0].init.headers).get('accept') ?? '';
    for (const t of [MediaType.OciIndex, MediaType.OciManifest, MediaType.DockerManifestList, MediaType.DockerManifest]) assert.ok(accept.includes(t));
  });

  test('pushBlob retries a failed upload as a new session with a fresh stream', async () => {
    const netErr = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
    const { f, calls } = scripted([
      () => new Response(null, { status: 202, headers: { location: '/v2/x/blobs/uploads/one?_state=a' } }),
      () => { throw netErr; },
      () => new Response(null, { status: 202, headers: { location: 'http://127.0.0.1:1/v2/x/blobs/uploads/two' } }),
      async (_url, init) => {
        assert.equal((init as { duplex?: string }).duplex, 'half');
        assert.equal((await readAll(init.body as unknown as Readable)).toString(), 'hello world');
        return new Response(null, { status: 201 });
      },
    ]);
    let opened = 0;
    const repo = new HttpRegistry({ fetch: f, retryDelayMs: 1 }).repository(parseReference('127.0.0.1:1/x:1'));
    await repo.pushBlob(desc.desc, async () => { opened++; return Readable.from([Buffer.from('hello world')]); });
    assert.equal(opened, 2);
    assert.deepEqual(calls.map((c) => `${c.init.method} ${c.url}`), [
      'POST http://127.0.0.1:1/v2/x/blobs/uploads/',
      `PUT http://127.0.0.1:1/v2/x/blobs/uploads/one?_state=a&digest=${encodeURIComponent(desc.desc.digest)}`,
      'POST http://127.0.0.1:1/v2/x/blobs/uploads/',
      `PUT http://127.0.0.1:1/v2/x/blobs/uploads/two?digest=${encodeURIComponent(desc.desc.digest)}`,
    ]);
  });

  test('mountBlob cancels the upload the registry opened instead', async () => {
    const { f, calls } = scripted([
      () => new Response(null, { status: 202, headers: { location: '/v2/x/blobs/uploads/u1' } }),
      () => new Response(null, { status: 204 }),
    ]);
    const repo = new HttpRegistry({ fetch: f }).repository(parseReference('127.0.0.1:1/x:1'));
    assert.equal(await repo.mountBlob(desc.desc, 'other/repo'), false);
    assert.deepEqual(calls.map((c) => `${c.init.method} ${c.url}`), [
      `POST http://127.0.0.1:1/v2/x/blobs/uploads/?mount=${encodeURIComponent(desc.desc.digest)}&from=other%2Frepo`,
      'DELETE http://127.0.0.1:1/v2/x/blobs/uploads/u1',
    ]);
  });

  test('a schema1 manifest is NotImplemented', async () => {
    const { f } = scripted([() => new Response(null, {
      status: 200,
      headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'docker-content-digest': desc.desc.digest, 'content-length': '5' },
    })]);
    const repo = new HttpRegistry({ fetch: f }).repository(parseReference('127.0.0.1:1/old:1'));
    await rejectsKind(repo.resolve('1'), 'NotImplemented', /^schema1 manifests are deprecated and not supported: 127\.0\.0\.1:1\/old:1$/);
  });

  test('DENIED is Unauthorized, 403 without body Forbidden', async () => {
    const denied = JSON.stringify({ errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] });
    const { f } = scripted([() => new Response(denied, { status: 403 }), () => new Response('', { status: 403 })]);
    const repo = new HttpRegistry({ fetch: f }).repository(parseReference('127.0.0.1:1/x:1'));
    await rejectsKind(repo.resolve('1'), 'Unauthorized', /requested access to the resource is denied: 127\.0\.0\.1:1\/x:1/);
    await rejectsKind(repo.resolve('1'), 'Forbidden', /127\.0\.0\.1:1\/x:1/);
  });
});

test('parseChallenge', () => {
  assert.deepEqual(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"'),
    { scheme: 'bearer', realm: 'https://auth.example/token', service: 'registry.example' });
  assert.deepEqual(parseChallenge('Basic realm="x, y"'), { scheme: 'basic', realm: 'x, y' });
  assert.deepEqual(parseChallenge('Basic realm="r", Bearer realm="https://t/", service=s'), { scheme: 'bearer', realm: 'https://t/', service: 's' });
  assert.deepEqual(parseChallenge('basic'), { scheme: 'basic' });
  assert.equal(parseChallenge('Negotiate'), undefined);
  assert.equal(parseChallenge(null), undefined);
});
