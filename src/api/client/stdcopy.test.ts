import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { DaemonError } from './daemon-error.ts';
import { FrameDecoder, demultiplex } from './stdcopy.ts';
import type { StreamChunk } from './types.ts';

function frame(type: number, text: string | Buffer): Buffer {
  const data = typeof text === 'string' ? Buffer.from(text) : text;
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

const show = (chunks: StreamChunk[]) => chunks.map((c) => `${c.stream}:${c.data.toString()}`);

test('frames split anywhere, even inside the header, come out whole and in order', () => {
  const bytes = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err\n'), frame(1, ''), frame(0, 'echoed stdin'), frame(1, 'x'.repeat(70000))]);
  for (const step of [1, 3, 7, 8, 9, 4096, bytes.length]) {
    const d = new FrameDecoder();
    const got: StreamChunk[] = [];
    for (let at = 0; at < bytes.length; at += step) got.push(...d.push(bytes.subarray(at, at + step)));
    d.end();
    assert.deepEqual(show(got), ['stdout:out one\n', 'stderr:err\n', 'stdout:echoed stdin', `stdout:${'x'.repeat(70000)}`], `step ${step}`);
  }
});

test('a chunk buffer reused by the caller does not corrupt held-back bytes', () => {
  const d = new FrameDecoder();
  const scratch = Buffer.from(frame(1, 'hello'));
  assert.deepEqual(d.push(scratch.subarray(0, 10)), []);
  const rest = Buffer.from(scratch.subarray(10));
  scratch.fill(0);
  assert.deepEqual(show(d.push(rest)), ['stdout:hello']);
});

test('a stream that stops inside a frame, an unknown type, and the daemon\'s error frame all throw', async () => {
  const d = new FrameDecoder();
  d.push(frame(1, 'abcdef').subarray(0, 10));
  assert.throws(() => d.end(), /middle of a frame/);
  assert.throws(() => new FrameDecoder().push(frame(7, 'x')), /unknown stream type 7/);
  await assert.rejects(async () => {
    for await (const _ of demultiplex(Readable.from([frame(1, 'ok'), frame(3, 'exec failed')]))) { /* drain */ }
  }, (err: unknown) => err instanceof DaemonError && err.inStream && /exec failed/.test(err.message));
});
