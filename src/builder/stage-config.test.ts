import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerDefaults } from '../core/oci.ts';
import { parseDockerfileStages } from './dockerfile.ts';
import { applyConfigInstruction, isConfigInstruction, variablesOf, type StageFlags } from './stage-config.ts';

/** Applies the config-only instructions of a one-stage Dockerfile to `start`, as the builder does. */
function apply(body: string, start: ContainerDefaults = {}, args: Map<string, string | undefined> = new Map()): ContainerDefaults {
  const df = parseDockerfileStages(`FROM scratch\n${body}`);
  let config = start;
  let flags: StageFlags = { cmdSet: false };
  for (const i of df.stages[0]!.instructions) {
    if (!isConfigInstruction(i)) continue;
    ({ config, flags } = applyConfigInstruction(config, i, variablesOf(config, args), df.directives.escape, flags));
  }
  return config;
}

test('ENV: pairs see earlier ones; existing keys are replaced in place; ARG values expand; ENV wins over ARG', () => {
  const c = apply('ENV A=1 B=${A}2\nENV PATH=/x:$PATH\nENV C=$V D="$A and $B"\n', { Env: ['PATH=/bin'] }, new Map([['V', 'from-arg'], ['A', 'arg-a']]));
  assert.deepEqual(c.Env, ['PATH=/x:/bin', 'A=1', 'B=12', 'C=from-arg', 'D=1 and 12']);
});

test('CMD and ENTRYPOINT: shell form through SHELL, exec form as given; ENTRYPOINT clears an inherited CMD but not one set here', () => {
  assert.deepEqual(apply('ENTRYPOINT ["e"]\n', { Cmd: ['inherited'] }).Cmd, null);
  const c = apply('CMD ["c"]\nENTRYPOINT ["e"]\n', { Cmd: ['inherited'] });
  assert.deepEqual([c.Entrypoint, c.Cmd], [['e'], ['c']]);
  assert.deepEqual(apply('SHELL ["/bin/bash", "-eu", "-c"]\nCMD echo $HOME\n').Cmd, ['/bin/bash', '-eu', '-c', 'echo $HOME']);
});

test('WORKDIR relative to the previous, EXPOSE ranges and protocols, VOLUME, USER, LABEL, STOPSIGNAL, HEALTHCHECK', () => {
  const c = apply([
    'WORKDIR /a', 'WORKDIR b/', 'EXPOSE 80 53/udp 9000-9001', 'VOLUME ["/data", "/logs"]', 'USER 1000:1000',
    'LABEL a=b "c d"="e f"', 'STOPSIGNAL SIGQUIT', 'HEALTHCHECK --interval=1m --start-period=5s CMD ["true"]',
  ].join('\n'));
  assert.equal(c.WorkingDir, '/a/b');
  assert.deepEqual(c.ExposedPorts, { '80/tcp': {}, '53/udp': {}, '9000/tcp': {}, '9001/tcp': {} });
  assert.deepEqual(c.Volumes, { '/data': {}, '/logs': {} });
  assert.equal(c.User, '1000:1000');
  assert.deepEqual(c.Labels, { a: 'b', 'c d': 'e f' });
  assert.equal(c.StopSignal, 'SIGQUIT');
  assert.deepEqual(c.Healthcheck, { Test: ['CMD', 'true'], Interval: 60e9, StartPeriod: 5e9 });
  assert.deepEqual(apply('HEALTHCHECK NONE\n').Healthcheck, { Test: ['NONE'] });
  assert.deepEqual(apply('ONBUILD RUN make\n').OnBuild, ['RUN make']);
});

test('bad values name the line', () => {
  assert.throws(() => apply('STOPSIGNAL SIGNOPE\n'), /line 2: STOPSIGNAL: Invalid signal: SIGNOPE/);
  assert.throws(() => apply('EXPOSE 99999\n'), /line 2: EXPOSE: invalid port range/);
  assert.throws(() => apply('ENV A=${B:?needs_B}\n'), /B: needs_B/);
});
