// Push and pull against a docker-registry with htpasswd (Basic) auth, through
// `janus login` / `logout`; credentials are stored with mode 0600.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { fails, ok, skipE2e, skopeoDigest } from './helpers.ts';

const USER = 'e2e-user';
const PASSWORD = 'e2e-secret-Pa55';

/** Every regular file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

describe('registry auth end to end', { skip: skipE2e({ htpasswd: true }) }, () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  const janus = (args: string[], opts?: { input?: string }) => d.janus(args, opts);

  before(async () => {
    reg = await startRegistry({ htpasswd: { username: USER, password: PASSWORD } });
    d = await startDaemon({ hostNetwork: true }); // it pulls from the test registry on the host's 127.0.0.1
    ok(await janus(['image', 'bootstrap', 'busybox']), 'image bootstrap busybox');
  });
  after(async () => {
    await d?.stop();
    await reg?.stop();
  });

  test('push without credentials is refused, naming the registry', async () => {
    const ref = `${reg.host}/private/busybox:1`;
    ok(await janus(['tag', 'busybox', ref]), 'tag');
    const refused = fails(await janus(['push', ref]), /unauthorized|authentication|credentials|login/i, 'push without login');
    assert.ok(refused.includes(reg.host), `the refusal names the registry: ${refused}`);
  });

  test('login with a wrong password fails; with the right one it succeeds and stores credentials 0600', async () => {
    const refused = fails(await janus(['login', '-u', USER, '-p', 'wrong', reg.host]), /unauthorized|incorrect|denied|rejected|401/i, 'login with a wrong password');
    assert.ok(refused.includes(reg.host), `the refusal names the registry: ${refused}`);
    const out = ok(await janus(['login', '-u', USER, '--password-stdin', reg.host], { input: `${PASSWORD}\n` }), 'login --password-stdin');
    assert.match(out, /Login Succeeded/);
    const files = await filesUnder(d.configDir);
    assert.ok(files.length > 0, `login stored something under ${d.configDir}`);
    for (const f of files) {
      assert.equal((await stat(f)).mode & 0o777, 0o600, `${f} has mode 0600`);
    }
    assert.ok((await Promise.all(files.map((f) => readFile(f, 'utf8')))).some((t) => t.includes(reg.host)), 'the stored credentials name the registry');
  });

  test('after login: push, rmi, pull back; skopeo with the same credentials sees the same digest', async () => {
    const ref = `${reg.host}/private/busybox:1`;
    const id = ok(await janus(['image', 'inspect', '--format', '{{.Id}}', 'busybox']), 'inspect').trim();
    const pushed = ok(await janus(['push', ref]), 'push after login');
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed)?.[1];
    assert.ok(digest, `push prints its digest: ${pushed}`);
    assert.equal(await skopeoDigest(ref, `${USER}:${PASSWORD}`), digest);
    ok(await janus(['rmi', ref]), 'rmi');
    ok(await janus(['pull', ref]), 'pull after login');
    assert.equal(ok(await janus(['image', 'inspect', '--format', '{{.Id}}', ref]), 'inspect').trim(), id);
  });

  test('after logout, pulls are refused again', async () => {
    ok(await janus(['logout', reg.host]), 'logout');
    const ref = `${reg.host}/private/busybox:1`;
    ok(await janus(['rmi', ref]), 'rmi');
    fails(await janus(['pull', ref]), /unauthorized|authentication|credentials|login/i, 'pull after logout');
  });
});
