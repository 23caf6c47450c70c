import assert from 'node:assert/strict';
import { link, mkdir, mkdtemp, readFile, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isJanusError } from '../../core/errors.ts';
import type { Mount } from '../../core/snapshotter.ts';
import { NodeExec } from '../../util/exec.ts';
import { OverlaySnapshotter } from './overlay-snapshotter.ts';

const upper = (m: Mount[]) => m[0]!.type === 'bind' ? m[0]!.source : m[0]!.options.find((o) => o.startsWith('upperdir='))!.slice(9);
const lowerdirs = (m: Mount[]) => m[0]!.options.find((o) => o.startsWith('lowerdir='))!.slice(9).split(':');

describe('OverlaySnapshotter', () => {
  let base: string;
  before(async () => { base = await mkdtemp(join(tmpdir(), 'janus-ovl-')); });
  after(async () => { await rm(base, { recursive: true, force: true }); });
  let n = 0;
  const fresh = () => {
    const root = join(base, String(n++));
    return { root, snap: new OverlaySnapshotter({ root }) };
  };

  it('gives a base layer a writable bind mount and stacks children as overlay, nearest parent first', async () => {
    const { root, snap } = fresh();
    const m1 = await snap.prepare('a-active');
    assert.deepEqual(m1, [{ type: 'bind', source: await snap.dir('a-active'), options: ['rbind', 'rw'] }]);
    await writeFile(join(upper(m1), 'one'), '1');
    await snap.commit('a', 'a-active');
    await assert.rejects(snap.stat('a-active'), (e: unknown) => isJanusError(e, 'NotFound'));
    const m2 = await snap.prepare('b-active', 'a');
    await snap.commit('b', 'b-active');
    const m3 = await snap.prepare('c', 'b', { labels: { x: 'y' } });
    assert.equal(m3[0]!.type, 'overlay');
    assert.equal(m3[0]!.source, 'overlay');
    const lowers = await Promise.all(lowerdirs(m3).map((p) => realpath(p)));
    assert.deepEqual(lowers, [await snap.dir('b'), await snap.dir('a')]);
    assert.equal(upper(m3), await snap.dir('c'));
    assert.ok(m3[0]!.options.some((o) => o.startsWith('workdir=' + join(root, 'snapshots'))));
    assert.equal(upper(m2), await snap.dir('b'));
    assert.deepEqual(await snap.mounts('c'), m3);
    const info = await snap.stat('c');
    assert.equal(info.kind, 'active');
    assert.equal(info.parent, 'b');
    assert.deepEqual(info.labels, { x: 'y' });
    // Everything survives a restart.
    const again = new OverlaySnapshotter({ root });
    const keys = [];
    for await (const i of again.walk()) keys.push(`${i.key}:${i.kind}`);
    assert.deepEqual(keys.sort(), ['a:committed', 'b:committed', 'c:active']);
    assert.equal(await readFile(join(await again.dir('a'), 'one'), 'utf8'), '1');
  });

  it('commits a layer unpacked without a parent onto a committed parent, and refuses to re-parent otherwise', async () => {
    const { snap } = fresh();
    assert.equal(snap.independentLayers, true);
    await snap.prepare('a-tmp');
    await snap.prepare('b-tmp');
    await writeFile(join(upper(await snap.mounts('b-tmp')), 'two'), '2');
    await assert.rejects(snap.commit('b', 'b-tmp', { parent: 'a-tmp' }), (e: unknown) => isJanusError(e, 'Conflict'));
    await assert.rejects(snap.commit('b', 'b-tmp', { parent: 'nope' }), (e: unknown) => isJanusError(e, 'NotFound'));
    await snap.commit('a', 'a-tmp');
    await snap.commit('b', 'b-tmp', { parent: 'a' });
    assert.equal((await snap.stat('b')).parent, 'a');
    const top = await snap.prepare('c', 'b');
    assert.deepEqual(await Promise.all(lowerdirs(top).map((p) => realpath(p))), [await snap.dir('b'), await snap.dir('a')]);
    await snap.prepare('d-tmp', 'a');
    await assert.rejects(snap.commit('d', 'd-tmp', { parent: 'b' }), (e: unknown) => isJanusError(e, 'Conflict'));
  });

  it('mounts views read-only: one parent as a ro bind, more as overlay with lowerdir only', async () => {
    const { snap } = fresh();
    await snap.prepare('a-tmp');
    await snap.commit('a', 'a-tmp');
    assert.deepEqual(await snap.view('v1', 'a'), [{ type: 'bind', source: await snap.dir('a'), options: ['rbind', 'ro'] }]);
    await snap.prepare('b-tmp', 'a');
    await snap.commit('b', 'b-tmp');
    const v2 = await snap.view('v2', 'b');
    assert.equal(v2[0]!.type, 'overlay');
    assert.equal(v2[0]!.options.length, 1);
    assert.equal(lowerdirs(v2).length, 2);
    assert.equal((await snap.stat('v2')).kind, 'view');
    await assert.rejects(snap.commit('v2c', 'v2'), (e: unknown) => isJanusError(e, 'Conflict'));
  });

  it('refuses duplicates, uncommitted or missing parents, committing onto an existing name, and removing parents', async () => {
    const { snap } = fresh();
    await snap.prepare('k');
    await assert.rejects(snap.prepare('k'), (e: unknown) => isJanusError(e, 'Conflict'));
    await assert.rejects(snap.prepare('x', 'k'), (e: unknown) => isJanusError(e, 'Conflict') && /not committed/.test(e.message));
    await assert.rejects(snap.prepare('x', 'nope'), (e: unknown) => isJanusError(e, 'NotFound'));
    await snap.commit('base', 'k');
    await snap.prepare('k2');
    await assert.rejects(snap.commit('base', 'k2'), (e: unknown) => isJanusError(e, 'Conflict'));
    await assert.rejects(snap.mounts('base'), (e: unknown) => isJanusError(e, 'Conflict'));
    await snap.prepare('child', 'base');
    await assert.rejects(snap.remove('base'), (e: unknown) => isJanusError(e, 'Conflict') && /child/.test(e.message));
    const dir = await snap.dir('child');
    await snap.remove('child');
    await assert.rejects(readdir(dir), { code: 'ENOENT' });
    await snap.remove('base');
    await assert.rejects(snap.remove('base'), (e: unknown) => isJanusError(e, 'NotFound'));
  });

  it('measures usage of the own layer only, counting hard-linked inodes once', async () => {
    const { snap } = fresh();
    const m = await snap.prepare('u');
    const dir = upper(m);
    await writeFile(join(dir, 'big'), Buffer.alloc(64 * 1024, 1));
    await link(join(dir, 'big'), join(dir, 'big-link'));
    await mkdir(join(dir, 'd'));
    await writeFile(join(dir, 'd', 'small'), 'x');
    const u = await snap.usage('u');
    assert.equal(u.inodes, 3, 'big (+ its link), d, d/small');
    assert.ok(u.size >= 64 * 1024 && u.size < 2 * 64 * 1024, `size ${u.size} counts the linked file once`);
  });

  it('cleanup removes unrecorded directories and temporary active snapshots, and keeps the rest', async () => {
    const { root, snap } = fresh();
    await snap.prepare('keep-tmp');
    await snap.commit('keep', 'keep-tmp', { labels: { 'janus.layer.size': '1' } });
    assert.deepEqual((await snap.stat('keep')).labels, { 'janus.layer.size': '1' });
    await snap.prepare('container', 'keep');
    await snap.prepare('extract-1', 'keep', { labels: { 'janus.temporary': 'true' } });
    const tmpDir = await snap.dir('extract-1');
    await mkdir(join(root, 'snapshots', 'zzz', 'fs'), { recursive: true }); // crash leftover
    const again = new OverlaySnapshotter({ root });
    assert.deepEqual(await again.cleanup(), ['extract-1']);
    assert.deepEqual((await readdir(join(root, 'snapshots'))).sort(), [(await again.dir('keep')).split('/').at(-2), (await again.dir('container')).split('/').at(-2)].sort());
    await assert.rejects(readdir(tmpDir), { code: 'ENOENT' });
    assert.equal((await again.stat('container')).kind, 'active');
  });

  it('fits a chain of 120 layers in the mount options under a typical root, and refuses a chain that cannot fit', async () => {
    const { snap } = fresh();
    let parent: string | undefined;
    for (let i = 0; i < 120; i++) {
      await snap.prepare(`t${i}`, parent);
      await snap.commit(`l${i}`, `t${i}`);
      parent = `l${i}`;
    }
    const m = await snap.prepare('top', parent);
    assert.equal(lowerdirs(m).length, 120);
    assert.ok(m[0]!.options.join(',').length < 4096);

    const deep = new OverlaySnapshotter({ root: join(base, 'a-very-long-root-directory-name-that-makes-every-lower-dir-path-long') });
    parent = undefined;
    let err: unknown;
    for (let i = 0; i < 120 && !err; i++) {
      try {
        await deep.prepare(`t${i}`, parent);
        await deep.commit(`l${i}`, `t${i}`);
        parent = `l${i}`;
      } catch (e) {
        err = e;
      }
    }
    assert.ok(isJanusError(err, 'ResourceExhausted'), String(err));
    assert.match((err as Error).message, /mount options/);
  });

  it('reports corrupted metadata as DataLoss naming the file', async () => {
    const { root, snap } = fresh();
    await snap.prepare('a');
    await writeFile(join(root, 'metadata.json'), '{"version":1,');
    await assert.rejects(new OverlaySnapshotter({ root }).stat('a'), (e: unknown) => isJanusError(e, 'DataLoss') && e.message.includes(join(root, 'metadata.json')));
  });

  it('produces mounts the kernel accepts', { skip: process.getuid?.() !== 0 ? 'mounting overlayfs needs root' : false }, async () => {
    const exec = new NodeExec();
    const { snap } = fresh();
    const m1 = await snap.prepare('a-tmp');
    await writeFile(join(upper(m1), 'from-a'), 'a');
    await writeFile(join(upper(m1), 'shadowed'), 'old');
    await snap.commit('a', 'a-tmp');
    const m2 = await snap.prepare('b-tmp', 'a');
    await writeFile(join(upper(m2), 'shadowed'), 'new');
    await snap.commit('b', 'b-tmp');
    const mounts = await snap.prepare('c', 'b');
    const target = join(base, 'mnt');
    await mkdir(target, { recursive: true });
    const m = mounts[0]!;
    await exec.run('mount', ['-t', m.type, m.source, '-o', m.options.join(','), target]);
    try {
      assert.equal(await readFile(join(target, 'from-a'), 'utf8'), 'a');
      assert.equal(await readFile(join(target, 'shadowed'), 'utf8'), 'new');
      await writeFile(join(target, 'written'), 'c');
    } finally {
      await exec.run('umount', [target]);
    }
    assert.equal(await readFile(join(await snap.dir('c'), 'written'), 'utf8'), 'c');
  });
});
