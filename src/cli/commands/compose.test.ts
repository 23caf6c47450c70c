import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureCli } from '../../../test/support/fake-api.ts';
import { findComposeFiles } from './compose.ts';

test('compose files: -f as given, else COMPOSE_FILE, else compose.yaml and its override in the nearest directory up', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'janus-compose-files-'));
  try {
    await mkdir(join(dir, 'app', 'sub'), { recursive: true });
    await writeFile(join(dir, 'app', 'docker-compose.yml'), '');
    await writeFile(join(dir, 'app', 'compose.yaml'), '');
    await writeFile(join(dir, 'app', 'compose.override.yml'), '');
    assert.deepEqual(findComposeFiles([], {}, join(dir, 'app', 'sub')), [join(dir, 'app', 'compose.yaml'), join(dir, 'app', 'compose.override.yml')]);
    assert.deepEqual(findComposeFiles(['a.yaml', '/x/b.yaml'], { COMPOSE_FILE: 'c.yaml' }, dir), [join(dir, 'a.yaml'), '/x/b.yaml']);
    assert.deepEqual(findComposeFiles([], { COMPOSE_FILE: 'c.yaml:d.yaml' }, dir), [join(dir, 'c.yaml'), join(dir, 'd.yaml')]);
    assert.deepEqual(findComposeFiles([], {}, dir), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  // No daemon is listening there: these commands must fail or finish before they need one.
  const r = await captureCli(args, { env: { JANUS_HOST: 'unix:///nonexistent/janus.sock', ...env } });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

test('janus compose: help lists the verbs; an unknown verb or flag is a usage error; no file is a clear error', async () => {
  const help = await cli(['compose', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /^ {2}up {8}Create and start containers$/m);
  assert.match((await cli(['compose'])).out, /^ {2}down {6}Stop and remove containers, networks$/m);
  const unknown = await cli(['compose', 'nope']);
  assert.equal(unknown.code, 125);
  assert.match(unknown.err, /unknown compose command: "janus compose nope"/);
  const flag = await cli(['compose', 'up', '--nope']);
  assert.equal(flag.code, 125);
  assert.match(flag.err, /unknown flag: --nope/);
  const dir = await mkdtemp(join(tmpdir(), 'janus-compose-none-'));
  try {
    const none = await cli(['compose', '--project-directory', dir, 'up', '-d']);
    assert.equal(none.code, 1);
    assert.match(none.err, /no configuration file provided: not found/);
    assert.match((await cli(['compose', 'up', '--help'])).out, /--force-recreate/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('janus compose snapshot: a --timeout that is no whole number of seconds is a usage error, before any service is stopped', async () => {
  const bad = await cli(['compose', '-p', 'proj', 'snapshot', 'restore', '-t', 'soon', 's1']);
  assert.equal(bad.code, 125);
  assert.match(bad.err, /invalid --timeout "soon": want whole seconds/);
  const unknown = await cli(['compose', '-p', 'proj', 'snapshot', 'undo', 's1']);
  assert.equal(unknown.code, 125);
  assert.match(unknown.err, /unknown snapshot action "undo"/);
});
