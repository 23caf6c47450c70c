import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatDuration, formatPercent, formatRate } from './format.ts';

test('sizes, rates, percentages and durations read as people write them', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(300 * 1024 * 1024), '300 MiB');
  assert.equal(formatBytes(-1), '–');
  assert.equal(formatRate(2048), '2.0 KiB/s');
  assert.equal(formatPercent(12.345), '12.3 %');
  assert.equal(formatPercent(250), '250 %');
  assert.equal(formatDuration(1000), '1 second');
  assert.equal(formatDuration(59_000), '59 seconds');
  assert.equal(formatDuration(3 * 3600_000), '3 hours');
  assert.equal(formatDuration(72 * 3600_000), '3 days');
});
