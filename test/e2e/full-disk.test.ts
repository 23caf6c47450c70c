// A full disk mid-pull: the error says so, nothing half-written becomes
// visible, and the daemon keeps serving. The daemon's root is a small tmpfs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeExec } from '../../src/util/exec.ts';
import { startDaemon, type TestDaemon } from '../support/daemon.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { fails, listNames, ok, skipE2e, skopeo } from './helpers.ts';
import { writeOciImage } from './oci-layout.ts';

const exec = new NodeExec();

describe('a full disk end to end', { skip: skipE2e() }, () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  let work: string;
  let mounted = false;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'janus-e2e-full-'));
    reg = await startRegistry();
    d = await startDaemon({ hostNetwork: true }); // it pulls from the test registry on the host's 127.0.0.1
    await d.stop({ keepRoot: true });
    // 4 MiB holds the daemon's own files but not a 12 MB image.
    await exec.run('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', d.root]);
    mounted = true;
    await d.restart();
  });
  after(async () => {
    await d?.stop({ keepRoot: true });
    if (mounted) await exec.run('umount', [d.root]);
    await d?.stop();
    await reg?.stop();
    await rm(work, { recursive: true, force: true });
  });

  test('a pull that fills the disk fails saying so, and leaves only verified blobs and no name', async () => {
    const layout = join(work, 'big');
    await writeOciImage(layout, 'big', { layers: [{ 'a.bin': randomBytes(6 << 20) }, { 'b.bin': randomBytes(6 << 20) }], gzipLevel: 1 });
    const ref = `${reg.host}/e2e/big:1`;
    await skopeo(['copy', '--dest-tls-verify=false', `oci:${layout}:big`, `docker://${ref}`]);

    fails(await d.janus(['pull', ref], { timeoutMs: 120_000 }), /no space left on device/, 'pull onto a full disk');
    assert.ok(!(await listNames((args) => d.janus(args))).some((n) => n.includes('e2e/big')), 'the image was not named');
    const blobsDir = join(d.root, 'content', 'blobs', 'sha256');
    for (const hex of await readdir(blobsDir)) {
      const actual = createHash('sha256').update(await readFile(join(blobsDir, hex))).digest('hex');
      assert.equal(actual, hex, `blob ${hex} in the store is complete and verified`);
    }
    ok(await d.janus(['image', 'prune', '-a', '-f']), 'prune after the failure');
    ok(await d.janus(['info']), 'the daemon still answers');
  });
});
