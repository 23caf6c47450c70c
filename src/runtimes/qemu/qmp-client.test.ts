import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isJanusError } from '../../core/errors.ts';
import { QmpClient } from './qmp-client.ts';

test('a QEMU that dies after accepting, before its greeting, fails the connect instead of hanging it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'janus-qmp-'));
  const server = createServer((sock) => sock.destroy());
  try {
    const path = join(dir, 'qmp');
    await new Promise<void>((resolve) => server.listen(path, resolve));
    await assert.rejects(QmpClient.connect(path), (err) => isJanusError(err, 'Unavailable'));
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('the greeting, capabilities, then commands answered by id', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'janus-qmp-'));
  const server = createServer((sock) => {
    sock.write('{"QMP": {"version": {}, "capabilities": []}}\n');
    sock.on('data', (b) => {
      for (const line of b.toString().split('\n').filter(Boolean)) {
        const { execute, id } = JSON.parse(line) as { execute: string; id: number };
        sock.write(`${JSON.stringify(execute === 'query-status' ? { return: { status: 'running' }, id } : { return: {}, id })}\n`);
      }
    });
  });
  try {
    const path = join(dir, 'qmp');
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const qmp = await QmpClient.connect(path);
    assert.deepEqual(await qmp.execute('query-status'), { status: 'running' });
    qmp.close();
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
