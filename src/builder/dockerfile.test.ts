import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile } from './dockerfile-parser.ts';
import { parseDockerfileStages } from './dockerfile.ts';

test('stages, names, global args, flags and forms', () => {
  const df = parseDockerfileStages([
    '# syntax=docker/dockerfile:1',
    'ARG BASE=busybox',
    'FROM $BASE AS Build',
    'RUN echo one \\',
    '  # a comment inside the continuation',
    '  two',
    'COPY --chown=1:1 --from=other a b /dst/',
    'CMD ["sh", "-c", "echo hi"]',
    'from scratch',
    'COPY --from=build /x /x',
    'ENV A=1 B="two words"',
    'ENV LEGACY value with spaces',
    'HEALTHCHECK --interval=5s --retries=3 CMD true',
  ].join('\n'));
  assert.equal(df.directives.syntax, 'docker/dockerfile:1');
  assert.deepEqual(df.globalArgs, [{ name: 'BASE', value: 'busybox', line: 2 }]);
  assert.equal(df.stages.length, 2);
  const [build, final] = df.stages;
  assert.equal(build!.name, 'build');
  assert.equal(build!.base, '$BASE');
  const run = build!.instructions[0]!;
  assert.equal(run.kind, 'RUN');
  assert.deepEqual(run.kind === 'RUN' && run.command, { form: 'shell', text: 'echo one   two' });
  assert.equal(run.line, 4);
  const copy = build!.instructions[1]!;
  assert.ok(copy.kind === 'COPY');
  assert.deepEqual([copy.sources, copy.dest, copy.chown, copy.from], [['a', 'b'], '/dst/', '1:1', 'other']);
  const cmd = build!.instructions[2]!;
  assert.deepEqual(cmd.kind === 'CMD' && cmd.command, { form: 'exec', args: ['sh', '-c', 'echo hi'] });
  assert.equal(final!.base, 'scratch');
  const env = final!.instructions[1]!;
  assert.deepEqual(env.kind === 'ENV' && env.pairs, [['A', '1'], ['B', '"two words"']]);
  const legacy = final!.instructions[2]!;
  assert.deepEqual(legacy.kind === 'ENV' && legacy.pairs, [['LEGACY', 'value with spaces']]);
  const hc = final!.instructions[3]!;
  assert.ok(hc.kind === 'HEALTHCHECK' && hc.healthcheck !== 'NONE');
  assert.equal(hc.healthcheck.interval, 5e9);
  assert.equal(hc.healthcheck.retries, 3);
});

test('the escape directive switches continuation and escapes to a backtick', () => {
  const df = parseDockerfileStages('# escape=`\nFROM busybox\nRUN echo a `\n  b\nCOPY c:\\dir\\x /y\n');
  const [run, copy] = df.stages[0]!.instructions;
  assert.deepEqual(run!.kind === 'RUN' && run!.command, { form: 'shell', text: 'echo a   b' });
  assert.deepEqual(copy!.kind === 'COPY' && copy!.sources, ['c:\\dir\\x']);
});

test('here-documents: body, quoting, <<- and their lines', () => {
  const p = parseDockerfile('FROM busybox\nRUN <<EOF\necho one\necho two\nEOF\nCOPY <<-"A" /a.txt\n\tliteral $X\n\tA\nCMD true\n');
  const run = p.instructions[1]!;
  assert.deepEqual(run.heredocs, [{ name: 'EOF', expand: true, chomp: false, content: 'echo one\necho two\n' }]);
  assert.equal(run.endLine, 5);
  const copy = p.instructions[2]!;
  assert.deepEqual(copy.heredocs, [{ name: 'A', expand: false, chomp: true, content: 'literal $X\n' }]);
  assert.equal(p.instructions[3]!.line, 9);
});

test('errors name the line', () => {
  assert.throws(() => parseDockerfileStages('FROM busybox\n\nFOO bar\n'), /line 3: unknown instruction: FOO/);
  assert.throws(() => parseDockerfileStages('RUN true\n'), /line 1: .*RUN must come after FROM/);
  assert.throws(() => parseDockerfileStages('FROM busybox\nCOPY onlyone\n'), /line 2: COPY requires at least two arguments/);
  assert.throws(() => parseDockerfileStages('FROM busybox\nRUN --mount=type=cache,target=/x true\n'), /line 2: RUN --mount needs BuildKit/);
  assert.throws(() => parseDockerfileStages('FROM busybox\nCOPY --frm=x a b\n'), /line 2: unknown flag: --frm/);
  assert.throws(() => parseDockerfileStages('FROM busybox\nRUN <<EOF\nno end\n'), /line 2: unterminated heredoc/);
  assert.throws(() => parseDockerfileStages('FROM a AS x\nFROM b AS x\n'), /line 2: duplicate name "x"/);
  assert.throws(() => parseDockerfileStages('FROM busybox\nSHELL /bin/bash -c\n'), /line 2: SHELL requires the arguments to be in JSON form/);
  assert.throws(() => parseDockerfileStages('FROM busybox\nONBUILD ONBUILD RUN x\n'), /line 2: chaining ONBUILD/);
  assert.throws(() => parseDockerfileStages('FROM busybox\nHEALTHCHECK --interval=abc CMD true\n'), /line 2: invalid --interval/);
  assert.throws(() => parseDockerfileStages('# escape=x\nFROM busybox\n'), /line 1: invalid escape token/);
  assert.throws(() => parseDockerfileStages('# just a comment\n'), /no instructions/);
  assert.throws(() => parseDockerfileStages('FROM busybox\nWORKDIR\n'), /line 2: WORKDIR requires at least one argument/);
});

test('directives stop at the first other line; unknown ones are comments', () => {
  const p = parseDockerfile('# hello\n# escape=`\nFROM busybox\nRUN a \\\n');
  assert.equal(p.directives.escape, '\\');
});
