import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { link, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isJanusError } from '../core/errors.ts';
import type { HostFacts } from '../host/host-probe.ts';
import { silentLogger } from '../util/logger.ts';
import { FakeImageService, makeDetail } from '../../test/fakes/fake-image-service.ts';
import { parseDaemonArgs, startDaemon, type RunningDaemon, type StartDaemonOptions } from './main.ts';

const FACTS: HostFacts = {
  kernelVersion: '6.1.0-test', operatingSystem: 'Test OS', osVersion: '1', architecture: 'x86_64', hostname: 'h',
  ncpu: 1, memTotal: 1 << 30, cgroupLayout: 'v2', ociRuntimes: [], qemu: [], kvmDevice: false, accelerators: [],
};

function get(socket: string, path: string, signal?: AbortSignal): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request({ socketPath: socket, path, method: 'GET', agent: false, signal }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end();
  });
}

describe('janus daemon (in-process, fake engine)', () => {
  let dir: string;
  let images: FakeImageService;
  const options = (over: Partial<StartDaemonOptions> = {}): StartDaemonOptions => ({
    root: join(dir, 'root'),
    socketPath: join(dir, 'run', 'janus.sock'),
    logger: silentLogger,
    hostProbe: { probe: async () => FACTS },
    createImageService: async () => images,
    ...over,
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'janus-daemon-unit-'));
    images = new FakeImageService();
    images.add(makeDetail());
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  test('serves the API on a 0660 socket, holds the root lock, and stops cleanly', async () => {
    const d = await startDaemon(options());
    try {
      const ping = await get(d.socketPath, '/_ping');
      assert.deepEqual(ping, { status: 200, body: 'OK' });
      assert.equal((await stat(d.socketPath)).mode & 0o777, 0o660);
      assert.equal((await readFile(join(d.root, 'janus.pid'), 'utf8')).trim(), String(process.pid));
      const info = JSON.parse((await get(d.socketPath, '/info')).body);
      assert.equal(info.DockerRootDir, d.root);
      assert.equal(info.Images, 1);
      assert.match(info.ID, /^[0-9a-f-]{36}$/);

      await assert.rejects(startDaemon(options({ socketPath: join(dir, 'other.sock') })), (err: unknown) => {
        assert.ok(isJanusError(err, 'Conflict'));
        assert.equal(err.message, `another janus daemon (pid ${process.pid}) is using root ${d.root}`);
        return true;
      });
      assert.equal((await get(d.socketPath, '/_ping')).status, 200, 'the refused second daemon left the first alone');
    } finally {
      await d.stop();
    }
    assert.ok(!existsSync(join(dir, 'run', 'janus.sock')), 'stop removes the socket');
    assert.ok(!existsSync(join(dir, 'root', 'janus.pid')), 'stop removes the pid file');
  });

  test('the engine ID survives a restart', async () => {
    const a = await startDaemon(options());
    const id1 = JSON.parse((await get(a.socketPath, '/info')).body).ID;
    await a.stop();
    const b = await startDaemon(options());
    const id2 = JSON.parse((await get(b.socketPath, '/info')).body).ID;
    await b.stop();
    assert.equal(id1, id2);
  });

  test('a stale pid file (dead pid) and a stale socket are replaced', async () => {
    // A pid that cannot be alive: above the kernel's pid_max.
    await writeFile(join(dir, 'root', 'janus.pid'), '99999999\n');
    const live = createServer();
    const tmpSock = join(dir, 'tmp.sock');
    await new Promise<void>((r) => live.listen(tmpSock, r));
    await link(tmpSock, join(dir, 'run', 'janus.sock')); // a second name for it: stays behind as a dead socket
    await new Promise((r) => live.close(r));
    assert.ok((await stat(join(dir, 'run', 'janus.sock'))).isSocket(), 'the test left a dead socket behind');
    const d = await startDaemon(options());
    try {
      assert.equal((await get(d.socketPath, '/_ping')).status, 200);
    } finally {
      await d.stop();
    }
  });

  test('a pid file naming a live process that is not a janus daemon is stale', async () => {
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await writeFile(join(dir, 'root', 'janus.pid'), `${sleeper.pid}\n`);
      const d = await startDaemon(options());
      assert.equal((await readFile(join(dir, 'root', 'janus.pid'), 'utf8')).trim(), String(process.pid));
      await d.stop();
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  test('a socket something else answers on, or a non-socket file, is not taken over', async () => {
    const other = createServer((s) => s.end());
    const sock = join(dir, 'busy.sock');
    await new Promise<void>((r) => other.listen(sock, r));
    try {
      await assert.rejects(startDaemon(options({ socketPath: sock })), (err: unknown) => isJanusError(err, 'Conflict') && /listening on/.test(err.message));
    } finally {
      await new Promise((r) => other.close(r));
    }
    const file = join(dir, 'plain-file');
    await writeFile(file, 'keep me');
    await assert.rejects(startDaemon(options({ socketPath: file })), (err: unknown) => isJanusError(err, 'InvalidArgument'));
    assert.equal(await readFile(file, 'utf8'), 'keep me');
    assert.ok(!existsSync(join(dir, 'root', 'janus.pid')), 'a failed start releases the lock');
  });

  test('stop aborts in-flight operations and ends /events followers', async () => {
    let sawAbort = false;
    images.pull = async (_ref, o = {}) => {
      o.progress?.({ id: 'latest', status: 'Pulling from library/slow' });
      o.progress?.({ id: 'aaaaaaaaaaaa', status: 'Pulling fs layer' });
      await new Promise<void>((_resolve, reject) => {
        o.signal?.addEventListener('abort', () => { sawAbort = true; reject(Object.assign(new Error('aborted'), { name: 'AbortError' })); });
      });
      throw new Error('unreachable');
    };
    const d: RunningDaemon = await startDaemon(options());
    const pull = new Promise<{ status: number; body: string }>((done, fail) => {
      const req = request({ socketPath: d.socketPath, path: '/images/create?fromImage=slow&tag=1', method: 'POST', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { body += c; });
        res.on('end', () => done({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', fail);
      req.end();
    });
    const follow = get(d.socketPath, '/events');
    await new Promise((r) => setTimeout(r, 150));
    const t0 = Date.now();
    await d.stop();
    assert.ok(Date.now() - t0 < 5000, 'stop did not wait for the drain timeout');
    const p = await pull;
    assert.ok(sawAbort, 'the engine call saw its signal aborted');
    assert.equal(p.status, 200);
    assert.match(p.body, /"errorDetail":\{"code":\d+,"message":"canceled"\}/);
    assert.equal((await follow).status, 200);
  });

  test('parseDaemonArgs: defaults, -H, repeatable --insecure-registry, bad values', () => {
    assert.deepEqual(parseDaemonArgs([]), {
      root: '/var/lib/janus', socketPath: '/run/janus/janus.sock', insecureRegistries: [], logLevel: 'info', help: false,
      dashboard: { address: { host: '127.0.0.1', port: 2380 }, required: false },
    });
    const a = parseDaemonArgs(['--root', '/tmp/r', '-H', 'unix:///tmp/s.sock', '--insecure-registry', 'reg:5000', '--insecure-registry', 'other', '--log-level', 'debug']);
    assert.equal(a.root, '/tmp/r');
    assert.equal(a.socketPath, '/tmp/s.sock');
    assert.deepEqual(a.insecureRegistries, ['reg:5000', 'other']);
    assert.equal(a.logLevel, 'debug');
    assert.throws(() => parseDaemonArgs(['--host', 'tcp://0.0.0.0:2375']), /only unix:\/\/\/PATH/);
    assert.throws(() => parseDaemonArgs(['--log-level', 'loud']), /--log-level/);
    assert.throws(() => parseDaemonArgs(['--bogus']), /bogus/);
    assert.throws(() => parseDaemonArgs(['--insecure-registry', 'http://x/']), /--insecure-registry/);
  });
});
