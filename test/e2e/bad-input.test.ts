// Bad input end to end: malformed references, unknown tags and digests, a
// registry serving corrupt or truncated blobs, and a daemon killed mid-pull.
// Each must fail with an error naming the problem and leave a store that a
// later pull repairs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { fails, listNames, ok, registryBlobPath, skipE2e, skopeo, treeBytes } from './helpers.ts';
import { writeOciImage, type WrittenImage } from './oci-layout.ts';

describe('bad input end to end', { skip: skipE2e() }, () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  let work: string;
  let small: WrittenImage;
  let smallRef: string;
  const janus = (args: string[]) => d.janus(args);

  /** Removes every local image and unreferenced blob, so the next pull downloads everything. */
  const forgetAll = async (): Promise<void> => {
    ok(await janus(['image', 'prune', '-a', '-f']), 'image prune -a -f');
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'janus-e2e-bad-'));
    reg = await startRegistry();
    d = await startDaemon({ hostNetwork: true }); // it pulls from the test registry on the host's 127.0.0.1
    const layout = join(work, 'small');
    small = await writeOciImage(layout, 'v1', {
      layers: [{ 'etc/': '', 'etc/motd': 'small\n' }, { 'data/': '', 'data/r.bin': randomBytes(256 * 1024) }],
    });
    smallRef = `${reg.host}/e2e/small:v1`;
    await skopeo(['copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${smallRef}`]);
  });
  after(async () => {
    await d?.stop();
    await reg?.stop();
    await rm(work, { recursive: true, force: true });
  });

  test('a malformed reference is refused and named', async () => {
    for (const bad of ['UPPER/Case:1', 'busybox:::', 'a b', `${'x'.repeat(300)}:1`]) {
      const r = await janus(['pull', bad]);
      fails(r, new RegExp(bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').slice(0, 40)), `pull ${JSON.stringify(bad)}`);
    }
    fails(await janus(['tag', smallRef, 'Not Valid']), /Not Valid/, 'tag to a malformed reference');
  });

  test('an unknown tag, repository, digest or local image is named in the error', async () => {
    fails(await janus(['pull', `${reg.host}/e2e/small:nope`]), /nope/, 'pull of an unknown tag');
    fails(await janus(['pull', `${reg.host}/e2e/absent:v1`]), /e2e\/absent/, 'pull of an unknown repository');
    const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;
    fails(await janus(['pull', `${reg.host}/e2e/small@${digest}`]), new RegExp(digest.slice(7, 19)), 'pull of an unknown digest');
    fails(await janus(['image', 'inspect', 'e2e/nosuch:1']), /e2e\/nosuch/, 'inspect of an unknown image');
    fails(await janus(['rmi', 'e2e/nosuch:1']), /e2e\/nosuch/, 'rmi of an unknown image');
    fails(await janus(['tag', 'e2e/nosuch:1', 'e2e/other:1']), /e2e\/nosuch/, 'tag of an unknown image');
  });

  test('a registry serving a blob whose digest differs: the pull fails naming the digest; after the fix it works', async () => {
    await forgetAll();
    const layer = small.layerDigests[1];
    const path = registryBlobPath(reg.dataDir, layer);
    const good = join(work, 'good-blob');
    await copyFile(path, good);
    const bytes = await readFile(path);
    bytes[bytes.length >> 1] ^= 0xff; // same size, different content
    await writeFile(path, bytes);

    fails(await janus(['pull', smallRef]), new RegExp(layer.slice(7)), 'pull of a corrupt blob');
    assert.ok(!(await listNames(janus)).includes(`${reg.host}/e2e/small:v1`), 'a failed pull records no name');

    await copyFile(good, path);
    ok(await janus(['pull', smallRef]), 'pull after the registry was fixed');
    assert.equal(ok(await janus(['image', 'inspect', '--format', '{{.Id}}', smallRef]), 'inspect').trim(), small.configDigest);
  });

  test('a truncated blob fails naming the digest, and a later pull repairs the store', async () => {
    await forgetAll();
    const layer = small.layerDigests[1];
    const path = registryBlobPath(reg.dataDir, layer);
    const good = join(work, 'good-blob-2');
    await copyFile(path, good);
    await truncate(path, 1000);

    fails(await janus(['pull', smallRef]), new RegExp(layer.slice(7)), 'pull of a truncated blob');
    await copyFile(good, path);
    ok(await janus(['pull', smallRef]), 'pull after the registry was fixed');
    assert.equal(ok(await janus(['image', 'inspect', '--format', '{{.Id}}', smallRef]), 'inspect').trim(), small.configDigest);
  });

  test('the daemon killed with SIGKILL mid-pull restarts, and the pull then succeeds', async () => {
    await forgetAll();
    const layout = join(work, 'big');
    // Random data does not compress: ~120 MB to move, long enough to be caught mid-way.
    const big = await writeOciImage(layout, 'v1', {
      gzipLevel: 1,
      layers: [0, 1, 2].map((i) => ({ [`l${i}/`]: '', [`l${i}/r.bin`]: randomBytes(40 << 20) })),
    });
    const ref = `${reg.host}/e2e/big:v1`;
    await skopeo(['copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${ref}`]);
    await rm(layout, { recursive: true, force: true });

    const base = await treeBytes(d.root);
    const cli = d.spawnJanus(['pull', ref]);
    const cliExit = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
    let exited = false;
    void cliExit.then(() => { exited = true; });
    const deadline = Date.now() + 60000;
    while (!exited && Date.now() < deadline && (await treeBytes(d.root)) < base + 8 * (1 << 20)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(!exited, 'the pull finished before the daemon could be killed mid-way; the test image is too small for this machine');
    await d.kill9();
    assert.notEqual(await cliExit, 0, 'the CLI reports the pull it lost');

    await d.restart();
    assert.ok(!(await listNames(janus)).includes(ref), 'the interrupted pull recorded no name');
    ok(await janus(['pull', ref]), 'pull after the restart');
    assert.equal(ok(await janus(['image', 'inspect', '--format', '{{.Id}}', ref]), 'inspect').trim(), big.configDigest);
  });
});
