import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ImageDetail } from '../engine/image-service.ts';
import { workloadFactsOf } from './workload-facts-of.ts';

const image = (config: ImageDetail['config']): ImageDetail => ({
  id: 'sha256:1' as ImageDetail['id'], parentId: '', repoTags: ['app:1'], repoDigests: [], created: 0, size: 0, labels: {}, containers: 0,
  manifest: { mediaType: '', digest: 'sha256:2' as ImageDetail['id'], size: 0 }, architecture: 'amd64', os: 'linux', author: '', comment: '',
  createdIso: '', config, layers: [], chainIds: [], layerDirs: [], history: [],
});

describe('workloadFactsOf', () => {
  it('follows docker\'s entrypoint/cmd rules for the process', () => {
    const img = image({ Entrypoint: ['/sbin/init'], Cmd: ['--system'] });
    assert.deepEqual(workloadFactsOf({ name: 'a', request: { image: 'app:1', run: {} }, image: img }).process, ['/sbin/init', '--system']);
    assert.deepEqual(workloadFactsOf({ name: 'a', request: { image: 'app:1', run: { cmd: ['x'] } }, image: img }).process, ['/sbin/init', 'x']);
    assert.deepEqual(workloadFactsOf({ name: 'a', request: { image: 'app:1', run: { entrypoint: ['sh'] } }, image: img }).process, ['sh']);
  });

  it('takes trust from x-janus first, then the workload\'s label, then the image\'s label, naming the source', () => {
    const img = image({ Labels: { 'janus.trust': 'trusted' } });
    const req = (labels: Record<string, string>) => ({ image: 'app:1', run: { labels } });
    assert.deepEqual(workloadFactsOf({ name: 'a', request: req({ 'janus.trust': 'trusted' }), image: img, annotations: { trust: 'untrusted' } }).trust, { value: 'untrusted', source: 'x-janus trust' });
    assert.deepEqual(workloadFactsOf({ name: 'a', request: req({ 'janus.trust': 'untrusted' }), image: img }).trust, { value: 'untrusted', source: 'label janus.trust' });
    assert.deepEqual(workloadFactsOf({ name: 'a', request: req({}), image: img, annotations: { trust: 'untrusted' } }).trust, { value: 'untrusted', source: 'x-janus trust' });
    assert.deepEqual(workloadFactsOf({ name: 'a', request: req({}), image: img }).trust, { value: 'trusted', source: 'image label janus.trust' });
  });

  it('normalises capabilities, keeps binds and host networking, and passes unoffered requests on', () => {
    const f = workloadFactsOf({
      name: 'a',
      request: { image: 'app:1', network: { mode: 'host' }, run: { capAdd: ['CAP_SYS_ADMIN', 'net_admin'], mounts: [{ type: 'bind', source: '/etc', destination: '/h', readOnly: true }, { type: 'tmpfs', source: '', destination: '/t' }] } },
      image: image({}),
      unoffered: { devices: ['/dev/kvm'], pidMode: 'host' },
    });
    assert.deepEqual(f.capAdd, ['SYS_ADMIN', 'NET_ADMIN']);
    assert.deepEqual(f.binds, [{ source: '/etc', destination: '/h', readOnly: true }]);
    assert.equal(f.networkMode, 'host');
    assert.equal(f.pidMode, 'host');
    assert.deepEqual(f.devices, ['/dev/kvm']);
  });

  it('says what it could not check when the image or its files are missing', () => {
    const missing = workloadFactsOf({ name: 'a', request: { image: 'nope', run: {} }, imageProblem: 'not on this host' });
    assert.equal(missing.imageConfig, undefined);
    assert.match(missing.unevaluated[0], /^image nope: not on this host; its platform/);
    const unreadable = workloadFactsOf({ name: 'a', request: { image: 'app:1', run: {} }, image: image({}), initProblem: 'EACCES' });
    assert.match(unreadable.unevaluated[0], /init system was not checked/);
  });
});
