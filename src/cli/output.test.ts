// Unit tests of what users see from the small output helpers: tables, sizes,
// durations, progress lines and exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { alignTable } from './table.ts';
import { humanSize } from './human-size.ts';
import { humanDuration, timeAgo } from './human-duration.ts';
import { ProgressRenderer } from './progress-renderer.ts';
import { exitCodeFor } from './exit-codes.ts';
import { UsageError } from './usage-error.ts';
import { formatList } from './list-formatter.ts';
import { JanusError } from '../core/errors.ts';
import { DaemonError } from '../api/client/daemon-error.ts';
import type { JsonMessage } from '../api/client/types.ts';

test('tables: columns padded to the widest cell + 3, at least 10; last column unpadded', () => {
  const out = alignTable('REPOSITORY\tTAG\tIMAGE ID\nbusybox\tlatest\tabc123def456\n127.0.0.1:5000/e2e/busybox\t1\tabc123def456\n');
  assert.equal(out, [
    'REPOSITORY                   TAG       IMAGE ID',
    'busybox                      latest    abc123def456',
    '127.0.0.1:5000/e2e/busybox   1         abc123def456',
    '',
  ].join('\n'));
  assert.equal(alignTable('a\tb'), 'a         b');
  assert.equal(alignTable('ünï\tx\nab\ty\n'), 'ünï       x\nab        y\n', 'widths count characters, not bytes');
});

test('sizes like docker: base 1000, 3 significant digits, Go %g', () => {
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(999), '999B');
  assert.equal(humanSize(1000), '1kB');
  assert.equal(humanSize(4261574), '4.26MB');
  assert.equal(humanSize(4200000), '4.2MB');
  assert.equal(humanSize(123456789), '123MB');
  assert.equal(humanSize(1_500_000_000), '1.5GB');
  assert.equal(humanSize(999_600), '1e+03kB', 'docker prints this exact oddity');
  assert.equal(humanSize(1234567, 4), '1.235MB');
});

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

test('exit codes: usage errors 125, every other error 1', () => {
  assert.equal(exitCodeFor(new UsageError('unknown flag: --x')), 125);
  assert.equal(exitCodeFor(new DaemonError(404, 'No such image: x')), 1);
  assert.equal(exitCodeFor(new DaemonError(400, 'invalid reference format')), 1, 'a daemon InvalidArgument is not a usage error');
  assert.equal(exitCodeFor(new JanusError('Unavailable', 'Cannot connect')), 1);
  assert.equal(exitCodeFor(new Error('bug')), 1);
});

test('list formats: default table, table TEMPLATE with docker headers, json, plain template, \\t escapes', () => {
  const rows = [{ ID: 'abc', Repository: 'busybox', Tag: 'latest', Size: '4.26MB' }];
  const headers = { ID: 'IMAGE ID', Repository: 'REPOSITORY' };
  assert.equal(formatList(rows, { format: undefined, defaultTable: '{{.Repository}}\t{{.ID}}', headers }), 'REPOSITORY   IMAGE ID\nbusybox      abc\n');
  assert.equal(formatList(rows, { format: 'table {{.ID}}\\t{{.Tag}}', defaultTable: '', headers }), 'IMAGE ID   TAG\nabc        latest\n');
  assert.equal(formatList(rows, { format: '{{.Repository}}:{{.Tag}}', defaultTable: '', headers }), 'busybox:latest\n');
  assert.equal(formatList(rows, { format: 'json', defaultTable: '', headers }), `${JSON.stringify(rows[0])}\n`);
  assert.equal(formatList([], { format: 'table', defaultTable: '{{.Repository}}\t{{.SharedSize}}', headers }), 'REPOSITORY   SHARED SIZE\n', 'an empty table still has its header');
  assert.throws(() => formatList(rows, { format: '{{.ID', defaultTable: '', headers }), UsageError);
});
