import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AgentProtocolError, FrameDecoder, MAX_PAYLOAD, Msg, decodeRecords, encodeFrame, encodeRecords, recordNumber, recordValue, recordValues } from './agent-protocol.ts';

test('a frame round-trips through the decoder, whatever the chunking', () => {
  const frames = [
    encodeFrame(Msg.HELLO, 0, encodeRecords([['version', '1']])),
    encodeFrame(Msg.STDOUT, 7, Buffer.from('hello\n')),
    encodeFrame(Msg.SHUTDOWN, 0),
  ];
  const wire = Buffer.concat(frames);
  for (const size of [1, 2, 5, 9, 13, wire.length]) {
    const d = new FrameDecoder();
    const got = [];
    for (let i = 0; i < wire.length; i += size) got.push(...d.push(wire.subarray(i, i + size)));
    assert.deepEqual(got.map((f) => [f.type, f.channel, f.payload.toString()]), [
      [Msg.HELLO, 0, 'version=1\0'],
      [Msg.STDOUT, 7, 'hello\n'],
      [Msg.SHUTDOWN, 0, ''],
    ]);
    assert.equal(d.pending, 0);
  }
});

test('the header is big-endian length, type, channel', () => {
  assert.deepEqual([...encodeFrame(Msg.ACK, 0x01020304)], [0, 0, 0, 5, 8, 1, 2, 3, 4]);
});

test('lengths out of bounds and unknown types break the stream with a protocol error', () => {
  assert.throws(() => new FrameDecoder().push(Buffer.from([0, 0, 0, 4, 1])), /frame length 4 is out of bounds/);
  assert.throws(() => new FrameDecoder().push(Buffer.from([0x7f, 0, 0, 0])), /out of bounds/);
  const d = new FrameDecoder();
  assert.throws(() => d.push(Buffer.from([0, 0, 0, 5, 99, 0, 0, 0, 0])), /unknown message type 99/);
  assert.throws(() => d.push(encodeFrame(Msg.ACK, 1)), /lost its framing/);
  assert.throws(() => encodeFrame(Msg.STDIN, 1, Buffer.alloc(MAX_PAYLOAD + 1)), AgentProtocolError);
});

test('records keep order and repeats, and values may hold = and tabs', () => {
  const recs = [['arg', 'sh'], ['arg', '-c'], ['arg', 'a=b\tc'], ['env', 'PATH=/bin'], ['tty', '1']] as const;
  const back = decodeRecords(encodeRecords(recs));
  assert.deepEqual(back, recs.map(([k, v]) => [k, v]));
  assert.deepEqual(recordValues(back, 'arg'), ['sh', '-c', 'a=b\tc']);
  assert.equal(recordValue(back, 'env'), 'PATH=/bin');
  assert.equal(recordNumber(back, 'tty', 0), 1);
  assert.equal(recordNumber(back, 'rows', 24), 24);
  assert.deepEqual(decodeRecords(Buffer.alloc(0)), []);
});

test('malformed records are protocol errors, never crashes', () => {
  assert.throws(() => decodeRecords(Buffer.from('version=1')), /terminating NUL/);
  assert.throws(() => decodeRecords(Buffer.from('novalue\0')), /no key=value form/);
  assert.throws(() => decodeRecords(Buffer.from('=x\0')), /no key=value form/);
  assert.throws(() => decodeRecords(Buffer.from('Bad=x\0')), /invalid record key/);
  assert.throws(() => encodeRecords([['k', 'a\0b']]), /NUL/);
  assert.throws(() => encodeRecords([['K', 'a']]), /invalid record key/);
});

test('random input only ever yields frames or AgentProtocolError (fuzz)', () => {
  for (let i = 0; i < 3000; i++) {
    const d = new FrameDecoder();
    // Mostly valid headers with random bodies, sometimes pure noise.
    const noise = randomBytes(1 + (i % 64));
    const input = i % 3 === 0 ? noise : Buffer.concat([encodeFrame(1 + (i % 16), i, randomBytes(i % 50)), noise]);
    try {
      for (const f of d.push(input)) {
        try {
          decodeRecords(f.payload);
        } catch (err) {
          assert.ok(err instanceof AgentProtocolError, String(err));
        }
      }
    } catch (err) {
      assert.ok(err instanceof AgentProtocolError, String(err));
    }
  }
});
