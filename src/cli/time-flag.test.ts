import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTimeFlag } from './time-flag.ts';

test('--since/--until: durations before now, dates with and without zones, Unix seconds, docker\'s errors', () => {
  const now = 1_795_355_920_000;
  assert.equal(parseTimeFlag('10m', 'since', now), '1795355320');
  assert.equal(parseTimeFlag('1h30m', 'since', now), '1795350520');
  assert.equal(parseTimeFlag('0', 'since', now), '0');
  assert.equal(parseTimeFlag('1700000000.5', 'since', now), '1700000000.5');
  assert.equal(parseTimeFlag('2024-01-02T10:00:00Z', 'since', now), '1704189600.000000000');
  assert.equal(parseTimeFlag('2024-01-02T10:00:00.123+02:00', 'since', now), '1704182400.123000000');
  const local = new Date(2024, 0, 2, 10, 0, 0).getTime() / 1000;
  assert.equal(parseTimeFlag('2024-01-02T10:00', 'until', now), `${local}.000000000`);
  assert.equal(parseTimeFlag('2024-01-02', 'until', now), `${new Date(2024, 0, 2).getTime() / 1000}.000000000`);
  assert.throws(() => parseTimeFlag('x', 'since', now), /^JanusError: invalid value for "since": failed to parse value as time or duration: "x"$|invalid value for "since": failed to parse value as time or duration: "x"/);
  assert.throws(() => parseTimeFlag('2024-13-45', 'since', now), /invalid value for "since": parsing time "2024-13-45": month out of range/);
  assert.throws(() => parseTimeFlag('2024-02-30', 'until', now), /day out of range/);
  assert.throws(() => parseTimeFlag('-5', 'since', now), /invalid value for "since"/);
});
