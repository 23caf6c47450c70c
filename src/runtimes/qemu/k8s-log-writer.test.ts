import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseK8sLogLine } from '../oci/k8s-log.ts';
import { K8sLogWriter } from './k8s-log-writer.ts';

test('output becomes k8s-file records: full lines F, a trailing piece P, streams kept', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'k8slog-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const w = new K8sLogWriter(join(dir, 'log'));
  w.write('stdout', Buffer.from('one\ntwo\n/ # '));
  w.write('stderr', Buffer.from('oops\n'));
  await w.close();
  const lines = (await readFile(join(dir, 'log'), 'utf8')).trim().split('\n').map((l) => parseK8sLogLine(l)!);
  assert.deepEqual(lines.map((l) => [l.stream, l.full, l.text]), [['stdout', true, 'one'], ['stdout', true, 'two'], ['stdout', false, '/ # '], ['stderr', true, 'oops']]);
  const times = lines.map((l) => l.time);
  assert.deepEqual([...times].sort(), times, 'timestamps increase');
  assert.equal(new Set(times).size, times.length);
});

test('with maxSize the full file is replaced by a fresh one, as conmon rotates', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'k8slog-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const w = new K8sLogWriter(join(dir, 'log'), { maxSize: 120 });
  for (let i = 0; i < 5; i++) w.write('stdout', Buffer.from(`line ${i}\n`));
  await w.close();
  const text = await readFile(join(dir, 'log'), 'utf8');
  assert.ok(text.length <= 120, text);
  assert.match(text, /line 4\n$/);
  assert.doesNotMatch(text, /line 0/);
});
