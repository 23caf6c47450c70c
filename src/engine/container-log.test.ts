import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLogRecord, readContainerLog, timestampSeconds } from './container-log.ts';
import type { LogEntry } from './container-service.ts';

const rec = (ts: string, stream: string, tag: string, text: string) => `${ts} ${stream} ${tag} ${text}\n`;
const T = (s: number) => `2026-11-22T10:00:0${s}.123456789Z`;
const texts = (es: LogEntry[]) => es.map((e) => `${e.stream}:${e.data.toString()}`);

async function collect(it: AsyncIterable<LogEntry>): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

test('parseLogRecord keeps bytes, the stream and the newline of full lines', () => {
  const e = parseLogRecord(Buffer.from(`${T(1)} stderr F h\u00e9 llo`));
  assert.deepEqual({ ...e, data: e?.data.toString() }, { stream: 'stderr', timestamp: T(1), data: 'h\u00e9 llo\n' });
  assert.equal(parseLogRecord(Buffer.from(`${T(1)} stdout P `))?.data.length, 0);
  assert.equal(parseLogRecord(Buffer.from(`${T(1)} stdout F`))?.data.toString(), '\n');
  const raw = Buffer.concat([Buffer.from(`${T(1)} stdout P `), Buffer.from([0xff, 0xfe])]);
  assert.deepEqual([...(parseLogRecord(raw)?.data ?? [])], [0xff, 0xfe]);
  for (const bad of ['', 'garbage', `${T(1)} stdin F x`, `${T(1)} stdout X x`, `${T(1)} stdout Fx`]) {
    assert.equal(parseLogRecord(Buffer.from(bad)), undefined, bad);
  }
});

test('timestampSeconds keeps sub-millisecond precision and zones', () => {
  assert.equal(timestampSeconds('1970-01-01T00:00:01.5Z'), 1.5);
  assert.equal(timestampSeconds('1970-01-01T01:00:02+01:00'), 2);
  assert.ok(Number.isNaN(timestampSeconds('yesterday')));
});

test('reading filters by stream, since, until and tail, and skips a torn last line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'janus-log-'));
  const path = join(dir, 'c.log');
  await writeFile(path, rec(T(1), 'stdout', 'F', 'a') + rec(T(2), 'stderr', 'F', 'b') + rec(T(3), 'stdout', 'P', 'c') + rec(T(4), 'stdout', 'F', 'd') + `${T(5)} stdout F tor`);
  assert.deepEqual(texts(await collect(readContainerLog(path))), ['stdout:a\n', 'stderr:b\n', 'stdout:c', 'stdout:d\n']);
  assert.deepEqual(texts(await collect(readContainerLog(path, { stderr: false }))), ['stdout:a\n', 'stdout:c', 'stdout:d\n']);
  assert.deepEqual(texts(await collect(readContainerLog(path, { tail: 2 }))), ['stdout:c', 'stdout:d\n']);
  assert.deepEqual(texts(await collect(readContainerLog(path, { tail: 0 }))), []);
  const since = timestampSeconds(T(2));
  assert.deepEqual(texts(await collect(readContainerLog(path, { since, until: timestampSeconds(T(4)) }))), ['stderr:b\n', 'stdout:c']);
  assert.deepEqual(await collect(readContainerLog(join(dir, 'missing.log'))), []);
});

test('rotated files are read oldest first', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'janus-log-'));
  const path = join(dir, 'c.log');
  await writeFile(`${path}.2`, rec(T(1), 'stdout', 'F', 'one'));
  await writeFile(`${path}.1`, rec(T(2), 'stdout', 'F', 'two'));
  await writeFile(path, rec(T(3), 'stdout', 'F', 'three'));
  assert.deepEqual(texts(await collect(readContainerLog(path, { rotated: 2 }))), ['stdout:one\n', 'stdout:two\n', 'stdout:three\n']);
  assert.deepEqual(texts(await collect(readContainerLog(path, { rotated: 2, tail: 2 }))), ['stdout:two\n', 'stdout:three\n']);
});

test('following sees appends, a replaced file and a file that appears late, and ends after done', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'janus-log-'));
  const path = join(dir, 'c.log');
  let finish!: () => void;
  const done = new Promise<void>((r) => { finish = r; });
  const seen: string[] = [];
  const reading = (async () => {
    for await (const e of readContainerLog(path, { follow: true, done, pollMs: 20, tail: 5 })) seen.push(e.data.toString());
  })();
  const until = async (n: number) => { while (seen.length < n) await new Promise((r) => setTimeout(r, 10)); };
  await writeFile(path, rec(T(1), 'stdout', 'F', 'first'));
  await until(1);
  await appendFile(path, `${T(2)} stdout F sec`);
  await appendFile(path, 'ond\n');
  await until(2);
  await writeFile(`${path}.new`, rec(T(3), 'stdout', 'F', 'after replace'));
  await rename(`${path}.new`, path);
  await until(3);
  await appendFile(path, rec(T(4), 'stdout', 'F', 'last'));
  finish();
  await reading;
  assert.deepEqual(seen, ['first\n', 'second\n', 'after replace\n', 'last\n']);
});

test('following with tail starts after the history without repeating it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'janus-log-'));
  const path = join(dir, 'c.log');
  await writeFile(path, rec(T(1), 'stdout', 'F', 'a') + rec(T(2), 'stdout', 'F', 'b'));
  const ac = new AbortController();
  const seen: string[] = [];
  const reading = (async () => {
    for await (const e of readContainerLog(path, { follow: true, tail: 1, signal: ac.signal, pollMs: 20 })) {
      seen.push(e.data.toString());
      if (seen.length === 2) ac.abort();
    }
  })();
  await new Promise((r) => setTimeout(r, 50));
  await appendFile(path, rec(T(3), 'stdout', 'F', 'c'));
  await reading;
  assert.deepEqual(seen, ['b\n', 'c\n']);
});

test('joinLines: a line conmon cut into P records is one entry with its first timestamp, per stream; unjoined, each record is its own', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'janus-log-'));
  const path = join(dir, 'c.log');
  await writeFile(path, rec(T(1), 'stdout', 'P', 'long-') + rec(T(2), 'stderr', 'F', 'err') + rec(T(3), 'stdout', 'P', 'line-') + rec(T(4), 'stdout', 'F', 'end') + rec(T(5), 'stdout', 'P', 'prompt$ '));
  const joined = await collect(readContainerLog(path, { joinLines: true }));
  assert.deepEqual(joined.map((e) => [e.timestamp, `${e.stream}:${e.data.toString()}`]), [
    [T(2), 'stderr:err\n'], [T(1), 'stdout:long-line-end\n'], [T(5), 'stdout:prompt$ '],
  ], 'the line ends at its F record; a line not ended when the log ends is given as it is');
  assert.deepEqual(texts(await collect(readContainerLog(path, { joinLines: true, tail: 2 }))), ['stdout:long-line-end\n', 'stdout:prompt$ '], 'tail counts whole lines');
  assert.deepEqual(texts(await collect(readContainerLog(path, { joinLines: true, since: timestampSeconds(T(3)) }))), ['stdout:prompt$ '], 'a joined line is as old as its first part');
  assert.deepEqual(texts(await collect(readContainerLog(path))), ['stdout:long-', 'stderr:err\n', 'stdout:line-', 'stdout:end\n', 'stdout:prompt$ ']);
});

test('joinLines while following: the end of a cut line written later completes it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'janus-log-'));
  const path = join(dir, 'c.log');
  await writeFile(path, rec(T(1), 'stdout', 'P', 'first-'));
  const done = Promise.withResolvers<void>();
  const got: LogEntry[] = [];
  const reading = (async () => { for await (const e of readContainerLog(path, { joinLines: true, follow: true, tail: 10, done: done.promise, pollMs: 20 })) got.push(e); })();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(got.length, 0, 'a line not ended is held while following');
  await appendFile(path, rec(T(2), 'stdout', 'F', 'half') + rec(T(3), 'stdout', 'P', 'tail'));
  await new Promise((r) => setTimeout(r, 100));
  done.resolve();
  await reading;
  assert.deepEqual(got.map((e) => [e.timestamp, e.data.toString()]), [[T(1), 'first-half\n'], [T(3), 'tail']]);
});
