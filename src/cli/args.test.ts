import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatHelp, parseArgs, type CommandSpec } from './args.ts';
import { UsageError } from './usage-error.ts';

const spec: CommandSpec = {
  name: 'images',
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  description: 'List images',
  args: { min: 0, max: 1 },
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Show all' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only IDs' },
    { name: 'human', short: 'H', type: 'bool', default: 'true', description: 'Human sizes' },
    { name: 'format', type: 'string', description: 'Template' },
    { name: 'output', short: 'o', type: 'string', valueName: 'file', description: 'Where' },
    { name: 'filter', short: 'f', type: 'list', description: 'Filters' },
  ],
};

test('bools, combined shorthands, defaults', () => {
  const a = parseArgs(spec, ['-aq']);
  assert.equal(a.bool('all'), true);
  assert.equal(a.bool('quiet'), true);
  assert.equal(a.bool('human'), true, 'default true');
  assert.equal(parseArgs(spec, ['-H=false']).bool('human'), false);
  assert.equal(parseArgs(spec, ['--human=false']).bool('human'), false);
  assert.equal(parseArgs(spec, []).bool('all'), false);
  assert.equal(parseArgs(spec, ['--all']).changed('all'), true);
  assert.equal(parseArgs(spec, []).changed('all'), false);
});

test('string flags: --flag=value, --flag value, -o value, -ovalue, -qo value', () => {
  assert.equal(parseArgs(spec, ['--format={{.ID}}']).string('format'), '{{.ID}}');
  assert.equal(parseArgs(spec, ['--format', 'table {{.ID}}']).string('format'), 'table {{.ID}}');
  assert.equal(parseArgs(spec, ['-o', 'x.tar']).string('output'), 'x.tar');
  assert.equal(parseArgs(spec, ['-ox.tar']).string('output'), 'x.tar');
  const combo = parseArgs(spec, ['-qo', 'y.tar']);
  assert.equal(combo.bool('quiet'), true);
  assert.equal(combo.string('output'), 'y.tar');
  assert.equal(parseArgs(spec, ['--format=']).string('format'), '', 'an empty value is a value');
});

test('repeatable flags keep order; positionals mix with flags; -- ends flags; - is an argument', () => {
  assert.deepEqual(parseArgs(spec, ['-f', 'a=1', '--filter', 'b=2', '--filter=c=3']).list('filter'), ['a=1', 'b=2', 'c=3']);
  assert.deepEqual(parseArgs(spec, ['busybox', '-a']).positionals, ['busybox']);
  assert.deepEqual(parseArgs(spec, ['--', '-a']).positionals, ['-a']);
  assert.deepEqual(parseArgs(spec, ['-']).positionals, ['-']);
});

test('usage errors name the flag, the shorthand, or the argument count', () => {
  const usage = (argv: string[], re: RegExp): void => {
    assert.throws(() => parseArgs(spec, argv), (err: unknown) => {
      assert.ok(err instanceof UsageError, `${argv.join(' ')} → UsageError`);
      assert.equal((err as UsageError).command, 'images');
      assert.match((err as Error).message, re);
      return true;
    });
  };
  usage(['--no-such-flag'], /^unknown flag: --no-such-flag$/);
  usage(['-ax'], /^unknown shorthand flag: 'x' in -ax$/);
  usage(['--format'], /^flag needs an argument: --format$/);
  usage(['-o'], /^flag needs an argument: 'o' in -o$/);
  usage(['--all=maybe'], /invalid argument "maybe" for "--all" flag/);
  usage(['a', 'b'], /^"janus images" requires at most 1 argument\.$/);
  assert.throws(() => parseArgs({ ...spec, name: 'tag', args: { min: 2, max: 2 } }, ['x']), /"janus tag" requires exactly 2 arguments/);
  assert.throws(() => parseArgs({ ...spec, name: 'rmi', args: { min: 1 } }, []), /"janus rmi" requires at least 1 argument\./);
});

test('--help skips argument checks; help text lists flags like docker', () => {
  const p = parseArgs({ ...spec, args: { min: 2, max: 2 } }, ['--help']);
  assert.equal(p.help, true);
  const help = formatHelp(spec);
  assert.match(help, /^Usage:  janus images \[OPTIONS\] \[REPOSITORY\[:TAG\]\]\n\nList images\n/);
  assert.match(help, /^  -a, --all {2,}Show all$/m);
  assert.match(help, /^ {6}--format string {2,}Template$/m);
  assert.match(help, /^  -o, --output file {2,}Where$/m);
  assert.match(help, /^  -h, --help {2,}Print usage$/m);
});

test('interspersed: false ends the flags at the first argument; -h belongs to a command that declares it', () => {
  const run = {
    name: 'run', usage: 'IMAGE [COMMAND] [ARG...]', description: 'Run', args: { min: 1 }, interspersed: false,
    flags: [
      { name: 'hostname', short: 'h', type: 'string' as const, description: 'Host name' },
      { name: 'tty', short: 't', type: 'bool' as const, description: 'TTY' },
    ],
  };
  const p = parseArgs(run, ['-t', '-h', 'box', 'busybox', 'ls', '-l', '--', '-t']);
  assert.equal(p.bool('tty'), true);
  assert.equal(p.string('hostname'), 'box');
  assert.equal(p.help, false);
  assert.deepEqual(p.positionals, ['busybox', 'ls', '-l', '--', '-t']);
  assert.equal(parseArgs(run, ['--help']).help, true);
  assert.match(formatHelp(run), /^ {6}--help {2,}Print usage$/m);
  assert.match(formatHelp(run), /^  -h, --hostname string {2,}Host name$/m);
});
