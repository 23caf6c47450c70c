import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogStreamDecoder, nanosParam, timestampNanos, untilBefore } from './docker-stream.ts';

const frame = (stream: 1 | 2, text: string): Uint8Array => {
  const body = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + body.length);
  out[0] = stream;
  new DataView(out.buffer).setUint32(4, body.length);
  out.set(body, 8);
  return out;
};

test('a multiplexed stream becomes lines, whatever the chunking, with stream and timestamp', () => {
  const all = new Uint8Array([
    ...frame(1, '2026-12-06T01:00:00.000000001Z hello\n2026-12-06T01:00:00.5Z wor'),
    ...frame(1, 'ld\n'),
    ...frame(2, '2026-12-06T01:00:01.000000000Z oops\n'),
  ]);
  for (const size of [1, 3, 7, 8, 9, all.length]) {
    const d = new LogStreamDecoder({ multiplexed: true, timestamps: true });
    const lines = [];
    for (let i = 0; i < all.length; i += size) lines.push(...d.push(all.subarray(i, i + size)));
    lines.push(...d.end());
    assert.deepEqual(lines, [
      { stream: 'stdout', timestamp: '2026-12-06T01:00:00.000000001Z', text: 'hello' },
      { stream: 'stdout', timestamp: '2026-12-06T01:00:00.5Z', text: 'world' },
      { stream: 'stderr', timestamp: '2026-12-06T01:00:01.000000000Z', text: 'oops' },
    ], `chunks of ${size}`);
  }
});

test('a TTY stream is raw text: CRLF ends lines, a multi-byte character split across chunks survives, the last line is flushed', () => {
  const d = new LogStreamDecoder({ multiplexed: false, timestamps: false });
  const bytes = new TextEncoder().encode('día uno\r\nsin fin');
  const lines = [...d.push(bytes.subarray(0, 2)), ...d.push(bytes.subarray(2)), ...d.end()];
  assert.deepEqual(lines.map((l) => l.text), ['día uno', 'sin fin']);
});

test('paging back asks for lines strictly before the oldest one, to the nanosecond', () => {
  assert.equal(timestampNanos('1970-01-01T00:00:01.5Z'), 1_500_000_000n);
  assert.equal(untilBefore('2026-12-06T01:00:00.000000001Z'), `${Date.parse('2026-12-06T01:00:00Z') / 1000}.000000000`);
  assert.equal(untilBefore('1970-01-01T00:00:02Z'), '1.999999999');
  assert.equal(untilBefore('not a time'), undefined);
  assert.equal(nanosParam(-5n), '0.000000000');
});
