import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMountSpec } from './mount-spec.ts';

test('--mount: docker\'s keys become HostConfig.Mounts entries', () => {
  assert.deepEqual(parseMountSpec('type=bind,src=/tmp,dst=/x,readonly'), { Type: 'bind', Source: '/tmp', Target: '/x', ReadOnly: true });
  assert.deepEqual(parseMountSpec('type=bind,source=/tmp,target=/x,bind-propagation=rshared,ro=false'), { Type: 'bind', Source: '/tmp', Target: '/x', ReadOnly: false, BindOptions: { Propagation: 'rshared' } });
  assert.deepEqual(parseMountSpec('type=volume,source=v,target=/v,volume-nocopy,volume-label=a=b,volume-driver=local,volume-opt=o=p'), {
    Type: 'volume', Source: 'v', Target: '/v', VolumeOptions: { NoCopy: true, Labels: { a: 'b' }, DriverConfig: { Name: 'local', Options: { o: 'p' } } },
  });
  assert.deepEqual(parseMountSpec('type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=1777'), { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1 << 20, Mode: 0o1777 } });
  assert.deepEqual(parseMountSpec('target=/anon'), { Type: 'volume', Target: '/anon' });
  assert.deepEqual(parseMountSpec('"type=bind","src=/a,b",dst=/c'), { Type: 'bind', Source: '/a,b', Target: '/c' });
});

test('--mount: bad values', () => {
  const bad: Array<[string, RegExp]> = [
    ['src=/x', /target is required/], ['type=foo,dst=/x', /unknown mount type "foo"/], ['type=bind,dst=/x,bogus=1', /unexpected key 'bogus'/],
    ['type=bind,dst=/x,source', /invalid field 'source' must be a key=value pair/], ['type=bind,dst=/x,readonly=maybe', /invalid value for readonly: maybe/],
    ['type=bind,src=/a,dst=/x,volume-nocopy', /cannot mix 'volume-\*' options with mount type 'bind'/], ['type=tmpfs,dst=/t,tmpfs-size=lots', /invalid size/],
    ['type=tmpfs,dst=/t,tmpfs-mode=999', /tmpfs-mode/], ['"type=bind,dst=/x', /quoted-field/],
  ];
  for (const [spec, re] of bad) assert.throws(() => parseMountSpec(spec), re, spec);
});
