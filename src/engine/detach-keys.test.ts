import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DetachKeyFilter, parseDetachKeys } from './detach-keys.ts';

test('parseDetachKeys reads docker syntax and names bad keys', () => {
  assert.deepEqual([...parseDetachKeys(undefined)], [16, 17]);
  assert.deepEqual([...parseDetachKeys('ctrl-a,x,ctrl-@,ctrl-[,ctrl-_')], [1, 120, 0, 27, 31]);
  assert.throws(() => parseDetachKeys('ctrl-1'), { kind: 'InvalidArgument', message: /"ctrl-1"/ });
  assert.throws(() => parseDetachKeys('alt-x'), { kind: 'InvalidArgument' });
});

test('the filter swallows the sequence across chunks and passes everything else', () => {
  let detached = 0;
  const f = new DetachKeyFilter(parseDetachKeys(undefined), () => detached++);
  assert.deepEqual([...f.push(Buffer.from([65, 16]))], [65]);
  assert.deepEqual([...f.push(Buffer.from([66]))], [16, 66]);
  assert.equal(detached, 0);
  assert.deepEqual([...f.push(Buffer.from([16, 16]))], [16]);
  assert.deepEqual([...f.push(Buffer.from([17, 67]))], []);
  assert.equal(detached, 1);
  assert.deepEqual([...f.push(Buffer.from([68]))], []);
});

test('held bytes come out at the end of input', () => {
  const f = new DetachKeyFilter(parseDetachKeys('ctrl-p,ctrl-q'), () => assert.fail('no detach'));
  assert.deepEqual([...f.push(Buffer.from([1, 16]))], [1]);
  assert.deepEqual([...f.flush()], [16]);
});
