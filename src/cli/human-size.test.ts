import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanSize } from './human-size.ts';

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
