import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogLine } from './docker-stream.ts';
import { LogBuffer, searchLines } from './log-buffer.ts';

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
