import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoTemplate } from '../go-template.ts';
import { formatEvent, templateEvent } from './events.ts';

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

test("--format sees docker's events.Message fields (Status, ID, From, Scope, Time) and json prints the wire object", () => {
  const wire = {
    status: 'health_status: healthy', id: 'abc', from: 'busybox', Type: 'container', Action: 'health_status: healthy',
    Actor: { ID: 'abc', Attributes: { name: 'web', image: 'busybox' } }, scope: 'local', time: 1700000000, timeNano: 1700000000000000000,
  };
  const run = (t: string) => GoTemplate.parse(t).execute(templateEvent(wire));
  assert.equal(run('{{.Status}}|{{.ID}}|{{.From}}|{{.Type}}|{{.Action}}|{{.Actor.Attributes.name}}|{{.Scope}}|{{.Time}}'),
    'health_status: healthy|abc|busybox|container|health_status: healthy|web|local|1700000000');
  assert.deepEqual(JSON.parse(run('{{json .}}')), wire);
  const volume = { Type: 'volume', Action: 'create', Actor: { ID: 'v', Attributes: {} }, time: 1, timeNano: 1 };
  assert.equal(GoTemplate.parse('[{{.Status}}][{{.From}}]').execute(templateEvent(volume)), '[][]', 'absent legacy fields are empty strings, as in Go');
});
