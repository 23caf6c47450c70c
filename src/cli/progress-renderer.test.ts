import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ProgressRenderer } from './progress-renderer.ts';
import type { JsonMessage } from '../api/client/types.ts';

async function render(messages: JsonMessage[], tty: boolean, columns = 120): Promise<{ out: string; aux: unknown[] }> {
  const sink = new PassThrough();
  let out = '';
  sink.on('data', (b: Buffer) => { out += b.toString(); });
  const aux = await new ProgressRenderer({ out: sink, tty, columns }).consume((async function* () { yield* messages; })());
  return { out, aux };
}

const PULL: JsonMessage[] = [
  { status: 'Pulling from e2e/small', id: 'v1' },
  { status: 'Pulling fs layer', id: 'aaaaaaaaaaaa', progressDetail: {} },
  { status: 'Pulling fs layer', id: 'bbbbbbbbbbbb', progressDetail: {} },
  { status: 'Downloading', id: 'aaaaaaaaaaaa', progressDetail: { current: 1_200_000, total: 4_500_000 } },
  { status: 'Downloading', id: 'aaaaaaaaaaaa', progressDetail: { current: 2_400_000, total: 4_500_000 } },
  { status: 'Pull complete', id: 'aaaaaaaaaaaa', progressDetail: {} },
  { status: 'Pull complete', id: 'bbbbbbbbbbbb', progressDetail: {} },
  { aux: { Digest: 'sha256:00' } },
  { status: 'Digest: sha256:00' },
  { status: 'Status: Downloaded newer image for 127.0.0.1:5000/e2e/small:v1' },
];

test('progress without a terminal: one plain line per status change, no bars or escapes', async () => {
  const { out, aux } = await render(PULL, false);
  assert.equal(out, [
    'v1: Pulling from e2e/small',
    'aaaaaaaaaaaa: Pulling fs layer',
    'bbbbbbbbbbbb: Pulling fs layer',
    'aaaaaaaaaaaa: Downloading',
    'aaaaaaaaaaaa: Pull complete',
    'bbbbbbbbbbbb: Pull complete',
    'Digest: sha256:00',
    'Status: Downloaded newer image for 127.0.0.1:5000/e2e/small:v1',
    '',
  ].join('\n'));
  assert.deepEqual(aux, [{ Digest: 'sha256:00' }]);
});

test('progress on a terminal: lines redrawn in place with a bar and sizes', async () => {
  const { out } = await render(PULL.slice(0, 5), true);
  assert.match(out, /\x1b\[\d+A\x1b\[2K\raaaaaaaaaaaa: Downloading \[=+>\s+\]\s+1\.2MB\/4\.5MB\r\x1b\[\d+B/);
  assert.match(out, /aaaaaaaaaaaa: Downloading \[={26}> {24}\]\s+2\.4MB\/4\.5MB/, '2.4 of 4.5 fills 26 of 50');
  // Two layers, one header line: three line feeds opened the group, redraws add none.
  assert.equal(out.split('\n').length - 1, 3);
});

test('a terminal that reports 0 columns still gets whole lines, as at 80 columns', async () => {
  const zero = await render(PULL, true, 0);
  const eighty = await render(PULL, true, 80);
  assert.equal(zero.out, eighty.out);
  assert.match(zero.out, /aaaaaaaaaaaa: Downloading \[/);
});
