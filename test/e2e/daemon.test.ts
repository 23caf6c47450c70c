// The daemon's lifecycle and the CLI's basics: ping, version, info, a clear
// error when no daemon answers, one daemon per root, clean SIGTERM shutdown.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JANUS_BIN, skipUnlessRoot, startDaemon, type TestDaemon } from '../support/daemon.ts';
import { fails, ok } from './helpers.ts';

/** GET `path` on the daemon's unix socket. */
function get(socket: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((done, fail) => {
    const req = request({ socketPath: socket, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('daemon and CLI basics', { skip: skipUnlessRoot() }, () => {
  let d: TestDaemon;
  before(async () => { d = await startDaemon(); });
  after(async () => { await d?.stop(); });

  test('the Docker Engine API answers /_ping, /version and /info', async () => {
    const ping = await get(d.socket, '/_ping');
    assert.equal(ping.status, 200);
    assert.equal(ping.body, 'OK');
    assert.ok(ping.headers['api-version'], 'the ping names its API version');
    const version = JSON.parse((await get(d.socket, '/version')).body) as Record<string, unknown>;
    assert.equal(typeof version.ApiVersion, 'string');
    assert.equal(version.Os, 'linux');
    const versioned = await get(d.socket, `/v${version.ApiVersion}/version`);
    assert.equal(versioned.status, 200, 'versioned paths work like docker\'s');
    const info = JSON.parse((await get(d.socket, '/info')).body) as Record<string, unknown>;
    assert.equal(info.DockerRootDir, d.root);
    assert.equal(typeof info.Images, 'number');
    const missing = await get(d.socket, '/no/such/endpoint');
    assert.equal(missing.status, 404);
    assert.equal(typeof (JSON.parse(missing.body) as { message?: unknown }).message, 'string', 'errors are docker\'s {"message": …}');
  });

  test('janus version and janus info', async () => {
    const version = ok(await d.janus(['version']), 'version');
    assert.match(version, /Client/);
    assert.match(version, /Server/);
    const info = ok(await d.janus(['info']), 'info');
    assert.ok(info.includes(d.root), `info names the storage root ${d.root}`);
    assert.match(info, /runc|crun/, 'info names the runtimes found');
    assert.equal(ok(await d.janus(['info', '--format', '{{.DockerRootDir}}']), 'info --format').trim(), d.root);
  });

  test('with no daemon the CLI says how to start one', async () => {
    const r = await d.janus(['images'], { env: { JANUS_HOST: 'unix:///nonexistent/janus.sock' } });
    fails(r, /janus daemon/, 'images without a daemon');
    assert.match(r.stderr, /\/nonexistent\/janus\.sock/, 'the error names the socket');
  });

  test('a usage error exits 125', async () => {
    const r = await d.janus(['images', '--no-such-flag']);
    assert.equal(r.code, 125, `stderr: ${r.stderr}`);
    assert.match(r.stderr, /no-such-flag/);
  });

  test('a second daemon on the same root is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'janus-second-'));
    try {
      const second = spawn(JANUS_BIN, ['daemon', '--root', d.root, '--host', `unix://${join(dir, 's.sock')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      second.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
      second.stdout.on('data', (b: Buffer) => { stderr += b.toString(); });
      const timer = setTimeout(() => second.kill('SIGKILL'), 15000);
      const code = await new Promise<number | null>((r) => second.once('exit', (c) => r(c)));
      clearTimeout(timer);
      assert.notEqual(code, 0, 'the second daemon must not start');
      assert.notEqual(code, null, `the second daemon had to be killed instead of refusing: ${stderr}`);
      assert.ok(stderr.includes(d.root), `the refusal names the root: ${stderr}`);
      assert.equal((await get(d.socket, '/_ping')).status, 200, 'the first daemon still answers');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('SIGTERM stops the daemon cleanly and a new one starts on the same root', async () => {
    await d.stop({ keepRoot: true });
    assert.deepEqual(d.exitStatus(), { code: 0, signal: null }, `the daemon exits 0 on SIGTERM; its log:\n${d.log().slice(-2000)}`);
    assert.ok(!existsSync(d.socket), 'a clean shutdown removes the socket');
    await d.restart();
    assert.equal((await get(d.socket, '/_ping')).status, 200);
  });
});
