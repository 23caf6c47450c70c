import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DiskUsage, ImageSummary } from '../../api/client/types.ts';
import { dfRows } from './system-df.ts';

const image = (over: Partial<ImageSummary>): ImageSummary => ({
  Id: 'sha256:aa', ParentId: '', RepoTags: ['x:1'], RepoDigests: [], Created: 0, Size: 1000, SharedSize: -1, Labels: null, Containers: 0, ...over,
} as ImageSummary);

test("system df summarises like docker: layer bytes once, reclaimable share, volumes by use", () => {
  const du: DiskUsage = {
    LayersSize: 3000,
    Images: [image({ Id: 'sha256:aa', Size: 2000, Containers: 1 }), image({ Id: 'sha256:bb', Size: 1000 })],
    Containers: [],
    Volumes: [
      { Name: 'a', Driver: 'local', Mountpoint: '/a', Labels: null, Options: null, Scope: 'local', UsageData: { Size: 4096, RefCount: 1 } },
      { Name: 'b', Driver: 'local', Mountpoint: '/b', Labels: null, Options: null, Scope: 'local', UsageData: { Size: 4096, RefCount: 0 } },
      { Name: 't', Driver: 'local', Mountpoint: '/t', Labels: null, Options: null, Scope: 'local', UsageData: { Size: -1, RefCount: 0 } },
    ],
    BuildCache: [],
  };
  assert.deepEqual(dfRows(du), [
    { Type: 'Images', TotalCount: '2', Active: '1', Size: '3kB', Reclaimable: '1kB (33%)' },
    { Type: 'Containers', TotalCount: '0', Active: '0', Size: '0B', Reclaimable: '0B' },
    { Type: 'Local Volumes', TotalCount: '3', Active: '1', Size: '8.192kB', Reclaimable: '4.096kB (50%)' },
    { Type: 'Build Cache', TotalCount: '0', Active: '0', Size: '0B', Reclaimable: '0B' },
  ]);
});
