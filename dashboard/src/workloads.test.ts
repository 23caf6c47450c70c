import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canExec, groupByProject, isolationLabel, listItems, portLabel, portLink, stateLabel, uptimeLabel, type Workload } from './workloads.ts';
import { formatDuration } from './format.ts';

const w = (o: Partial<Workload>): Workload => ({
  id: o.name ?? 'x', name: 'x', image: 'busybox', project: '', service: '', isolation: 'container', runtime: 'runc', accelerator: '',
  state: 'running', health: '', exitCode: 0, startedAt: 0, finishedAt: 0, created: 0, ports: [], tty: false, ...o,
});

test('workloads group by compose project, projects by name, loose ones last; services then names within', () => {
  const groups = groupByProject([
    w({ name: 'solo' }), w({ name: 'b-db', project: 'shop', service: 'db' }), w({ name: 'a-web', project: 'shop', service: 'web' }),
    w({ name: 'x', project: 'blog', service: 'app' }), w({ name: 'another' }),
  ]);
  assert.deepEqual(groups.map((g) => [g.project, g.workloads.map((x) => x.name)]), [
    ['blog', ['x']], ['shop', ['b-db', 'a-web']], ['', ['another', 'solo']],
  ]);
  const items = listItems(groups);
  assert.deepEqual(items.map((i) => (i.kind === 'group' ? `# ${i.project} ${i.count}` : i.workload.name)), ['# blog 1', 'x', '# shop 2', 'b-db', 'a-web', '#  2', 'another', 'solo']);
});

test('the isolation level is said plainly, a VM with its accelerator', () => {
  assert.equal(isolationLabel(w({})), 'container');
  assert.equal(isolationLabel(w({ isolation: 'sandbox', runtime: 'runsc' })), 'sandbox (gVisor)');
  assert.equal(isolationLabel(w({ isolation: 'vm', accelerator: 'tcg' })), 'vm (tcg)');
  assert.equal(isolationLabel(w({ isolation: 'vm', accelerator: '' })), 'vm');
});

test('state, uptime and exec follow the state', () => {
  assert.equal(stateLabel(w({ state: 'exited', exitCode: 137 })), 'exited (137)');
  assert.equal(stateLabel(w({ state: 'running' })), 'running');
  const now = 1_000_000;
  assert.equal(uptimeLabel(w({ state: 'running', startedAt: now - 65_000 }), now, formatDuration), 'up 1 minute');
  assert.equal(uptimeLabel(w({ state: 'exited', startedAt: now - 10_000, finishedAt: now - 3000 }), now, formatDuration), 'stopped 3 seconds ago');
  assert.equal(uptimeLabel(w({ state: 'created' }), now, formatDuration), '');
  assert.equal(canExec(w({ state: 'running' })), true);
  assert.equal(canExec(w({ state: 'exited' })), false);
});

test('published TCP ports are links on the host they listen on; exposed ones are text', () => {
  assert.equal(portLink({ ip: '0.0.0.0', private: 80, public: 8080, type: 'tcp' }, 'dash.example'), 'http://dash.example:8080/');
  assert.equal(portLink({ ip: '127.0.0.1', private: 80, public: 8080, type: 'tcp' }, 'dash.example'), 'http://127.0.0.1:8080/');
  assert.equal(portLink({ ip: '::1', private: 80, public: 81, type: 'tcp' }, 'x'), 'http://[::1]:81/');
  assert.equal(portLink({ ip: '0.0.0.0', private: 53, public: 5353, type: 'udp' }, 'x'), undefined);
  assert.equal(portLink({ ip: '', private: 80, type: 'tcp' }, 'x'), undefined);
  assert.equal(portLabel({ ip: '0.0.0.0', private: 80, public: 8080, type: 'tcp' }), '0.0.0.0:8080->80/tcp');
  assert.equal(portLabel({ ip: '', private: 80, type: 'tcp' }), '80/tcp');
});
