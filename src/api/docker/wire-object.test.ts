import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WireObject } from './wire-object.ts';

test('field names match whatever their case, as Go\'s decoder matches them; an exact match wins', () => {
  const o = WireObject.from({ detachKeys: 'ctrl-x', cmd: ['sh'], Tty: true, tty: false }, '')!;
  assert.equal(o.string('DetachKeys'), 'ctrl-x');
  assert.deepEqual(o.strings('Cmd'), ['sh']);
  assert.equal(o.bool('Tty'), true);
  assert.equal(o.has('DETACHKEYS'), true);
  o.ignore('TTY');
  assert.doesNotThrow(() => o.rejectUnknown(), 'fields read under another case count as read');
  const typo = WireObject.from({ Cmmd: ['sh'] }, '')!;
  typo.strings('Cmd');
  assert.throws(() => typo.rejectUnknown(), /unknown field Cmmd/);
});
