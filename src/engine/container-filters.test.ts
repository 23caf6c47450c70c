import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesContainerFilters } from './container-filters.ts';
import type { ContainerView } from './container-service.ts';

const view = (over: Partial<ContainerView> & { status?: ContainerView['state']['status']; exitCode?: number; labels?: Record<string, string> }): ContainerView => ({
  id: over.id ?? 'abc123',
  name: over.name ?? 'web',
  created: over.created ?? new Date(1000_000),
  image: over.image ?? 'busybox',
  imageId: 'sha256:11',
  isolation: over.isolation ?? 'container',
  state: { status: over.status ?? 'running', exitCode: over.exitCode ?? 0 },
  config: { labels: over.labels ?? {} },
  mounts: over.mounts ?? [],
} as unknown as ContainerView);

test('values of one filter are alternatives; filters combine; labels all match', () => {
  const c = view({ labels: { tier: 'front', env: 'dev' } });
  assert.ok(matchesContainerFilters(c, {}));
  assert.ok(matchesContainerFilters(c, { name: ['nope', 'we'] }));
  assert.ok(!matchesContainerFilters(c, { name: ['web'], status: ['exited'] }));
  assert.ok(matchesContainerFilters(c, { label: ['tier=front', 'env'] }));
  assert.ok(!matchesContainerFilters(c, { label: ['tier=front', 'env=prod'] }));
  assert.ok(matchesContainerFilters(c, { id: ['abc'] }));
  assert.ok(!matchesContainerFilters(c, { id: ['bc'] }), 'id filters are prefixes');
  assert.ok(matchesContainerFilters(c, { isolation: ['container'] }));
  assert.ok(!matchesContainerFilters(c, { isolation: ['vm'] }));
});

test('exited, health, ancestor, before/since and until', () => {
  const stopped = view({ status: 'exited', exitCode: 3 });
  assert.ok(matchesContainerFilters(stopped, { exited: [3] }));
  assert.ok(!matchesContainerFilters(stopped, { exited: [0] }));
  assert.ok(!matchesContainerFilters(view({}), { exited: [0] }), 'a running container has not exited');
  assert.ok(matchesContainerFilters(view({}), { health: ['none'] }));
  assert.ok(matchesContainerFilters(view({}), { ancestor: ['x'] }, { ancestorIds: new Set(['sha256:11']) }));
  assert.ok(!matchesContainerFilters(view({}), { ancestor: ['x'] }, { ancestorIds: new Set() }));
  assert.ok(matchesContainerFilters(view({}), {}, { before: new Date(2000_000) }));
  assert.ok(!matchesContainerFilters(view({}), {}, { since: new Date(2000_000) }));
  assert.ok(matchesContainerFilters(view({}), { until: 2000 }));
  assert.ok(!matchesContainerFilters(view({}), { until: 500 }));
});

test('name filters are docker\'s regular expressions, matched with and without the leading slash', () => {
  const c = view({ name: 'web' });
  const names = (...n: string[]) => matchesContainerFilters(c, { name: n });
  assert.ok(names('^web$'));
  assert.ok(names('^/web$'));
  assert.ok(names('/web'));
  assert.ok(names('w.b'));
  assert.ok(!names('^we$'));
  assert.ok(!matchesContainerFilters(view({ name: 'web2' }), { name: ['^web$'] }));
  assert.ok(matchesContainerFilters(view({ name: 'web2' }), { name: ['web'] }), 'a plain name still matches as a substring');
  assert.ok(!names('(web'), 'an invalid expression matches only by equality');
  assert.ok(matchesContainerFilters(view({ name: '(web' }), { name: ['(web'] }));
});
