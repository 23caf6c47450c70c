import { test } from 'node:test';
import assert from 'node:assert/strict';
import { processWord, processWords } from './dockerfile-words.ts';

const vars = new Map([['A', 'a'], ['EMPTY', ''], ['SP', 'x y']]);

test('expansion forms', () => {
  assert.equal(processWord('$A${A}_$B', vars), 'aa_');
  assert.equal(processWord('${B:-dflt} ${EMPTY:-e} ${EMPTY-e} ${A:+set} ${B+set}', vars), 'dflt e  set ');
  assert.throws(() => processWord('${B:?must be set}', vars), /B: must be set/);
  assert.throws(() => processWord('${A', vars), /missing '}'/);
});

test('quotes and escapes', () => {
  assert.equal(processWord(`'$A' "$A \\$A \\"q\\"" \\$A`, vars), '$A a $A "q" $A');
  assert.equal(processWord('`$A', vars, '`'), '$A');
  assert.equal(processWord('c:\\dir', vars, '`'), 'c:\\dir');
  assert.throws(() => processWord('"open', vars), /unmatched "/);
});

test('word splitting keeps quoted spaces and drops empty expansions', () => {
  assert.deepEqual(processWords('a "b c" $EMPTY "" $SP', vars), ['a', 'b c', '', 'x y']);
});
