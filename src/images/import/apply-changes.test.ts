import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isJanusError } from '../../core/errors.ts';
import { applyChanges } from './apply-changes.ts';

const invalid = (pattern: RegExp) => (err: unknown) => {
  assert.ok(isJanusError(err, 'InvalidArgument'), String(err));
  assert.match(err.message, pattern);
  return true;
};

test('CMD and ENTRYPOINT: exec form is JSON, anything else is shell form', () => {
  assert.deepEqual(applyChanges({}, ['CMD echo hi']).Cmd, ['/bin/sh', '-c', 'echo hi']);
  assert.deepEqual(applyChanges({}, ['CMD ["echo", "hi there"]']).Cmd, ['echo', 'hi there']);
  assert.deepEqual(applyChanges({}, ['cmd ["sh"]']).Cmd, ['sh'], 'keywords are case-insensitive');
  assert.deepEqual(applyChanges({}, ['CMD [not json']).Cmd, ['/bin/sh', '-c', '[not json']);
  assert.deepEqual(applyChanges({}, ['CMD [1, 2]']).Cmd, ['/bin/sh', '-c', '[1, 2]'], 'a non-string array is shell form');
  assert.deepEqual(applyChanges({}, ['CMD echo "$HOME" \'x\'']).Cmd, ['/bin/sh', '-c', 'echo "$HOME" \'x\''], 'shell form is passed verbatim');
  assert.deepEqual(applyChanges({ Shell: ['/bin/bash', '-ec'] }, ['ENTRYPOINT run it']).Entrypoint, ['/bin/bash', '-ec', 'run it']);
  assert.deepEqual(applyChanges({}, ['CMD []']).Cmd, []);
});

test('ENTRYPOINT clears an inherited CMD but keeps one set by an earlier change', () => {
  const base = { Cmd: ['old'] };
  assert.deepEqual(applyChanges(base, ['ENTRYPOINT ["/app"]']), { Cmd: null, Entrypoint: ['/app'] });
  assert.deepEqual(applyChanges(base, ['CMD ["--help"]', 'ENTRYPOINT ["/app"]']), { Cmd: ['--help'], Entrypoint: ['/app'] });
  assert.deepEqual(applyChanges(base, ['ENTRYPOINT ["/app"]', 'CMD ["-v"]']), { Cmd: ['-v'], Entrypoint: ['/app'] });
  assert.deepEqual(base, { Cmd: ['old'] }, 'the input is not modified');
});

test('ENV: name=value pairs, quoting, legacy form, replacement and expansion', () => {
  const env = (changes: string[], start: string[] = []) => applyChanges({ Env: start }, changes).Env;
  assert.deepEqual(env(['ENV a=b c=d']), ['a=b', 'c=d']);
  assert.deepEqual(env(['ENV msg="hello world" other=\'single $x\' esc=a\\ b']), ['msg=hello world', 'other=single $x', 'esc=a b']);
  assert.deepEqual(env(['ENV greeting hello big world']), ['greeting=hello big world']);
  assert.deepEqual(env(['ENV PATH=/opt/bin:$PATH'], ['PATH=/usr/bin', 'X=1']), ['PATH=/opt/bin:/usr/bin', 'X=1']);
  assert.deepEqual(env(['ENV A=${X:-dflt} B=${Y:-dflt} C=${X:+alt} D="${X}\\$"'], ['X=1']), ['X=1', 'A=1', 'B=dflt', 'C=alt', 'D=1$']);
  assert.deepEqual(env(['ENV a=1 b=$a'], ['a=0']), ['a=1', 'b=0'], 'pairs expand against the env before the instruction, as docker does');
  assert.deepEqual(env(['ENV empty=']), ['empty=']);
  assert.deepEqual(env(['ENV cost=$5']), ['cost=$5']);
  assert.throws(() => applyChanges({}, ['ENV a=b c']), invalid(/can't find = in "c"/));
  assert.throws(() => applyChanges({}, ['ENV onlyname']), invalid(/ENV needs a value/));
  assert.throws(() => applyChanges({}, ['ENV =x']), invalid(/names can not be blank/));
  assert.throws(() => applyChanges({}, ['ENV a="open']), invalid(/unmatched "/));
  assert.throws(() => applyChanges({}, ['ENV a=${b']), invalid(/missing '}'/));
  assert.throws(() => applyChanges({}, ['ENV a=${NOPE:?must be set}']), invalid(/NOPE: must be set/));
});

test('LABEL merges labels, both forms', () => {
  assert.deepEqual(applyChanges({ Labels: { keep: '1' } }, ['LABEL a=b "with space"="v v"', 'LABEL legacy value here']).Labels, {
    keep: '1', a: 'b', 'with space': 'v v', legacy: 'value here',
  });
});

test('EXPOSE: ports, protocols and ranges', () => {
  assert.deepEqual(applyChanges({ ExposedPorts: { '22/tcp': {} } }, ['EXPOSE 80 53/udp 8000-8002/TCP 9/sctp']).ExposedPorts, {
    '22/tcp': {}, '80/tcp': {}, '53/udp': {}, '8000/tcp': {}, '8001/tcp': {}, '8002/tcp': {}, '9/sctp': {},
  });
  assert.deepEqual(applyChanges({ Env: ['P=8080'] }, ['EXPOSE $P']).ExposedPorts, { '8080/tcp': {} });
  assert.throws(() => applyChanges({}, ['EXPOSE 80/http']), invalid(/invalid protocol "http"/));
  assert.throws(() => applyChanges({}, ['EXPOSE 70000']), invalid(/1-65535/));
  assert.throws(() => applyChanges({}, ['EXPOSE 0.0.0.0:80:80']), invalid(/invalid port/));
  assert.throws(() => applyChanges({}, ['EXPOSE 90-80']), invalid(/invalid port range/));
});

test('USER, VOLUME, WORKDIR, STOPSIGNAL, ONBUILD', () => {
  assert.equal(applyChanges({ Env: ['U=app'] }, ['USER $U:staff']).User, 'app:staff');
  assert.deepEqual(applyChanges({}, ['VOLUME /data /logs']).Volumes, { '/data': {}, '/logs': {} });
  assert.deepEqual(applyChanges({ Volumes: { '/a': {} } }, ['VOLUME ["/b", "/with space"]']).Volumes, { '/a': {}, '/b': {}, '/with space': {} });
  assert.equal(applyChanges({}, ['WORKDIR /srv//app/']).WorkingDir, '/srv/app');
  assert.equal(applyChanges({ WorkingDir: '/srv' }, ['WORKDIR app', 'WORKDIR ../lib']).WorkingDir, '/srv/lib');
  assert.equal(applyChanges({}, ['WORKDIR rel']).WorkingDir, '/rel');
  for (const s of ['SIGTERM', 'KILL', '9', 'SIGRTMIN+3', 'sigusr1']) assert.equal(applyChanges({}, [`STOPSIGNAL ${s}`]).StopSignal, s);
  assert.throws(() => applyChanges({}, ['STOPSIGNAL SIGNOPE']), invalid(/invalid signal "SIGNOPE"/));
  assert.throws(() => applyChanges({}, ['STOPSIGNAL 99']), invalid(/invalid signal/));
  assert.deepEqual(applyChanges({}, ['ONBUILD RUN make', 'ONBUILD copy . /src']).OnBuild, ['RUN make', 'copy . /src']);
  assert.throws(() => applyChanges({}, ['ONBUILD ONBUILD RUN x']), invalid(/chaining ONBUILD/));
  assert.throws(() => applyChanges({}, ['ONBUILD FROM x']), invalid(/FROM is not allowed/));
  assert.throws(() => applyChanges({}, ['ONBUILD FOO x']), invalid(/unknown ONBUILD trigger/));
  assert.throws(() => applyChanges({}, ['VOLUME [""]']), invalid(/empty string/));
});

test('several instructions in one change, continuations and comments', () => {
  const out = applyChanges({}, ['# a comment\nENV A=1 \\\n  B=2\n\nCMD ["x"]']);
  assert.deepEqual(out, { Env: ['A=1', 'B=2'], Cmd: ['x'] });
});

test('unknown and unsupported instructions are refused by name', () => {
  assert.throws(() => applyChanges({}, ['RUN apt-get update']), invalid(/^RUN is not supported in a --change \(supported: CMD, ENTRYPOINT/));
  assert.throws(() => applyChanges({}, ['FROM debian']), invalid(/FROM is not supported/));
  assert.throws(() => applyChanges({}, ['HEALTHCHECK NONE']), invalid(/HEALTHCHECK is not supported/));
  assert.throws(() => applyChanges({}, ['FROBNICATE x']), invalid(/unknown instruction "FROBNICATE"/));
  assert.throws(() => applyChanges({}, ['CMD']), invalid(/CMD requires at least one argument/));
});
