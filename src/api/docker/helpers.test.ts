import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanSize, renderProgress } from './progress-bar.ts';
import { parseTimestamp } from './timestamps.ts';
import { decodeRegistryAuth, registryFromServerAddress } from './registry-auth.ts';
import { parseFilters } from './filters.ts';
import { httpStatusOf } from './errors.ts';
import { Router } from './router.ts';

test('humanSize prints like docker (decimal, 4 significant digits)', () => {
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(512), '512B');
  assert.equal(humanSize(1024), '1.024kB');
  assert.equal(humanSize(2_155_000), '2.155MB');
  assert.equal(humanSize(1_500_000_000), '1.5GB');
});

test('renderProgress draws docker\'s 50-cell bar', () => {
  assert.equal(renderProgress(undefined, undefined), '');
  assert.equal(renderProgress(0, 100), `[>${' '.repeat(50)}]       0B/100B`);
  assert.equal(renderProgress(100, 100), `[${'='.repeat(50)}>]     100B/100B`);
  assert.equal(renderProgress(3000, undefined), '     3kB');
  assert.equal(renderProgress(200, 100), `[${'='.repeat(50)}>]     200B`);
});

test('parseTimestamp accepts unix seconds, durations and RFC 3339; refuses the rest naming the parameter', () => {
  assert.equal(parseTimestamp('1700000000', 'since'), 1_700_000_000_000_000_000n);
  assert.equal(parseTimestamp('1700000000.5', 'since'), 1_700_000_000_500_000_000n);
  assert.equal(parseTimestamp('10m', 'since', 1_000_000), (1_000_000n - 600_000n) * 1_000_000n);
  assert.equal(parseTimestamp('1h30m', 'since', 10_000_000), (10_000_000n - 5_400_000n) * 1_000_000n);
  assert.equal(parseTimestamp('2023-11-14T22:13:20Z', 'until'), 1_700_000_000_000_000_000n);
  assert.throws(() => parseTimestamp('soon', 'until'), /invalid until "soon"/);
});

test('decodeRegistryAuth reads base64url and base64 JSON, the auth field, and refuses garbage', () => {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  assert.equal(decodeRegistryAuth(undefined), undefined);
  assert.equal(decodeRegistryAuth(enc({})), undefined);
  assert.deepEqual(decodeRegistryAuth(enc({ Username: 'u', Password: 'p' })), { username: 'u', password: 'p' });
  assert.deepEqual(decodeRegistryAuth(enc({ identitytoken: 't' })), { identityToken: 't' });
  assert.deepEqual(decodeRegistryAuth(enc({ auth: Buffer.from('a:b:c').toString('base64') })), { username: 'a', password: 'b:c' });
  assert.throws(() => decodeRegistryAuth('%%%'), /X-Registry-Auth/);
  assert.throws(() => decodeRegistryAuth(Buffer.from('not json').toString('base64')), /X-Registry-Auth/);
});

test('registryFromServerAddress normalises docker hub and strips schemes and paths', () => {
  assert.equal(registryFromServerAddress(undefined), 'docker.io');
  assert.equal(registryFromServerAddress('https://index.docker.io/v1/'), 'docker.io');
  assert.equal(registryFromServerAddress('http://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
  assert.equal(registryFromServerAddress('Localhost:5000'), 'localhost:5000');
});

test('parseFilters takes both docker filter forms', () => {
  assert.deepEqual([...parseFilters('{"a":{"x":true,"y":false},"b":["z"]}', ['a', 'b'])], [['a', ['x']], ['b', ['z']]]);
  assert.equal(parseFilters(undefined, []).size, 0);
  assert.throws(() => parseFilters('{"a":[1]}', ['a']), /filter 'a'/);
});

test('every error kind has its status', () => {
  assert.equal(httpStatusOf('InvalidArgument'), 400);
  assert.equal(httpStatusOf('Unauthorized'), 401);
  assert.equal(httpStatusOf('Forbidden'), 403);
  assert.equal(httpStatusOf('NotFound'), 404);
  assert.equal(httpStatusOf('Conflict'), 409);
  assert.equal(httpStatusOf('NotImplemented'), 501);
  assert.equal(httpStatusOf('Unavailable'), 503);
  assert.equal(httpStatusOf('ResourceExhausted'), 507);
  assert.equal(httpStatusOf('DataLoss'), 500);
  assert.equal(httpStatusOf('Canceled'), 499);
  assert.equal(httpStatusOf('Internal'), 500);
});

test('the router matches greedy names by suffix and in the order routes were added', () => {
  const hits: string[] = [];
  const r = new Router()
    .add('GET', '/images/json', async () => { hits.push('list'); })
    .add('GET', '/images/{name...}/json', async () => { hits.push('inspect'); });
  assert.deepEqual(r.match('GET', '/images/a/json/json')?.params, { name: 'a/json' });
  assert.deepEqual(r.match('GET', '/images/json')?.params, {});
  assert.equal(r.match('POST', '/images/json'), undefined);
  assert.throws(() => r.match('GET', '/images/%E0%A4%A/json'), /malformed percent-encoding/);
});
