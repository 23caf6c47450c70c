import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adviseWorkload } from './advise-workload.ts';
import { plainWorkload } from './plain-workload.fixture.ts';
import type { HostAdviceFacts } from './workload-facts.ts';

const host = (vm: boolean, sandbox = true): HostAdviceFacts => ({
  os: 'linux',
  architecture: 'amd64',
  levels: {
    container: { works: true },
    sandbox: sandbox ? { works: true } : { works: false, why: 'runsc not installed' },
    vm: vm ? { works: true } : { works: false, why: 'qemu-system-x86_64 not installed' },
  },
});

describe('adviseWorkload', () => {
  it('a plain service gets container, with the default rule as its reason and what would change it', () => {
    const a = adviseWorkload(plainWorkload(), host(true));
    assert.equal(a.level, 'container');
    assert.deepEqual(a.reasons.map((r) => r.rule), ['fast-density-default']);
    assert.deepEqual(a.changes, ['with label janus.trust=untrusted: vm', 'with --privileged: vm', 'with --cap-add SYS_ADMIN: sandbox']);
    assert.deepEqual(a.alternatives.map((x) => x.level), ['sandbox', 'vm']);
    // A sandbox joins networks: on one, SYS_ADMIN still takes it to a sandbox.
    assert.ok(adviseWorkload(plainWorkload({ networkMode: 'app' }), host(true)).changes.includes('with --cap-add SYS_ADMIN: sandbox'));
  });

  it('the strongest rule wins and every fired rule is listed, strongest first; the default is not', () => {
    const a = adviseWorkload(plainWorkload({ capAdd: ['SYS_ADMIN'], trust: { value: 'untrusted', source: 'label janus.trust' } }), host(true));
    assert.equal(a.level, 'vm');
    assert.deepEqual(a.reasons.map((r) => r.rule), ['untrusted-code', 'dangerous-capability']);
    assert.ok(a.changes.includes('without label janus.trust=untrusted (untrusted-code): sandbox'), a.changes.join('\n'));
    assert.match(a.alternatives.find((x) => x.level === 'container')!.note, /SYS_ADMIN/);
  });

  it('falls back to sandbox when the vm level does not work, saying so', () => {
    const a = adviseWorkload(plainWorkload({ trust: { value: 'untrusted', source: 'label janus.trust' } }), host(false));
    assert.equal(a.level, 'sandbox');
    assert.equal(a.wanted, 'vm');
    assert.equal(a.reasons[0].rule, 'fallback');
    assert.match(a.reasons[0].evidence, /vm level does not work on this host: qemu-system-x86_64 not installed/);
    assert.ok(a.changes.includes('a working vm level on this host: vm'));
  });

  it('a fallback says what a sandbox does not give to a workload that needs its own kernel', () => {
    const a = adviseWorkload(plainWorkload({ process: ['/sbin/init'] }), host(false));
    assert.equal(a.level, 'sandbox');
    assert.match(a.reasons[0].detail, /full-os-init/);
  });

  it('falls back to container when neither stronger level works, and names both', () => {
    const a = adviseWorkload(plainWorkload({ privileged: true }), host(false, false));
    assert.equal(a.level, 'container');
    assert.equal(a.reasons[0].rule, 'fallback');
    assert.deepEqual(a.alternatives.map((x) => [x.level, x.works]), [['sandbox', false], ['vm', false]]);
  });

  it('a level Janus cannot run the workload at is skipped for the next stronger one, saying why', () => {
    const a = adviseWorkload(plainWorkload({ capAdd: ['SYS_ADMIN'], networkMode: 'frontend' }), host(true, false));
    assert.equal(a.wanted, 'sandbox');
    assert.equal(a.level, 'vm');
    assert.equal(a.reasons[0].rule, 'fallback');
    assert.match(a.reasons[0].evidence, /the sandbox level does not work on this host: runsc not installed/);
    // Sharing another container's network namespace: neither gVisor nor a VM can, so the strongest weaker level.
    const shared = adviseWorkload(plainWorkload({ capAdd: ['SYS_ADMIN'], networkMode: 'container:db' }), host(true));
    assert.equal(shared.level, 'container');
    assert.match(shared.reasons[0].evidence, /the sandbox level cannot run --network container:db here: gVisor takes over the interfaces/);
    assert.match(shared.alternatives.find((x) => x.level === 'sandbox')!.note, /cannot run this workload/);
    // On a network of its own, with published ports, a sandbox is what it gets.
    assert.equal(adviseWorkload(plainWorkload({ capAdd: ['SYS_ADMIN'], networkMode: 'frontend', publishes: true }), host(true)).level, 'sandbox');
  });

  it('when no stronger level can run it (--network host), the strongest weaker one is named with both reasons', () => {
    const a = adviseWorkload(plainWorkload({ capAdd: ['SYS_ADMIN'], networkMode: 'host' }), host(true));
    assert.equal(a.level, 'container');
    assert.match(a.reasons[0].evidence, /sandbox level cannot run --network host.*vm level cannot run --network host/);
  });

  it('a sandbox chosen without a --network says it has no network then; on one, that its sockets are the host kernel\'s', () => {
    const a = adviseWorkload(plainWorkload({ capAdd: ['SYS_ADMIN'] }), host(true));
    assert.equal(a.level, 'sandbox');
    assert.match(a.reasons.find((r) => r.evidence === 'no --network given')!.detail, /without it the workload has no network/);
    assert.ok(!adviseWorkload(plainWorkload({ capAdd: ['SYS_ADMIN'], networkMode: 'app' }), host(true)).reasons.some((r) => r.evidence === 'no --network given'));
    assert.match(a.alternatives.find((x) => x.level === 'vm')!.note, /strongest boundary/);
    assert.match(adviseWorkload(plainWorkload(), host(true)).alternatives.find((x) => x.level === 'sandbox')!.note, /on a network its sockets are the host kernel's/);
  });

  it('facts that could not be gathered are passed on, not guessed', () => {
    const a = adviseWorkload(plainWorkload({ imageConfig: undefined, initSystemFiles: undefined, unevaluated: ['image x: not found'] }), host(true));
    assert.deepEqual(a.unevaluated, ['image x: not found']);
  });

  it('an informing rule (hardware) is listed without moving the level', () => {
    const a = adviseWorkload(plainWorkload({ gpus: 'all' }), host(true));
    assert.equal(a.level, 'container');
    assert.ok(a.reasons.some((r) => r.rule === 'special-hardware' && r.level === undefined));
  });
});
