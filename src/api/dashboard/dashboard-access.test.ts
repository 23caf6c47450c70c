import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowedHosts, checkAccess, isLoopback, parseListenAddress, presentedToken, TOKEN_COOKIE } from './dashboard-access.ts';

const TOKEN = 'abcdefghijklmnopqrstuvwx';
const hosts = allowedHosts({ host: '127.0.0.1', port: 2380 });

test('--dashboard takes IP:PORT or [IPv6]:PORT and nothing else', () => {
  assert.deepEqual(parseListenAddress('127.0.0.1:2380'), { host: '127.0.0.1', port: 2380 });
  assert.deepEqual(parseListenAddress('[::1]:80'), { host: '::1', port: 80 });
  assert.deepEqual(parseListenAddress('0.0.0.0:9000'), { host: '0.0.0.0', port: 9000 });
  for (const bad of ['localhost:2380', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', '999.1.1.1:80', ':2380', '::1:80']) {
    assert.throws(() => parseListenAddress(bad), { kind: 'InvalidArgument' }, bad);
  }
  assert.equal(isLoopback('127.0.0.5'), true);
  assert.equal(isLoopback('::1'), true);
  assert.equal(isLoopback('10.0.0.1'), false);
});

test('the token comes from the cookie or a bearer header', () => {
  assert.equal(presentedToken({ cookie: `a=b; ${TOKEN_COOKIE}=${TOKEN}; c=d` }), TOKEN);
  assert.equal(presentedToken({ authorization: `Bearer ${TOKEN}` }), TOKEN);
  assert.equal(presentedToken({ cookie: `${TOKEN_COOKIE}=%E0` }), undefined, 'a malformed cookie is no token (and no crash)');
  assert.equal(presentedToken({ cookie: 'other=1' }), undefined);
});

test('reading needs the token and a host name the dashboard answers to', () => {
  const ok = { host: '127.0.0.1:2380', cookie: `${TOKEN_COOKIE}=${TOKEN}` };
  assert.deepEqual(checkAccess({ method: 'GET', headers: ok }, { token: TOKEN, hosts }), { ok: true });
  assert.deepEqual(checkAccess({ method: 'GET', headers: { ...ok, host: 'localhost:2380' } }, { token: TOKEN, hosts }), { ok: true });
  assert.equal(checkAccess({ method: 'GET', headers: { host: '127.0.0.1:2380' } }, { token: TOKEN, hosts }).ok, false);
  const wrong = checkAccess({ method: 'GET', headers: { ...ok, cookie: `${TOKEN_COOKIE}=${TOKEN}x` } }, { token: TOKEN, hosts });
  assert.deepEqual(wrong.ok ? 0 : wrong.status, 401);
  const rebound = checkAccess({ method: 'GET', headers: { ...ok, host: 'evil.example:2380' } }, { token: TOKEN, hosts });
  assert.deepEqual(rebound.ok ? 0 : rebound.status, 403);
  // Listening on every address: any host name, still the token.
  assert.deepEqual(checkAccess({ method: 'GET', headers: { ...ok, host: 'box.lan:2380' } }, { token: TOKEN, hosts: allowedHosts({ host: '0.0.0.0', port: 2380 }) }), { ok: true });
});

test('actions and websockets need the dashboard\'s own origin as well', () => {
  const base = { host: '127.0.0.1:2380', cookie: `${TOKEN_COOKIE}=${TOKEN}` };
  const verdict = (headers: Record<string, string>, method = 'POST', upgrade = false) => {
    const v = checkAccess({ method, headers, upgrade }, { token: TOKEN, hosts });
    return v.ok ? 200 : v.status;
  };
  assert.equal(verdict({ ...base, origin: 'http://127.0.0.1:2380', 'sec-fetch-site': 'same-origin' }), 200);
  assert.equal(verdict({ ...base }), 403, 'no Origin');
  assert.equal(verdict({ ...base, origin: 'http://evil.example' }), 403);
  assert.equal(verdict({ ...base, origin: 'http://127.0.0.1:2380', 'sec-fetch-site': 'cross-site' }), 403);
  assert.equal(verdict({ ...base, origin: 'http://evil.example' }, 'GET', true), 403, 'a cross-site websocket');
  assert.equal(verdict({ ...base, origin: 'http://127.0.0.1:2380' }, 'GET', true), 200);
  assert.equal(verdict({ host: '127.0.0.1:2380', origin: 'http://127.0.0.1:2380' }), 401, 'the origin alone is not enough');
});
