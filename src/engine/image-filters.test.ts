import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesImageFilters, parseUntil, referenceMatches } from './image-filters.ts';

const img = (over: Partial<Parameters<typeof matchesImageFilters>[0]> = {}) => ({
  id: 'sha256:aa', repoTags: ['busybox:latest'], repoDigests: [], created: 100, labels: { a: '1', b: '' }, ...over,
});

test('dangling filter matches images without tags only', () => {
  assert.equal(matchesImageFilters(img(), { dangling: true }), false);
  assert.equal(matchesImageFilters(img({ repoTags: [] }), { dangling: true }), true);
  assert.equal(matchesImageFilters(img(), { dangling: false }), true);
});

test('label filter by key and by key=value', () => {
  assert.equal(matchesImageFilters(img(), { label: ['a'] }), true);
  assert.equal(matchesImageFilters(img(), { label: ['a=1', 'b'] }), true);
  assert.equal(matchesImageFilters(img(), { label: ['a=2'] }), false);
  assert.equal(matchesImageFilters(img(), { label: ['c'] }), false);
});

test('reference globs match repository or repository:tag, * stays within a path component', () => {
  assert.equal(referenceMatches('busy*', 'busybox:latest'), true);
  assert.equal(referenceMatches('busybox:lat*', 'busybox:latest'), true);
  assert.equal(referenceMatches('busybox:1*', 'busybox:latest'), false);
  assert.equal(referenceMatches('*', '127.0.0.1:5000/x/y:1'), false);
  assert.equal(referenceMatches('127.0.0.1:5000/x/*', '127.0.0.1:5000/x/y:1'), true);
  assert.equal(referenceMatches('b?sybox', 'busybox:latest'), true);
});

test('before, since and until compare creation times', () => {
  assert.equal(matchesImageFilters(img(), {}, { beforeCreated: 101 }), true);
  assert.equal(matchesImageFilters(img(), {}, { beforeCreated: 100 }), false);
  assert.equal(matchesImageFilters(img(), {}, { sinceCreated: 99 }), true);
  assert.equal(matchesImageFilters(img(), { until: 100 }), false);
});

test('parseUntil accepts timestamps, durations and dates, rejects garbage', () => {
  assert.equal(parseUntil('1700000000'), 1700000000);
  assert.equal(parseUntil('1h30m', 10000), 10000 - 5400);
  assert.equal(parseUntil('2024-01-01T00:00:00Z'), 1704067200);
  assert.equal(parseUntil('soon'), undefined);
});
