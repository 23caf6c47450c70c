// End to end through the real CLI, daemon, docker-registry and skopeo: the
// image workflows of issue 2. Everything talks to 127.0.0.1 only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { digestsIn, fails, listNames, ok, skipE2e, skopeo, skopeoDigest, treeBytes } from './helpers.ts';
import { hostArchitecture, makeTar, writeOciImage, writeOciIndex } from './oci-layout.ts';

describe('images end to end', { skip: skipE2e() }, () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  let work: string;
  let busyboxId: string;
  const janus = (args: string[], opts?: { input?: string | Buffer }) => d.janus(args, opts);
  const inspect = async (ref: string, format: string): Promise<string> =>
    ok(await janus(['image', 'inspect', '--format', format, ref]), `image inspect ${ref}`).trim();

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'janus-e2e-images-'));
    reg = await startRegistry();
    d = await startDaemon({ hostNetwork: true }); // it pulls from the test registry on the host's 127.0.0.1
  });
  after(async () => {
    await d?.stop();
    await reg?.stop();
    await rm(work, { recursive: true, force: true });
  });

  test('image bootstrap busybox builds busybox:latest, and images lists it', async () => {
    ok(await janus(['image', 'bootstrap', 'busybox']), 'image bootstrap busybox');
    assert.ok((await listNames(janus)).includes('busybox:latest'), 'images lists busybox:latest');
    busyboxId = await inspect('busybox', '{{.Id}}');
    assert.match(busyboxId, /^sha256:[0-9a-f]{64}$/);
    const quiet = ok(await janus(['images', '-q']), 'images -q').split('\n').filter(Boolean);
    assert.ok(quiet.includes(busyboxId.slice(7, 19)), `images -q lists the short id ${busyboxId.slice(7, 19)}: ${quiet}`);
    assert.equal(await inspect('docker.io/library/busybox:latest', '{{.Id}}'), busyboxId, 'busybox normalises to docker.io/library/busybox:latest');
    const table = ok(await janus(['images']), 'images');
    assert.match(table, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE/m);
    assert.match(table, /^busybox\s+latest\s+[0-9a-f]{12}\s/m);
    const history = ok(await janus(['history', 'busybox']), 'history busybox');
    assert.match(history, /IMAGE\s+CREATED\s+CREATED BY\s+SIZE/);
    assert.equal(await inspect('busybox', '{{.Os}}/{{.Architecture}}'), `linux/${hostArchitecture()}`);
  });

  test('tag, push, rmi and pull back: the same image, and skopeo sees the digest janus reports', async () => {
    const ref = `${reg.host}/e2e/busybox:1`;
    ok(await janus(['tag', 'busybox', ref]), 'tag');
    const pushed = ok(await janus(['push', ref]), `push ${ref}`);
    const reported = /digest: (sha256:[0-9a-f]{64})/.exec(pushed)?.[1];
    assert.ok(reported, `push prints "digest: sha256:…": ${pushed}`);
    assert.equal(await skopeoDigest(ref), reported, 'the registry holds the manifest janus reported');
    // skopeo verifies every blob's digest while copying.
    await skopeo(['copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${join(work, 'from-janus')}:1`]);

    const again = ok(await janus(['push', ref]), 'second push');
    assert.match(again, new RegExp(reported.slice(7)), 'a second push reports the same digest');

    ok(await janus(['rmi', ref]), `rmi ${ref}`);
    assert.ok(!(await listNames(janus)).includes(`${reg.host}/e2e/busybox:1`), 'rmi removed the name');
    const pulled = ok(await janus(['pull', ref]), `pull ${ref}`);
    assert.ok(digestsIn(pulled).includes(reported), `pull reports the digest ${reported}: ${pulled}`);
    assert.equal(await inspect(ref, '{{.Id}}'), busyboxId);
    const repoDigests = JSON.parse(await inspect(ref, '{{json .RepoDigests}}')) as string[];
    assert.ok(repoDigests.includes(`${reg.host}/e2e/busybox@${reported}`), `RepoDigests: ${repoDigests}`);

    const byDigest = ok(await janus(['pull', `${reg.host}/e2e/busybox@${reported}`]), 'pull by digest');
    assert.match(byDigest, /Status: Image is up to date for /, 'a digest already here is up to date, as in docker');
    assert.equal(await inspect(`${reg.host}/e2e/busybox@${reported}`, '{{.Id}}'), busyboxId);

    // `images NAME` shows only the matching names of an image that has several.
    const rows = ok(await janus(['images', '--format', '{{.Repository}}:{{.Tag}}', 'busybox']), 'images busybox').split('\n').filter(Boolean);
    assert.deepEqual(rows, ['busybox:latest'], `images busybox lists only busybox: ${rows}`);
    // Any unique prefix of the ID names the image.
    assert.equal(await inspect(busyboxId.slice(7, 11), '{{.Id}}'), busyboxId, 'a 4-character ID prefix');
  });

  test('an image pushed by skopeo pulls with janus, by tag and by digest, with the same digests', async () => {
    const layout = join(work, 'skopeo-layout');
    const img = await writeOciImage(layout, 'v1', {
      layers: [
        { 'etc/': '', 'etc/motd': 'pushed by skopeo\n' },
        { 'data/': '', 'data/random.bin': randomBytes(1 << 20), 'data/text.txt': 'abc\n'.repeat(50000) },
      ],
      env: ['PATH=/bin', 'FROM=skopeo'],
      cmd: ['/bin/true'],
    });
    const ref = `${reg.host}/e2e/from-skopeo:v1`;
    await skopeo(['copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${ref}`]);
    assert.equal(await skopeoDigest(ref), img.manifestDigest);

    const pulled = ok(await janus(['pull', ref]), `pull ${ref}`);
    assert.ok(digestsIn(pulled).includes(img.manifestDigest), `pull reports ${img.manifestDigest}: ${pulled}`);
    assert.equal(await inspect(ref, '{{.Id}}'), img.configDigest, 'the image id is the config digest');
    assert.deepEqual(JSON.parse(await inspect(ref, '{{json .RootFS.Layers}}')), img.diffIds);
    assert.deepEqual(JSON.parse(await inspect(ref, '{{json .Config.Env}}')), ['PATH=/bin', 'FROM=skopeo']);
    assert.deepEqual(JSON.parse(await inspect(ref, '{{json .Config.Cmd}}')), ['/bin/true']);

    ok(await janus(['rmi', ref]), 'rmi');
    const byDigest = `${reg.host}/e2e/from-skopeo@${img.manifestDigest}`;
    ok(await janus(['pull', byDigest]), `pull ${byDigest}`);
    assert.equal(await inspect(byDigest, '{{.Id}}'), img.configDigest);
    ok(await janus(['rmi', byDigest]), `rmi ${byDigest}`);
  });

  test('an image with a zstd layer over a gzip layer pulls and unpacks both', async () => {
    const layout = join(work, 'zstd-layout');
    const img = await writeOciImage(layout, 'mixed', {
      layers: [{ 'etc/': '', 'etc/base.txt': 'gzip layer\n' }, { 'etc/top.txt': 'zstd layer\n' }],
      compression: ['gzip', 'zstd'],
    });
    const ref = `${reg.host}/e2e/mixed:1`;
    await skopeo(['copy', '--dest-tls-verify=false', `oci:${layout}:mixed`, `docker://${ref}`]);
    ok(await janus(['pull', ref]), `pull ${ref}`);
    assert.equal(await inspect(ref, '{{.Id}}'), img.configDigest);
    assert.deepEqual(JSON.parse(await inspect(ref, '{{json .RootFS.Layers}}')), img.diffIds, 'both layers unpacked to the diff IDs the config names');
    const upper = await inspect(ref, '{{.GraphDriver.Data.UpperDir}}');
    const lower = await inspect(ref, '{{.GraphDriver.Data.LowerDir}}');
    assert.equal(await readFile(join(upper, 'etc', 'top.txt'), 'utf8'), 'zstd layer\n', 'the zstd layer is unpacked in the top layer dir');
    assert.equal(await readFile(join(lower, 'etc', 'base.txt'), 'utf8'), 'gzip layer\n', 'the gzip layer is unpacked below it');
    ok(await janus(['rmi', ref]), 'rmi');
  });

  test('a multi-platform index pulls the host platform, and --platform picks another', async () => {
    const host = hostArchitecture();
    const other = host === 'arm64' ? 'amd64' : 'arm64';
    const layout = join(work, 'multi-layout');
    const { indexDigest, images } = await writeOciIndex(layout, 'multi', [
      { architecture: other, layers: [{ 'arch.txt': `${other}\n` }] },
      { architecture: host, layers: [{ 'arch.txt': `${host}\n` }] },
    ]);
    const ref = `${reg.host}/e2e/multi:1`;
    await skopeo(['copy', '--all', '--dest-tls-verify=false', `oci:${layout}:multi`, `docker://${ref}`]);
    assert.equal(await skopeoDigest(ref), indexDigest);

    const pulled = ok(await janus(['pull', ref]), `pull ${ref}`);
    assert.ok(digestsIn(pulled).includes(indexDigest), `pull reports the index digest ${indexDigest}: ${pulled}`);
    assert.equal(await inspect(ref, '{{.Id}}'), images[1].configDigest, `the ${host} image was chosen`);
    assert.equal(await inspect(ref, '{{.Architecture}}'), host);
    const repoDigests = JSON.parse(await inspect(ref, '{{json .RepoDigests}}')) as string[];
    assert.ok(repoDigests.includes(`${reg.host}/e2e/multi@${indexDigest}`), `RepoDigests names the index: ${repoDigests}`);

    ok(await janus(['pull', '--platform', `linux/${other}`, ref]), `pull --platform linux/${other}`);
    assert.equal(await inspect(ref, '{{.Id}}'), images[0].configDigest, `--platform linux/${other} chose the ${other} image`);
    ok(await janus(['rmi', ref]), 'rmi');

    // A single-platform image has nothing to choose from: another platform is refused, naming both.
    const single = `${reg.host}/e2e/single:1`;
    const singleLayout = join(work, 'single-layout');
    await writeOciImage(singleLayout, 'single', { architecture: host, layers: [{ 'arch.txt': `${host}\n` }] });
    await skopeo(['copy', '--dest-tls-verify=false', `oci:${singleLayout}:single`, `docker://${single}`]);
    fails(await janus(['pull', '--platform', `linux/${other}`, single]),
      new RegExp(`does not match the specified platform: wanted linux/${other}.*actual: linux/${host}`), 'pull of a single-platform image for another platform');
    assert.ok(!(await listNames(janus)).some((n) => n.includes('e2e/single')), 'nothing was named');
  });

  test('save → rmi → load round trip (docker-archive, readable by skopeo; OCI archive too)', async () => {
    const archive = join(work, 'busybox.tar');
    ok(await janus(['save', '-o', archive, 'busybox']), 'save -o');
    const layers = JSON.parse(await inspect('busybox', '{{json .RootFS.Layers}}')) as string[];
    const seen = JSON.parse((await skopeo(['inspect', `docker-archive:${archive}`])).stdout) as { Layers: string[] };
    assert.deepEqual(seen.Layers, layers, 'skopeo reads the docker-archive and finds the same layers');

    const ociArchive = join(work, 'busybox-oci.tar');
    ok(await janus(['save', '--format', 'oci', '-o', ociArchive, 'busybox']), 'save --format oci');
    await skopeo(['inspect', `oci-archive:${ociArchive}`]);

    const before = await listNames(janus);
    ok(await janus(['rmi', '-f', busyboxId]), 'rmi -f <id>');
    const gone = await listNames(janus);
    assert.ok(!gone.includes('busybox:latest'), `busybox is gone: ${gone}`);
    fails(await janus(['image', 'inspect', busyboxId]), new RegExp(busyboxId.slice(7, 19)), 'inspect of a removed image');

    const loaded = ok(await janus(['load', '-i', archive]), 'load -i');
    assert.match(loaded, /Loaded image: busybox:latest/);
    assert.equal(await inspect('busybox', '{{.Id}}'), busyboxId);

    ok(await janus(['rmi', 'busybox']), 'rmi busybox');
    ok(await janus(['load'], { input: await readFile(ociArchive) }), 'load < OCI archive');
    assert.equal(await inspect('busybox', '{{.Id}}'), busyboxId, 'the OCI archive loads the same image');
    // put back the other names the round trip removed
    for (const name of before) if (!(await listNames(janus)).includes(name)) ok(await janus(['tag', busyboxId, name]), `tag ${name}`);
  });

  test('import turns a rootfs tarball into an image, with --change and from stdin', async () => {
    const tarball = join(work, 'rootfs.tar');
    await writeFile(tarball, await makeTar({ 'bin/': '', 'srv/': '', 'srv/hello.txt': 'hello\n' }));
    const out = ok(await janus(['import', '-c', 'ENV FOO=bar', '-c', 'CMD ["/bin/sh", "-c", "cat /srv/hello.txt"]', '-c', 'WORKDIR /srv', '-m', 'by e2e', tarball, 'e2e/imported:1']), 'import');
    const id = await inspect('e2e/imported:1', '{{.Id}}');
    assert.ok(out.includes(id), `import prints the new id ${id}: ${out}`);
    assert.ok((JSON.parse(await inspect('e2e/imported:1', '{{json .Config.Env}}')) as string[]).includes('FOO=bar'));
    assert.deepEqual(JSON.parse(await inspect('e2e/imported:1', '{{json .Config.Cmd}}')), ['/bin/sh', '-c', 'cat /srv/hello.txt']);
    assert.equal(await inspect('e2e/imported:1', '{{.Config.WorkingDir}}'), '/srv');
    assert.equal(await inspect('e2e/imported:1', '{{.Comment}}'), 'by e2e');

    ok(await janus(['import', '-', 'e2e/imported:stdin'], { input: await makeTar({ 'a.txt': 'a' }) }), 'import - (stdin)');
    assert.ok((await listNames(janus)).includes('e2e/imported:stdin'));

    fails(await janus(['import', '-c', 'BOGUS x', tarball, 'e2e/imported:bad']), /BOGUS/, 'import with an unknown --change instruction');
  });

  test('rmi of a shared name untags; rmi of the id needs -f while several names share it', async () => {
    ok(await janus(['tag', 'busybox', 'e2e/shared:a']), 'tag a');
    ok(await janus(['tag', 'busybox', 'e2e/shared:b']), 'tag b');
    const untag = ok(await janus(['rmi', 'e2e/shared:a']), 'rmi e2e/shared:a');
    assert.match(untag, /Untagged: e2e\/shared:a/);
    assert.doesNotMatch(untag, /Deleted:/, 'the image stays while other names use it');
    let names = await listNames(janus);
    assert.ok(!names.includes('e2e/shared:a') && names.includes('e2e/shared:b') && names.includes('busybox:latest'), `names: ${names}`);

    fails(await janus(['rmi', busyboxId.slice(7, 19)]), /force|-f|multiple/i, 'rmi of an id that several names share');
    assert.equal(await inspect('e2e/shared:b', '{{.Id}}'), busyboxId, 'a refused rmi changes nothing');

    const removed = ok(await janus(['rmi', '-f', busyboxId.slice(7, 19)]), 'rmi -f <short id>');
    assert.match(removed, /Deleted: sha256:/);
    names = await listNames(janus);
    assert.ok(!names.includes('e2e/shared:b') && !names.includes('busybox:latest'), `every name went: ${names}`);
  });

  test("events replays what happened to images, in docker's line format and with --format", async () => {
    const until = String(Math.ceil(Date.now() / 1000) + 1);
    const lines = ok(await janus(['events', '--since', '0', '--until', until, '--filter', 'type=image']), 'events').split('\n').filter(Boolean);
    assert.ok(lines.some((l) => /^\d{4}-\d\d-\d\dT[\d:]+\.\d{9}Z image pull \S+ \(name=/.test(l)), `a pull event line: ${lines.join('\n')}`);
    assert.ok(lines.some((l) => / image tag sha256:[0-9a-f]{64} /.test(l)), 'a tag event line');
    assert.ok(lines.every((l) => / image /.test(l)), 'type=image keeps only image events');
    const actions = ok(await janus(['system', 'events', '--since', '0', '--until', until, '--format', '{{.Type}}/{{.Action}}']), 'system events --format');
    assert.ok(actions.split('\n').includes('image/push'), `--format renders each event: ${actions}`);
  });

  test('image prune -a -f removes unused images and frees their blobs', async () => {
    ok(await janus(['image', 'bootstrap', 'busybox']), 'bootstrap again');
    // runtimes/ holds the vm level's kernel and initramfs caches, which are no image's.
    const storeBytes = async () => (await treeBytes(d.root)) - (await treeBytes(join(d.root, 'runtimes')));
    const before = await storeBytes();
    assert.ok(before > 1_500_000, `the store holds busybox (${before} bytes)`);
    const out = ok(await janus(['image', 'prune', '-a', '-f']), 'image prune -a -f');
    assert.match(out, /Total reclaimed space:/);
    assert.deepEqual(await listNames(janus), [], 'no image is left');
    const after = await storeBytes();
    assert.ok(after < 512 * 1024, `the blobs were freed: ${before} → ${after} bytes under ${d.root} (runtimes/ aside)`);
  });
});
