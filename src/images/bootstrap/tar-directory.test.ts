import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { link, mkdir, mkdtemp, rm, symlink, utimes, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { tarDirectory } from './tar-directory.ts';

const run = promisify(execFile);

async function list(stream: Readable) {
  const out: Array<tar.Header & { body: string }> = [];
  const extract = tar.extract();
  const feeding = pipeline(stream, extract as unknown as NodeJS.WritableStream);
  feeding.catch(() => {});
  for await (const e of extract) {
    const chunks: Buffer[] = [];
    for await (const c of e as unknown as AsyncIterable<Buffer>) chunks.push(c);
    out.push({ ...e.header, body: Buffer.concat(chunks).toString() });
  }
  await feeding;
  return out;
}

test('a directory tree becomes a sorted tar with links, modes, numeric owners and clamped times', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'janus-tardir-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, 'b/sub'), { recursive: true });
  await mkdir(join(root, 'tmp'));
  await chmod(join(root, 'tmp'), 0o1777);
  await writeFile(join(root, 'b/file'), 'content');
  await link(join(root, 'b/file'), join(root, 'a-hardlink'));
  await symlink('/etc/passwd', join(root, 'b/sub/abs-link'));
  await writeFile(join(root, 'Z'), 'upper case sorts first');
  await utimes(join(root, 'Z'), new Date('2030-01-01T00:00:00Z'), new Date('2030-01-01T00:00:00Z'));
  const clamp = new Date('2025-01-01T00:00:00Z');
  const entries = await list(tarDirectory(root, { clampMtime: clamp }));
  assert.deepEqual(entries.map((e) => e.name), ['Z', 'a-hardlink', 'b/', 'b/file', 'b/sub/', 'b/sub/abs-link', 'tmp/']);
  const byName = new Map(entries.map((e) => [e.name, e]));
  assert.equal(byName.get('a-hardlink')!.type, 'file');
  assert.equal(byName.get('a-hardlink')!.body, 'content');
  assert.equal(byName.get('b/file')!.type, 'link');
  assert.equal(byName.get('b/file')!.linkname, 'a-hardlink');
  assert.equal(byName.get('b/sub/abs-link')!.type, 'symlink');
  assert.equal(byName.get('b/sub/abs-link')!.linkname, '/etc/passwd');
  assert.equal(byName.get('tmp/')!.mode, 0o1777);
  assert.equal(byName.get('Z')!.mtime.toISOString(), clamp.toISOString());
  assert.equal(byName.get('Z')!.uid, process.getuid?.());
  assert.equal(byName.get('Z')!.uname, '');
  const again = await list(tarDirectory(root, { clampMtime: clamp }));
  assert.deepEqual(again, entries, 'the same tree gives the same tar');
});

test('device nodes and fifos are kept', { skip: process.getuid?.() === 0 ? false : 'mknod needs root' }, async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'janus-tardir-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await run('mknod', ['-m', '666', join(root, 'null'), 'c', '1', '3']);
  await run('mknod', [join(root, 'big'), 'c', '300', '70000']);
  await run('mkfifo', [join(root, 'pipe')]);
  const entries = await list(tarDirectory(root));
  assert.deepEqual(entries.map((e) => [e.name, e.type, e.devmajor, e.devminor]), [
    ['big', 'character-device', 300, 70000],
    ['null', 'character-device', 1, 3],
    ['pipe', 'fifo', 0, 0],
  ]);
});

test('a missing root fails the stream', async () => {
  await assert.rejects(list(tarDirectory('/nonexistent/janus-root')), /archiving \/nonexistent\/janus-root: ENOENT/);
});
