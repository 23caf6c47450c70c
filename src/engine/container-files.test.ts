import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { LocalContentStore } from '../content/local/local-content-store.ts';
import { isJanusError } from '../core/errors.ts';
import type { Registry } from '../core/registry.ts';
import type { Mount } from '../core/snapshotter.ts';
import { FileImageStore } from '../images/file-image-store.ts';
import { TarLayerApplier } from '../images/tar-layer-applier.ts';
import { mountArgs } from '../runtimes/oci/rootfs-mount.ts';
import { OverlaySnapshotter } from '../snapshots/overlay/overlay-snapshotter.ts';
import { NodeExec } from '../util/exec.ts';
import { silentLogger } from '../util/logger.ts';
import { ContainerFiles, type CommitSource, type ContainerFs } from './container-files.ts';
import { rootMountMatches } from './container-files-live.ts';
import { overlayLayersOf } from './container-files-mount.ts';
import type { ContainerRecord } from './container-record.ts';
import { ImageEngine } from './image-engine.ts';

const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : 'mounting overlays, whiteouts and trusted xattrs need root';

type Entry = Partial<tar.Header> & { name: string; body?: string | Buffer };

async function makeTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => { for await (const c of pack) chunks.push(c as Buffer); })();
  for (const { body, ...h } of entries) {
    await new Promise<void>((resolve, reject) => {
      pack.entry({ mtime: new Date('2022-01-01T00:00:00Z'), ...h } as tar.Header, body ?? '', (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Name → {type, body} of every entry of a (possibly gzipped) tar stream. */
async function entries(stream: Readable, gzip = false): Promise<Map<string, { type: string; body: string; uid: number }>> {
  const source = gzip ? stream.pipe(createGunzip()) : stream;
  const extract = tar.extract();
  const out = new Map<string, { type: string; body: string; uid: number }>();
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      out.set(entry.header.name, { type: entry.header.type ?? '', body: Buffer.concat(chunks).toString(), uid: entry.header.uid ?? 0 });
    }
  })();
  for await (const chunk of source) extract.write(chunk as Buffer);
  extract.end(undefined);
  await done;
  return out;
}

describe('ContainerFiles', { skip }, () => {
  const exec = new NodeExec();
  let base: string;
  let engine: ImageEngine;
  let snapshotter: OverlaySnapshotter;
  let files: ContainerFiles;
  let rootfs: Mount[];
  let fs: ContainerFs;
  let vol: string;
  let roDir: string;
  let container: CommitSource;
  const registry = {} as Registry;

  const makeEngine = () => new ImageEngine({
    content: new LocalContentStore({ root: join(base, 'c') }),
    images: new FileImageStore({ path: join(base, 'images.json') }),
    snapshotter,
    applier: new TarLayerApplier({ exec }),
    registry,
    exec,
    events: { publish() {} },
    logger: silentLogger,
    root: base,
  });
  const leftovers = async () => (await readdir(join(base, 't')).catch(() => [])).length;

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'jcf-'));
    snapshotter = new OverlaySnapshotter({ root: join(base, 's') });
    engine = makeEngine();
    files = new ContainerFiles({ exec, tmpDir: join(base, 't'), images: engine });
    const image = await makeTar([
      { name: 'bin/', type: 'directory', mode: 0o755 },
      { name: 'bin/busybox', body: await readFile('/bin/busybox'), mode: 0o755 },
      { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
      { name: 'etc/', type: 'directory', mode: 0o755 },
      { name: 'etc/passwd', body: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n' },
      { name: 'etc/group', body: 'root:x:0:\napp:x:1001:\n' },
      { name: 'data/', type: 'directory', mode: 0o755 },
      { name: 'data/keep', body: 'image data' },
      { name: 'old/', type: 'directory', mode: 0o755 },
      { name: 'old/x', body: 'to delete' },
      { name: 'srv/', type: 'directory', mode: 0o755 },
      { name: 'usr/lib/', type: 'directory', mode: 0o755 },
      { name: 'lib', type: 'symlink', linkname: 'usr/lib' },
    ]);
    const { id } = await engine.import(Readable.from([image]), { reference: 'base:1', changes: ['CMD ["sh"]', 'ENV BASE=1'] });
    const detail = await engine.inspect(id);
    rootfs = await snapshotter.prepare('container-c1', detail.chainIds.at(-1));
    // The container's own changes, made through a real overlay mount as the runtime would.
    const m = join(base, 'm');
    await mkdir(m);
    await exec.run('mount', mountArgs(rootfs[0]!, m));
    try {
      await writeFile(join(m, 'etc/new'), 'added');
      await unlink(join(m, 'old/x'));
      await rm(join(m, 'data'), { recursive: true });
      await mkdir(join(m, 'data'));
      await writeFile(join(m, 'data/fresh'), 'replaced dir');
      await writeFile(join(m, 'srv/app.conf'), 'conf');
      await mkdir(join(m, 'vol'));
      await mkdir(join(m, 'ro'));
    } finally {
      await exec.run('umount', [m]);
    }
    vol = join(base, 'vol');
    roDir = join(base, 'ro');
    await mkdir(vol);
    await mkdir(roDir);
    await writeFile(join(vol, 'v.txt'), 'in the volume');
    fs = {
      name: 'c1',
      rootfs,
      mounts: [
        { type: 'volume', source: vol, destination: '/vol', rw: true },
        { type: 'bind', source: roDir, destination: '/ro', rw: false },
      ],
      readOnlyRootfs: false,
      running: false,
    };
    container = {
      imageId: id,
      config: {
        hostname: 'c1', domainname: '', user: '', env: ['PATH=/bin', 'HOSTNAME=c1', 'BASE=1'], cmd: ['sh'], entrypoint: null, workingDir: '',
        labels: {}, tty: false, openStdin: false, stdinOnce: false, attachStdin: false, attachStdout: true, attachStderr: true,
        stopSignal: 'SIGTERM', exposedPorts: [], volumes: [],
      } satisfies ContainerRecord['config'],
      request: { image: 'base:1', run: {} },
    };
  });
  after(async () => {
    await rm(base, { recursive: true, force: true }).catch(() => {});
  });

  it('diffs the writable layer against the image', async () => {
    const changes = (await files.changes(fs)).map((c) => `${'CAD'[c.kind]} ${c.path}`);
    for (const want of ['C /data', 'D /data/keep', 'A /data/fresh', 'C /etc', 'A /etc/new', 'C /old', 'D /old/x', 'C /srv', 'A /srv/app.conf']) {
      assert.ok(changes.includes(want), `${want} in ${changes.join(', ')}`);
    }
    assert.ok(!changes.some((c) => c.endsWith('/etc/passwd')));
  });

  it('stats paths in the container, volumes included, and unmounts afterwards', async () => {
    const passwd = await files.statPath(fs, '/etc/passwd');
    assert.equal(passwd.name, 'passwd');
    assert.equal(passwd.linkTarget, '');
    const lib = await files.statPath(fs, 'lib');
    assert.equal(lib.mode, 2 ** 27 + 0o777);
    assert.equal(lib.linkTarget, '/usr/lib');
    assert.equal((await files.statPath(fs, '/lib/')).mode, 2 ** 31 + 0o755, 'a trailing slash follows the link');
    assert.equal((await files.statPath(fs, '/vol/v.txt')).size, 'in the volume'.length);
    await assert.rejects(files.statPath(fs, '/old/x'), (err) => isJanusError(err, 'NotFound') && /Could not find the file \/old\/x in container c1/.test(err.message));
    await assert.rejects(files.statPath(fs, '/nope/deeper'), (err) => isJanusError(err, 'NotFound'));
    assert.equal(await leftovers(), 0);
  });

  it('archives a directory under its base name, and a volume with its content', async () => {
    const { stat: st, archive } = await files.getArchive(fs, '/etc');
    assert.equal(st.name, 'etc');
    const etc = await entries(archive);
    assert.deepEqual([...etc.keys()], ['etc/', 'etc/group', 'etc/new', 'etc/passwd']);
    assert.equal(etc.get('etc/new')!.body, 'added');
    const volume = await entries((await files.getArchive(fs, '/vol/')).archive);
    assert.equal(volume.get('vol/v.txt')?.body, 'in the volume');
    assert.equal(await leftovers(), 0, 'the view is unmounted once the stream is read');
  });

  it('extracts into the writable layer and into volumes, refusing read-only places and non-directories', async () => {
    const upper = overlayLayersOf(rootfs, 'test').upperDir;
    await files.putArchive(fs, '/srv', Readable.from([await makeTar([{ name: 'put.txt', body: 'put', uid: 7 }])]));
    assert.equal(await readFile(join(upper, 'srv/put.txt'), 'utf8'), 'put');
    assert.equal((await stat(join(upper, 'srv/put.txt'))).uid, 7);
    await files.putArchive(fs, '/vol', Readable.from([await makeTar([{ name: 'put.txt', body: 'to the volume' }])]));
    assert.equal(await readFile(join(vol, 'put.txt'), 'utf8'), 'to the volume');
    await files.putArchive(fs, '/srv', Readable.from([await makeTar([{ name: 'owned', body: 'x', uid: 7 }])]), { copyUidGid: true, user: 'app' });
    assert.deepEqual([(await stat(join(upper, 'srv/owned'))).uid, (await stat(join(upper, 'srv/owned'))).gid], [1000, 1001]);
    const tarball = async () => Readable.from([await makeTar([{ name: 'f', body: 'x' }])]);
    await assert.rejects(files.putArchive(fs, '/ro', await tarball()), (err) => isJanusError(err, 'Forbidden'));
    await assert.rejects(files.putArchive(fs, '/etc/passwd', await tarball()), (err) => isJanusError(err, 'InvalidArgument') && /not a directory/.test(err.message));
    await assert.rejects(files.putArchive(fs, '/missing', await tarball()), (err) => isJanusError(err, 'NotFound'));
    await assert.rejects(files.putArchive(fs, '/missing/deeper', await tarball()), (err) => isJanusError(err, 'NotFound') && /^Could not find the file \/missing\/deeper in container c1$/.test(err.message));
    await assert.rejects(files.putArchive({ ...fs, readOnlyRootfs: true }, '/srv', await tarball()), (err) => isJanusError(err, 'Forbidden'));
    await assert.rejects(files.putArchive(fs, '/srv', Readable.from([await makeTar([{ name: '../../etc/evil', body: 'x' }])])),
      (err) => isJanusError(err, 'InvalidArgument') && err.message.includes('"../../etc/evil"'));
    await assert.rejects(lstat(join(upper, 'etc/evil')));
    assert.equal(await leftovers(), 0);
    await rm(join(upper, 'srv/owned'));
  });

  it('exports the merged root file system without volumes', async () => {
    const all = await entries(await files.export(fs));
    assert.equal(all.get('etc/new')?.body, 'added');
    assert.equal(all.get('data/fresh')?.body, 'replaced dir');
    assert.equal(all.get('etc/passwd')?.type, 'file');
    assert.ok(!all.has('old/x') && !all.has('data/keep'), 'deleted files are gone');
    assert.ok(all.has('vol/') && !all.has('vol/v.txt') && !all.has('vol/put.txt'), 'a volume is not part of the export');
    assert.ok(!all.has('.wh.x') && ![...all.keys()].some((k) => k.includes('.wh.')));
    assert.equal(await leftovers(), 0);
  });

  it('commits the writable layer as a new image that runs, survives a restart and saves', async () => {
    const { id } = await files.commit(fs, container, { reference: 'committed:1', message: 'my message', author: 'Jane <j@example.com>', changes: ['ENV FOO=bar', 'LABEL stage=two'] });
    const base1 = await engine.inspect('base:1');
    const made = await engine.inspect('committed:1');
    assert.equal(made.id, id);
    assert.equal(made.layers.length, base1.layers.length + 1);
    assert.deepEqual(made.layers.slice(0, -1), base1.layers);
    assert.deepEqual(made.config.Cmd, ['sh']);
    assert.ok(made.config.Env?.includes('FOO=bar') && made.config.Env.includes('BASE=1'), String(made.config.Env));
    assert.ok(!made.config.Env?.some((e) => e.startsWith('HOSTNAME=')));
    assert.deepEqual(made.config.Labels, { stage: 'two' });
    assert.equal(made.author, 'Jane <j@example.com>');
    assert.equal(made.comment, 'my message');
    assert.equal(made.history.at(-1)?.created_by, 'sh');
    assert.equal(made.history.length, base1.history.length + 1);

    // The layer holds the changes in OCI form.
    const content = new LocalContentStore({ root: join(base, 'c') });
    const manifest = JSON.parse((await content.readAll(made.manifest.digest)).toString()) as { layers: { digest: `sha256:${string}`; mediaType: string }[] };
    const top = manifest.layers.at(-1)!;
    assert.equal(top.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
    const layer = await entries(await content.read(top.digest), true);
    assert.equal(layer.get('etc/new')?.body, 'added');
    assert.equal(layer.get('old/.wh.x')?.type, 'file');
    assert.ok(layer.has('data/.wh..wh..opq'));
    assert.equal(layer.get('data/fresh')?.body, 'replaced dir');
    assert.ok(!layer.has('etc/passwd'), 'only what changed');

    // Its snapshot is committed: a container of it sees the changes.
    const view = await snapshotter.prepare('check-committed', made.chainIds.at(-1));
    const m = join(base, 'm2');
    await mkdir(m);
    await exec.run('mount', mountArgs(view[0]!, m));
    try {
      assert.equal(await readFile(join(m, 'etc/new'), 'utf8'), 'added');
      assert.equal(await readFile(join(m, 'data/fresh'), 'utf8'), 'replaced dir');
      await assert.rejects(lstat(join(m, 'old/x')));
      await assert.rejects(lstat(join(m, 'data/keep')));
      assert.equal(await readFile(join(m, 'etc/passwd'), 'utf8'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n');
    } finally {
      await exec.run('umount', [m]);
      await snapshotter.remove('check-committed');
    }

    // A restarted daemon knows it, and it saves.
    const again = makeEngine();
    assert.equal((await again.inspect('committed:1')).id, id);
    const saved = await entries(await again.save(['committed:1']));
    const diffHex = made.layers.at(-1)!.slice('sha256:'.length);
    assert.ok([...saved.keys()].some((k) => k.includes(diffHex) || k.includes(top.digest.slice('sha256:'.length))), `the new layer is in the archive: ${[...saved.keys()].join(', ')}`);
  });

  it('commits a container without changes as an empty history entry, like docker', async () => {
    const base1 = await engine.inspect('base:1');
    const untouched = await snapshotter.prepare('container-c2', base1.chainIds.at(-1));
    const { id } = await files.commit({ ...fs, name: 'c2', rootfs: untouched, mounts: [] }, container, { message: 'nothing' });
    const made = await engine.inspect(id);
    assert.deepEqual(made.layers, base1.layers);
    assert.equal(made.history.at(-1)?.empty_layer, true);
    assert.equal(made.history.at(-1)?.comment, 'nothing');
    assert.deepEqual(made.repoTags, [], 'unnamed: a dangling image');
  });

  it('refuses a bad change or a digest reference before reading anything', async () => {
    await assert.rejects(files.commit(fs, container, { changes: ['RUN rm -rf /'] }), (err) => isJanusError(err, 'InvalidArgument'));
    await assert.rejects(files.commit(fs, container, { reference: `x@sha256:${'a'.repeat(64)}` }), (err) => isJanusError(err, 'InvalidArgument'));
  });

  it('unmounts what a crashed daemon left', async () => {
    const left = join(base, 't', 'view-crashed');
    await mkdir(left, { recursive: true });
    await exec.run('mount', ['-t', 'tmpfs', 'tmpfs', left]);
    await files.cleanup();
    await assert.rejects(lstat(left));
  });

  describe('while running', () => {
    let child: ChildProcess;
    let pid: number;
    before(async () => {
      const m = join(base, 'live');
      await mkdir(m);
      // A stand-in for a runtime: a private mount namespace with the container's overlay and volume, chrooted into.
      const script = `mount ${mountArgs(rootfs[0]!, m).join(' ')} && mount --bind ${vol} ${m}/vol && exec chroot ${m} /bin/busybox sleep 600`;
      child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], { stdio: 'ignore' });
      pid = child.pid!;
      const layers = overlayLayersOf(rootfs, 'test');
      for (let i = 0; i < 200; i++) {
        const info = await readFile(`/proc/${pid}/mountinfo`, 'utf8').catch(() => '');
        const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
        if (rootMountMatches(info, layers) && cmd.includes('sleep')) return;
        await sleep(25);
      }
      throw new Error('the stand-in container did not start');
    });
    after(() => { child.kill('SIGKILL'); });

    it('reads and writes through the live process, mounts included', async () => {
      const live = { ...fs, running: true, pid };
      assert.equal((await files.statPath(live, '/vol/v.txt')).size, 'in the volume'.length);
      const got = await entries((await files.getArchive(live, '/etc/new')).archive);
      assert.deepEqual([...got.keys()], ['new']);
      await files.putArchive(live, '/srv', Readable.from([await makeTar([{ name: 'live.txt', body: 'while running' }])]));
      assert.equal(await readFile(join(overlayLayersOf(rootfs, 'test').upperDir, 'srv/live.txt'), 'utf8'), 'while running');
      assert.equal(await leftovers(), 0, 'nothing is mounted for a running container');
      const exported = await entries(await files.export(live));
      assert.equal(exported.get('srv/live.txt')?.body, 'while running');
      assert.ok(exported.has('vol/') && !exported.has('vol/v.txt'), 'export leaves the volume out while running too');
      assert.equal(await leftovers(), 0);
    });

    it('refuses a pid that is not the container', async () => {
      await assert.rejects(files.statPath({ ...fs, running: true, pid: process.pid }, '/etc/passwd'), (err) => isJanusError(err, 'Conflict'));
    });

    it('refuses to write into a running container it cannot reach, and still reads it', async () => {
      const sandboxed = { ...fs, running: true };
      await assert.rejects(files.putArchive(sandboxed, '/srv', Readable.from([await makeTar([{ name: 'f', body: 'x' }])])), (err) => isJanusError(err, 'NotImplemented'));
      assert.equal((await files.statPath(sandboxed, '/etc/new')).size, 'added'.length);
      assert.equal(await leftovers(), 0);
    });
  });
});
