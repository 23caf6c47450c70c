import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeErrorText, startFailureCode } from './process-start-error.ts';

test('runtimeErrorText takes the sentence out of runc\'s logrus line, and leaves other output as it is', () => {
  const runc = 'time="2026-12-05T07:07:45Z" level=error msg="exec failed: unable to start container process: exec: \\"nosuch\\": executable file not found in $PATH"\n';
  assert.equal(runtimeErrorText(runc), 'exec failed: unable to start container process: exec: "nosuch": executable file not found in $PATH');
  assert.equal(startFailureCode(runtimeErrorText(runc)), 127);
  assert.equal(runtimeErrorText('  starting container: error finding executable "x" in PATH\n'), 'starting container: error finding executable "x" in PATH');
  assert.equal(runtimeErrorText('time="t" level=error msg="bad \\x01 escape"'), 'bad \\x01 escape', 'Go escapes JSON lacks stay readable');
  assert.equal(runtimeErrorText(''), '');
});
