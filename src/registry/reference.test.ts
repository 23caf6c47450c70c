import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isJanusError } from '../core/errors.ts';
import {
  familiarName, formatReference, isImageIdLike, parseReference, repositoryName, withDigest, withTag,
} from './reference.ts';

const D = `sha256:${'a'.repeat(64)}`;
const D512 = `sha512:${'b'.repeat(128)}`;

test('normalises like docker', () => {
  const cases: Array<[string, string, string]> = [
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['index.docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['index.docker.io/user/app:v1', 'docker.io/user/app:v1', 'user/app:v1'],
    ['user/app', 'docker.io/user/app:latest', 'user/app:latest'],
    ['docker.io/library/a/b', 'docker.io/library/a/b:latest', 'library/a/b:latest'],
    ['localhost/x', 'localhost/x:latest', 'localhost/x:latest'],
    ['localhost:5000/x', 'localhost:5000/x:latest', 'localhost:5000/x:latest'],
    ['localhost:5000', 'docker.io/library/localhost:5000', 'localhost:5000'],
    ['127.0.0.1:5000/a/b:t', '127.0.0.1:5000/a/b:t', '127.0.0.1:5000/a/b:t'],
    ['example.com/a', 'example.com/a:latest', 'example.com/a:latest'],
    ['[::1]:5000/x:2', '[::1]:5000/x:2', '[::1]:5000/x:2'],
    ['quay.io/a-b/c__d/e.f_g', 'quay.io/a-b/c__d/e.f_g:latest', 'quay.io/a-b/c__d/e.f_g:latest'],
    ['a---b', 'docker.io/library/a---b:latest', 'a---b:latest'],
    ['x:V1.0_rc-2', 'docker.io/library/x:V1.0_rc-2', 'x:V1.0_rc-2'],
    [`busybox@${D}`, `docker.io/library/busybox@${D}`, `busybox@${D}`],
    [`busybox:1@${D}`, `docker.io/library/busybox:1@${D}`, `busybox:1@${D}`],
    [`127.0.0.1:5000/x@${D512}`, `127.0.0.1:5000/x@${D512}`, `127.0.0.1:5000/x@${D512}`],
  ];
  for (const [input, full, familiar] of cases) {
    const ref = parseReference(input);
    assert.equal(formatReference(ref), full, input);
    assert.equal(familiarName(ref), familiar, input);
  }
});

test('splits into parts', () => {
  assert.deepEqual({ ...parseReference('busybox') }, { registry: 'docker.io', repository: 'library/busybox', tag: 'latest' });
  assert.deepEqual({ ...parseReference(`127.0.0.1:5000/a/b@${D}`) }, { registry: '127.0.0.1:5000', repository: 'a/b', digest: D });
  assert.deepEqual({ ...parseReference(`x:t@${D}`) }, { registry: 'docker.io', repository: 'library/x', tag: 't', digest: D });
  assert.ok(Object.isFrozen(parseReference('x')));
});

test('a first component with upper case is a registry, as in docker', () => {
  const ref = parseReference('Registry/app');
  assert.equal(ref.registry, 'Registry');
  assert.equal(ref.repository, 'app');
});

function rejects(input: string, why: RegExp): void {
  assert.throws(() => parseReference(input), (err: unknown) => {
    assert.ok(isJanusError(err, 'InvalidArgument'), `${input}: ${String(err)}`);
    assert.ok(err.message.startsWith(`invalid reference format: ${JSON.stringify(input)}: `), err.message);
    assert.match(err.message, why, input);
    return true;
  });
}

test('rejects malformed references with the reason', () => {
  rejects('', /empty reference/);
  rejects('Busybox', /repository name must be lowercase/);
  rejects('docker.io/User/app', /repository name must be lowercase/);
  rejects('127.0.0.1:5000/UP:tag', /repository name must be lowercase/);
  rejects('a'.repeat(64), /64-byte hexadecimal/);
  rejects('busybox:', /invalid tag ""/);
  rejects('busybox:-x', /invalid tag "-x"/);
  rejects('busybox:.x', /invalid tag ".x"/);
  rejects(`busybox:${'t'.repeat(129)}`, /invalid tag/);
  rejects('busybox:a b', /invalid tag/);
  rejects('busybox@sha256:abc', /invalid digest "sha256:abc"/);
  rejects('busybox@', /invalid digest ""/);
  rejects(`busybox@md5:${'a'.repeat(32)}`, /unsupported digest/);
  rejects(`busybox@sha256:${'A'.repeat(64)}`, /unsupported digest/);
  rejects(':tag', /empty repository name/);
  rejects('a//b', /empty path component/);
  rejects('/a', /empty path component/);
  rejects('a/', /empty path component/);
  rejects('a_-b', /invalid repository path component "a_-b"/);
  rejects('_a', /invalid repository path component "_a"/);
  rejects('a.', /invalid repository path component "a."/);
  rejects('a___b', /invalid repository path component/);
  rejects('a@b', /invalid digest/);
  rejects('-bad.host/x', /invalid registry "-bad.host"/);
  rejects('host.:5000/x', /invalid registry/);
  rejects('host:port/x', /invalid registry/);
  rejects(`example.com/${'a'.repeat(244)}`, /not be longer than 255/);
});

test('length limit counts the normalised name', () => {
  // docker.io/library/ + 237 = 255: accepted; one more is not.
  assert.equal(parseReference('a'.repeat(237)).repository.length, 'library/'.length + 237);
  rejects('a'.repeat(238), /not be longer than 255/);
});

test('tags may be exactly 128 characters', () => {
  assert.equal(parseReference(`x:${'t'.repeat(128)}`).tag, 't'.repeat(128));
});

test('repositoryName drops tag and digest in familiar form', () => {
  assert.equal(repositoryName(parseReference(`busybox:1@${D}`)), 'busybox');
  assert.equal(repositoryName(parseReference('user/app:2')), 'user/app');
  assert.equal(repositoryName(parseReference('127.0.0.1:5000/a/b:t')), '127.0.0.1:5000/a/b');
});

test('withTag and withDigest validate and keep the other part', () => {
  const ref = parseReference('127.0.0.1:5000/x:1');
  assert.equal(formatReference(withTag(ref, '2')), '127.0.0.1:5000/x:2');
  assert.equal(formatReference(withDigest(ref, D)), `127.0.0.1:5000/x:1@${D}`);
  assert.equal(formatReference(withTag(parseReference(`x@${D}`), 'v')), `docker.io/library/x:v@${D}`);
  assert.throws(() => withTag(ref, 'bad tag'), (e: unknown) => isJanusError(e, 'InvalidArgument') && /"bad tag".*127\.0\.0\.1:5000\/x/.test(e.message));
  assert.throws(() => withDigest(ref, 'sha256:1'), (e: unknown) => isJanusError(e, 'InvalidArgument') && /"sha256:1"/.test(e.message));
});

test('isImageIdLike', () => {
  assert.equal(isImageIdLike('0123456789ab'), true);
  assert.equal(isImageIdLike('a'.repeat(64)), true);
  assert.equal(isImageIdLike(`sha256:${'a'.repeat(64)}`), true);
  assert.equal(isImageIdLike('sha256:0123456789ab'), true);
  assert.equal(isImageIdLike('0123456789a'), false);
  assert.equal(isImageIdLike('a'.repeat(65)), false);
  assert.equal(isImageIdLike('0123456789AB'), false);
  assert.equal(isImageIdLike('busybox'), false);
  assert.equal(isImageIdLike('sha512:0123456789ab'), false);
});
