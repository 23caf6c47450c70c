import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignTable } from './table.ts';

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
