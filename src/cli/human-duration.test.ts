import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, timeAgo } from './human-duration.ts';

test('durations like docker', () => {
  const s = 1000;
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(1 * s), '1 second');
  assert.equal(humanDuration(45 * s), '45 seconds');
  assert.equal(humanDuration(90 * s), 'About a minute');
  assert.equal(humanDuration(5 * 60 * s), '5 minutes');
  assert.equal(humanDuration(61 * 60 * s), 'About an hour');
  assert.equal(humanDuration(2 * 3600 * s), '2 hours');
  assert.equal(humanDuration(3 * 24 * 3600 * s), '3 days');
  assert.equal(humanDuration(21 * 24 * 3600 * s), '3 weeks');
  assert.equal(humanDuration(90 * 24 * 3600 * s), '3 months');
  assert.equal(humanDuration(3 * 365 * 24 * 3600 * s), '3 years');
  assert.equal(timeAgo(1000, 1000 * 1000 + 7200 * 1000), '2 hours ago');
});
