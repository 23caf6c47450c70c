import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shellSplit } from './shell-split.ts';

test('commands split like a shell without expanding anything', () => {
  assert.deepEqual(shellSplit('httpd -f -p 80', 'x'), ['httpd', '-f', '-p', '80']);
  assert.deepEqual(shellSplit(`sh -c 'echo "$HOME" && ls'`, 'x'), ['sh', '-c', 'echo "$HOME" && ls']);
  assert.deepEqual(shellSplit('echo "a \\"b\\" c" d\\ e', 'x'), ['echo', 'a "b" c', 'd e']);
  assert.deepEqual(shellSplit("''", 'x'), ['']);
  assert.deepEqual(shellSplit('  ', 'x'), []);
  assert.throws(() => shellSplit("echo 'open", 'compose.yaml:3: services.a.command'), {
    message: `compose.yaml:3: services.a.command: unterminated single quote in "echo 'open"`,
  });
});
