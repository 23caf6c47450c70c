import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { LogPrinter } from './log-printer.ts';

function capture(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (b: Buffer) => parts.push(b));
  return { out, text: () => Buffer.concat(parts).toString() };
}

test('lines carry their container\'s padded prefix; partial lines wait for their end', () => {
  const c = capture();
  const p = new LogPrinter(c.out, { colour: false, names: ['app-web-1', 'app-db-1'] });
  p.write('app-db-1', 'hel');
  p.write('app-web-1', Buffer.from('one\ntwo\n'));
  p.write('app-db-1', 'lo\r\nrest');
  p.flush('app-db-1');
  assert.equal(c.text(), 'app-web-1  | one\napp-web-1  | two\napp-db-1   | hello\napp-db-1   | rest\n');
});

test('each container gets its own colour, in docker compose\'s order', () => {
  const c = capture();
  const p = new LogPrinter(c.out, { colour: true, names: ['a', 'b'] });
  p.write('a', 'x\n');
  p.write('b', 'y\n');
  assert.equal(c.text(), '\x1b[36ma  | \x1b[0mx\n\x1b[33mb  | \x1b[0my\n');
});
