// The CLI end to end against a fake Docker API server on a unix socket:
// what a user types, what the daemon receives, what the user sees.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { captureCli } from '../../test/support/fake-api.ts';

interface Seen { method: string; url: URL; headers: IncomingMessage['headers']; body: string }

let dir: string;
let socket: string;
let server: Server;
let seen: Seen[] = [];
const routes = new Map<string, (req: IncomingMessage, res: ServerResponse, body: string) => void>();

const NOW = Math.floor(Date.now() / 1000);
const IMAGES = [
  { Id: `sha256:${'a'.repeat(64)}`, ParentId: '', RepoTags: ['busybox:latest', '127.0.0.1:5000/e2e/busybox:1'], RepoDigests: ['127.0.0.1:5000/e2e/busybox@sha256:' + 'd'.repeat(64)], Created: NOW - 7200, Size: 4261574, SharedSize: -1, Labels: null, Containers: -1 },
  { Id: `sha256:${'b'.repeat(64)}`, ParentId: '', RepoTags: [], RepoDigests: [], Created: NOW - 90, Size: 1000, SharedSize: -1, Labels: null, Containers: -1 },
];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'janus-cli-test-'));
  socket = join(dir, 'daemon.sock');
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.url === '/_ping') {
      res.setHeader('API-Version', '1.50');
      res.end('OK');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://daemon');
    seen.push({ method: req.method ?? '', url, headers: req.headers, body });
    const route = routes.get(`${req.method} ${url.pathname.replace(/^\/v1\.50/, '')}`);
    if (!route) {
      res.statusCode = 404;
      res.end(JSON.stringify({ message: `page not found: ${url.pathname}` }));
      return;
    }
    route(req, res, body);
  });
  await new Promise<void>((r) => server.listen(socket, r));
});

after(async () => {
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

function cli(argv: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return captureCli(argv, { ...(options.stdin === undefined ? {} : { stdin: options.stdin }), env: { JANUS_HOST: `unix://${socket}`, JANUS_CONFIG: join(dir, 'config'), ...options.env } });
}

test('images --format prints one line per name; the default table looks like docker', async () => {
  routes.set('GET /images/json', (_req, res) => res.end(JSON.stringify(IMAGES)));
  seen = [];
  const names = await cli(['images', '--format', '{{.Repository}}:{{.Tag}}']);
  assert.equal(names.code, 0, names.stderr);
  assert.equal(names.stdout, '<none>:<none>\nbusybox:latest\n127.0.0.1:5000/e2e/busybox:1\n', 'newest first, one line per name');

  const table = await cli(['images']);
  assert.equal(table.stdout, [
    'REPOSITORY                   TAG       IMAGE ID       CREATED              SIZE',
    '<none>                       <none>    bbbbbbbbbbbb   About a minute ago   1kB',
    'busybox                      latest    aaaaaaaaaaaa   2 hours ago          4.26MB',
    '127.0.0.1:5000/e2e/busybox   1         aaaaaaaaaaaa   2 hours ago          4.26MB',
    '',
  ].join('\n'));

  const quiet = await cli(['image', 'ls', '-aq', '--filter', 'dangling=false', 'busy*']);
  assert.equal(quiet.stdout, 'bbbbbbbbbbbb\naaaaaaaaaaaa\naaaaaaaaaaaa\n');
  const q = seen[seen.length - 1].url.searchParams;
  assert.equal(q.get('all'), '1');
  assert.deepEqual(JSON.parse(q.get('filters') ?? ''), { dangling: { false: true }, reference: { 'busy*': true } });

  const custom = await cli(['images', '--format', 'table {{.ID}}\\t{{.Digest}}', '--no-trunc', '--digests']);
  assert.match(custom.stdout, /^IMAGE ID {4,}DIGEST\n/);
  assert.match(custom.stdout, new RegExp(`^sha256:a{64} {3}sha256:d{64}$`, 'm'));

  const bad = await cli(['images', '--format', '{{.Repository']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /template: :1:1: unclosed action/);
});

test('pull: progress as plain lines off a terminal, the full name last, stored credentials sent', async () => {
  // log in first: POST /auth verifies, then the credentials are stored 0600
  routes.set('POST /auth', (_req, res, body) => {
    const creds = JSON.parse(body) as { username: string; password: string };
    if (creds.password !== 's3cret') {
      res.statusCode = 401;
      res.end(JSON.stringify({ message: 'login attempt to http://127.0.0.1:5000/v2/ failed with status: 401 Unauthorized' }));
      return;
    }
    res.end(JSON.stringify({ Status: 'Login Succeeded' }));
  });
  const wrong = await cli(['login', '-u', 'me', '-p', 'nope', '127.0.0.1:5000']);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /^Error response from daemon: login attempt .* 401 Unauthorized$/m);
  const login = await cli(['login', '-u', 'me', '--password-stdin', '127.0.0.1:5000'], { stdin: 's3cret\n' });
  assert.equal(login.code, 0, login.stderr);
  assert.equal(login.stdout, 'Login Succeeded\n');
  const configPath = join(dir, 'config', 'config.json');
  assert.equal((await stat(configPath)).mode & 0o777, 0o600);
  assert.deepEqual(JSON.parse(await readFile(configPath, 'utf8')), { auths: { '127.0.0.1:5000': { auth: Buffer.from('me:s3cret').toString('base64') } } });

  routes.set('POST /images/create', (_req, res) => {
    const lines = [
      { status: 'Pulling from e2e/busybox', id: '1' },
      { status: 'Pulling fs layer', id: 'cccccccccccc', progressDetail: {} },
      { status: 'Downloading', id: 'cccccccccccc', progressDetail: { current: 100, total: 200 }, progress: '[==>  ]' },
      { status: 'Downloading', id: 'cccccccccccc', progressDetail: { current: 200, total: 200 }, progress: '[=====>]' },
      { status: 'Pull complete', id: 'cccccccccccc', progressDetail: {} },
      { status: `Digest: sha256:${'d'.repeat(64)}` },
      { status: 'Status: Downloaded newer image for 127.0.0.1:5000/e2e/busybox:1' },
    ];
    res.end(lines.map((l) => JSON.stringify(l)).join('\r\n') + '\r\n');
  });
  seen = [];
  const pull = await cli(['pull', '127.0.0.1:5000/e2e/busybox:1']);
  assert.equal(pull.code, 0, pull.stderr);
  assert.equal(pull.stdout, [
    '1: Pulling from e2e/busybox',
    'cccccccccccc: Pulling fs layer',
    'cccccccccccc: Downloading',
    'cccccccccccc: Pull complete',
    `Digest: sha256:${'d'.repeat(64)}`,
    'Status: Downloaded newer image for 127.0.0.1:5000/e2e/busybox:1',
    '127.0.0.1:5000/e2e/busybox:1',
    '',
  ].join('\n'));
  const req = seen[0];
  assert.equal(req.url.pathname, '/v1.50/images/create');
  assert.equal(req.url.searchParams.get('fromImage'), '127.0.0.1:5000/e2e/busybox:1');
  assert.deepEqual(JSON.parse(Buffer.from(String(req.headers['x-registry-auth']), 'base64url').toString()), { username: 'me', password: 's3cret', serveraddress: '127.0.0.1:5000' });

  const quiet = await cli(['pull', '-q', 'busybox']);
  assert.equal(quiet.stdout, 'docker.io/library/busybox:latest\n');
  assert.equal(seen[seen.length - 1].headers['x-registry-auth'], undefined, 'no credentials for a registry the user never logged in to');

  routes.set('POST /images/create', (_req, res) => {
    res.end(`${JSON.stringify({ status: 'Pulling from e2e/nope', id: 'x' })}\n${JSON.stringify({ errorDetail: { message: 'manifest unknown: 127.0.0.1:5000/e2e/busybox:nope' }, error: 'manifest unknown' })}\n`);
  });
  const failed = await cli(['pull', '127.0.0.1:5000/e2e/busybox:nope']);
  assert.equal(failed.code, 1);
  assert.equal(failed.stderr, 'Error: manifest unknown: 127.0.0.1:5000/e2e/busybox:nope\n');

  const logout = await cli(['logout', '127.0.0.1:5000']);
  assert.equal(logout.stdout, 'Removing login credentials for 127.0.0.1:5000\n');
  assert.deepEqual(JSON.parse(await readFile(configPath, 'utf8')), { auths: {} });
});

test('rmi reports each image and fails at the end naming the missing one', async () => {
  routes.set('DELETE /images/busybox', (_req, res) => res.end(JSON.stringify([{ Untagged: 'busybox:latest' }, { Deleted: 'sha256:' + 'a'.repeat(64) }])));
  const r = await cli(['rmi', 'e2e/nosuch:1', 'busybox']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, `Untagged: busybox:latest\nDeleted: sha256:${'a'.repeat(64)}\n`);
  assert.match(r.stderr, /^Error response from daemon: page not found: \/v1\.50\/images\/e2e\/nosuch:1$/m);
});

test('image prune asks first and stops on "n"; -f skips the question', async () => {
  routes.set('POST /images/prune', (_req, res) => res.end(JSON.stringify({ ImagesDeleted: [{ Untagged: 'x:1' }, { Deleted: 'sha256:1' }], SpaceReclaimed: 4261574 })));
  seen = [];
  const no = await cli(['image', 'prune'], { stdin: 'n\n' });
  assert.equal(no.code, 1);
  assert.match(no.stdout, /WARNING! This will remove all dangling images\.\nAre you sure you want to continue\? \[y\/N\] $/);
  assert.equal(seen.length, 0, 'nothing was sent');
  const yes = await cli(['image', 'prune', '-a', '-f']);
  assert.equal(yes.stdout, 'Deleted Images:\nuntagged: x:1\ndeleted: sha256:1\n\nTotal reclaimed space: 4.26MB\n');
  assert.deepEqual(JSON.parse(seen[0].url.searchParams.get('filters') ?? ''), { dangling: { false: true } });
});

test('inspect prints a docker-style JSON array or --format per image', async () => {
  routes.set('GET /images/busybox/json', (_req, res) => res.end(JSON.stringify({ Id: 'sha256:1', Config: { Env: ['A=b'] }, Os: 'linux', Architecture: 'amd64' })));
  const json = await cli(['image', 'inspect', 'busybox']);
  assert.equal(json.stdout, `${JSON.stringify([{ Id: 'sha256:1', Config: { Env: ['A=b'] }, Os: 'linux', Architecture: 'amd64' }], null, 4)}\n`);
  const fmt = await cli(['inspect', '--format', '{{.Os}}/{{.Architecture}} {{json .Config.Env}}', 'busybox']);
  assert.equal(fmt.stdout, 'linux/amd64 ["A=b"]\n');
});

test('unknown commands and a missing daemon, through bin/janus', async () => {
  const bin = resolve(import.meta.dirname, '../../bin/janus');
  const run = (args: string[]): Promise<{ code: number | null; stderr: string }> => new Promise((done) => {
    const p = spawn(bin, args, { env: { ...process.env, JANUS_HOST: `unix://${join(dir, 'absent.sock')}` }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    p.on('close', (code) => done({ code, stderr }));
  });
  const unknown = await run(['frobnicate']);
  assert.equal(unknown.code, 125);
  assert.match(unknown.stderr, /unknown command: "janus frobnicate"\nSee 'janus --help'\./);
  const down = await run(['images']);
  assert.equal(down.code, 1);
  assert.equal(down.stderr, `Error: Cannot connect to the Janus daemon at unix://${join(dir, 'absent.sock')}. Is the daemon running? Start one with: janus daemon\n`);
});
