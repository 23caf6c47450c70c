import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isJanusError } from '../core/errors.ts';
import { NodeExec } from '../util/exec.ts';
import { ScopedRoot } from './container-archive-root.ts';

const isRoot = process.getuid?.() === 0;

describe('ScopedRoot', () => {
  let base: string;
  let dir: string;
  let root: ScopedRoot;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'janus-scope-'));
    dir = join(base, 'rootfs');
    await mkdir(join(dir, 'usr/lib'), { recursive: true });
    await mkdir(join(dir, 'etc'), { recursive: true });
    await writeFile(join(dir, 'etc/passwd'), 'inside\n');
    await writeFile(join(dir, 'usr/lib/libc.so'), 'libc');
    await symlink('usr/lib', join(dir, 'lib'));
    await symlink('/usr/lib', join(dir, 'abslib'));
    await symlink('../../../../../../etc', join(dir, 'climb'));
    await symlink('loop2', join(dir, 'loop1'));
    await symlink('loop1', join(dir, 'loop2'));
    await symlink('/etc/passwd', join(dir, 'passwd-link'));
    await writeFile(join(base, 'outside'), 'host secret');
    root = await ScopedRoot.open(dir, { context: 'container test' });
  });
  after(async () => {
    await root.close();
    await rm(base, { recursive: true, force: true });
  });

  const at = async (path: string, followLast = false) => {
    const loc = await root.locate(path, { followLast });
    await root.release(loc.parent);
    return loc;
  };

  it('follows relative and absolute symlinks with the container root as /', async () => {
    assert.equal((await at('/lib/libc.so')).path, '/usr/lib/libc.so');
    assert.equal((await at('/abslib/libc.so')).path, '/usr/lib/libc.so');
    assert.equal((await at('/lib/libc.so')).stat?.size, 4);
  });

  it('never climbs above the root, through .. or a link', async () => {
    assert.equal((await at('/../../../etc/passwd')).path, '/etc/passwd');
    const viaLink = await at('/climb/passwd');
    assert.equal(viaLink.path, '/etc/passwd');
    assert.equal(viaLink.stat?.size, 'inside\n'.length);
    assert.equal((await at('/../outside')).stat, undefined, 'the host file beside the root is not reachable');
  });

  it('leaves the last component alone unless asked, and resolves it in scope when asked', async () => {
    const link = await at('/passwd-link');
    assert.ok(link.stat?.isSymbolicLink());
    assert.equal(link.path, '/passwd-link');
    const target = await at('/passwd-link', true);
    assert.equal(target.path, '/etc/passwd');
    assert.ok(target.stat?.isFile());
  });

  it('ends on a directory it holds for the root and for links to directories', async () => {
    const top = await at('/');
    assert.equal(top.name, '');
    assert.equal(top.path, '/');
    assert.ok(top.stat?.isDirectory());
    const lib = await at('/lib/', true);
    assert.equal(lib.path, '/usr/lib');
  });

  it('reports a missing last component without a stat, and a missing directory as NotFound', async () => {
    const missing = await at('/etc/nope');
    assert.equal(missing.stat, undefined);
    assert.equal(missing.path, '/etc/nope');
    await assert.rejects(at('/nope/file'), (err) => isJanusError(err, 'NotFound'));
    await assert.rejects(at('/etc/passwd/x'), (err) => isJanusError(err, 'NotFound'));
  });

  it('refuses symlink loops', async () => {
    await assert.rejects(at('/loop1', true), (err) => isJanusError(err, 'InvalidArgument') && /too many levels of symbolic links/.test(err.message));
  });

  it('makes missing directories when asked', async () => {
    const loc = await root.locate('/lib/new/deeper/file', { followLast: false, create: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 } });
    await root.release(loc.parent);
    assert.equal(loc.path, '/usr/lib/new/deeper/file');
    assert.equal(loc.stat, undefined);
  });

  it('does not enter a mount point the container view leaves out', { skip: isRoot ? false : 'mounting a tmpfs needs root' }, async () => {
    const exec = new NodeExec();
    const m = join(dir, 'proc-like');
    const v = join(dir, 'volume');
    await mkdir(m);
    await mkdir(v);
    await exec.run('mount', ['-t', 'tmpfs', 'tmpfs', m]);
    await exec.run('mount', ['-t', 'tmpfs', 'tmpfs', v]);
    try {
      await writeFile(join(m, 'cpuinfo'), 'x');
      await writeFile(join(v, 'data'), 'y');
      const scoped = await ScopedRoot.open(dir, { context: 'container test', visibleMounts: ['/volume/'] });
      try {
        await assert.rejects(scoped.locate('/proc-like/cpuinfo', { followLast: false }), (err) => isJanusError(err, 'NotFound'));
        const data = await scoped.locate('/volume/data', { followLast: false });
        await scoped.release(data.parent);
        assert.ok(data.stat?.isFile());
        assert.equal(await scoped.openDir(scoped.root, 'proc-like'), 'hidden');
      } finally {
        await scoped.close();
      }
    } finally {
      await exec.run('umount', [m]);
      await exec.run('umount', [v]);
    }
  });
});
