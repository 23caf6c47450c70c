import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isJanusError } from '../core/errors.ts';
import { NodeExec } from '../util/exec.ts';
import { silentLogger } from '../util/logger.ts';
import { WorkloadSnapshots, copyArgs } from './workload-snapshots.ts';

test('the copy keeps owners, modes, xattrs and holes, reflinks where it can, and never nests into an existing directory', () => {
  assert.deepEqual(copyArgs('/a/fs', '/b/layer'), ['-a', '--reflink=auto', '--sparse=always', '-T', '/a/fs', '/b/layer']);
});

test('staged, published, listed, removed; a name is taken once; leftovers and orphans go at init', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wsnap-'));
  try {
    const store = new WorkloadSnapshots({ dir: join(dir, 'snaps'), exec: new NodeExec(), logger: silentLogger });
    const src = join(dir, 'upper');
    await mkdir(src);
    await writeFile(join(src, 'f'), 'data');
    const staging = await store.stage('c1', 's1', 'web');
    await store.copy(src, join(staging, 'layer'));
    const rec = await store.publish(staging, {
      name: 's1', containerId: 'c1', created: '2026-01-01T00:00:00.000Z', isolation: 'container', image: 'busybox', imageId: 'sha256:aa',
      vmKernel: '', kernelRelease: '', volumes: [], layer: true, disk: false,
    });
    assert.ok(rec.size > 0);
    assert.match(rec.copyMode, /^(reflink|copy)$/);
    assert.deepEqual((await store.list()).map((s) => s.name), ['s1']);
    await assert.rejects(store.stage('c1', 's1', 'web'), (err: unknown) => isJanusError(err, 'Conflict') && /web already has a snapshot named s1/.test((err as Error).message));
    await assert.rejects(store.get('c1', 'nope', 'web'), (err: unknown) => isJanusError(err, 'NotFound') && /No such snapshot: nope of container web/.test((err as Error).message));
    // A crash mid-create leaves a staging directory; a removed container leaves its snapshots.
    await store.stage('c1', 's2', 'web');
    await mkdir(join(dir, 'snaps', 'gone-container', 'x'), { recursive: true });
    await store.init(new Set(['c1']));
    assert.deepEqual(await readdir(join(dir, 'snaps')), ['c1']);
    assert.deepEqual(await readdir(join(dir, 'snaps', 'c1')), ['s1']);
    await store.remove('c1', 's1', 'web');
    assert.deepEqual(await store.list('c1'), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
