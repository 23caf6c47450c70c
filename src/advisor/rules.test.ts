import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RULES } from './rules.ts';
import { plainWorkload } from './plain-workload.fixture.ts';
import type { HostAdviceFacts, WorkloadFacts } from './workload-facts.ts';

const HOST: HostAdviceFacts = {
  os: 'linux',
  architecture: 'amd64',
  levels: { container: { works: true }, sandbox: { works: true }, vm: { works: true } },
  accelerator: 'tcg',
};

/** Per rule: workloads it must fire on (with a fragment of the evidence) and workloads it must not. */
const CASES: Record<string, { fires: [Partial<WorkloadFacts>, string][]; quiet: Partial<WorkloadFacts>[] }> = {
  'foreign-platform': {
    fires: [
      [{ imageConfig: { os: 'linux', architecture: 'arm64', entrypoint: [], cmd: [], user: '', labels: {} } }, 'linux/arm64'],
      [{ platform: 'windows/amd64' }, '--platform windows/amd64'],
    ],
    quiet: [{}, { platform: 'linux/amd64' }, { imageConfig: undefined }],
  },
  'own-kernel': {
    fires: [
      [{ kernel: '/boot/vmlinuz-6.1' }, '--kernel /boot/vmlinuz-6.1'],
      [{ capAdd: ['SYS_MODULE'] }, 'SYS_MODULE'],
      [{ labels: { 'janus.kernel': '6.1' } }, 'label janus.kernel=6.1'],
      [{ sysctls: ['vm.swappiness'] }, '--sysctl vm.swappiness'],
    ],
    quiet: [{}, { sysctls: ['net.ipv4.ip_forward', 'kernel.shmmax'] }, { capAdd: ['NET_BIND_SERVICE'] }],
  },
  'untrusted-code': {
    fires: [
      [{ trust: { value: 'untrusted', source: 'label janus.trust' } }, 'label janus.trust=untrusted'],
      [{ trust: { value: 'multi-tenant', source: 'x-janus trust' } }, 'x-janus trust=multi-tenant'],
    ],
    quiet: [{}, { trust: { value: 'trusted', source: 'label janus.trust' } }],
  },
  compliance: {
    fires: [[{ compliance: { value: 'pci-dss', source: 'label janus.compliance' } }, 'janus.compliance=pci-dss']],
    quiet: [{}, { compliance: { value: 'none', source: 'label janus.compliance' } }],
  },
  'full-os-init': {
    fires: [
      [{ process: ['/sbin/init'] }, 'entrypoint /sbin/init'],
      [{ process: ['/lib/systemd/systemd', '--system'] }, 'entrypoint /lib/systemd/systemd'],
      [{ initSystemFiles: ['/lib/systemd/systemd'] }, 'contains /lib/systemd/systemd'],
    ],
    quiet: [{}, { process: ['/sbin/tini', '--', 'app'] }, { process: ['/sbin/docker-init', 'app'] }, { initSystemFiles: undefined }],
  },
  privileged: {
    fires: [[{ privileged: true }, '--privileged']],
    quiet: [{}],
  },
  'host-namespace': {
    fires: [
      [{ networkMode: 'host' }, '--network host'],
      [{ pidMode: 'host' }, '--pid host'],
      [{ ipcMode: 'host' }, '--ipc host'],
    ],
    quiet: [{}, { networkMode: 'bridge' }, { networkMode: 'none' }, { ipcMode: 'private' }],
  },
  'dangerous-capability': {
    fires: [
      [{ capAdd: ['SYS_ADMIN'] }, '--cap-add SYS_ADMIN'],
      [{ capAdd: ['NET_ADMIN', 'CHOWN'] }, '--cap-add NET_ADMIN'],
    ],
    quiet: [{}, { capAdd: ['NET_BIND_SERVICE', 'CHOWN'] }, { capAdd: ['SYS_MODULE'] }],
  },
  'unconfined-security': {
    fires: [[{ securityOpt: ['seccomp=unconfined'] }, 'seccomp=unconfined'], [{ securityOpt: ['apparmor:unconfined'] }, 'apparmor:unconfined']],
    quiet: [{}, { securityOpt: ['no-new-privileges'] }],
  },
  'sensitive-bind': {
    fires: [
      [{ binds: [{ source: '/var/run/docker.sock', destination: '/var/run/docker.sock', readOnly: false }] }, 'bind /var/run/docker.sock'],
      [{ binds: [{ source: '/etc/', destination: '/host-etc', readOnly: true }] }, 'bind /etc/:/host-etc:ro'],
      [{ binds: [{ source: '/', destination: '/host', readOnly: false }] }, 'bind /:/host'],
      [{ binds: [{ source: '/srv/x/janus.sock', destination: '/s', readOnly: false }] }, 'janus.sock'],
    ],
    quiet: [{}, { binds: [{ source: '/srv/data', destination: '/data', readOnly: false }] }, { binds: [{ source: '/etc-backup', destination: '/b', readOnly: false }] }],
  },
  'special-hardware': {
    fires: [[{ gpus: 'all' }, '--gpus all'], [{ devices: ['/dev/ttyUSB0'] }, '--device /dev/ttyUSB0']],
    quiet: [{}],
  },
  'fast-density-default': {
    // The default always has evidence; whether it is used is adviseWorkload's decision (advise-workload.test.ts).
    fires: [[{}, 'serves 80/tcp'], [{ ports: [] }, 'no privileges']],
    quiet: [],
  },
};

describe('advisor rules', () => {
  it('every rule in the table has cases here, and ids are unique', () => {
    assert.deepEqual(RULES.map((r) => r.id).sort(), Object.keys(CASES).sort());
    assert.equal(new Set(RULES.map((r) => r.id)).size, RULES.length);
  });
  for (const rule of RULES) {
    describe(rule.id, () => {
      const c = CASES[rule.id];
      for (const [over, evidence] of c?.fires ?? []) {
        it(`fires on ${JSON.stringify(over)}`, () => {
          const findings = rule.check(plainWorkload(over), HOST);
          assert.ok(findings.length > 0, 'the rule must fire');
          assert.ok(findings.some((f) => f.evidence.includes(evidence)), `evidence ${JSON.stringify(findings.map((f) => f.evidence))} names ${evidence}`);
          for (const f of findings) assert.ok(f.detail.length > 20, 'each finding explains itself');
        });
      }
      for (const over of c?.quiet ?? []) {
        it(`stays quiet on ${JSON.stringify(over)}`, () => {
          assert.deepEqual(rule.check(plainWorkload(over), HOST), []);
        });
      }
    });
  }
});
