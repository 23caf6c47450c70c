import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerSummary, DiskUsage, ImageSummary } from '../../api/client/types.ts';
import { dfRows, dfVerbose } from './system-df.ts';

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

const container = (over: Partial<ContainerSummary>): ContainerSummary => ({
  Id: 'c'.repeat(64), Names: ['/c'], Image: 'busybox', ImageID: 'sha256:aa', Command: 'sh', Created: 0, Ports: [],
  SizeRw: 0, SizeRootFs: 2_000_000, Labels: {}, State: 'exited', Status: 'Exited (0) 1 minute ago', Mounts: [], ...over,
});

test('system df: containers count running, paused and restarting as active; the others\' writable layers are reclaimable', () => {
  const du: DiskUsage = {
    LayersSize: 0, Images: [], Volumes: [], BuildCache: [],
    Containers: [
      container({ Id: 'a'.repeat(64), State: 'running', SizeRw: 1_000_000 }),
      container({ Id: 'b'.repeat(64), State: 'paused', SizeRw: 0 }),
      container({ Id: 'c'.repeat(64), State: 'exited', SizeRw: 250_000 }),
      container({ Id: 'd'.repeat(64), State: 'created' }),
    ],
  };
  assert.deepEqual(dfRows(du)[1], { Type: 'Containers', TotalCount: '4', Active: '2', Size: '1.25MB', Reclaimable: '250kB (20%)' });
  assert.deepEqual(dfRows({ ...du, Containers: [] })[1], { Type: 'Containers', TotalCount: '0', Active: '0', Size: '0B', Reclaimable: '0B' });
});

test('system df -v lists each container like docker: short ID, image, quoted command, local volumes, writable size only', () => {
  const now = Date.parse('2025-01-01T00:10:00Z');
  const du: DiskUsage = {
    LayersSize: 0, Images: [], Volumes: [], BuildCache: [],
    Containers: [
      container({
        Id: 'ab12cd34ef56'.padEnd(64, '0'), Names: ['/web'], Image: 'docker.io/library/busybox:latest', Command: 'sh -c \'head -c 1000000 /dev/zero > /big\'',
        Created: now / 1000 - 300, State: 'running', Status: 'Up 5 minutes', SizeRw: 1_000_000, SizeRootFs: 3_000_000,
        Mounts: [{ Type: 'volume', Name: 'data', Source: '/v/data', Destination: '/data', Driver: 'local' } as NonNullable<ContainerSummary['Mounts']>[number]],
      }),
    ],
  };
  const out = dfVerbose(du, now);
  const section = out.slice(out.indexOf('Containers space usage:'), out.indexOf('Local Volumes space usage:'));
  const lines = section.split('\n').filter(Boolean);
  assert.match(lines[1], /^CONTAINER ID\s+IMAGE\s+COMMAND\s+LOCAL VOLUMES\s+SIZE\s+CREATED\s+STATUS\s+NAMES$/);
  assert.match(lines[2], /^ab12cd34ef56\s+busybox:latest\s+"sh -c 'head -c 1000…"\s+1\s+1MB\s+5 minutes ago\s+Up 5 minutes\s+web$/);
});

test('a Janus daemon\'s snapshots make a Snapshots row after docker\'s four (active: those of running containers); none without them', () => {
  const snap = (name: string, container: string, size: number) => ({
    Name: name, ContainerID: container, ContainerName: container, Created: '2026-01-01T00:00:00Z', Isolation: 'container', Image: 'busybox', ImageID: 'sha256:aa',
    VmKernel: '', KernelRelease: '', Volumes: [], Memory: false, Size: size, CopyMode: 'copy',
  });
  const running = { Id: 'c1', State: 'running' } as ContainerSummary;
  const stopped = { Id: 'c2', State: 'exited' } as ContainerSummary;
  const rows = dfRows({ Containers: [running, stopped], Janus: { Snapshots: [snap('a', 'c1', 1000), snap('b', 'c2', 2000), snap('c', 'c2', 0)] } });
  assert.deepEqual(rows.map((r) => r.Type), ['Images', 'Containers', 'Local Volumes', 'Build Cache', 'Snapshots']);
  assert.deepEqual(rows[4], { Type: 'Snapshots', TotalCount: '3', Active: '1', Size: '3kB', Reclaimable: '0B' });
  assert.equal(dfRows({ Containers: [] }).length, 4);
  assert.match(dfVerbose({ Janus: { Snapshots: [snap('a', 'c1', 1000)] } }, 0), /Snapshots space usage:\n\nCONTAINER +SNAPSHOT +ISOLATION +SIZE\nc1 +a +container +1kB\n/);
});
