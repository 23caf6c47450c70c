import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildCheckpointArgs } from './checkpoint-args.ts';
import { buildConmonArgs } from './conmon.ts';

describe('checkpoint arguments', () => {
  it('runsc saves its sandbox only; runc and crun dump through criu and leave the container as it was', () => {
    assert.deepEqual(buildCheckpointArgs('runsc', 'c1', '/s/memory'), ['checkpoint', '--image-path', '/s/memory', 'c1']);
    assert.deepEqual(buildCheckpointArgs('runc', 'c1', '/s/memory'), ['checkpoint', '--image-path', '/s/memory', '--work-path', '/s/memory', '--leave-running', 'c1']);
    assert.deepEqual(buildCheckpointArgs('crun', 'c1', '/s/memory'), ['checkpoint', '--image-path', '/s/memory', '--work-path', '/s/memory', '--leave-running', 'c1']);
  });

  it('conmon restores instead of creating, with extra restore flags', () => {
    const base = { cid: 'c1', cuuid: 'u1', runtime: 'runsc', runtimeArgs: [], bundle: '/b', containerPidFile: '/p', exitDir: '/e', logPath: '/l', socketDir: '/s', terminal: false, stdin: false };
    assert.deepEqual(buildConmonArgs({ ...base, restorePath: '/s/memory', runtimeOpts: ['--tcp-established'] }).slice(-4), ['--restore', '/s/memory', '--runtime-opt', '--tcp-established']);
    assert.ok(!buildConmonArgs(base).includes('--restore'));
  });
});
