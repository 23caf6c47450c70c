import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rootMountMatches } from './container-files-live.ts';

const layers = { upperDir: '/var/lib/janus/snapshots/7/fs', lowerDirs: ['/var/lib/janus/l/3', '/var/lib/janus/l/2'] };

describe('rootMountMatches', () => {
  it("accepts a process whose root is the container's overlay", () => {
    const info = [
      '1000 900 0:70 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/janus/l/3:/var/lib/janus/l/2,upperdir=/var/lib/janus/snapshots/7/fs,workdir=/var/lib/janus/snapshots/7/work',
      '1001 1000 0:71 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw',
    ].join('\n');
    assert.equal(rootMountMatches(info, layers), true);
  });

  it('refuses the host, another container, or nothing (a pid reused after the container stopped)', () => {
    assert.equal(rootMountMatches('22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro', layers), false);
    assert.equal(rootMountMatches('1000 900 0:70 / / rw - overlay overlay rw,lowerdir=/var/lib/janus/l/3,upperdir=/var/lib/janus/snapshots/8/fs,workdir=/w', layers), false);
    assert.equal(rootMountMatches('', layers), false);
  });

  it('takes the last mount at / (mounts stack) and unescapes paths', () => {
    const spaced = { upperDir: '/var/lib/my janus/up', lowerDirs: ['/l'] };
    const info = [
      '22 1 8:1 / / rw - ext4 /dev/sda1 rw',
      '1000 22 0:70 / / rw - overlay overlay rw,lowerdir=/l,upperdir=/var/lib/my\\040janus/up,workdir=/w',
    ].join('\n');
    assert.equal(rootMountMatches(info, spaced), true);
  });

  it('accepts a bind of the directory for a container without image layers', () => {
    const bare = { upperDir: '/var/lib/janus/snapshots/9/fs', lowerDirs: [] };
    assert.equal(rootMountMatches('1000 900 8:1 /var/lib/janus/snapshots/9/fs / rw - ext4 /dev/sda1 rw', bare), true);
    assert.equal(rootMountMatches('1000 900 8:1 / / rw - ext4 /dev/sda1 rw', bare), false);
  });
});
