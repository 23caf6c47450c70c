import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authKey, fullImageName, referenceProblem, splitImageName } from './image-name.ts';

test('splits references like the docker client', () => {
  assert.deepEqual(splitImageName('busybox'), { registry: 'docker.io', name: 'busybox' });
  assert.deepEqual(splitImageName('127.0.0.1:5000/e2e/x:1'), { registry: '127.0.0.1:5000', name: '127.0.0.1:5000/e2e/x', tag: '1' });
  assert.deepEqual(splitImageName('localhost/x@sha256:ab'), { registry: 'localhost', name: 'localhost/x', digest: 'sha256:ab' });
  assert.deepEqual(splitImageName('library/busybox:1.36'), { registry: 'docker.io', name: 'library/busybox', tag: '1.36' });
  assert.equal(splitImageName('index.docker.io/library/busybox').registry, 'docker.io');
});

test('full names and auth keys', () => {
  assert.equal(fullImageName('busybox'), 'docker.io/library/busybox:latest');
  assert.equal(fullImageName('me/app:2'), 'docker.io/me/app:2');
  assert.equal(fullImageName('127.0.0.1:5000/e2e/x@sha256:ab'), '127.0.0.1:5000/e2e/x@sha256:ab');
  assert.equal(authKey('docker.io'), 'https://index.docker.io/v1/');
  assert.equal(authKey('127.0.0.1:5000'), '127.0.0.1:5000');
});

test('reference grammar', () => {
  for (const ok of ['busybox', 'busybox:latest', '127.0.0.1:5000/e2e/busybox:1', 'a__b/c-d.e', `x@sha256:${'a'.repeat(64)}`, 'localhost:5000/x', '[::1]:5000/x:y']) {
    assert.equal(referenceProblem(ok), undefined, ok);
  }
  assert.match(referenceProblem('Not Valid') ?? '', /invalid reference format/);
  assert.match(referenceProblem('UPPER/Case:1') ?? '', /must be lowercase/);
  assert.match(referenceProblem('e2e/Upper') ?? '', /must be lowercase/);
  assert.match(referenceProblem('busybox:::') ?? '', /invalid/);
  assert.match(referenceProblem('x:-bad') ?? '', /invalid tag format/);
  assert.match(referenceProblem('x@sha256:zz') ?? '', /invalid digest format/);
  assert.match(referenceProblem(`${'x'.repeat(300)}:1`) ?? '', /255/);
  assert.match(referenceProblem('a//b') ?? '', /invalid reference format/);
});
