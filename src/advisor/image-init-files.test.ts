import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { findInitSystemFiles } from './image-init-files.ts';

const root = await mkdtemp(join(tmpdir(), 'janus-init-files-'));
after(() => rm(root, { recursive: true, force: true }));

async function layer(name: string, files: Record<string, string | { link: string }>): Promise<string> {
  const dir = join(root, name);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    if (typeof content === 'string') await writeFile(join(dir, path), content);
    else await symlink(content.link, join(dir, path));
  }
  await mkdir(dir, { recursive: true });
  return dir;
}

describe('findInitSystemFiles', () => {
  it('finds systemd in any layer, and /sbin/init when it links to systemd', async () => {
    const base = await layer('base', { 'lib/systemd/systemd': 'elf', 'sbin/init': { link: '/lib/systemd/systemd' } });
    const app = await layer('app', { 'app/run': 'x' });
    assert.deepEqual(await findInitSystemFiles([base, app]), ['/lib/systemd/systemd', '/sbin/init -> /lib/systemd/systemd']);
  });

  it('finds nothing in an image without systemd (busybox\'s /sbin/init is not systemd)', async () => {
    const bb = await layer('busybox', { 'bin/busybox': 'elf', 'sbin/init': { link: '../bin/busybox' } });
    assert.deepEqual(await findInitSystemFiles([bb]), []);
  });

  it('honours a whiteout in an upper layer', { skip: process.getuid?.() === 0 ? undefined : 'needs root to make a 0:0 character device (an overlay whiteout)' }, async () => {
    const base = await layer('wbase', { 'lib/systemd/systemd': 'elf' });
    const upper = await layer('wupper', {});
    await mkdir(join(upper, 'lib/systemd'), { recursive: true });
    execFileSync('mknod', [join(upper, 'lib/systemd/systemd'), 'c', '0', '0']);
    assert.deepEqual(await findInitSystemFiles([base, upper]), []);
  });

  it('throws when no layer can be read, so the advice says it could not check', async () => {
    await assert.rejects(findInitSystemFiles([join(root, 'missing')]), /can be read/);
  });
});
