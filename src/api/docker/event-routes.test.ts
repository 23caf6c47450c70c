import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineEvent } from '../../core/events.ts';
import { matchesEventFilters } from './event-routes.ts';

const ID = 'a7a9245043ff94f2b435362b9f88f77118278953ee772916bcf0a08ee8fd351a';
const event = (action: string, attributes: Record<string, string> = { name: 'web', image: 'busybox' }): EngineEvent =>
  ({ type: 'container', action, id: ID, attributes, timeNano: 1n });
const filters = (entries: Record<string, string[]>) => new Map(Object.entries(entries));

test('event=health_status matches the actions that carry the status, as docker does; other actions match exactly', () => {
  assert.equal(matchesEventFilters(event('health_status: healthy'), filters({ event: ['health_status'] })), true);
  assert.equal(matchesEventFilters(event('health_status: unhealthy'), filters({ event: ['health_status'] })), true);
  assert.equal(matchesEventFilters(event('exec_start: sh -c true'), filters({ event: ['exec_start'] })), true);
  assert.equal(matchesEventFilters(event('start'), filters({ event: ['health_status'] })), false);
  assert.equal(matchesEventFilters(event('health_status: healthy'), filters({ event: ['health_status: healthy'] })), true);
  assert.equal(matchesEventFilters(event('health_status: unhealthy'), filters({ event: ['health_status: healthy'] })), false);
  assert.equal(matchesEventFilters(event('start'), filters({ event: ['sta'] })), false, 'no prefix match for ordinary actions');
  assert.equal(matchesEventFilters(event('die'), filters({ event: ['start', 'die'] })), true);
});

test('container=… matches the ID, a short ID or the name (docker\'s fuzzy match), and only container events', () => {
  assert.equal(matchesEventFilters(event('start'), filters({ container: [ID] })), true);
  assert.equal(matchesEventFilters(event('start'), filters({ container: [ID.slice(0, 12)] })), true);
  assert.equal(matchesEventFilters(event('start'), filters({ container: ['web'] })), true);
  assert.equal(matchesEventFilters(event('start'), filters({ container: ['other'] })), false);
  const image: EngineEvent = { type: 'image', action: 'pull', id: ID, attributes: { name: 'web' }, timeNano: 1n };
  assert.equal(matchesEventFilters(image, filters({ container: [ID] })), false);
});
