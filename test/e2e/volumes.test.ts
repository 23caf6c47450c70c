// Named and anonymous volumes through the real CLI, the real daemon and the
// docker CLI: create, list, inspect, data kept across daemon restarts, prune, rm.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { skipUnlessRoot, startDaemon, type TestDaemon } from '../support/daemon.ts';
import { fails, ok } from './helpers.ts';

const run = promisify(execFile);

describe('volumes end to end', { skip: skipUnlessRoot() }, () => {
  let d: TestDaemon;
  before(async () => { d = await startDaemon(); });
  after(async () => { await d?.stop(); });

  test('create, list, inspect; the data survives a daemon restart', async () => {
    assert.equal(ok(await d.janus(['volume', 'create', '--label', 'app=web', 'data']), 'volume create').trim(), 'data');
    const table = ok(await d.janus(['volume', 'ls']), 'volume ls');
    assert.match(table, /^DRIVER\s+VOLUME NAME\nlocal\s+data\n$/);
    assert.equal(ok(await d.janus(['volume', 'ls', '-q', '--filter', 'label=app=web']), 'volume ls -q --filter').trim(), 'data');
    assert.equal(ok(await d.janus(['volume', 'ls', '-q', '--filter', 'label=app=db']), 'a label that matches nothing').trim(), '');
    const mountpoint = ok(await d.janus(['volume', 'inspect', '--format', '{{.Mountpoint}}', 'data']), 'volume inspect').trim();
    assert.ok((await stat(mountpoint)).isDirectory(), `the mountpoint ${mountpoint} exists on the host`);
    const json = JSON.parse(ok(await d.janus(['volume', 'inspect', 'data']), 'volume inspect (json)')) as Array<Record<string, unknown>>;
    assert.equal(json[0]!.Driver, 'local');
    assert.deepEqual(json[0]!.Labels, { app: 'web' });
    await writeFile(join(mountpoint, 'kept.txt'), 'still here');

    await d.stop({ keepRoot: true });
    await d.restart();
    assert.equal(ok(await d.janus(['volume', 'ls', '-q']), 'volume ls after restart').trim(), 'data');
    assert.equal(await readFile(join(mountpoint, 'kept.txt'), 'utf8'), 'still here');
  });

  test('system df counts the volume and its bytes, in docker\'s table', async () => {
    const table = ok(await d.janus(['system', 'df']), 'system df');
    assert.match(table, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\n/);
    assert.match(table, /\nLocal Volumes\s+1\s+0\s+[\d.]+kB\s+[\d.]+kB \(100%\)\n/, `the volume with its kept.txt: ${table}`);
    assert.match(table, /\nImages\s+0\s+0\s+0B\s+0B\n/);
  });

  test('the docker CLI sees the same volumes', async (t) => {
    let out: string;
    try {
      out = (await run('docker', ['volume', 'ls', '--format', '{{.Name}}'], { env: { ...process.env, DOCKER_HOST: d.host } })).stdout;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return t.skip('the docker CLI is not installed');
      throw err;
    }
    assert.ok(out.split('\n').includes('data'), `docker volume ls lists data: ${out}`);
  });

  test('prune removes anonymous volumes, -a named ones too; rm and bad input are named', async () => {
    const anon = ok(await d.janus(['volume', 'create']), 'volume create (anonymous)').trim();
    assert.match(anon, /^[0-9a-f]{64}$/);
    const pruned = ok(await d.janus(['volume', 'prune', '-f']), 'volume prune -f');
    assert.match(pruned, new RegExp(`Deleted Volumes:\\n${anon}\\n`));
    assert.doesNotMatch(pruned, /\ndata\n/);
    fails(await d.janus(['volume', 'create', 'x']), /invalid volume name "x"/, 'a one-character name');
    fails(await d.janus(['volume', 'create', '-o', 'size=1g', 'sized']), /invalid option "size"/, 'an unknown local-driver option');
    fails(await d.janus(['volume', 'rm', 'nope']), /no such volume/, 'rm of a missing volume');
    ok(await d.janus(['volume', 'create', 'spare']), 'volume create spare');
    const all = ok(await d.janus(['volume', 'prune', '-a', '-f']), 'volume prune -a -f');
    assert.match(all, /\ndata\n/);
    assert.match(all, /\nspare\n/);
    assert.equal(ok(await d.janus(['volume', 'ls', '-q']), 'volume ls').trim(), '');
  });
});
