import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeContainerService } from '../../../test/fakes/fake-container-service.ts';
import { FakeImageService, makeDetail } from '../../../test/fakes/fake-image-service.ts';
import { FakeNetworkService } from '../../../test/fakes/fake-network-service.ts';
import { notFound } from '../../core/errors.ts';
import type { EngineEvent } from '../../core/events.ts';
import type { VolumeService } from '../../engine/volume-service.ts';
import { silentLogger } from '../../util/logger.ts';
import type { EventBus } from './event-bus.ts';
import { createApiServer } from './server.ts';
import type { SystemService } from './system-service.ts';

/*
 * The real docker CLI (28.x, API 1.50) against the API over the fake
 * engine: proves the wire shapes and the hijacked streams are what docker's
 * own client expects, without needing runc or root.
 */

const DOCKER = '/usr/local/bin/docker';

const system: SystemService = {
  serverVersion: '9.9.9',
  info: async () => ({
    id: 'x', rootDir: '/r', serverVersion: '9.9.9', storageDriver: 'overlay', defaultRuntime: 'runc', insecureRegistries: [], debug: false, warnings: [],
    host: { kernelVersion: '6.1.0', operatingSystem: 'Test', osVersion: '1', architecture: 'x86_64', hostname: 'h', ncpu: 1, memTotal: 1 << 30, cgroupLayout: 'v2', ociRuntimes: [], qemu: [], kvmDevice: false, accelerators: [] },
  }),
  version: async () => ({ version: '9.9.9', gitCommit: '', buildTime: '', runtimeVersion: 'node', os: 'linux', arch: 'amd64', kernelVersion: '6.1.0' }),
  login: async () => ({}),
};
/** Every volume is missing (`docker inspect NAME` also asks for a volume of that name). */
const volumes = new Proxy({}, { get: () => async (name: string) => { throw notFound(`get ${name}: no such volume`); } }) as VolumeService;
const events: EventBus = { publish() {}, subscribe: () => ({ backlog: [] as EngineEvent[], unsubscribe() {} }) };

describe('the docker CLI against the API (fake engine)', { skip: existsSync(DOCKER) ? false : `${DOCKER} is not installed` }, () => {
  let dir: string;
  let server: Server;
  let fake: FakeContainerService;
  let networks: FakeNetworkService;

  /** Runs the docker CLI; never throws for a non-zero exit. */
  function docker(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(DOCKER, args, {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, DOCKER_HOST: `unix://${join(dir, 'api.sock')}`, DOCKER_CONFIG: join(dir, 'config') },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
      child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      child.stdin.end(input);
    });
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'janus-docker-cli-'));
    const images = new FakeImageService();
    images.add(makeDetail());
    fake = new FakeContainerService();
    networks = new FakeNetworkService();
    networks.resolveContainer = (ref) => ({ id: fake.record(ref).view.id, name: fake.record(ref).view.name });
    server = createApiServer({ images, containers: fake, volumes, networks, system, events, logger: silentLogger });
    await new Promise<void>((r) => server.listen(join(dir, 'api.sock'), r));
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  test('create, start, ps -a, inspect and logs', async () => {
    const created = await docker(['create', '--name', 'one', '--label', 'app=x', 'busybox', 'echo', 'hello there']);
    assert.equal(created.code, 0, created.stderr);
    const id = created.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = await docker(['ps', '-a', '--format', '{{.ID}} {{.Names}} {{.Status}} {{.Command}} {{.Labels}}']);
    assert.equal(ps.stdout.trim(), `${id.slice(0, 12)} one Created "echo 'hello there'" app=x`);
    assert.equal((await docker(['start', 'one'])).code, 0);
    const waited = await docker(['wait', 'one']);
    assert.equal(waited.stdout.trim(), '0');
    const inspect = JSON.parse((await docker(['inspect', 'one'])).stdout);
    assert.equal(inspect[0].Id, id);
    assert.equal(inspect[0].State.Status, 'exited');
    assert.equal(inspect[0].Config.Labels.app, 'x');
    assert.equal((await docker(['inspect', '-f', '{{.Janus.Isolation}} {{.HostConfig.NetworkMode}}', 'one'])).stdout.trim(), 'container none');
    const logs = await docker(['logs', 'one']);
    assert.equal(logs.stdout, 'hello there\n');
    const ts = await docker(['logs', '--timestamps', 'one']);
    assert.match(ts.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z hello there\n$/);
    assert.match((await docker(['ps', '-a', '--format', '{{.Status}}'])).stdout, /^Exited \(0\) /);
    const missing = await docker(['inspect', 'nope']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /No such (container|object): nope/);
  });

  test('run attaches before starting: output, exit status, stdin through the hijacked connection, --rm', async () => {
    const run = await docker(['run', '--name', 'r1', 'busybox', 'echo-err', 'to stderr']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, 'to stderr\n');
    assert.equal((await docker(['run', 'busybox', 'exit', '3'])).code, 3);
    const cat = await docker(['run', '-i', '--rm', 'busybox', 'cat'], 'piped through\n');
    assert.equal(cat.code, 0, cat.stderr);
    assert.equal(cat.stdout, 'piped through\n');
    const tty = await docker(['run', '-t', 'busybox', 'echo', 'with a tty']);
    assert.equal(tty.stdout, 'with a tty\n');
  });

  test('exec, exec -i and the exec exit code; stop; rm -f', async () => {
    assert.equal((await docker(['run', '-d', '--name', 'bg', 'busybox', 'sleep', '100'])).code, 0);
    const exec = await docker(['exec', 'bg', 'echo', 'inside']);
    assert.equal(exec.stdout, 'inside\n');
    const stdin = await docker(['exec', '-i', 'bg', 'cat'], 'exec stdin\n');
    assert.equal(stdin.stdout, 'exec stdin\n');
    assert.equal((await docker(['exec', 'bg', 'exit', '7'])).code, 7);
    const stats = await docker(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'bg']);
    assert.equal(stats.stdout.trim(), 'bg 3');
    assert.equal((await docker(['stop', 'bg'])).code, 0);
    assert.equal((await docker(['rm', '-f', 'bg'])).code, 0);
    assert.match((await docker(['rm', 'bg'])).stderr, /No such container: bg/);
  });

  test('refused flags come back with the reason', async () => {
    const device = await docker(['create', '--device', '/dev/null', 'busybox']);
    assert.notEqual(device.code, 0);
    assert.match(device.stderr, /HostConfig\.Devices is not supported/);
    const memory = await docker(['create', '--memory', '1k', 'busybox']);
    assert.match(memory.stderr, /Minimum memory limit allowed is 6MB|minimum memory limit/i);
  });

  test('network create, ls, inspect, connect, disconnect, rm and prune', async () => {
    const created = await docker(['network', 'create', '--subnet', '10.50.0.0/24', '--gateway', '10.50.0.1', '--label', 'tier=front', '--internal', 'web']);
    assert.equal(created.code, 0, created.stderr);
    const id = created.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);

    const ls = await docker(['network', 'ls']);
    assert.equal(ls.code, 0, ls.stderr);
    const lines = ls.stdout.trim().split('\n');
    assert.match(lines[0], /^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(/\s+/).slice(1).join(' ')), ['bridge bridge local', 'host host local', 'none null local', 'web bridge local']);
    assert.equal((await docker(['network', 'ls', '-q', '--filter', 'label=tier=front'])).stdout, `${id.slice(0, 12)}\n`);
    assert.equal((await docker(['network', 'ls', '--filter', 'type=custom', '--format', '{{.Name}} {{.Internal}} {{.IPv6}} {{.Labels}}'])).stdout, 'web true false tier=front\n');

    const inspect = JSON.parse((await docker(['network', 'inspect', 'web'])).stdout);
    assert.equal(inspect[0].Id, id);
    assert.deepEqual(inspect[0].IPAM.Config, [{ Subnet: '10.50.0.0/24', Gateway: '10.50.0.1' }]);
    assert.equal((await docker(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Internal}}', id.slice(0, 8)])).stdout, '10.50.0.0/24 10.50.0.1 true\n');
    const generic = JSON.parse((await docker(['inspect', '--type', 'network', 'web'])).stdout);
    assert.equal(generic[0].Name, 'web');

    assert.equal((await docker(['create', '--name', 'c1', '--network', 'web', 'busybox', 'sleep', '100'])).code, 0);
    const connect = await docker(['network', 'connect', '--alias', 'db', '--ip', '10.50.0.9', 'web', 'c1']);
    assert.equal(connect.code, 0, connect.stderr);
    const c1 = fake.record('c1').view.id;
    assert.deepEqual(networks.calls.at(-1)?.args, ['web', 'c1', { aliases: ['db'], ipv4Address: '10.50.0.9' }]);
    const containers = JSON.parse((await docker(['network', 'inspect', '-f', '{{json .Containers}}', 'web'])).stdout);
    assert.equal(containers[c1].Name, 'c1');
    assert.equal(containers[c1].IPv4Address, '10.50.0.9/24');

    const busy = await docker(['network', 'rm', 'web']);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /has active endpoints/);
    const builtin = await docker(['network', 'rm', 'bridge']);
    assert.equal(builtin.code, 1);
    assert.match(builtin.stderr, /Error response from daemon: bridge is a pre-defined network and cannot be removed/);
    assert.equal((await docker(['network', 'disconnect', 'web', 'c1'])).code, 0);
    const rm = await docker(['network', 'rm', 'web']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout, 'web\n');
    const missing = await docker(['network', 'inspect', 'web']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /network web not found/);

    const ipv6 = await docker(['network', 'create', '--ipv6', 'v6']);
    assert.equal(ipv6.code, 1);
    assert.match(ipv6.stderr, /IPv6/);
    const dup = await docker(['network', 'create', '--subnet', '172.17.5.0/24', 'clash']);
    assert.match(dup.stderr, /overlaps/);

    assert.equal((await docker(['network', 'create', 'old'])).code, 0);
    const prune = await docker(['network', 'prune', '-f']);
    assert.equal(prune.code, 0, prune.stderr);
    assert.equal(prune.stdout, 'Deleted Networks:\nold\n\n');
  });

  test('a container\'s networks and published ports as docker inspect, ps and port show them', async () => {
    assert.equal((await docker(['run', '-d', '--name', 'pub', '-p', '8080:80', '-p', '127.0.0.1:5353:53/udp', 'busybox', 'sleep', '100'])).code, 0);
    const view = fake.record('pub').view;
    // What the engine reports for a running container on the default bridge.
    view.networks = { bridge: { networkId: 'b'.repeat(64), endpointId: 'e'.repeat(64), aliases: [], ipamAddress: '', ipAddress: '172.17.0.2', prefixLen: 16, gateway: '172.17.0.1', macAddress: '02:42:ac:11:00:02' } };
    view.ports = { '80/tcp': [{ hostIp: '0.0.0.0', hostPort: '8080' }], '53/udp': [{ hostIp: '127.0.0.1', hostPort: '5353' }], '443/tcp': [] };
    const port = await docker(['port', 'pub']);
    assert.equal(port.code, 0, port.stderr);
    assert.deepEqual(port.stdout.trim().split('\n').sort(), ['53/udp -> 127.0.0.1:5353', '80/tcp -> 0.0.0.0:8080']);
    assert.equal((await docker(['port', 'pub', '80'])).stdout, '0.0.0.0:8080\n');
    assert.equal((await docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}}/{{$v.IPPrefixLen}} gw {{$v.Gateway}}{{end}}', 'pub'])).stdout, '172.17.0.2 bridge=172.17.0.2/16 gw 172.17.0.1\n');
    const ps = await docker(['ps', '--filter', 'name=pub', '--format', '{{.Ports}}|{{.Networks}}']);
    assert.equal(ps.code, 0, ps.stderr);
    const [ports, nets] = ps.stdout.trim().split('|');
    assert.deepEqual(ports.split(', ').sort(), ['0.0.0.0:8080->80/tcp', '127.0.0.1:5353->53/udp', '443/tcp']);
    assert.equal(nets, 'bridge');
    assert.equal((await docker(['rm', '-f', 'pub'])).code, 0);
  });
});
