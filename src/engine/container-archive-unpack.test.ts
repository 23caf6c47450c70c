import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { isJanusError } from '../core/errors.ts';
import { NodeExec } from '../util/exec.ts';
import { ScopedRoot } from './container-archive-root.ts';
import { unpackInto } from './container-archive-unpack.ts';

const isRoot = process.getuid?.() === 0;
const rootOnly = isRoot ? false : 'the engine runs as root: giving files their archive owners and making device nodes need it';

type Entry = Partial<tar.Header> & { name: string; body?: string };

async function makeTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => { for await (const c of pack) chunks.push(c as Buffer); })();
  for (const { body, ...h } of entries) {
    await new Promise<void>((resolve, reject) => {
      pack.entry({ mtime: new Date('2021-02-03T04:05:06Z'), ...h } as tar.Header, body ?? '', (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

describe('unpackInto', { skip: rootOnly }, () => {
  let base: string;
  let dir: string;
  let n = 0;
  const exec = new NodeExec();
  before(async () => { base = await mkdtemp(join(tmpdir(), 'janus-unpack-cp-')); });
  after(async () => { await rm(base, { recursive: true, force: true }); });
  beforeEach(async () => {
    dir = join(base, `root${n++}`);
    await mkdir(join(dir, 'usr/lib'), { recursive: true });
    await mkdir(join(dir, 'dest/existing-dir'), { recursive: true });
    await writeFile(join(dir, 'dest/existing-file'), 'old');
    await symlink('usr/lib', join(dir, 'lib'));
    await symlink('/', join(dir, 'dest/to-root'));
  });

  const put = async (dest: string, data: Buffer, options: { noOverwriteDirNonDir?: boolean; owner?: { uid: number; gid: number } } = {}) => {
    const root = await ScopedRoot.open(dir, { context: 'container test' });
    try {
      await unpackInto(root, dest, Readable.from([data]), { ...options, exec, context: 'container test' });
    } finally {
      await root.close();
    }
  };
  const refused = (entry: string) => (err: unknown) => {
    assert.ok(isJanusError(err, 'InvalidArgument'), String(err));
    assert.ok(err.message.includes(`refusing archive entry ${JSON.stringify(entry)}`), err.message);
    return true;
  };

  it('extracts files, directories and links with their modes and times', async () => {
    await put('/dest', await makeTar([
      { name: 'app/', type: 'directory', mode: 0o750 },
      { name: 'app/run.sh', body: '#!/bin/sh\n', mode: 0o755 },
      { name: 'app/current', type: 'symlink', linkname: 'run.sh' },
      { name: 'app/again', type: 'link', linkname: 'app/run.sh' },
    ]));
    assert.equal(await readFile(join(dir, 'dest/app/run.sh'), 'utf8'), '#!/bin/sh\n');
    assert.equal((await stat(join(dir, 'dest/app/run.sh'))).mode & 0o7777, 0o755);
    assert.equal((await stat(join(dir, 'dest/app'))).mode & 0o7777, 0o750);
    assert.equal((await stat(join(dir, 'dest/app'))).mtime.toISOString(), '2021-02-03T04:05:06.000Z');
    assert.equal(await readlink(join(dir, 'dest/app/current')), 'run.sh');
    assert.equal((await stat(join(dir, 'dest/app/again'))).ino, (await stat(join(dir, 'dest/app/run.sh'))).ino);
  });

  it('accepts gzip-compressed archives', async () => {
    await put('/dest', gzipSync(await makeTar([{ name: 'z.txt', body: 'zipped' }])));
    assert.equal(await readFile(join(dir, 'dest/z.txt'), 'utf8'), 'zipped');
  });

  it('keeps the archive owners, or gives every entry the container user', async () => {
    await put('/dest', await makeTar([{ name: 'owned', body: 'x', uid: 1234, gid: 5678 }]));
    assert.deepEqual([(await stat(join(dir, 'dest/owned'))).uid, (await stat(join(dir, 'dest/owned'))).gid], [1234, 5678]);
    await put('/dest', await makeTar([{ name: 'mine', body: 'x', uid: 1234, gid: 5678 }, { name: 'd/', type: 'directory', uid: 1 }]), { owner: { uid: 42, gid: 43 } });
    assert.deepEqual([(await stat(join(dir, 'dest/mine'))).uid, (await stat(join(dir, 'dest/mine'))).gid], [42, 43]);
    assert.equal((await stat(join(dir, 'dest/d'))).uid, 42);
  });

  it('creates device nodes and fifos', async () => {
    await put('/dest', await makeTar([
      { name: 'null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'pipe', type: 'fifo', mode: 0o600 },
    ]));
    const dev = await lstat(join(dir, 'dest/null'));
    assert.ok(dev.isCharacterDevice());
    assert.equal(dev.rdev, (1 << 8) | 3);
    assert.ok((await lstat(join(dir, 'dest/pipe'))).isFIFO());
  });

  it('replaces files, merges into directories, and with noOverwriteDirNonDir refuses a type change', async () => {
    await put('/dest', await makeTar([{ name: 'existing-file', body: 'new' }, { name: 'existing-dir/', type: 'directory' }, { name: 'existing-dir/inside', body: 'in' }]));
    assert.equal(await readFile(join(dir, 'dest/existing-file'), 'utf8'), 'new');
    assert.equal(await readFile(join(dir, 'dest/existing-dir/inside'), 'utf8'), 'in');
    await assert.rejects(put('/dest', await makeTar([{ name: 'existing-dir', body: 'file now' }]), { noOverwriteDirNonDir: true }),
      (err) => isJanusError(err, 'Conflict') && /cannot overwrite directory/.test(err.message));
    await assert.rejects(put('/dest', await makeTar([{ name: 'existing-file/', type: 'directory' }]), { noOverwriteDirNonDir: true }),
      (err) => isJanusError(err, 'Conflict') && /cannot overwrite non-directory/.test(err.message));
    // Without the flag, docker replaces either way.
    await put('/dest', await makeTar([{ name: 'existing-dir', body: 'file now' }]));
    assert.equal(await readFile(join(dir, 'dest/existing-dir'), 'utf8'), 'file now');
  });

  it('makes missing parent directories and follows symlinks inside the container', async () => {
    await put('/', await makeTar([{ name: 'lib/libnew.so', body: 'so' }, { name: 'a/b/c', body: 'deep' }]));
    assert.equal(await readFile(join(dir, 'usr/lib/libnew.so'), 'utf8'), 'so', 'lib -> usr/lib is followed within the container');
    assert.equal(await readFile(join(dir, 'a/b/c'), 'utf8'), 'deep');
    assert.equal((await stat(join(dir, 'a/b'))).mode & 0o777, 0o755);
  });

  it('keeps absolute names under the destination, as docker does', async () => {
    await put('/dest', await makeTar([{ name: '/abs.txt', body: 'abs' }]));
    assert.equal(await readFile(join(dir, 'dest/abs.txt'), 'utf8'), 'abs');
  });

  it('refuses names, hard links and relative symlinks that lead outside the destination', async () => {
    await assert.rejects(put('/dest', await makeTar([{ name: '../evil', body: 'x' }])), refused('../evil'));
    await assert.rejects(put('/dest', await makeTar([{ name: 'a/../../evil', body: 'x' }])), refused('a/../../evil'));
    await assert.rejects(put('/dest', await makeTar([{ name: 'up', type: 'symlink', linkname: '../../etc' }])), refused('up'));
    await assert.rejects(put('/dest', await makeTar([{ name: 'hard', type: 'link', linkname: '../usr/lib' }])), refused('hard'));
    await assert.rejects(put('/dest', await makeTar([{ name: '.', body: 'x' }])), refused('.'));
    for (const name of ['evil', 'up', 'hard']) await assert.rejects(lstat(join(dir, name)));
    await assert.rejects(lstat(join(base, 'evil')));
  });

  it('never writes through a symlink to the host', async () => {
    // An existing link to / and one the archive itself makes both resolve inside the container root.
    await put('/dest', await makeTar([
      { name: 'to-root/planted', body: 'via existing link' },
      { name: 'mine', type: 'symlink', linkname: '/' },
      { name: 'mine/planted2', body: 'via archive link' },
    ]));
    assert.equal(await readFile(join(dir, 'planted'), 'utf8'), 'via existing link');
    assert.equal(await readFile(join(dir, 'planted2'), 'utf8'), 'via archive link');
    await assert.rejects(lstat('/planted'));
    await assert.rejects(lstat('/planted2'));
  });

  it('replaces a symlink at the entry name instead of following it', async () => {
    await symlink('/usr/lib/target', join(dir, 'dest/swap'));
    await put('/dest', await makeTar([{ name: 'swap', body: 'file' }]));
    assert.ok((await lstat(join(dir, 'dest/swap'))).isFile());
    await assert.rejects(lstat(join(dir, 'usr/lib/target')));
  });

  it('refuses input that is not a tar, and bzip2', async () => {
    await assert.rejects(put('/dest', Buffer.from('this is not a tar archive at all, only text that goes on long enough'.repeat(20))), (err) => isJanusError(err, 'InvalidArgument'));
    await assert.rejects(put('/dest', Buffer.from('BZh91AY&SY')), (err) => isJanusError(err, 'InvalidArgument') && /bzip2/.test(err.message));
  });
});
