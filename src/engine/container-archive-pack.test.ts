import assert from 'node:assert/strict';
import { chmod, chown, link, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import tar from 'tar-stream';
import { isJanusError } from '../core/errors.ts';
import { NodeExec } from '../util/exec.ts';
import { packTree, paxXattr } from './container-archive-pack.ts';
import { ScopedRoot } from './container-archive-root.ts';

const isRoot = process.getuid?.() === 0;
const rootOnly = isRoot ? false : 'the engine runs as root: archiving a mode-000 file and whiteouts (character devices) need it';

interface Listed { name: string; type: string; mode: number; uid: number; linkname?: string | null; body: string; pax?: Record<string, string> | null; mtime?: Date }

/** Every entry of a tar stream, with its body as text. */
async function list(stream: Readable): Promise<Listed[]> {
  const extract = tar.extract();
  const out: Listed[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      const h = entry.header;
      out.push({ name: h.name, type: h.type ?? '', mode: h.mode ?? 0, uid: h.uid ?? 0, linkname: h.linkname, body: Buffer.concat(chunks).toString(), pax: h.pax as Record<string, string> | null | undefined, mtime: h.mtime });
    }
  })();
  for await (const chunk of stream) extract.write(chunk as Buffer);
  extract.end(undefined);
  await done;
  return out;
}

describe('packTree', { skip: rootOnly }, () => {
  let base: string;
  let dir: string;
  const exec = new NodeExec();
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'janus-pack-'));
    dir = join(base, 'rootfs');
    await mkdir(join(dir, 'etc/sub'), { recursive: true });
    await writeFile(join(dir, 'etc/b.conf'), 'bee');
    await writeFile(join(dir, 'etc/a.conf'), 'ay');
    await chmod(join(dir, 'etc/a.conf'), 0o640);
    await writeFile(join(dir, 'etc/zero'), '');
    await chmod(join(dir, 'etc/zero'), 0o000);
    await link(join(dir, 'etc/a.conf'), join(dir, 'etc/sub/hard'));
    await symlink('/etc/a.conf', join(dir, 'etc/link'));
    await symlink('/', join(dir, 'etc/sub/escape'));
    await utimes(join(dir, 'etc/b.conf'), 1_600_000_000.7, 1_600_000_000.7);
    await writeFile(join(base, 'secret'), 'host');
  });
  after(async () => { await rm(base, { recursive: true, force: true }); });

  const pack = async (path: string, options: Omit<Parameters<typeof packTree>[2], 'context'>) => {
    const root = await ScopedRoot.open(dir, { context: 'container test' });
    const start = await root.locate(path, { followLast: path.endsWith('/') });
    return list(packTree(root, start, { ...options, context: 'container test', onClose: () => root.close() }));
  };

  it('names a directory by the base name asked for, parents first, children sorted, directories with a slash', async () => {
    const entries = await pack('/etc', { topName: 'etc' });
    assert.deepEqual(entries.map((e) => e.name), [
      'etc/', 'etc/a.conf', 'etc/b.conf', 'etc/link', 'etc/sub/', 'etc/sub/escape', 'etc/sub/hard', 'etc/zero',
    ]);
    const byName = new Map(entries.map((e) => [e.name, e]));
    assert.equal(byName.get('etc/a.conf')!.body, 'ay');
    assert.equal(byName.get('etc/a.conf')!.mode, 0o640);
    assert.equal(byName.get('etc/zero')!.mode, 0, 'a mode of 0 stays 0');
    assert.equal(byName.get('etc/link')!.type, 'symlink');
    assert.equal(byName.get('etc/link')!.linkname, '/etc/a.conf');
    assert.equal(byName.get('etc/sub/escape')!.linkname, '/', 'a link to / is archived as a link, not followed');
    assert.equal(byName.get('etc/sub/hard')!.type, 'link');
    assert.equal(byName.get('etc/sub/hard')!.linkname, 'etc/a.conf');
    assert.equal(byName.get('etc/b.conf')!.mtime?.getTime(), 1_600_000_000_000, 'times are cut to seconds');
  });

  it("rebases to the asked name, and uses docker's names for the root", async () => {
    const renamed = await pack('/etc/sub', { topName: 'copy' });
    assert.deepEqual(renamed.map((e) => e.name), ['copy/', 'copy/escape', 'copy/hard']);
    assert.equal(renamed[2]!.type, 'file', 'the first name of a hard-linked file in the archive carries the data');
    const rootEntries = await pack('/', { topName: '/' });
    assert.equal(rootEntries[0]!.name, '/');
    assert.ok(rootEntries.some((e) => e.name === '/etc/a.conf'));
    const exported = await pack('/', {});
    assert.equal(exported[0]!.name, 'etc/');
  });

  it('archives a single file or a symlink as one entry', async () => {
    assert.deepEqual((await pack('/etc/b.conf', { topName: 'b.conf' })).map((e) => [e.name, e.body]), [['b.conf', 'bee']]);
    const link = await pack('/etc/link', { topName: 'link' });
    assert.deepEqual(link.map((e) => [e.name, e.type]), [['link', 'symlink']]);
  });

  it('leaves out excluded paths', async () => {
    const entries = await pack('/', { exclude: new Set(['etc/sub', 'etc/zero']) });
    assert.deepEqual(entries.map((e) => e.name), ['etc/', 'etc/a.conf', 'etc/b.conf', 'etc/link']);
  });

  it('records extended attributes, binary ones in base64', async () => {
    const caps = Buffer.from('0100000200200000000000000000000000000000', 'hex');
    const entries = await pack('/etc', { topName: 'etc', xattrs: new Map([['a.conf', new Map([['security.capability', caps], ['trusted.overlay.opaque', Buffer.from('y')]])], ['b.conf', new Map([['user.note', Buffer.from('hello')]])]]) });
    const a = entries.find((e) => e.name === 'etc/a.conf')!;
    assert.equal(a.pax?.['SCHILY.xattr.security.capability'], caps.toString('latin1'), 'ASCII-only binary survives as SCHILY');
    assert.ok(!Object.keys(a.pax ?? {}).some((k) => k.includes('trusted.overlay')), 'overlay bookkeeping is never archived');
    const b = entries.find((e) => e.name === 'etc/b.conf')!;
    assert.equal(b.pax?.['SCHILY.xattr.user.note'], 'hello');
    assert.deepEqual(paxXattr('security.capability', Buffer.from([1, 0, 0, 2, 0x80, 0xff])), { 'LIBARCHIVE.xattr.security.capability': Buffer.from([1, 0, 0, 2, 0x80, 0xff]).toString('base64') });
  });

  it('writes an overlay upper directory in OCI layer form', async () => {
    const upper = join(base, 'upper');
    await mkdir(join(upper, 'opaque'), { recursive: true });
    await writeFile(join(upper, 'opaque/new'), 'n');
    await exec.run('mknod', [join(upper, 'gone'), 'c', '0', '0']);
    await chown(join(upper, 'gone'), 12, 34);
    const root = await ScopedRoot.open(upper, { context: 'container test' });
    const start = await root.locate('/', { followLast: true });
    const entries = await list(packTree(root, start, { layer: { opaque: new Set(['opaque']) }, context: 'test', onClose: () => root.close() }));
    assert.deepEqual(entries.map((e) => [e.name, e.type]), [
      ['.wh.gone', 'file'], ['opaque/', 'directory'], ['opaque/.wh..wh..opq', 'file'], ['opaque/new', 'file'],
    ]);
    assert.equal(entries[0]!.mode, 0o600);
    assert.equal(entries[0]!.uid, 12, 'a whiteout keeps its owner, as docker writes it');
  });

  it('fails the stream with a clear error, and still closes, when the tree cannot be archived', async () => {
    const odd = join(dir, 'odd');
    await mkdir(odd);
    await writeFile(Buffer.from(`${odd}/bad-\xff-name`, 'latin1'), 'x');
    const root = await ScopedRoot.open(dir, { context: 'container test' });
    const start = await root.locate('/odd', { followLast: false });
    let closed = false;
    const stream = packTree(root, start, { topName: 'odd', context: 'container test: archiving /odd', onClose: async () => { await root.close(); closed = true; } });
    await assert.rejects(list(stream), (err) => isJanusError(err, 'InvalidArgument') && /not valid UTF-8/.test(err.message));
    assert.ok(closed, 'released before the stream reports its end');
    await rm(odd, { recursive: true });
  });

  it('stops, and closes what it holds, when the reader goes away', async () => {
    const big = join(dir, 'big');
    await mkdir(big);
    for (let i = 0; i < 50; i++) await writeFile(join(big, `f${i}`), Buffer.alloc(256 * 1024, i));
    const root = await ScopedRoot.open(dir, { context: 'container test' });
    const start = await root.locate('/big', { followLast: false });
    let closed = false;
    const { promise, resolve } = Promise.withResolvers<void>();
    const stream = packTree(root, start, { topName: 'big', context: 'test', onClose: async () => { await root.close(); closed = true; resolve(); } });
    for await (const _ of stream) break; // the reader stops after the first chunk
    await promise;
    assert.ok(closed);
    await rm(big, { recursive: true });
  });
});
