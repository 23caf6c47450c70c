import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGetfattr } from './container-files-xattrs.ts';

describe('parseGetfattr', () => {
  it('keys attributes by path relative to the walked root, decoding values and escaped names', () => {
    const out = [
      '# file: /u/upper',
      'trusted.overlay.opaque=0x79',
      '',
      '# file: /u/upper//bin/ping',
      'security.capability=0x0100000200200000000000000000000000000000',
      '',
      '# file: /u/upper/we ird\\134name\\012x',
      'user.text="hello"',
      'user.b64=0sAAE=',
      '',
    ].join('\n');
    const map = parseGetfattr(out, '/u/upper/');
    assert.deepEqual([...map.keys()], ['', 'bin/ping', 'we ird\\name\nx']);
    assert.equal(map.get('')!.get('trusted.overlay.opaque')!.toString(), 'y');
    assert.equal(map.get('bin/ping')!.get('security.capability')!.toString('hex'), '0100000200200000000000000000000000000000');
    assert.equal(map.get('we ird\\name\nx')!.get('user.text')!.toString(), 'hello');
    assert.deepEqual([...map.get('we ird\\name\nx')!.get('user.b64')!], [0, 1]);
  });

  it('is empty for empty output', () => {
    assert.equal(parseGetfattr('', '/x').size, 0);
  });
});
