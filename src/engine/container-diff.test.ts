import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isJanusError } from '../core/errors.ts';
import { NodeExec } from '../util/exec.ts';
import { diffUpper } from './container-diff.ts';
import { readXattrsUnder } from './container-files-xattrs.ts';

const isRoot = process.getuid?.() === 0;
const rootOnly = isRoot ? false : 'overlay whiteouts (character devices 0:0) and trusted.overlay.* xattrs need root';

describe('diffUpper', { skip: rootOnly }, () => {
  const exec = new NodeExec();
  let base: string;
  const file = async (path: string, data = 'x') => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, data);
  };
  const whiteout = async (path: string) => {
    await mkdir(dirname(path), { recursive: true });
    await exec.run('mknod', [path, 'c', '0', '0']);
  };
  const opaque = async (path: string) => {
    await mkdir(path, { recursive: true });
    await exec.run('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', path]);
  };
  const lowerOpaque = async (dir: string) => {
    const attrs = await readXattrsUnder(exec, dir, '^trusted\\.overlay\\.opaque$');
    return new Set([...attrs.keys()]);
  };
  const layers = (name: string) => ({ upperDir: join(base, name, 'upper'), lowerDirs: [join(base, name, 'top'), join(base, name, 'bottom')] });

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'janus-diff-'));
  });
  after(async () => { await rm(base, { recursive: true, force: true }); });

  it("lists docker's A/C/D, parents as modified, sorted by path", async () => {
    const { upperDir: up, lowerDirs: [top, bottom] } = layers('main');
    // The image: two layers, the top one deleting `gone` and making `opq` opaque.
    await file(join(bottom!, 'etc/passwd'), 'root');
    await file(join(bottom!, 'etc/group'));
    await file(join(bottom!, 'data/a'));
    await file(join(bottom!, 'data/b'));
    await file(join(bottom!, 'old/x'));
    await file(join(bottom!, 'old/y'));
    await mkdir(join(bottom!, 'var/log'), { recursive: true });
    await file(join(bottom!, 'gone'));
    await file(join(bottom!, 'opq/hidden'));
    await file(join(top!, 'etc/passwd'), 'root, changed in the image');
    await whiteout(join(top!, 'gone'));
    await opaque(join(top!, 'opq'));
    await file(join(top!, 'opq/kept'));
    // The container's changes.
    await file(join(up, 'etc/passwd'), 'root, changed in the container');
    await file(join(up, 'etc/new'));
    await whiteout(join(up, 'old/x'));
    await opaque(join(up, 'data'));
    await file(join(up, 'data/c'));
    await file(join(up, 'newdir/f'));
    await file(join(up, 'newdir/sub/g'));
    await mkdir(join(up, 'var/log'), { recursive: true }); // copied up, unchanged
    await file(join(up, 'gone')); // deleted in the image: new again
    await file(join(up, 'opq/hidden')); // hidden by the image's opaque dir: new again
    await whiteout(join(up, 'never-existed'));
    // Mount points the runtime made: left out, like docker's init layer.
    await mkdir(join(up, 'proc'));
    await file(join(up, 'etc/hosts'), '');
    await file(join(up, 'etc/resolv.conf'), '');

    const diff = await diffUpper({ upperDir: up, lowerDirs: [top!, bottom!] }, { exec, lowerOpaque, context: 'container test' });
    assert.deepEqual(diff.changes.map((c) => `${'CAD'[c.kind]} ${c.path}`), [
      'C /data',
      'D /data/a',
      'D /data/b',
      'A /data/c',
      'C /etc',
      'A /etc/new',
      'C /etc/passwd',
      'A /gone',
      'A /newdir',
      'A /newdir/f',
      'A /newdir/sub',
      'A /newdir/sub/g',
      'C /old',
      'D /old/x',
      'C /opq',
      'A /opq/hidden',
    ]);
    assert.deepEqual([...diff.excluded].sort(), ['etc/hosts', 'etc/resolv.conf', 'proc']);
    assert.deepEqual([...diff.opaque], ['data']);
  });

  it('reports a directory whose mode changed, and a file that replaced a directory', async () => {
    const { upperDir: up, lowerDirs: [top, bottom] } = layers('modes');
    await mkdir(join(bottom!, 'srv/www'), { recursive: true });
    await mkdir(top!, { recursive: true });
    await mkdir(join(up, 'srv'), { recursive: true });
    await chmod(join(up, 'srv'), 0o700);
    await file(join(up, 'srv/www'), 'now a file');
    const diff = await diffUpper({ upperDir: up, lowerDirs: [top!, bottom!] }, { exec, lowerOpaque, context: 'container test' });
    assert.deepEqual(diff.changes.map((c) => `${'CAD'[c.kind]} ${c.path}`), ['C /srv', 'C /srv/www']);
  });

  it('leaves a new /etc out when it only holds runtime mount points (a FROM scratch image)', async () => {
    const up = join(base, 'scratch', 'upper');
    await file(join(up, 'etc/hostname'), '');
    await file(join(up, 'etc/hosts'), '');
    await mkdir(join(up, 'dev'));
    await file(join(up, 'app'), 'binary');
    const diff = await diffUpper({ upperDir: up, lowerDirs: [] }, { exec, lowerOpaque, context: 'container test' });
    assert.deepEqual(diff.changes.map((c) => `${'CAD'[c.kind]} ${c.path}`), ['A /app']);
    assert.ok(diff.excluded.has('etc') && diff.excluded.has('dev'));
  });

  it('refuses layers written with overlayfs redirect_dir, which it cannot read', async () => {
    const { upperDir: up, lowerDirs } = layers('redirect');
    await mkdir(join(up, 'moved'), { recursive: true });
    for (const d of lowerDirs) await mkdir(d, { recursive: true });
    await exec.run('setfattr', ['-n', 'trusted.overlay.redirect', '-v', '/orig', join(up, 'moved')]);
    await assert.rejects(diffUpper({ upperDir: up, lowerDirs }, { exec, lowerOpaque, context: 'container test' }),
      (err) => isJanusError(err, 'NotImplemented') && /redirect_dir/.test(err.message));
  });
});
