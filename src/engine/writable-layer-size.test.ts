import { test } from 'node:test';
import assert from 'node:assert/strict';
import { link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writableLayerSize } from './writable-layer-size.ts';

test('a writable layer measures like docker: file bytes, hard links once, directories and empty files nothing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'janus-rw-'));
  try {
    assert.equal(await writableLayerSize(dir), 0, 'empty');
    await mkdir(join(dir, 'etc', 'deep'), { recursive: true });
    await writeFile(join(dir, 'etc', 'hostname'), '');
    assert.equal(await writableLayerSize(dir), 0, 'runc\'s mount points: directories and empty files');
    await writeFile(join(dir, 'etc', 'deep', 'data'), Buffer.alloc(300_000));
    await link(join(dir, 'etc', 'deep', 'data'), join(dir, 'again'));
    await symlink('etc/deep/data', join(dir, 'sym'));
    assert.equal(await writableLayerSize(dir), 300_000 + 'etc/deep/data'.length, 'the hard link once, the symlink its own length');
    assert.equal(await writableLayerSize(join(dir, 'nope')), 0, 'a missing layer');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
