import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { isJanusError } from '../core/errors.ts';
import { MediaType } from '../core/oci.ts';
import type { Mount } from '../core/snapshotter.ts';
import { NodeExec } from '../util/exec.ts';
import { TarLayerApplier } from './tar-layer-applier.ts';

type Entry = Partial<tar.Header> & { name: string; body?: string | Buffer; pax?: Record<string, string> };

async function makeTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => { for await (const c of pack) chunks.push(c as Buffer); })();
  for (const { body, ...h } of entries) {
    await new Promise<void>((resolve, reject) => {
      pack.entry({ mtime: new Date('2020-01-02T03:04:05Z'), ...h } as tar.Header, body ?? '', (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const isRoot = process.getuid?.() === 0;
const rootOnly = isRoot ? false : 'ownership, device nodes and trusted xattrs need root';

describe('TarLayerApplier', () => {
  let base: string;
  const exec = new NodeExec();
  const applier = new TarLayerApplier({ exec });
  before(async () => { base = await mkdtemp(join(tmpdir(), 'janus-unpack-')); });
  after(async () => { await rm(base, { recursive: true, force: true }); });
  let n = 0;
  const target = async (): Promise<{ dir: string; mounts: Mount[] }> => {
    const dir = join(base, `t${n++}`, 'fs');
    await mkdir(dir, { recursive: true });
    return { dir, mounts: [{ type: 'bind', source: dir, options: ['rbind', 'rw'] }] };
  };
  const apply = (data: Buffer, mounts: Mount[], mediaType: string = MediaType.OciLayer) =>
    applier.apply(Readable.from([data]), mounts, { mediaType, context: 'image busybox:latest: layer sha256:abc' });
  const refusedWith = (entry: string, why: RegExp) => (err: unknown) => {
    assert.ok(isJanusError(err, 'InvalidArgument'), String(err));
    assert.ok(err.message.startsWith(`image busybox:latest: layer sha256:abc: refusing tar entry "${entry}": `), err.message);
    assert.match(err.message, why);
    return true;
  };

  it('unpacks every file type with ownership, modes, times and xattrs', { skip: rootOnly }, async () => {
    const { dir, mounts } = await target();
    const data = await makeTar([
      { name: './', type: 'directory', mode: 0o755 },
      { name: './bin/', type: 'directory', mode: 0o755, mtime: new Date('2001-01-01T00:00:00Z') },
      { name: './bin/su', type: 'file', mode: 0o4755, uid: 1000, gid: 1001, body: 'setuid binary' },
      { name: './bin/sh', type: 'symlink', linkname: 'su', uid: 7, gid: 8 },
      { name: './bin/login', type: 'link', linkname: './bin/su' },
      { name: './tmp/', type: 'directory', mode: 0o1777 },
      { name: './dev/null', type: 'character-device', mode: 0o666, devmajor: 1, devminor: 3 },
      { name: './dev/loop0', type: 'block-device', mode: 0o660, devmajor: 7, devminor: 0, gid: 6 },
      { name: './run/fifo', type: 'fifo', mode: 0o600 },
      { name: './etc/attr', type: 'file', mode: 0o644, body: 'x', pax: { 'SCHILY.xattr.user.janus': 'hello', 'SCHILY.xattr.trusted.bin': 'caf\u00e9' } },
      { name: `./long/${'n'.repeat(150)}`, type: 'file', mode: 0o600, body: 'long name via PAX' },
    ]);
    const applied = await apply(data, mounts);
    assert.equal(applied.diffId, sha(data));
    assert.equal(applied.size, data.length);

    const su = await stat(join(dir, 'bin/su'));
    assert.equal(await readFile(join(dir, 'bin/su'), 'utf8'), 'setuid binary');
    assert.equal(su.mode & 0o7777, 0o4755, 'setuid survives chown');
    assert.equal(su.uid, 1000);
    assert.equal(su.gid, 1001);
    assert.equal(su.mtime.toISOString(), '2020-01-02T03:04:05.000Z');
    assert.equal(su.nlink, 2, 'bin/login is a hard link of bin/su');
    assert.equal((await stat(join(dir, 'bin/login'))).ino, su.ino);
    assert.equal(await readlink(join(dir, 'bin/sh')), 'su');
    const sh = await lstat(join(dir, 'bin/sh'));
    assert.equal(sh.uid, 7);
    assert.equal(sh.mtime.toISOString(), '2020-01-02T03:04:05.000Z');
    assert.equal((await stat(join(dir, 'bin'))).mtime.toISOString(), '2001-01-01T00:00:00.000Z', 'dir times are set after its children');
    assert.equal((await stat(join(dir, 'tmp'))).mode & 0o7777, 0o1777);
    const nul = await lstat(join(dir, 'dev/null'));
    assert.ok(nul.isCharacterDevice());
    assert.equal(nul.rdev, (1 << 8) | 3);
    assert.equal(nul.mode & 0o777, 0o666);
    const loop = await lstat(join(dir, 'dev/loop0'));
    assert.ok(loop.isBlockDevice());
    assert.equal(loop.gid, 6);
    assert.ok((await lstat(join(dir, 'run/fifo'))).isFIFO());
    const attrs = await exec.run('getfattr', ['-d', '-m', '-', '-e', 'text', join(dir, 'etc/attr')]);
    assert.match(attrs.stdout, /user\.janus="hello"/);
    assert.match(attrs.stdout, /trusted\.bin="café"/);
    assert.equal(await readFile(join(dir, 'long', 'n'.repeat(150)), 'utf8'), 'long name via PAX');
  });

  it('turns whiteouts into overlay whiteouts and opaque markers into the opaque xattr', { skip: rootOnly }, async () => {
    const { dir, mounts } = await target();
    const data = await makeTar([
      { name: 'etc/', type: 'directory', mode: 0o755 },
      { name: 'etc/gone', type: 'file', body: 'written earlier in this layer' },
      { name: 'etc/.wh.gone', type: 'file' },
      { name: 'etc/.wh.never-existed', type: 'file' },
      { name: 'var/cache/', type: 'directory', mode: 0o755 },
      { name: 'var/cache/.wh..wh..opq', type: 'file' },
      { name: 'var/cache/kept', type: 'file', body: 'new' },
    ]);
    await apply(data, mounts);
    for (const p of ['etc/gone', 'etc/never-existed']) {
      const st = await lstat(join(dir, p));
      assert.ok(st.isCharacterDevice(), `${p} is a whiteout`);
      assert.equal(st.rdev, 0);
    }
    assert.deepEqual((await readdir(join(dir, 'etc'))).sort(), ['gone', 'never-existed'], 'no .wh. files remain');
    const opq = await exec.run('getfattr', ['-n', 'trusted.overlay.opaque', '--only-values', join(dir, 'var/cache')]);
    assert.equal(opq.stdout, 'y');
    assert.deepEqual(await readdir(join(dir, 'var/cache')), ['kept']);
  });

  it('lets later entries replace earlier ones of the same path, like tar', async () => {
    const { dir, mounts } = await target();
    const data = await makeTar([
      { name: 'a', type: 'file', body: 'first' },
      { name: 'a', type: 'file', body: 'second' },
      { name: 'd/x', type: 'file', body: 'x' },
      { name: 'd', type: 'file', body: 'a file replaces the directory' },
      { name: 'f', type: 'file', body: 'soon a dir' },
      { name: 'f/', type: 'directory', mode: 0o755 },
      { name: 'f/y', type: 'file', body: 'y' },
      { name: 'l', type: 'symlink', linkname: 'a' },
      { name: 'l', type: 'file', body: 'replaced the symlink, not its target' },
    ]);
    await apply(data, mounts);
    assert.equal(await readFile(join(dir, 'a'), 'utf8'), 'second');
    assert.equal(await readFile(join(dir, 'd'), 'utf8'), 'a file replaces the directory');
    assert.equal(await readFile(join(dir, 'f/y'), 'utf8'), 'y');
    assert.equal(await readFile(join(dir, 'l'), 'utf8'), 'replaced the symlink, not its target');
    assert.equal(await readFile(join(dir, 'a'), 'utf8'), 'second');
  });

  describe('refuses entries that would land outside the layer', () => {
    it('a name climbing out with ..', async () => {
      const { dir, mounts } = await target();
      await assert.rejects(apply(await makeTar([{ name: '../x', body: 'evil' }]), mounts), refusedWith('../x', /escapes the layer root/));
      await assert.rejects(stat(join(dir, '..', 'x')), { code: 'ENOENT' });
    });

    it('an absolute name', async () => {
      const { mounts } = await target();
      await assert.rejects(apply(await makeTar([{ name: '/etc/x', body: 'evil' }]), mounts), refusedWith('/etc/x', /absolute/));
      await assert.rejects(stat('/etc/x'), { code: 'ENOENT' });
    });

    it('a hard link to a file outside', async () => {
      const { mounts } = await target();
      const data = await makeTar([{ name: 'passwd', type: 'link', linkname: '../../etc/passwd' }]);
      await assert.rejects(apply(data, mounts), refusedWith('passwd', /hard link target "..\/..\/etc\/passwd".*escapes/));
    });

    it('a hard link whose target is not in the layer', async () => {
      const { mounts } = await target();
      await assert.rejects(apply(await makeTar([{ name: 'x', type: 'link', linkname: 'missing' }]), mounts), refusedWith('x', /not in this layer/));
    });

    it('a write through a symlink to an absolute directory', async () => {
      const { mounts } = await target();
      const before = await readFile('/etc/passwd', 'utf8');
      const data = await makeTar([
        { name: 'evil', type: 'symlink', linkname: '/etc' },
        { name: 'evil/passwd', body: 'root::0:0::/:/bin/sh\n' },
      ]);
      await assert.rejects(apply(data, mounts), refusedWith('evil/passwd', /parent "evil" is a symlink/));
      assert.equal(await readFile('/etc/passwd', 'utf8'), before);
    });

    it('a write through a relative symlink, a deeper path, a hard link and a directory', async () => {
      const { dir } = await target();
      const outside = join(dir, '..', 'outside');
      await mkdir(outside);
      for (const [i, tail] of [
        [{ name: 'up/x', body: 'evil' }],
        [{ name: 'up/a/b/c', body: 'evil' }],
        [{ name: 'ok', body: 'fine' }, { name: 'up/link', type: 'link', linkname: 'ok' }],
        [{ name: 'ok', body: 'fine' }, { name: 'hl', type: 'link', linkname: 'up/ok' }],
        [{ name: 'up/newdir/', type: 'directory' }],
        [{ name: 'up/.wh.x', type: 'file' }],
      ].entries()) {
        const sub = await target();
        const data = await makeTar([{ name: 'up', type: 'symlink', linkname: '../outside' }, ...(tail as Entry[])]);
        await assert.rejects(apply(data, sub.mounts), (err: unknown) => isJanusError(err, 'InvalidArgument') && /is a symlink/.test(err.message), `case ${i}`);
      }
      assert.deepEqual(await readdir(outside), []);
    });

    it('a name with a NUL byte', async () => {
      const { mounts } = await target();
      // A ustar name field ends at the first NUL, so only a PAX path can carry one.
      const viaPax = await makeTar([{ name: 'plain', body: 'x', pax: { path: 'bad\0name' } }]);
      await assert.rejects(apply(viaPax, mounts), (err: unknown) => isJanusError(err, 'InvalidArgument') && /NUL/.test(err.message));
    });
  });

  it('decompresses gzip and zstd, sniffs mislabelled layers, and reports the DiffID of the plain tar', async () => {
    const plain = await makeTar([{ name: 'hello', body: 'world' }, { name: 'big', body: Buffer.alloc(300_000, 7) }]);
    // Tools pad tars to whole records; the DiffID covers the padding too.
    const padded = Buffer.concat([plain, Buffer.alloc(10240 - (plain.length % 10240))]);
    for (const [data, mediaType] of [
      [gzipSync(plain), MediaType.OciLayerGzip],
      [zstdCompressSync(plain), MediaType.OciLayerZstd],
      [plain, MediaType.OciLayer],
      [gzipSync(plain), MediaType.OciLayer],
      [plain, MediaType.DockerLayerGzip],
      [padded, MediaType.OciLayer],
    ] as const) {
      const expected = data === padded ? { diffId: sha(padded), size: padded.length } : { diffId: sha(plain), size: plain.length };
      const { dir, mounts } = await target();
      const applied = await apply(data, mounts, mediaType);
      assert.deepEqual(applied, expected, mediaType);
      assert.equal(await readFile(join(dir, 'hello'), 'utf8'), 'world');
      assert.equal((await stat(join(dir, 'big'))).size, 300_000);
    }
  });

  it('reports corrupt compressed data as DataLoss and unknown media types as NotImplemented', async () => {
    const plain = await makeTar([{ name: 'hello', body: 'world' }]);
    const gz = gzipSync(plain);
    const broken = Buffer.concat([gz.subarray(0, 20), Buffer.alloc(40, 0xff)]);
    await assert.rejects(apply(broken, (await target()).mounts, MediaType.OciLayerGzip), (err: unknown) => isJanusError(err, 'DataLoss') && /gzip/.test(err.message));
    await assert.rejects(apply(plain, (await target()).mounts, 'application/x-rar'), (err: unknown) => isJanusError(err, 'NotImplemented'));
    await assert.rejects(apply(Buffer.alloc(1024, 0x41), (await target()).mounts), (err: unknown) => isJanusError(err, 'DataLoss'));
  });

  it('unpacks into the upperdir of an overlay mount and refuses read-only mounts', async () => {
    const { dir } = await target();
    const data = await makeTar([{ name: 'f', body: 'x' }]);
    await apply(data, [{ type: 'overlay', source: 'overlay', options: ['lowerdir=/nonexistent', `upperdir=${dir}`, `workdir=${dir}/../work`] }]);
    assert.equal(await readFile(join(dir, 'f'), 'utf8'), 'x');
    await assert.rejects(apply(data, [{ type: 'overlay', source: 'overlay', options: ['lowerdir=/a:/b'] }]), (err: unknown) => isJanusError(err, 'InvalidArgument'));
    await assert.rejects(apply(data, [{ type: 'bind', source: dir, options: ['rbind', 'ro'] }]), (err: unknown) => isJanusError(err, 'InvalidArgument'));
  });

  it('stops when its signal is aborted', async () => {
    const { mounts } = await target();
    const data = await makeTar([{ name: 'f', body: 'x' }]);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(
      applier.apply(Readable.from([data]), mounts, { mediaType: MediaType.OciLayer, context: 'c', signal: ac.signal }),
      (err: unknown) => isJanusError(err, 'Canceled'),
    );
  });

  it('stops mid-layer when its signal is aborted, even if the source stalls', async () => {
    const { mounts } = await target();
    const head = (await makeTar([{ name: 'f', body: 'x' }, { name: 'g', body: Buffer.alloc(100_000) }])).subarray(0, 2048);
    const stalled = new Readable({ read() {} });
    stalled.push(head);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(
      applier.apply(stalled, mounts, { mediaType: MediaType.OciLayer, context: 'c', signal: ac.signal }),
      (err: unknown) => isJanusError(err, 'Canceled'),
    );
  });

});
