import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { isJanusError } from '../../core/errors.ts';
import { MediaType } from '../../core/oci.ts';
import { hostPlatform } from '../../registry/platform.ts';
import { NodeExec } from '../../util/exec.ts';
import { MemoryContentStore } from '../../../test/fakes/memory-content-store.ts';
import { bootstrapBusybox, DEFAULT_PATH } from './bootstrap-busybox.ts';
import { readElfInfo } from './elf-info.ts';

const run = promisify(execFile);
const BUSYBOX = '/bin/busybox';
const haveBusybox = existsSync(BUSYBOX) && (await readElfInfo(BUSYBOX).then((e) => e.interpreter === undefined, () => false));
const skip = haveBusybox ? false : 'no static /bin/busybox (install busybox-static)';
const exec = new NodeExec();

async function entries(layer: Buffer) {
  const out = new Map<string, tar.Header & { body: Buffer }>();
  const extract = tar.extract();
  Readable.from([gunzipSync(layer)]).pipe(extract as unknown as NodeJS.WritableStream);
  for await (const e of extract) {
    const chunks: Buffer[] = [];
    for await (const c of e as unknown as AsyncIterable<Buffer>) chunks.push(c);
    out.set(e.header.name, { ...e.header, body: Buffer.concat(chunks) });
  }
  return out;
}

test('busybox image: every applet linked, users and groups, directories, config', { skip }, async () => {
  const store = new MemoryContentStore();
  const made = await bootstrapBusybox(store, { exec });
  const manifest = JSON.parse((await store.readAll(made.manifest.digest)).toString());
  assert.equal(manifest.mediaType, MediaType.OciManifest);
  assert.equal(manifest.config.mediaType, MediaType.OciConfig);
  assert.equal(manifest.layers[0].mediaType, MediaType.OciLayerGzip);
  const config = JSON.parse((await store.readAll(made.config.digest)).toString());
  assert.equal(config.architecture, hostPlatform().architecture);
  assert.equal(config.os, 'linux');
  assert.deepEqual(config.config, { Env: [DEFAULT_PATH], Cmd: ['sh'] });
  assert.match(config.history[0].created_by, /BusyBox v\d/);

  const files = await entries(await store.readAll(manifest.layers[0].digest));
  const applets = (await run(BUSYBOX, ['--list-full'])).stdout.trim().split('\n');
  assert.ok(applets.length > 100);
  for (const a of applets) {
    if (a === 'bin/busybox') continue;
    const e = files.get(a);
    assert.ok(e, `applet ${a} is in the image`);
    assert.equal(e.type, 'link');
    assert.equal(e.linkname, 'bin/busybox');
  }
  const names = [...files.keys()];
  assert.ok(names.indexOf('bin/busybox') < names.indexOf('bin/sh'), 'the link target comes first');
  assert.equal(files.get('bin/busybox')!.mode, 0o755);
  assert.equal(files.get('root/')!.mode, 0o700);
  assert.equal(files.get('tmp/')!.mode, 0o1777);
  for (const d of ['home/', 'var/', 'proc/', 'sys/', 'dev/', 'etc/', 'usr/bin/', 'usr/sbin/', 'sbin/']) assert.ok(files.has(d), d);
  const passwd = files.get('etc/passwd')!.body.toString();
  assert.match(passwd, /^root:x:0:0:root:\/root:\/bin\/sh$/m);
  assert.match(passwd, /^daemon:x:1:1:/m);
  assert.match(passwd, /^nobody:x:65534:65534:/m);
  assert.match(files.get('etc/group')!.body.toString(), /^nogroup:x:65534:$/m);
  for (const e of files.values()) {
    assert.equal(e.uid, 0);
    assert.equal(e.gid, 0);
  }
});

test('the same busybox yields the same image ID every time', { skip }, async () => {
  const a = await bootstrapBusybox(new MemoryContentStore(), { exec });
  const b = await bootstrapBusybox(new MemoryContentStore(), { exec });
  assert.equal(a.config.digest, b.config.digest);
  assert.equal(a.manifest.digest, b.manifest.digest);
  const c = await bootstrapBusybox(new MemoryContentStore(), { exec, created: new Date('2020-01-01T00:00:00Z') });
  assert.notEqual(c.config.digest, a.config.digest, 'the created time is part of the image');
});

test('the image runs: unpacked and chrooted into, sh and an applet work', { skip: skip || (process.getuid?.() !== 0 ? 'needs root for chroot' : false) }, async (t) => {
  const store = new MemoryContentStore();
  const made = await bootstrapBusybox(store, { exec });
  const manifest = JSON.parse((await store.readAll(made.manifest.digest)).toString());
  const dir = await mkdtemp(join(tmpdir(), 'janus-busybox-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'layer.tar.gz'), await store.readAll(manifest.layers[0].digest));
  await run('mkdir', [join(dir, 'root')]);
  await run('tar', ['-xzf', join(dir, 'layer.tar.gz'), '-C', join(dir, 'root')]);
  const out = await run('chroot', [join(dir, 'root'), '/bin/sh', '-c', 'id -un; echo hi | awk \'{print toupper($0)}\'; ls -ld /tmp | cut -c1-10'], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
  assert.equal(out.stdout, 'root\nHI\ndrwxrwxrwt\n');
});

test('a dynamically linked busybox is refused', async () => {
  // Any dynamically linked ELF stands in; the check happens before it is run.
  const dynamic = ['/bin/ls', '/usr/bin/env'].find((p) => existsSync(p))!;
  await assert.rejects(bootstrapBusybox(new MemoryContentStore(), { exec, busyboxPath: dynamic }), (err: unknown) =>
    isJanusError(err, 'InvalidArgument') && /dynamically linked .*busybox-static/.test(err.message));
  await assert.rejects(bootstrapBusybox(new MemoryContentStore(), { exec, busyboxPath: '/nonexistent/busybox' }), (err: unknown) =>
    isJanusError(err, 'Unavailable') && /busybox-static/.test(err.message));
});
