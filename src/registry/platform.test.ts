import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isJanusError } from '../core/errors.ts';
import { MediaType, type Descriptor, type ImageIndex, type Platform } from '../core/oci.ts';
import { formatPlatform, hostPlatform, normalizePlatform, parsePlatform, selectManifest } from './platform.ts';

let n = 0;
function entry(platform: Platform | undefined, extra: Partial<Descriptor> = {}): Descriptor {
  n++;
  return { mediaType: MediaType.OciManifest, digest: `sha256:${n.toString(16).padStart(64, '0')}`, size: 100, ...(platform ? { platform } : {}), ...extra };
}
const index = (...manifests: Descriptor[]): ImageIndex => ({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests });
const p = (os: string, architecture: string, variant?: string): Platform => ({ os, architecture, ...(variant ? { variant } : {}) });

test('hostPlatform maps Node arch names to GOARCH', () => {
  assert.deepEqual(hostPlatform({ arch: 'x64', platform: 'linux' }), p('linux', 'amd64'));
  assert.deepEqual(hostPlatform({ arch: 'arm64', platform: 'linux' }), p('linux', 'arm64', 'v8'));
  assert.deepEqual(hostPlatform({ arch: 'arm', platform: 'linux', armVersion: '6' }), p('linux', 'arm', 'v6'));
  assert.deepEqual(hostPlatform({ arch: 'ia32', platform: 'linux' }), p('linux', '386'));
  assert.deepEqual(hostPlatform({ arch: 'ppc64', platform: 'linux', littleEndian: true }), p('linux', 'ppc64le'));
  assert.deepEqual(hostPlatform({ arch: 's390x', platform: 'linux' }), p('linux', 's390x'));
  assert.deepEqual(hostPlatform({ arch: 'mipsel', platform: 'win32' }), p('windows', 'mipsle'));
  const here = hostPlatform();
  assert.equal(here.os, 'linux');
  assert.ok(['amd64', 'arm64', 'arm', '386', 'ppc64le', 's390x', 'riscv64'].includes(here.architecture));
});

test('parsePlatform accepts docker spellings and normalises', () => {
  assert.deepEqual(parsePlatform('linux/arm64/v8'), p('linux', 'arm64', 'v8'));
  assert.deepEqual(parsePlatform('linux/arm64'), p('linux', 'arm64', 'v8'));
  assert.deepEqual(parsePlatform('linux/aarch64'), p('linux', 'arm64', 'v8'));
  assert.deepEqual(parsePlatform('linux/x86_64'), p('linux', 'amd64'));
  assert.deepEqual(parsePlatform('linux/amd64/v1'), p('linux', 'amd64'));
  assert.deepEqual(parsePlatform('linux/amd64/v3'), p('linux', 'amd64', 'v3'));
  assert.deepEqual(parsePlatform('linux/arm'), p('linux', 'arm', 'v7'));
  assert.deepEqual(parsePlatform('linux/armhf'), p('linux', 'arm', 'v7'));
  assert.deepEqual(parsePlatform('Linux/i386'), p('linux', '386'));
  assert.deepEqual(parsePlatform('arm64'), p('linux', 'arm64', 'v8'));
  assert.deepEqual(parsePlatform('linux', { host: p('linux', 'arm', 'v6') }), p('linux', 'arm', 'v6'));
});

test('parsePlatform rejects garbage naming the value', () => {
  for (const [text, why] of [
    ['', /empty component/], ['linux/', /empty component/], ['/amd64', /empty component/], ['a/b/c/d', /want os\/arch/],
    ['linux/am d64', /invalid component/], ['nosuchos/amd64', /unknown operating system "nosuchos"/],
    ['linux/z80', /unknown architecture "z80"/], ['z80', /unknown operating system or architecture/],
  ] as const) {
    assert.throws(() => parsePlatform(text), (e: unknown) => {
      assert.ok(isJanusError(e, 'InvalidArgument'));
      assert.ok(e.message.startsWith(`invalid platform ${JSON.stringify(text)}: `), e.message);
      assert.match(e.message, why);
      return true;
    });
  }
});

test('formatPlatform', () => {
  assert.equal(formatPlatform(p('linux', 'amd64')), 'linux/amd64');
  assert.equal(formatPlatform(p('linux', 'arm', 'v7')), 'linux/arm/v7');
  assert.equal(formatPlatform(normalizePlatform(p('linux', 'aarch64'))), 'linux/arm64/v8');
});

test('selectManifest picks os+arch and the exact variant', () => {
  const amd = entry(p('linux', 'amd64'));
  const arm64 = entry(p('linux', 'arm64', 'v8'));
  const armv6 = entry(p('linux', 'arm', 'v6'));
  const armv7 = entry(p('linux', 'arm', 'v7'));
  const win = entry(p('windows', 'amd64'));
  const idx = index(win, armv6, armv7, arm64, amd);
  assert.equal(selectManifest(idx, p('linux', 'amd64')), amd);
  assert.equal(selectManifest(idx, p('linux', 'arm64')), arm64);
  assert.equal(selectManifest(idx, p('linux', 'arm64', 'v8')), arm64);
  assert.equal(selectManifest(idx, p('linux', 'arm', 'v7')), armv7);
  assert.equal(selectManifest(idx, p('linux', 'arm', 'v6')), armv6);
  assert.equal(selectManifest(idx, p('windows', 'amd64')), win);
});

test('arm64 without variant in the index matches a v8 host, and the reverse', () => {
  const a = entry(p('linux', 'arm64'));
  assert.equal(selectManifest(index(entry(p('linux', 'amd64')), a), p('linux', 'arm64', 'v8')), a);
  const b = entry(p('linux', 'aarch64', 'v8'));
  assert.equal(selectManifest(index(b), p('linux', 'arm64')), b);
});

test('older compatible variants are a fallback, the exact one preferred', () => {
  const v5 = entry(p('linux', 'arm', 'v5'));
  const v6 = entry(p('linux', 'arm', 'v6'));
  assert.equal(selectManifest(index(v5, v6), p('linux', 'arm', 'v7')), v6);
  const i386 = entry(p('linux', '386'));
  assert.equal(selectManifest(index(i386), p('linux', 'amd64')), i386);
  const amd = entry(p('linux', 'amd64'));
  assert.equal(selectManifest(index(i386, amd), p('linux', 'amd64')), amd);
  const v2 = entry(p('linux', 'amd64', 'v2'));
  assert.equal(selectManifest(index(amd, v2), p('linux', 'amd64', 'v3')), v2);
  // A newer variant than the host is never chosen.
  assert.throws(() => selectManifest(index(v2), p('linux', 'amd64')), (e: unknown) => isJanusError(e, 'NotFound'));
  assert.throws(() => selectManifest(index(entry(p('linux', 'arm', 'v7'))), p('linux', 'arm', 'v6')), (e: unknown) => isJanusError(e, 'NotFound'));
});

test('attestation manifests and nested indexes are skipped', () => {
  const att = entry(p('unknown', 'unknown'), { annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } });
  const fakeAmd = entry(p('linux', 'amd64'), { annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } });
  const nested = entry(p('linux', 'amd64'), { mediaType: MediaType.OciIndex });
  const amd = entry(p('linux', 'amd64'));
  assert.equal(selectManifest(index(att, fakeAmd, nested, amd), p('linux', 'amd64')), amd);
});

test('an entry without platform is the last resort', () => {
  const bare = entry(undefined);
  const amd = entry(p('linux', 'amd64'));
  assert.equal(selectManifest(index(bare, amd), p('linux', 'amd64')), amd);
  assert.equal(selectManifest(index(bare), p('linux', 'amd64')), bare);
});

test('nothing matching is NotFound listing what is available', () => {
  const idx = index(
    entry(p('linux', 'amd64')), entry(p('linux', 'arm', 'v7')),
    entry(p('unknown', 'unknown'), { annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } }),
  );
  assert.throws(() => selectManifest(idx, p('linux', 'arm64')), (e: unknown) => {
    assert.ok(isJanusError(e, 'NotFound'));
    assert.equal(e.message, 'no matching manifest for linux/arm64/v8 in the manifest list entries (available: linux/amd64, linux/arm/v7)');
    return true;
  });
  assert.throws(() => selectManifest(index(), p('linux', 'amd64')), /available: none/);
});
