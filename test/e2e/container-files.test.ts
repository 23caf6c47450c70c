// A container's files end to end: `cp` both ways (stopped and running
// containers, files, directories, tars on stdin and stdout, hostile tars),
// `diff`, `commit` (and running what was committed), `history`, `export`
// and `import` — through the real CLI and daemon, with nothing mounted
// under the daemon's root once the containers are gone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { skipUnlessRoot, startDaemon, type TestDaemon } from '../support/daemon.ts';
import { findContainerLeaks } from '../support/leaks.ts';
import { eventually, fails, mountsUnder, ok } from './helpers.ts';

/** A tar archive of `entries` (a `linkname` makes a symlink, a name ending in `/` a directory). */
async function makeTar(entries: Array<{ name: string; body?: string; linkname?: string; mode?: number }>): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    if (e.linkname !== undefined) pack.entry({ name: e.name, type: 'symlink', linkname: e.linkname });
    else if (e.name.endsWith('/')) pack.entry({ name: e.name, type: 'directory', mode: e.mode ?? 0o755 });
    else pack.entry({ name: e.name, mode: e.mode ?? 0o644 }, e.body ?? '');
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Entry names and file contents of a tar. */
async function readTar(bytes: Buffer): Promise<Map<string, { type: string; body: string; linkname?: string }>> {
  const extract = tar.extract();
  const out = new Map<string, { type: string; body: string; linkname?: string }>();
  Readable.from([bytes]).pipe(extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
    const h = entry.header;
    out.set(h.name, { type: h.type ?? '', body: Buffer.concat(chunks).toString('utf8'), ...(h.linkname ? { linkname: h.linkname } : {}) });
  }
  return out;
}

describe('container files end to end', { skip: skipUnlessRoot() }, () => {
  let d: TestDaemon;
  let work: string;
  const ids: string[] = [];
  const temps: string[] = [];
  const tempDir = async (prefix: string) => { const dir = await mkdtemp(join(tmpdir(), prefix)); temps.push(dir); return dir; };
  const inspect = async (name: string, format: string) => ok(await d.janus(['inspect', '--format', format, name]), `inspect ${format}`).trim();
  /** Runs the CLI and collects its stdout as bytes (tars are binary). */
  const janusBytes = (args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> => new Promise((done, fail) => {
    const p = d.spawnJanus(args);
    const out: Buffer[] = [];
    let err = '';
    p.stdout!.on('data', (b: Buffer) => out.push(b));
    p.stderr!.on('data', (b: Buffer) => { err += b.toString('utf8'); });
    p.once('error', fail);
    p.once('close', (code) => done({ code: code ?? 128, stdout: Buffer.concat(out), stderr: err }));
  });
  const remember = async (name: string) => { ids.push(await inspect(name, '{{.Id}}')); };

  before(async () => {
    d = await startDaemon();
    ok(await d.janus(['image', 'bootstrap', 'busybox']), 'bootstrap busybox');
    work = await tempDir('janus-files-');
    await mkdir(join(work, 'src', 'dir', 'sub'), { recursive: true });
    await writeFile(join(work, 'src', 'hello.txt'), 'hello from the host\n');
    await writeFile(join(work, 'src', 'dir', 'sub', 'n.txt'), 'nested\n');
    await writeFile(join(work, 'src', 'dir', 'run.sh'), '#!/bin/sh\necho ran\n');
    await chmod(join(work, 'src', 'dir', 'run.sh'), 0o755);
    await symlink('sub/n.txt', join(work, 'src', 'dir', 'link'));
  });
  after(async () => {
    await d?.stop();
    for (const dir of temps) await rm(dir, { recursive: true, force: true });
  });

  test('cp into a stopped container: a file into a directory, a directory under a new name; it sees them when started', async () => {
    ok(await d.janus(['create', '--name', 'cpstop', 'busybox', 'sh', '-c', 'cat /tmp/hello.txt /root/dir/sub/n.txt; /root/dir/run.sh; readlink /root/dir/link']), 'create');
    await remember('cpstop');
    ok(await d.janus(['cp', join(work, 'src', 'hello.txt'), 'cpstop:/tmp/']), 'cp a file into /tmp/');
    ok(await d.janus(['cp', join(work, 'src', 'dir'), 'cpstop:/root/dir']), 'cp a directory');
    const run = await d.janus(['start', '-a', 'cpstop']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'hello from the host\nnested\nran\nsub/n.txt\n');
    // docker's rules: the parent of a destination must exist; a trailing slash asks for a directory.
    fails(await d.janus(['cp', join(work, 'src', 'hello.txt'), 'cpstop:/no/such/file.txt']), /Could not find the file \/no\/such/, 'cp to a missing parent');
    fails(await d.janus(['cp', join(work, 'src', 'hello.txt'), 'cpstop:/newdir/']), /no such directory/, 'cp to a missing directory');
  });

  test('cp out of a stopped container: a directory (symlinks kept, modes kept), a file into a directory, a tar on stdout', async () => {
    const out = join(work, 'out-stopped');
    await mkdir(out);
    ok(await d.janus(['cp', 'cpstop:/root/dir', join(out, 'copied')]), 'cp a directory out');
    assert.equal(await readFile(join(out, 'copied', 'sub', 'n.txt'), 'utf8'), 'nested\n');
    assert.equal(await readlink(join(out, 'copied', 'link')), 'sub/n.txt');
    assert.equal((await lstat(join(out, 'copied', 'run.sh'))).mode & 0o777, 0o755);
    ok(await d.janus(['cp', 'cpstop:/etc/passwd', `${out}/`]), 'cp a file into a local directory');
    assert.match(await readFile(join(out, 'passwd'), 'utf8'), /^root:x:0:0:/);
    const streamed = await janusBytes(['cp', 'cpstop:/tmp/hello.txt', '-']);
    assert.equal(streamed.code, 0, streamed.stderr);
    assert.deepEqual([...(await readTar(streamed.stdout))], [['hello.txt', { type: 'file', body: 'hello from the host\n' }]]);
    fails(await d.janus(['cp', 'cpstop:/no/such', out]), /Could not find the file \/no\/such in container cpstop/, 'cp of a missing path');
  });

  test('cp with a running container: both ways, and a tar on stdin extracted into a directory', async () => {
    ok(await d.janus(['run', '-d', '--name', 'cprun', 'busybox', 'sh', '-c', 'echo made inside > /tmp/inside.txt; sleep 1000']), 'run -d');
    await remember('cprun');
    await eventually('the container to write its file', async () => ((await d.janus(['exec', 'cprun', 'cat', '/tmp/inside.txt'])).code === 0 ? true : undefined));
    ok(await d.janus(['cp', join(work, 'src', 'hello.txt'), 'cprun:/root/hello.txt']), 'cp a file in under a new name');
    assert.equal(ok(await d.janus(['exec', 'cprun', 'cat', '/root/hello.txt']), 'exec cat'), 'hello from the host\n');
    const archive = await makeTar([{ name: 'fromtar/' }, { name: 'fromtar/a.txt', body: 'from a tar\n' }, { name: 'fromtar/x.sh', body: 'echo x\n', mode: 0o750 }]);
    ok(await d.janus(['cp', '-', 'cprun:/tmp'], { input: archive }), 'cp - (a tar on stdin)');
    assert.equal(ok(await d.janus(['exec', 'cprun', 'sh', '-c', 'cat /tmp/fromtar/a.txt; stat -c %a /tmp/fromtar/x.sh']), 'exec'), 'from a tar\n750\n');
    fails(await d.janus(['cp', '-', 'cprun:/root/hello.txt'], { input: archive }), /must be a directory/, 'cp - onto a file');
    const local = join(work, 'inside.txt');
    ok(await d.janus(['cp', 'cprun:/tmp/inside.txt', local]), 'cp out of a running container');
    assert.equal(await readFile(local, 'utf8'), 'made inside\n');
    const whole = await janusBytes(['cp', 'cprun:/tmp', '-']);
    assert.equal(whole.code, 0, whole.stderr);
    const names = await readTar(whole.stdout);
    assert.equal(names.get('tmp/inside.txt')?.body, 'made inside\n');
    assert.equal(names.get('tmp/fromtar/a.txt')?.body, 'from a tar\n');
    assert.equal(await inspect('cprun', '{{.State.Status}}'), 'running');
  });

  test('hostile tars: a `..` entry or a symlink climbing out is refused naming the entry; nothing is written outside the container', async () => {
    const outside = await tempDir('janus-outside-');
    const up = '../'.repeat(12);
    const dotdot = await makeTar([{ name: 'ok.txt', body: 'fine' }, { name: `${up}${outside.slice(1)}/escaped.txt`, body: 'escaped' }]);
    const relLink = await makeTar([{ name: 'rlink', linkname: `${up}${outside.slice(1)}` }, { name: 'rlink/pwned.txt', body: 'pwned' }]);
    ok(await d.janus(['create', '--name', 'hostile', 'busybox', 'true']), 'create');
    await remember('hostile');
    for (const target of ['hostile', 'cprun']) {
      fails(await d.janus(['cp', '-', `${target}:/tmp`], { input: dotdot }), /refusing archive entry ".*escaped\.txt": it leads outside \/tmp/, `a .. entry into ${target}`);
      fails(await d.janus(['cp', '-', `${target}:/tmp`], { input: relLink }), /refusing archive entry "rlink": its symlink target .* leads outside \/tmp/, `a climbing symlink into ${target}`);
    }
    assert.deepEqual(await readdir(outside), [], 'nothing was written outside the container');
    assert.doesNotMatch(ok(await d.janus(['diff', 'hostile']), 'diff'), /escaped|pwned|rlink/);
  });

  test('an absolute symlink in a tar is the container\'s own path (as docker): what is written through it stays in the container', async () => {
    const outside = await tempDir('janus-outside-');
    const absLink = await makeTar([{ name: 'alink', linkname: outside }, { name: 'alink/through.txt', body: 'through the link\n' }]);
    ok(await d.janus(['cp', '-', 'cprun:/tmp'], { input: absLink }), 'an absolute symlink into a running container');
    ok(await d.janus(['cp', '-', 'hostile:/tmp'], { input: absLink }), 'an absolute symlink into a stopped container');
    assert.deepEqual(await readdir(outside), [], 'nothing was written on the host');
    assert.equal(ok(await d.janus(['exec', 'cprun', 'cat', `${outside}/through.txt`]), 'exec cat'), 'through the link\n');
    assert.match(ok(await d.janus(['diff', 'hostile']), 'diff'), new RegExp(`^A ${outside}/through\\.txt$`, 'm'));
    // The other way: a local symlink where the container's directory would land is not followed.
    const dest = join(work, 'dest-with-link');
    await mkdir(dest);
    await symlink(outside, join(dest, 'fromtar'));
    fails(await d.janus(['cp', 'cprun:/tmp/fromtar', `${dest}/`]), /cannot overwrite non-directory/, 'a directory over a local symlink');
    assert.deepEqual(await readdir(outside), [], 'nothing was written through the local symlink');
  });

  test('diff lists A, C and D; commit with -m, -a and --change makes an image whose containers see the changes', async () => {
    ok(await d.janus(['run', '--name', 'changer', 'busybox', 'sh', '-c', 'echo new > /new.txt; rm /etc/group; echo extra >> /etc/passwd; mkdir /made; echo a > /made/a']), 'run');
    await remember('changer');
    const diff = ok(await d.janus(['diff', 'changer']), 'diff').trim().split('\n').sort();
    assert.deepEqual(diff, ['A /made', 'A /made/a', 'A /new.txt', 'C /etc', 'C /etc/passwd', 'D /etc/group']);
    const image = ok(await d.janus(['commit', '-m', 'added new.txt', '-a', 'Janus Test <test@example.com>', '--change', 'CMD ["cat","/new.txt"]', 'changer', 'committed:1']), 'commit').trim();
    assert.match(image, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await inspect('committed:1', '{{.Id}}|{{.Author}}|{{.Comment}}|{{json .Config.Cmd}}'), `${image}|Janus Test <test@example.com>|added new.txt|["cat","/new.txt"]`);
    const run = await d.janus(['run', '--rm', 'committed:1']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'new\n', 'the --change CMD runs');
    assert.equal(ok(await d.janus(['run', '--rm', 'committed:1', 'sh', '-c', 'cat /made/a; tail -n 1 /etc/passwd; test -e /etc/group || echo group-still-deleted']), 'run the image'),
      'a\nextra\ngroup-still-deleted\n');
    const history = ok(await d.janus(['history', 'committed:1']), 'history');
    assert.match(history.split('\n')[1] ?? '', new RegExp(`^${image.slice(7, 19)}\\s.*\\sadded new\\.txt$`));
    assert.equal(ok(await d.janus(['history', '--format', '{{.Comment}}', 'committed:1']), 'history --format').split('\n')[0], 'added new.txt');
  });

  test('commit of a running container leaves it running; diff of a running container', async () => {
    ok(await d.janus(['run', '-d', '--name', 'live', 'busybox', 'sh', '-c', 'echo live > /live.txt; sleep 1000']), 'run -d');
    await remember('live');
    await eventually('the container to write its file', async () => ((await d.janus(['exec', 'live', 'cat', '/live.txt'])).code === 0 ? true : undefined));
    assert.match(ok(await d.janus(['diff', 'live']), 'diff'), /^A \/live\.txt$/m);
    ok(await d.janus(['commit', 'live', 'committed:2']), 'commit');
    assert.equal(await inspect('live', '{{.State.Status}} {{.State.Paused}}'), 'running false');
    assert.equal(ok(await d.janus(['run', '--rm', 'committed:2', 'cat', '/live.txt']), 'run the image'), 'live\n');
  });

  test('export writes the container\'s file system as a tar (to a file and to stdout); import makes an image of it', async () => {
    const file = join(work, 'changer.tar');
    ok(await d.janus(['export', '-o', file, 'changer']), 'export -o');
    const names = await readTar(await readFile(file));
    assert.equal(names.get('new.txt')?.body, 'new\n');
    assert.equal(names.get('made/a')?.body, 'a\n');
    assert.match(names.get('etc/passwd')?.body ?? '', /\nextra\n$/);
    assert.ok(names.has('bin/busybox'), 'the image\'s files are there too');
    assert.equal(names.has('etc/group'), false, 'a deleted file is not');
    const streamed = await janusBytes(['export', 'changer']);
    assert.equal(streamed.code, 0, streamed.stderr);
    assert.deepEqual([...(await readTar(streamed.stdout)).keys()].sort(), [...names.keys()].sort());
    ok(await d.janus(['import', file, 'imported:1']), 'import');
    assert.equal(ok(await d.janus(['run', '--rm', 'imported:1', 'sh', '-c', 'cat /new.txt; test -e /etc/group || echo no-group']), 'run the imported image'), 'new\nno-group\n');
  });

  test('after rm nothing of the containers is left: no mount under the daemon\'s root, no leak', async () => {
    ok(await d.janus(['rm', '-f', 'cpstop', 'cprun', 'hostile', 'changer', 'live']), 'rm -f');
    assert.deepEqual(await mountsUnder(d.root), [], 'nothing mounted under the root');
    for (const id of ids) assert.deepEqual(await findContainerLeaks(d.root, id), [], `container ${id} left nothing behind`);
  });
});
