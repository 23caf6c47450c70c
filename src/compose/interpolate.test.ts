import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interpolate, InterpolationError } from './interpolate.ts';

const env: Record<string, string> = { SET: 'value', EMPTY: '', PORT: '8080', NESTED: 'inner' };
const lookup = (name: string) => env[name];

test('the substitution table: set, empty and unset variables against each operator', () => {
  const cases: [string, string][] = [
    ['plain text', 'plain text'],
    ['$SET', 'value'],
    ['${SET}', 'value'],
    ['a${SET}b', 'avalueb'],
    ['$SET/x', 'value/x'],
    ['${UNSET}', ''],
    ['$UNSET', ''],
    ['${SET:-d}', 'value'],
    ['${EMPTY:-d}', 'd'],
    ['${UNSET:-d}', 'd'],
    ['${SET-d}', 'value'],
    ['${EMPTY-d}', ''],
    ['${UNSET-d}', 'd'],
    ['${SET:+r}', 'r'],
    ['${EMPTY:+r}', ''],
    ['${UNSET:+r}', ''],
    ['${SET+r}', 'r'],
    ['${EMPTY+r}', 'r'],
    ['${UNSET+r}', ''],
    ['${SET:?boom}', 'value'],
    ['${EMPTY?boom}', ''],
    ['$$', '$'],
    ['$${SET}', '${SET}'],
    ['$$SET', '$SET'],
    ['price: $$5', 'price: $5'],
    ['${UNSET:-${NESTED}}', 'inner'],
    ['${UNSET:-${ALSO_UNSET:-deep}}', 'deep'],
    ['${UNSET:-a $SET b}', 'a value b'],
    ['${UNSET:-}', ''],
    ['${UNSET:-with:colon}', 'with:colon'],
    ['${PORT}:80', '8080:80'],
    ['${SET:+${NESTED}-x}', 'inner-x'],
    ['$', '$'],
    ['a $ b', 'a $ b'],
    ['$-x', '$-x'],
    ['cost: 5$', 'cost: 5$'],
  ];
  for (const [template, want] of cases) assert.equal(interpolate(template, lookup), want, template);
});

test('required variables fail with their message; the message is only evaluated when used', () => {
  assert.throws(() => interpolate('${UNSET:?set UNSET to the database URL}', lookup), {
    name: 'InterpolationError',
    message: 'required variable UNSET is missing a value: set UNSET to the database URL',
  });
  assert.throws(() => interpolate('${EMPTY:?}', lookup), { message: 'required variable EMPTY is missing a value' });
  assert.throws(() => interpolate('${UNSET?needed}', lookup), { message: 'required variable UNSET is missing a value: needed' });
  assert.equal(interpolate('${SET:-${UNSET:?not evaluated}}', lookup), 'value');
  assert.throws(() => interpolate('${UNSET:-${ALSO:?inner required}}', lookup), { message: /ALSO is missing a value: inner required/ });
});

test('malformed templates are refused', () => {
  for (const bad of ['${', '${SET', '${}', '${1X}', '${SET!x}', '${SET:-unclosed', 'a ${ b }']) {
    assert.throws(() => interpolate(bad, lookup), InterpolationError, bad);
  }
});

test('unset variables without a default are reported', () => {
  const seen: string[] = [];
  interpolate('$A ${B} ${C:-x} ${D-y} ${SET}', lookup, (n) => seen.push(n));
  assert.deepEqual(seen, ['A', 'B']);
});
