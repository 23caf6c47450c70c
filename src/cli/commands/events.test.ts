import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatEvent } from './events.ts';

test("events print docker's line: nanosecond time, type, action, actor, sorted attributes", () => {
  const line = formatEvent({
    Type: 'image', Action: 'tag', Actor: { ID: 'sha256:abc', Attributes: { name: 'busybox:1', a: 'x' } },
    time: 1700000000, timeNano: 1700000000123456789,
  });
  // 1700000000123456789 is not exact in a double; the line must still carry 9 fraction digits of it.
  assert.match(line, /^2023-11-14T22:13:20\.\d{9}Z image tag sha256:abc \(a=x, name=busybox:1\)$/);
  assert.equal(formatEvent({ Type: 'daemon', Action: 'reload', Actor: { ID: 'd', Attributes: {} }, time: 0, timeNano: 0 }),
    '1970-01-01T00:00:00.000000000Z daemon reload d');
});
