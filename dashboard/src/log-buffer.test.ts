import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogLine } from './docker-stream.ts';
import { LogBuffer, olderPage, olderPageRequest, searchLines } from './log-buffer.ts';

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

test('the older page overlaps the lines that share the first one\'s timestamp, so a burst is not cut', () => {
  const at = (timestamp: string, text: string): LogLine => ({ stream: 'stdout', timestamp, text });
  const held = [at('1970-01-01T00:00:10.000000500Z', 'b2'), at('1970-01-01T00:00:10.000000500Z', 'b3'), at('1970-01-01T00:00:11Z', 'c')];
  assert.deepEqual(olderPageRequest(held), { until: '10.000001500', overlap: 2 });
  assert.equal(olderPageRequest([at('', 'no time')]), undefined);
  assert.equal(olderPageRequest([]), undefined);
});

test('an older page drops its end that repeats the held lines, and keeps at most a page', () => {
  const at = (timestamp: string, text: string): LogLine => ({ stream: 'stdout', timestamp, text });
  const held = [at('t2', 'b2'), at('t2', 'b3'), at('t3', 'c')];
  const answer = [at('t1', 'a'), at('t2', 'b1'), at('t2', 'b2'), at('t2', 'b3')];
  assert.deepEqual(olderPage(answer, held, 10).map((l) => l.text), ['a', 'b1']);
  assert.deepEqual(olderPage(answer, held, 1).map((l) => l.text), ['b1']);
  assert.deepEqual(olderPage([at('t1', 'a')], held, 10).map((l) => l.text), ['a'], 'nothing repeated');
});
