import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLogTimestamp, formatRfc3339Nano, humanDuration } from './time-format.ts';

test('formatRfc3339Nano trims the fraction like Go and gives docker\'s zero time for nothing', () => {
  assert.equal(formatRfc3339Nano(new Date('2024-01-02T03:04:05.120Z')), '2024-01-02T03:04:05.12Z');
  assert.equal(formatRfc3339Nano(new Date('2024-01-02T03:04:05.000Z')), '2024-01-02T03:04:05Z');
  assert.equal(formatRfc3339Nano(new Date('2024-01-02T03:04:05.007Z')), '2024-01-02T03:04:05.007Z');
  assert.equal(formatRfc3339Nano(undefined), '0001-01-01T00:00:00Z');
  assert.equal(formatRfc3339Nano(new Date(Number.NaN)), '0001-01-01T00:00:00Z');
});

test('formatLogTimestamp gives UTC with nine fraction digits, keeping every digit written', () => {
  assert.equal(formatLogTimestamp('2024-01-02T05:04:05.123456789+02:00'), '2024-01-02T03:04:05.123456789Z');
  assert.equal(formatLogTimestamp('2024-01-02T03:04:05.5Z'), '2024-01-02T03:04:05.500000000Z');
  assert.equal(formatLogTimestamp('2024-01-01T23:30:00-01:00'), '2024-01-02T00:30:00.000000000Z');
  assert.equal(formatLogTimestamp('yesterday'), 'yesterday');
});

test('humanDuration follows go-units', () => {
  const s = 1000;
  const h = 3600 * s;
  assert.equal(humanDuration(999), 'Less than a second');
  assert.equal(humanDuration(s), '1 second');
  assert.equal(humanDuration(59 * s), '59 seconds');
  assert.equal(humanDuration(60 * s), 'About a minute');
  assert.equal(humanDuration(119 * s), 'About a minute');
  assert.equal(humanDuration(120 * s), '2 minutes');
  assert.equal(humanDuration(59 * 60 * s), '59 minutes');
  assert.equal(humanDuration(60 * 60 * s), 'About an hour');
  assert.equal(humanDuration(90 * 60 * s), '2 hours');
  assert.equal(humanDuration(47 * h), '47 hours');
  assert.equal(humanDuration(48 * h), '2 days');
  assert.equal(humanDuration(14 * 24 * h), '2 weeks');
  assert.equal(humanDuration(60 * 24 * h), '2 months');
  assert.equal(humanDuration(800 * 24 * h), '2 years');
});
