import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deviceNumbers, goFileMode } from './container-archive-stat.ts';

describe('goFileMode', () => {
  it("sets Go's type bits as docker sends them", () => {
    assert.equal(goFileMode(0o100644), 0o644);
    assert.equal(goFileMode(0o040755), 2 ** 31 + 0o755, 'ModeDir is bit 31 and stays positive');
    assert.equal(goFileMode(0o120777), 2 ** 27 + 0o777);
    assert.equal(goFileMode(0o020666), 2 ** 26 + 2 ** 21 + 0o666, 'a character device is ModeDevice|ModeCharDevice');
    assert.equal(goFileMode(0o060660), 2 ** 26 + 0o660);
    assert.equal(goFileMode(0o010600), 2 ** 25 + 0o600);
    assert.equal(goFileMode(0o140755), 2 ** 24 + 0o755);
    assert.equal(goFileMode(0o104755), 2 ** 23 + 0o755, 'setuid');
    assert.equal(goFileMode(0o041777), 2 ** 31 + 2 ** 20 + 0o777, 'sticky');
  });
});

describe('deviceNumbers', () => {
  it("decodes glibc's dev_t", () => {
    assert.deepEqual(deviceNumbers((1 << 8) | 3), { major: 1, minor: 3 });
    assert.deepEqual(deviceNumbers(0), { major: 0, minor: 0 });
    // major 259, minor 1048575 (the widest minor).
    const rdev = ((259 & 0xfff) << 8) + (0xff & 0xfffff) + ((0xfffff & ~0xff) << 12) >>> 0;
    assert.deepEqual(deviceNumbers(rdev), { major: 259, minor: 0xfffff });
  });
});
