import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exposedPorts, isSignal } from './dockerfile-values.ts';

const fail = (why: string) => new Error(why);

test('EXPOSE words become ExposedPorts keys; ranges expand; bad words are named', () => {
  assert.deepEqual(exposedPorts('80', fail), ['80/tcp']);
  assert.deepEqual(exposedPorts('53/UDP', fail), ['53/udp']);
  assert.deepEqual(exposedPorts('8000-8002/tcp', fail), ['8000/tcp', '8001/tcp', '8002/tcp']);
  assert.throws(() => exposedPorts('http', fail), /invalid port "http"/);
  assert.throws(() => exposedPorts('80/icmp', fail), /invalid protocol "icmp" in "80\/icmp"/);
  assert.throws(() => exposedPorts('0', fail), /ports are 1-65535/);
  assert.throws(() => exposedPorts('90-80', fail), /invalid port range "90-80"/);
});

test('STOPSIGNAL accepts numbers, names with or without SIG, and real-time signals', () => {
  for (const s of ['15', 'SIGTERM', 'term', 'RTMIN+3', 'SIGRTMAX-1', '64']) assert.equal(isSignal(s), true, s);
  for (const s of ['0', '65', 'SIGNOPE', 'RT+1', '']) assert.equal(isSignal(s), false, s);
});
