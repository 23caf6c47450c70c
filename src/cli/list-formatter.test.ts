import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatList } from './list-formatter.ts';
import { UsageError } from './usage-error.ts';

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
