import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeContainerService } from '../../test/fakes/fake-container-service.ts';
import { FakeImageService, makeDetail } from '../../test/fakes/fake-image-service.ts';
import type { AdviceHost } from '../engine/isolation-advice.ts';
import { WorkloadAdvisor } from './workload-advisor.ts';

const HOST: AdviceHost = { levels: { container: { works: true }, sandbox: { works: false, why: 'runsc not installed' }, vm: { works: true } }, accelerator: 'tcg', memAvailable: 1 << 30 };

function advisor(initFiles: (dirs: readonly string[]) => Promise<string[]> = async () => []) {
  const images = new FakeImageService();
  images.add(makeDetail({ repoTags: ['legacy:1'], config: { Entrypoint: ['/usr/bin/app'], Labels: { 'janus.compliance': 'hipaa' } } }));
  const containers = new FakeContainerService();
  return { images, containers, advisor: new WorkloadAdvisor({ images, containers, host: async () => HOST, os: 'linux', architecture: 'amd64', initFiles }) };
}

describe('WorkloadAdvisor', () => {
  it('reads the image\'s labels and files: compliance from an image label, systemd in its layers', async () => {
    const { advisor: a } = advisor(async () => ['/lib/systemd/systemd']);
    const advice = await a.advise({ image: 'legacy:1', run: {} }, { name: 'legacy' });
    assert.equal(advice.level, 'vm');
    assert.deepEqual(advice.reasons.map((r) => r.evidence).sort(), ['image label janus.compliance=hipaa', 'image legacy:1 contains /lib/systemd/systemd']);
    assert.ok(advice.unevaluated.some((u) => /sandbox level does not work on this host \(runsc not installed\)/.test(u)));
  });

  it('a missing image and unreadable layers become unevaluated facts, not errors', async () => {
    const { advisor: a } = advisor(async () => { throw new Error('EACCES'); });
    const missing = await a.advise({ image: 'nosuch:1', run: {} });
    assert.equal(missing.level, 'container');
    assert.match(missing.unevaluated[0], /image nosuch:1: not on this host/);
    const unreadable = await a.advise({ image: 'legacy:1', run: {} });
    assert.ok(unreadable.unevaluated.some((u) => /EACCES/.test(u)));
  });

  it('advises an existing container from its request, and says when it runs at another level', async () => {
    const { advisor: a, containers } = advisor();
    const { id } = await containers.create({ name: 'old', image: 'legacy:1', run: { privileged: true } });
    const advice = await a.adviseContainer('old');
    assert.equal(advice.name, 'old');
    assert.equal(advice.level, 'vm');
    assert.match(advice.changes[0], /runs at the container level now: recreate it with --isolation vm/);
    await assert.rejects(a.adviseContainer('nosuch'), (err: Error & { kind?: string }) => err.kind === 'NotFound');
    assert.ok(id);
  });
});
