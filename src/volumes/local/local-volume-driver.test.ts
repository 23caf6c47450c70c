import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isJanusError } from '../../core/errors.ts';
import { NodeExec } from '../../util/exec.ts';
import { LocalVolumeDriver, mountArgs } from './local-volume-driver.ts';

const isRoot = process.getuid?.() === 0;

describe('LocalVolumeDriver', () => {
  let base: string;
  let n = 0;
  before(async () => { base = await mkdtemp(join(tmpdir(), 'janus-vol-')); });
  after(async () => { await rm(base, { recursive: true, force: true }); });
  const fresh = () => {
    const root = join(base, String(n++));
    return { root, driver: new LocalVolumeDriver({ root, exec: new NodeExec() }) };
  };

  it('creates, lists and finds volumes; data survives a new driver on the same root', async () => {
    const { root, driver } = fresh();
    const v = await driver.create('data', { labels: { app: 'x' } });
    assert.equal(v.mountpoint, join(root, 'data', '_data'));
    assert.deepEqual(v.labels, { app: 'x' });
    const path = await driver.mount('data', 'c1');
    await writeFile(join(path, 'f'), 'kept');
    await driver.unmount('data', 'c1');
    const again = new LocalVolumeDriver({ root, exec: new NodeExec() });
    assert.deepEqual((await again.list()).map((x) => x.name), ['data']);
    assert.equal(await readFile(join((await again.get('data')).mountpoint, 'f'), 'utf8'), 'kept');
    assert.ok((await again.usage('data')) > 0);
  });

  it('creating an existing name is idempotent with the same options and a Conflict with others', async () => {
    const { driver } = fresh();
    const a = await driver.create('v1');
    const b = await driver.create('v1');
    assert.equal(a.createdAt.getTime(), b.createdAt.getTime());
    await assert.rejects(driver.create('v1', { driverOptions: { type: 'tmpfs', device: 'tmpfs' } }), (e: unknown) => isJanusError(e, 'Conflict'));
  });

  it('refuses bad names and unknown or incomplete options, naming them', async () => {
    const { driver } = fresh();
    await assert.rejects(driver.create('a'), (e: unknown) => isJanusError(e, 'InvalidArgument') && /"a"/.test((e as Error).message));
    await assert.rejects(driver.create('../x'), (e: unknown) => isJanusError(e, 'InvalidArgument'));
    await assert.rejects(driver.create('ok1', { driverOptions: { size: '1g' } }), (e: unknown) => isJanusError(e, 'InvalidArgument') && /"size"/.test((e as Error).message));
    await assert.rejects(driver.create('ok2', { driverOptions: { type: 'tmpfs' } }), (e: unknown) => isJanusError(e, 'InvalidArgument') && /device/.test((e as Error).message));
    await assert.rejects(driver.create('ok3', { driverOptions: { type: 'none', device: 'rel', o: 'bind' } }), (e: unknown) => isJanusError(e, 'InvalidArgument') && /absolute/.test((e as Error).message));
    await assert.rejects(driver.get('nope'), (e: unknown) => isJanusError(e, 'NotFound'));
  });

  it('refuses to remove a volume in use unless forced, and removes its data', async () => {
    const { driver } = fresh();
    const v = await driver.create('busy');
    await driver.mount('busy', 'c1');
    await driver.mount('busy', 'c2');
    assert.deepEqual(await driver.users('busy'), ['c1', 'c2']);
    await assert.rejects(driver.remove('busy'), (e: unknown) => isJanusError(e, 'Conflict') && /c1, c2/.test((e as Error).message));
    await driver.unmount('busy', 'c1');
    await assert.rejects(driver.remove('busy'), (e: unknown) => isJanusError(e, 'Conflict'));
    await driver.remove('busy', { force: true });
    await assert.rejects(stat(v.mountpoint), /ENOENT/);
    await assert.rejects(driver.remove('busy'), (e: unknown) => isJanusError(e, 'NotFound'));
  });

  it('builds mount arguments from the options', () => {
    assert.deepEqual(mountArgs({ type: 'tmpfs', device: 'tmpfs', o: 'size=1m' }, '/v/_data'), ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', '/v/_data']);
    assert.deepEqual(mountArgs({ type: 'none', device: '/srv', o: 'bind' }, '/v/_data'), ['-t', 'none', '-o', 'bind', '/srv', '/v/_data']);
  });

  it('mounts a tmpfs volume while in use and unmounts it after the last user', { skip: isRoot ? false : 'mounting tmpfs needs root' }, async () => {
    const { driver } = fresh();
    await driver.create('scratch', { driverOptions: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } });
    const path = await driver.mount('scratch', 'c1');
    await driver.mount('scratch', 'c2');
    await writeFile(join(path, 'f'), 'in memory');
    const mounts = await readFile('/proc/self/mounts', 'utf8');
    assert.ok(mounts.split('\n').some((l) => l.startsWith('tmpfs ') && l.includes(` ${path} tmpfs `)), 'tmpfs is mounted on the volume');
    await driver.unmount('scratch', 'c1');
    assert.equal(await readFile(join(path, 'f'), 'utf8'), 'in memory', 'still mounted for c2');
    await driver.unmount('scratch', 'c2');
    await assert.rejects(readFile(join(path, 'f')), /ENOENT/, 'the tmpfs is gone with its last user');
    assert.equal(await driver.usage('scratch'), -1);
    await driver.remove('scratch');
  });
});
