import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeContainerService } from '../../../test/fakes/fake-container-service.ts';
import { FakeImageService } from '../../../test/fakes/fake-image-service.ts';
import { invalidArgument } from '../../core/errors.ts';
import type { EngineEvent } from '../../core/events.ts';
import { RunStepFailed, type BuildRequest, type BuildService } from '../../engine/build-service.ts';
import type { VolumeService } from '../../engine/volume-service.ts';
import { silentLogger } from '../../util/logger.ts';
import type { EventBus } from './event-bus.ts';
import { createApiServer } from './server.ts';
import type { SystemService } from './system-service.ts';

const events: EventBus = { publish() {}, subscribe: () => ({ backlog: [] as EngineEvent[], unsubscribe() {} }) };
const system = { serverVersion: '9.9.9' } as SystemService;

describe('build routes (fake builder, unix socket)', () => {
  let dir: string;
  let socketPath: string;
  let server: Server;
  let seen: { request: Omit<BuildRequest, 'context'>; body: string } | undefined;
  let behaviour: 'ok' | 'run-fails' | 'parse-error' = 'ok';

  const builds: BuildService = {
    async build(request, { output }) {
      const chunks: Buffer[] = [];
      for await (const c of request.context) chunks.push(c as Buffer);
      const { context: _, ...rest } = request;
      seen = { request: rest, body: Buffer.concat(chunks).toString('utf8') };
      if (behaviour === 'parse-error') throw invalidArgument('Dockerfile parse error on line 3: unknown instruction: FOO');
      output.text('Step 1/2 : FROM busybox\n');
      if (behaviour === 'run-fails') {
        output.text('Step 2/2 : RUN exit 3\n');
        throw new RunStepFailed("The command '/bin/sh -c exit 3' returned a non-zero code: 3", 3);
      }
      return { id: `sha256:${'ab'.repeat(32)}`, tags: request.tags ?? [], unusedArgs: [] };
    },
    async prune() {
      return { deleted: [`sha256:${'c'.repeat(64)}`], spaceReclaimed: 42 };
    },
  };

  function call(method: string, path: string, body = ''): Promise<{ status: number; lines: any[]; text: string }> {
    return new Promise((done, fail) => {
      const req = request({ socketPath, path, method, agent: false, headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const lines = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
          done({ status: res.statusCode ?? 0, lines, text });
        });
      });
      req.on('error', fail);
      req.end(body);
    });
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'janus-build-api-'));
    socketPath = join(dir, 'api.sock');
    server = createApiServer({ images: new FakeImageService(), containers: new FakeContainerService(), volumes: {} as VolumeService, system, events, logger: silentLogger, builds });
    await new Promise<void>((r) => server.listen(socketPath, r));
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  test('the docker CLI\'s query becomes a BuildRequest; the stream carries the output, aux.ID and the success lines', async () => {
    behaviour = 'ok';
    const q = new URLSearchParams([
      ['t', 'a:1'], ['t', 'b'], ['dockerfile', 'sub/Dockerfile'], ['buildargs', '{"A":"1","B":null}'], ['labels', '{"l":"v"}'],
      ['target', 'builder'], ['nocache', '1'], ['pull', '1'], ['networkmode', 'host'], ['rm', '1'], ['memory', '0'], ['cpushares', '0'],
      ['cachefrom', '[]'], ['ulimits', 'null'], ['cpusetcpus', ''],
    ]);
    const r = await call('POST', `/v1.50/build?${q}`, 'CONTEXT');
    assert.equal(r.status, 200);
    assert.deepEqual(seen, {
      body: 'CONTEXT',
      request: { dockerfile: 'sub/Dockerfile', tags: ['a:1', 'b'], buildArgs: { A: '1', B: null }, target: 'builder', noCache: true, pull: true, labels: { l: 'v' }, network: { mode: 'host' } },
    });
    assert.deepEqual(r.lines, [
      { stream: 'Step 1/2 : FROM busybox\n' },
      { aux: { ID: `sha256:${'ab'.repeat(32)}` } },
      { stream: `Successfully built ${'ab'.repeat(6)}\n` },
      { stream: 'Successfully tagged a:1\n' },
      { stream: 'Successfully tagged b\n' },
    ]);
  });

  test('resource limits and extra hosts reach the RUN containers', async () => {
    behaviour = 'ok';
    await call('POST', '/build?memory=67108864&memswap=-1&cpushares=512&cpuquota=50000&cpuperiod=100000&shmsize=0&extrahosts=a:10.0.0.1,b:10.0.0.2');
    assert.deepEqual(seen!.request.resources, { memory: 67108864, memorySwap: -1, cpuShares: 512, cpus: 0.5 });
    assert.deepEqual(seen!.request.extraHosts, ['a:10.0.0.1', 'b:10.0.0.2']);
    assert.equal((await call('POST', '/build?memory=lots')).status, 400);
  });

  test('-q sends only aux and the ID; networkmode default is none', async () => {
    behaviour = 'ok';
    const r = await call('POST', '/build?q=1&networkmode=default');
    assert.deepEqual(r.lines, [{ aux: { ID: `sha256:${'ab'.repeat(32)}` } }, { stream: `sha256:${'ab'.repeat(32)}\n` }]);
    assert.deepEqual(seen!.request.network, { mode: 'none' });
  });

  test('a failing RUN ends the stream with its exit code as errorDetail.code; an early error is an HTTP status', async () => {
    behaviour = 'run-fails';
    const r = await call('POST', '/build');
    assert.equal(r.status, 200);
    const message = "The command '/bin/sh -c exit 3' returned a non-zero code: 3";
    assert.deepEqual(r.lines.at(-1), { errorDetail: { code: 3, message }, error: message });
    behaviour = 'parse-error';
    const p = await call('POST', '/build');
    assert.equal(p.status, 400);
    assert.match(p.text, /Dockerfile parse error on line 3: unknown instruction: FOO/);
  });

  test('what the classic builder does not offer is 501 naming it', async () => {
    for (const [query, pattern] of [
      ['version=2', /BuildKit/], ['cpusetcpus=0', /cpusetcpus=0/], ['remote=https://x/y.git', /remote/], ['cachefrom=["x"]', /cachefrom/], ['squash=1', /squash/],
    ] as const) {
      const r = await call('POST', `/build?${query}`);
      assert.equal(r.status, 501, query);
      assert.match(r.text, pattern);
    }
    assert.equal((await call('POST', '/build?buildargs=[1]')).status, 400);
  });

  test('build cache prune reports what went; filters are 501', async () => {
    const r = await call('POST', '/build/prune');
    assert.deepEqual(r.lines, [{ CachesDeleted: ['c'.repeat(25)], SpaceReclaimed: 42 }]);
    assert.equal((await call('POST', `/build/prune?filters=${encodeURIComponent('{"until":["24h"]}')}`)).status, 501);
    assert.equal((await call('POST', '/build/cancel')).status, 501);
  });
});
