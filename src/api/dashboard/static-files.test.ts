import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assetPath, contentType } from './static-files.ts';

test('asset paths stay inside the build directory', () => {
  assert.equal(assetPath('/b', '/'), '/b/index.html');
  assert.equal(assetPath('/b', '/assets/index-1.js'), '/b/assets/index-1.js');
  for (const bad of ['/../etc/passwd', '/assets/%2e%2e/%2e%2e/etc/passwd', '/%2e%2e%2fsecret', '/a%00b', '/%zz', 'relative']) {
    assert.equal(assetPath('/b', bad), undefined, bad);
  }
  assert.equal(contentType('/b/x.js'), 'text/javascript; charset=utf-8');
  assert.equal(contentType('/b/x.unknown'), 'application/octet-stream');
});
