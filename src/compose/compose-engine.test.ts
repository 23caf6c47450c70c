import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DockerClient } from '../api/client/docker-client.ts';
import type { ContainerCreateBody, ContainerSummary, NetworkCreateRequest, VolumeCreateRequest } from '../api/client/types.ts';
import { JanusError } from '../core/errors.ts';
import { ComposeEngine } from './compose-engine.ts';
import type { ComposeProject, ServiceConfig } from './model.ts';
import { composeService } from '../../test/fakes/compose-service.ts';

/** An in-memory daemon with just what the engine calls; containers "run" at once, and exit with `exitCodes[name]` when set. */
class FakeDaemon {
  containers: Array<ContainerSummary & { body: ContainerCreateBody }> = [];
  networks: Array<{ Name: string; Id: string; Labels: Record<string, string> }> = [];
  volumes: Array<{ Name: string; Labels: Record<string, string> }> = [];
  calls: string[] = [];
  exitCodes: Record<string, number> = {};
  /** What GET /janus/snapshots answers; undefined: a daemon without snapshots (404). */
  snapshots: Array<{ Name: string; ContainerID: string }> | undefined = [];
  #n = 0;

  client(): DockerClient {
    const notFound = (what: string) => new JanusError('NotFound', `no such ${what}`);
    const byId = (id: string) => {
      const c = this.containers.find((x) => x.Id === id || x.Names![0] === `/${id}`);
      if (!c) throw notFound('container');
      return c;
    };
    const matches = (labels: Record<string, string> | null, filters?: Record<string, string[]>) =>
      (filters?.label ?? []).every((f) => {
        const [k, v] = f.split('=');
        return labels?.[k!] !== undefined && (v === undefined || labels[k!] === v);
      });
    const fake = {
      containerList: async (o: { all?: boolean; filters?: Record<string, string[]> }) =>
        this.containers.filter((c) => (o.all || c.State === 'running') && matches(c.Labels, o.filters)),
      inspectNetwork: async (name: string) => {
        const n = this.networks.find((x) => x.Name === name);
        if (!n) throw notFound('network');
        return n;
      },
      createNetwork: async (req: NetworkCreateRequest) => {
        this.calls.push(`network create ${req.Name}`);
        this.networks.push({ Name: req.Name, Id: `net${++this.#n}`, Labels: req.Labels ?? {} });
        return { Id: `net${this.#n}` };
      },
      listNetworks: async (o: { filters?: Record<string, string[]> }) => this.networks.filter((n) => matches(n.Labels, o.filters)),
      removeNetwork: async (id: string) => {
        this.calls.push(`network rm ${id}`);
        this.networks = this.networks.filter((n) => n.Id !== id);
      },
      inspectVolume: async (name: string) => {
        const v = this.volumes.find((x) => x.Name === name);
        if (!v) throw notFound('volume');
        return v;
      },
      createVolume: async (req: VolumeCreateRequest) => {
        this.calls.push(`volume create ${req.Name}`);
        this.volumes.push({ Name: req.Name!, Labels: req.Labels ?? {} });
        return {};
      },
      listVolumes: async (o: { filters?: Record<string, string[]> }) => ({ Volumes: this.volumes.filter((v) => matches(v.Labels, o.filters)), Warnings: null }),
      removeVolume: async (name: string) => {
        this.calls.push(`volume rm ${name}`);
        this.volumes = this.volumes.filter((v) => v.Name !== name);
      },
      inspectImage: async (name: string) => ({ Id: `sha256:${name}` }),
      containerCreate: async (body: ContainerCreateBody, o: { name: string }) => {
        if (this.containers.some((c) => c.Names![0] === `/${o.name}`)) throw new JanusError('Conflict', `name ${o.name} in use`);
        const Id = `c${++this.#n}`;
        this.calls.push(`create ${o.name}`);
        this.containers.push({ Id, Names: [`/${o.name}`], Image: body.Image, ImageID: '', Command: '', Created: 0, Ports: [], Labels: body.Labels ?? {}, State: 'created', Status: '', body });
        return { Id, Warnings: null };
      },
      containerStart: async (id: string) => {
        const c = byId(id);
        this.calls.push(`start ${c.Names![0]!.slice(1)}`);
        const code = this.exitCodes[c.Names![0]!.slice(1)];
        c.State = code === undefined ? 'running' : 'exited';
        return true;
      },
      containerStop: async (id: string) => {
        const c = byId(id);
        this.calls.push(`stop ${c.Names![0]!.slice(1)}`);
        c.State = 'exited';
        return true;
      },
      containerRestart: async (id: string) => { this.calls.push(`restart ${byId(id).Names![0]!.slice(1)}`); },
      containerRemove: async (id: string) => {
        const c = byId(id);
        this.calls.push(`rm ${c.Names![0]!.slice(1)}`);
        this.containers = this.containers.filter((x) => x !== c);
      },
      containerWait: async (id: string) => {
        const c = byId(id);
        return { result: Promise.resolve({ StatusCode: this.exitCodes[c.Names![0]!.slice(1)] ?? 0 }) };
      },
      containerInspect: async (id: string) => {
        const c = byId(id);
        const hasHealth = c.body.Healthcheck !== undefined;
        return { Id: c.Id, State: { Status: c.State, Running: c.State === 'running', Restarting: false, ExitCode: this.exitCodes[c.Names![0]!.slice(1)] ?? 0, ...(hasHealth ? { Health: { Status: 'healthy' } } : {}) } };
      },
      removeImage: async (name: string) => { this.calls.push(`rmi ${name}`); return []; },
      snapshotList: async () => {
        if (!this.snapshots) throw new JanusError('NotFound', 'page not found');
        return this.snapshots;
      },
    };
    return fake as unknown as DockerClient;
  }
}

const service = composeService;

function project(services: ServiceConfig[]): ComposeProject {
  return {
    name: 'app', workingDir: '/src', files: ['/src/compose.yaml'],
    services: Object.fromEntries(services.map((s) => [s.name, s])),
    networks: { default: { name: 'app_default', external: false, driverOpts: {}, internal: false, labels: {}, ipam: [] } },
    volumes: { data: { name: 'app_data', external: false, driverOpts: {}, labels: {} } },
    disabledServices: {},
  };
}

const stack = (webEnv: Record<string, string> = {}): ComposeProject => project([
  service('init', { volumes: [{ type: 'volume', source: 'data', target: '/data', readOnly: false }] }),
  service('db', { healthcheck: { test: ['CMD', 'true'] }, dependsOn: { init: { condition: 'service_completed_successfully', required: true, restart: false } } }),
  service('web', { environment: webEnv, dependsOn: { db: { condition: 'service_healthy', required: true, restart: false } } }),
]);

function engine(d: FakeDaemon, progress: string[] = []): ComposeEngine {
  return new ComposeEngine({ client: d.client(), version: '0.1.0', configHash: (s) => JSON.stringify(s), progress: (l) => progress.push(l), pollMs: 1 });
}

test('up creates the network, the volume and each service after its dependencies; a second up changes nothing', async () => {
  const d = new FakeDaemon();
  d.exitCodes['app-init-1'] = 0;
  await engine(d).up(stack(), { services: [] });
  assert.deepEqual(d.calls, [
    'network create app_default', 'volume create app_data',
    'create app-init-1', 'start app-init-1', 'create app-db-1', 'start app-db-1', 'create app-web-1', 'start app-web-1',
  ]);
  assert.equal(d.containers.find((c) => c.Names![0] === '/app-web-1')!.Labels!['com.docker.compose.container-number'], '1');
  d.calls = [];
  await engine(d).up(stack(), { services: [] });
  assert.deepEqual(d.calls, ['start app-init-1'], 'only the exited one-shot job runs again');
});

test('a changed service is recreated alone; --force-recreate recreates all; scale adds and removes the highest numbers', async () => {
  const d = new FakeDaemon();
  d.exitCodes['app-init-1'] = 0;
  await engine(d).up(stack(), { services: [] });
  d.calls = [];
  const progress: string[] = [];
  await engine(d, progress).up(stack({ COLOR: 'blue' }), { services: [] });
  assert.deepEqual(d.calls.filter((c) => !c.startsWith('start app-init')), ['stop app-web-1', 'rm app-web-1', 'create app-web-1', 'start app-web-1']);
  assert.ok(progress.includes(' Container app-web-1  Recreated'));
  d.calls = [];
  await engine(d).up(stack({ COLOR: 'blue' }), { services: ['web'], noDeps: true, scale: { web: 3 } });
  assert.deepEqual(d.calls, ['create app-web-2', 'start app-web-2', 'create app-web-3', 'start app-web-3']);
  d.calls = [];
  await engine(d).up(stack({ COLOR: 'blue' }), { services: ['web'], noDeps: true });
  assert.deepEqual(d.calls, ['stop app-web-3', 'rm app-web-3', 'stop app-web-2', 'rm app-web-2']);
  d.calls = [];
  await engine(d).up(stack({ COLOR: 'blue' }), { services: ['web'], noDeps: true, forceRecreate: true });
  assert.deepEqual(d.calls, ['stop app-web-1', 'rm app-web-1', 'create app-web-1', 'start app-web-1']);
});

test('a one-shot dependency that exits non-zero fails up naming it and its code; down removes everything by label', async () => {
  const d = new FakeDaemon();
  d.exitCodes['app-init-1'] = 3;
  await assert.rejects(engine(d).up(stack(), { services: [] }), (err: Error) => /service "init" didn't complete successfully: exit 3/.test(err.message));
  assert.ok(!d.calls.includes('create app-db-1'), 'nothing that depends on it was created');
  await engine(d).down(stack(), { volumes: true });
  assert.deepEqual(d.containers, []);
  assert.deepEqual(d.networks, []);
  assert.deepEqual(d.volumes, []);
});

test('down stops dependents first; orphans are kept (with a warning) unless removeOrphans', async () => {
  const d = new FakeDaemon();
  d.exitCodes['app-init-1'] = 0;
  await engine(d).up(stack(), { services: [] });
  const smaller = project([service('init'), service('db', { healthcheck: { test: ['CMD', 'true'] } })]);
  d.calls = [];
  const progress: string[] = [];
  await engine(d, progress).down(smaller);
  assert.ok(progress.some((l) => /orphan containers \(app-web-1\)/.test(l)));
  assert.deepEqual(d.containers.map((c) => c.Names![0]), ['/app-web-1']);
  assert.deepEqual(d.calls.slice(0, 3), ['stop app-db-1', 'rm app-db-1', 'rm app-init-1'], 'db (a dependent of init) goes first');
  await engine(d).down(smaller, { removeOrphans: true });
  assert.deepEqual(d.containers, []);
});

test('a service with container_name cannot scale, and --scale names a known service', async () => {
  const d = new FakeDaemon();
  const p = project([service('web', { containerName: 'front' })]);
  await assert.rejects(engine(d).up(p, { services: [], scale: { web: 2 } }), /container_name "front" allows one replica/);
  await assert.rejects(engine(d).up(p, { services: [], scale: { nope: 2 } }), /no such service: nope/);
  assert.deepEqual(d.calls, []);
});

test('dependents follow a recreated service: restart: true restarts them, network_mode service:X recreates them', async () => {
  const d = new FakeDaemon();
  const p = (env: Record<string, string>) => project([
    service('db', { environment: env }),
    service('api', { dependsOn: { db: { condition: 'service_started', required: true, restart: true } } }),
    service('side', { networkMode: 'service:db', networks: {}, dependsOn: { db: { condition: 'service_started', required: true, restart: false } } }),
  ]);
  await engine(d).up(p({}), { services: [] });
  d.calls = [];
  await engine(d).up(p({}), { services: [] });
  assert.deepEqual(d.calls, [], 'nothing changed, nothing done');
  await engine(d).up(p({ V: '2' }), { services: [] });
  assert.deepEqual(d.calls, [
    'stop app-db-1', 'rm app-db-1', 'create app-db-1', 'start app-db-1',
    'restart app-api-1',
    'stop app-side-1', 'rm app-side-1', 'create app-side-1', 'start app-side-1',
  ]);
  assert.equal(d.containers.find((c) => c.Names![0] === '/app-side-1')!.body.HostConfig!.NetworkMode, 'container:app-db-1');
});

test('a container with snapshots: down refuses before stopping anything, up refuses to recreate it before stopping it; a daemon without snapshots is no obstacle', async () => {
  const d = new FakeDaemon();
  d.exitCodes['app-init-1'] = 0;
  await engine(d).up(stack(), { services: [] });
  const db = d.containers.find((c) => c.Names![0] === '/app-db-1')!;
  d.snapshots = [{ Name: 's1', ContainerID: db.Id }, { Name: 's2', ContainerID: db.Id }];
  d.calls.length = 0;
  await assert.rejects(engine(d).down(stack()), (err: JanusError) => err.kind === 'Conflict' && /container app-db-1 has snapshots \(s1, s2\)/.test(err.message));
  assert.deepEqual([...d.calls], [], 'nothing was stopped or removed');
  await assert.rejects(engine(d).up(stack(), { services: ['db'], noDeps: true, forceRecreate: true }), (err: JanusError) => err.kind === 'Conflict' && /app-db-1 has snapshots/.test(err.message));
  assert.deepEqual(d.calls.filter((c) => c.startsWith('stop') || c.startsWith('rm')), [], 'the container was not stopped');
  assert.equal(db.State, 'running');

  d.snapshots = undefined;
  await engine(d).down(stack());
  assert.deepEqual(d.containers, []);
});
