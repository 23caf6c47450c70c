import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDotenv } from './dotenv.ts';

const none = () => undefined;

test('env files: comments, export, quotes, escapes, inline comments, interpolation, later keys win', () => {
  const text = [
    '# a comment',
    '',
    'A=1',
    'export B = two words ',
    "C='literal $A \\n'",
    'D="line\\nbreak $A"',
    'E=value # comment',
    'F=no#comment',
    'G=${A}-${UNSET:-dflt}',
    'H:colon',
    'I=',
    'A=overridden',
    'J="multi',
    'line"',
    'K=$$literal',
  ].join('\n');
  const vars = parseDotenv(text, '.env', none);
  assert.deepEqual(Object.fromEntries(vars), {
    A: 'overridden',
    B: 'two words',
    C: 'literal $A \\n',
    D: 'line\nbreak 1',
    E: 'value',
    F: 'no#comment',
    G: '1-dflt',
    H: 'colon',
    I: '',
    J: 'multi\nline',
    K: '$literal',
  });
});

test('a bare name takes its value from the environment, or is skipped', () => {
  const vars = parseDotenv('FROM_SHELL\nMISSING\n', 'x.env', (n) => (n === 'FROM_SHELL' ? 'shell' : undefined));
  assert.deepEqual(Object.fromEntries(vars), { FROM_SHELL: 'shell' });
});

test('errors name the file and line', () => {
  assert.throws(() => parseDotenv('A=1\n1BAD=2\n', 'app.env', none), { name: 'JanusError', message: 'app.env:2: invalid variable name "1BAD"' });
  assert.throws(() => parseDotenv('A="open\n', 'app.env', none), { message: 'app.env:1: unterminated quoted value for A' });
  assert.throws(() => parseDotenv('\n\nA=${X:?needed}\n', 'app.env', none), { message: 'app.env:3: required variable X is missing a value: needed' });
});
