import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDaemonArgs } from './main.ts';

test('the dashboard listens on 127.0.0.1:2380 by default (best effort); --dashboard ADDR is required to work; off turns it off', () => {
  assert.deepEqual(parseDaemonArgs([]).dashboard, { address: { host: '127.0.0.1', port: 2380 }, required: false });
  assert.deepEqual(parseDaemonArgs(['--dashboard', '0.0.0.0:9000']).dashboard, { address: { host: '0.0.0.0', port: 9000 }, required: true });
  assert.equal(parseDaemonArgs(['--dashboard', 'off']).dashboard, undefined);
  assert.throws(() => parseDaemonArgs(['--dashboard', 'localhost']), { kind: 'InvalidArgument' });
});
