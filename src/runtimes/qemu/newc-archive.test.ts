import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNewcArchive } from './newc-archive.ts';

test('cpio(1) reads the archive back: names, modes, contents (skips without cpio)', async (t) => {
  const cpio = await promisify(execFile)('cpio', ['--version']).then(() => true, () => false);
  const archive = writeNewcArchive([
    { type: 'dir', path: 'etc' },
    { type: 'file', path: 'etc/hello', data: Buffer.from('hi there\n') },
    { type: 'file', path: '/init', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
  ]);
  assert.equal(archive.length % 4, 0);
  assert.ok(archive.includes(Buffer.from('TRAILER!!!')));
  if (!cpio) return t.skip('cpio is not installed');
  const dir = await mkdtemp(join(tmpdir(), 'newc-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'a.cpio'), archive);
  await promisify(execFile)('sh', ['-c', 'cpio -id --quiet < a.cpio'], { cwd: dir });
  assert.equal(await readFile(join(dir, 'etc/hello'), 'utf8'), 'hi there\n');
  assert.equal((await stat(join(dir, 'init'))).mode & 0o777, 0o755);
});

test('the same entries give the same bytes; paths with .. are refused', () => {
  const e = [{ type: 'file' as const, path: 'a', data: Buffer.from('x') }];
  assert.deepEqual(writeNewcArchive(e), writeNewcArchive(e));
  assert.throws(() => writeNewcArchive([{ type: 'dir', path: '../etc' }]), /invalid initramfs path/);
});
