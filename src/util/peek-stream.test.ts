import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { peekStream } from './peek-stream.ts';

test('the head is read and the rest follows; nothing is lost or repeated', async () => {
  const { head, rest } = await peekStream(Readable.from([Buffer.from('ab'), Buffer.from('cd'), Buffer.from('ef')]), 3);
  assert.equal(head.toString(), 'abcd');
  const tail: string[] = [];
  for await (const c of rest()) tail.push(c.toString());
  assert.deepEqual(tail, ['ef']);
});

test('a stream shorter than the peek gives all of it as the head and an empty rest', async () => {
  const { head, rest } = await peekStream(Readable.from([Buffer.from('xy')]), 512);
  assert.equal(head.toString(), 'xy');
  for await (const _ of rest()) assert.fail('nothing follows');
});
