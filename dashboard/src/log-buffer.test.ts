import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogStreamDecoder, type LogLine } from './docker-stream.ts';
import { LogBuffer, OLDER_PAGE_SLACK, olderPage, olderPageRequest, searchLines } from './log-buffer.ts';

const lines = (...t: string[]): LogLine[] => t.map((text) => ({ stream: 'stdout', timestamp: '', text }));

test('a huge log never grows the buffer past its capacity: the oldest lines go, and the page can say so', () => {
  const b = new LogBuffer(3);
  b.append(lines('a', 'b'));
  b.append(lines('c', 'd', 'e'));
  assert.deepEqual(b.lines.map((l) => l.text), ['c', 'd', 'e']);
  assert.equal(b.dropped, 2);
  assert.equal(b.olderAvailable, true);
});

test('an older page goes in front, only as much as fits; a short page means the start was reached', () => {
  const b = new LogBuffer(4);
  b.append(lines('c', 'd'));
  b.prepend(lines('a', 'b'), true);
  assert.deepEqual(b.lines.map((l) => l.text), ['a', 'b', 'c', 'd']);
  assert.equal(b.olderAvailable, false);
  const full = new LogBuffer(3);
  full.append(lines('c', 'd'));
  full.prepend(lines('x', 'a', 'b'), true);
  assert.deepEqual(full.lines.map((l) => l.text), ['b', 'c', 'd']);
  assert.equal(full.olderAvailable, true, 'lines that did not fit are still older');
});

test('search is case-insensitive over the loaded lines', () => {
  const l = lines('GET /index', 'error: disk', 'get /health');
  assert.deepEqual(searchLines(l, 'get'), [0, 2]);
  assert.deepEqual(searchLines(l, ''), [0, 1, 2]);
  assert.deepEqual(searchLines(l, 'nothing'), []);
});

/** One record of a log as conmon writes it: a time (Unix ns), and bytes that end a line or not (a line cut in two). */
interface LogRecord {
  ns: bigint;
  data: string;
}

/** A burst as conmon records it: `text` read in chunks of `chunk` bytes, each chunk one time, `gap` ns apart. */
function burst(text: string, chunk: number, start: bigint, gap: bigint, firstChunk = chunk): LogRecord[] {
  const out: LogRecord[] = [];
  let ns = start;
  for (let at = 0, size = firstChunk; at < text.length; at += size, size = chunk, ns += gap) {
    const part = text.slice(at, at + size);
    // Each full line of the chunk is a record; a cut-off last piece is a record of its own (conmon's `P`).
    for (const m of part.matchAll(/[^\n]*\n|[^\n]+$/g)) out.push({ ns, data: m[0] });
  }
  return out;
}

function iso(ns: bigint): string {
  return `${new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19)}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}

/** What the page reads from the daemon's logs endpoint (timestamps on): the last `tail` records before `until` (exclusive). */
function serve(log: readonly LogRecord[], query: { until?: string; tail?: number }): LogLine[] {
  const until = query.until === undefined ? undefined : BigInt(query.until.replace('.', ''));
  const kept = log.filter((r) => until === undefined || r.ns < until);
  const records = query.tail === undefined ? kept : kept.slice(Math.max(0, kept.length - query.tail));
  const decoder = new LogStreamDecoder({ multiplexed: false, timestamps: true });
  const bytes = new TextEncoder().encode(records.map((r) => `${iso(r.ns)} ${r.data}`).join(''));
  return [...decoder.push(bytes), ...decoder.end()];
}

/** Pages back once from the last `page` records, as the logs panel does; returns the page and what was held. */
function pageBack(log: readonly LogRecord[], page: number): { held: LogLine[]; got: ReturnType<typeof olderPage> } {
  const held = serve(log, { tail: page });
  const ask = olderPageRequest(held, page);
  assert.ok(ask, 'held lines have timestamps');
  return { held, got: olderPage(serve(log, { until: ask.until, tail: ask.tail }), ask, page) };
}

const seq = (from: number, to: number, end = ''): string => Array.from({ length: to - from + 1 }, (_, i) => `${from + i}\n`).join('') + end;

test('paging back through one burst (`seq 1 30000`, a few timestamps for thousands of lines) is exact', () => {
  // conmon reads 8 KiB at a time: each read is one timestamp, and a line straddling two reads becomes two records.
  // Shifting where the reads fall puts the boundary between two timestamps everywhere in the held lines, on a line's
  // start and inside one (the case that once showed line 29342 at the top, with the held lines' first time ending
  // in a cut line whose rest the older answer did not reach).
  for (let shift = 0; shift < 8192; shift += 331) {
    const log = burst(seq(1, 30000, 'done\n'), 8192, 1_796_526_000_000_000_000n, 200_000n, 8192 - shift);
    const all = serve(log, {});
    const { held, got } = pageBack(log, 500);
    assert.equal(got.lines.length, 500, `a full page (shift ${shift})`);
    assert.equal(got.complete, false, `the start is not reached (shift ${shift})`);
    assert.deepEqual([...got.lines, ...held].map((l) => l.text), all.slice(-(500 + held.length)).map((l) => l.text), `the page ends right before the held lines (shift ${shift})`);
  }
});

test('paging back: a line a few hundred nanoseconds after the first held one, inside the until margin, is not taken twice', () => {
  const log = [
    ...burst(seq(1, 800), 1 << 20, 1_000_000_000_000n, 0n),
    ...burst(seq(801, 1000), 1 << 20, 1_000_000_000_300n, 0n),
  ];
  const all = serve(log, {});
  const { held, got } = pageBack(log, 300);
  assert.equal(held[0].text, '701');
  assert.deepEqual(got.lines.map((l) => l.text), all.slice(400, 700).map((l) => l.text));
});

test('paging back to the start of a log: the short page says the start was reached', () => {
  const log = burst(seq(1, 120), 64, 5_000_000_000n, 1_000_000n);
  const { held, got } = pageBack(log, 100);
  assert.equal(got.complete, true);
  const all = serve(log, {});
  assert.deepEqual([...got.lines, ...held].map((l) => l.text), all.map((l) => l.text), 'every line once, in order');
  assert.ok(got.lines.length < 100);
});

test('an older page is asked for by time with the held lines of that time counted, and more records than lines', () => {
  const at = (timestamp: string, text: string): LogLine => ({ stream: 'stdout', timestamp, text });
  const held = [at('1970-01-01T00:00:10.000000500Z', 'b2'), at('1970-01-01T00:00:10.000000500Z', 'b3'), at('1970-01-01T00:00:10.000000600Z', 'c')];
  assert.deepEqual(olderPageRequest(held, 10), { until: '10.000001500', first: 10_000_000_500n, overlap: 2, tail: 13 + OLDER_PAGE_SLACK });
  assert.equal(olderPageRequest([at('', 'no time')], 10), undefined);
  assert.equal(olderPageRequest([], 10), undefined);
  // The answer: older lines, the two held ones of that time (one of them only its first part), and a later held one.
  const answer = [at('1970-01-01T00:00:09Z', 'a'), at('1970-01-01T00:00:10.000000500Z', 'b1'), ...held.slice(0, 1), at('1970-01-01T00:00:10.000000500Z', 'b'), held[2]];
  const ask = olderPageRequest(held, 10)!;
  assert.deepEqual(olderPage(answer, ask, 10), { lines: answer.slice(0, 2), complete: true });
  assert.deepEqual(olderPage(answer, ask, 1), { lines: answer.slice(1, 2), complete: false });
});
