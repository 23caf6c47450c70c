import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isJanusError } from '../../core/errors.ts';
import { MediaType } from '../../core/oci.ts';
import { NodeExec, type Exec } from '../../util/exec.ts';
import { MemoryContentStore } from '../../../test/fakes/memory-content-store.ts';
import { configuredDebianMirror, parseAptSources } from './apt-sources.ts';
import { bootstrapDebian } from './bootstrap-debian.ts';

const run = promisify(execFile);

test('apt sources: one-line and deb822 formats', () => {
  assert.deepEqual(parseAptSources([
    '# comment',
    'deb-src http://deb.debian.org/debian bookworm main',
    'deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main contrib # trailing',
    'deb http://security.example/debian-security bookworm-security main',
  ].join('\n'), 'list'), [
    { uri: 'http://mirror.example/debian', suites: ['bookworm'] },
    { uri: 'http://security.example/debian-security', suites: ['bookworm-security'] },
  ]);
  assert.deepEqual(parseAptSources([
    'Types: deb deb-src',
    '# a comment',
    'URIs: http://a.example/debian',
    'Suites: bookworm bookworm-updates',
    'Components: main',
    '',
    'Types: deb',
    'URIs: http://off.example/debian',
    'Suites: bookworm',
    'Enabled: no',
    '',
    'Types: deb-src',
    'URIs: http://src.example/debian',
    'Suites: bookworm',
  ].join('\n'), 'sources'), [{ uri: 'http://a.example/debian', suites: ['bookworm', 'bookworm-updates'] }]);
});

test('the configured mirror is the first deb source serving the suite', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'janus-apt-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'sources.list.d'));
  await writeFile(join(dir, 'sources.list'), '# nothing here\n');
  await writeFile(join(dir, 'sources.list.d', 'a-other.list'), 'deb https://packages.example/apt stable main\n');
  await writeFile(join(dir, 'sources.list.d', 'debian.sources'), 'Types: deb\nURIs: http://deb.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n');
  assert.equal(await configuredDebianMirror('bookworm', { aptDir: dir }), 'http://deb.example/debian');
  await assert.rejects(configuredDebianMirror('trixie', { aptDir: dir }), (err: unknown) =>
    isJanusError(err, 'Unavailable') && /no Debian mirror for trixie/.test(err.message));
});

test('a failing debootstrap is Unavailable with its log, and the scratch space is removed', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'janus-deb-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const calls: string[][] = [];
  const exec: Exec = {
    async run(file, args) {
      calls.push([file, ...args]);
      if (file === 'debootstrap') {
        await mkdir(join(args[2], 'debootstrap'), { recursive: true });
        await writeFile(join(args[2], 'debootstrap', 'debootstrap.log'), 'E: Couldn\'t download packages: libc6\n');
        throw new Error('debootstrap: exit status 1');
      }
      return { code: 0, signal: null, stdout: '', stderr: '' };
    },
  };
  await assert.rejects(bootstrapDebian(new MemoryContentStore(), { exec, workDir: work, mirror: 'http://mirror.example/debian' }), (err: unknown) =>
    isJanusError(err, 'Unavailable') && /debootstrap bookworm from http:\/\/mirror\.example\/debian failed[\s\S]*Couldn't download packages/.test(err.message));
  assert.equal(calls[0][0], 'debootstrap');
  assert.deepEqual(calls[0].slice(1, 3), ['--variant=minbase', 'bookworm']);
  assert.equal(calls[0][4], 'http://mirror.example/debian');
  const left = await readdir(work);
  assert.deepEqual(left, []);
  await assert.rejects(bootstrapDebian(new MemoryContentStore(), { exec, workDir: work, mirror: 'ftp://x' }), (err: unknown) => isJanusError(err, 'InvalidArgument'));
});

const canDebootstrap = existsSync('/usr/sbin/debootstrap') && process.getuid?.() === 0;

// SLOW (minutes): runs the real debootstrap against the machine's configured Debian mirror.
test('SLOW: debootstrap builds a runnable debian:bookworm image', {
  skip: canDebootstrap ? false : 'needs root and debootstrap (apt-get install debootstrap)',
  timeout: 20 * 60 * 1000,
}, async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'janus-deb-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const store = new MemoryContentStore();
  const started = Date.now();
  const made = await bootstrapDebian(store, { exec: new NodeExec(), workDir: join(work, 'scratch') });
  t.diagnostic(`debootstrap image built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const manifest = JSON.parse((await store.readAll(made.manifest.digest)).toString());
  assert.equal(manifest.layers[0].mediaType, MediaType.OciLayerGzip);
  const config = JSON.parse((await store.readAll(made.config.digest)).toString());
  assert.deepEqual(config.config.Cmd, ['bash']);
  t.diagnostic(`layer ${manifest.layers[0].size} bytes compressed`);
  const rootfs = join(work, 'rootfs');
  await mkdir(rootfs);
  await writeFile(join(work, 'layer.tgz'), await store.readAll(manifest.layers[0].digest));
  await run('tar', ['--numeric-owner', '-xpzf', join(work, 'layer.tgz'), '-C', rootfs]);
  const out = await run('chroot', [rootfs, '/bin/bash', '-c', '. /etc/os-release; echo $VERSION_CODENAME; ls /var/lib/apt/lists | grep -c _ || true; test -c /dev/null && echo devnull'], {
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  assert.equal(out.stdout, 'bookworm\n0\ndevnull\n');
  assert.deepEqual(await readdir(join(work, 'scratch')), [], 'the scratch space is removed');
});
