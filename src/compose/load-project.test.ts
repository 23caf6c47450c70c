import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isJanusError } from '../core/errors.ts';
import { loadProject, type LoadOptions } from './load-project.ts';
import type { ComposeProject } from './model.ts';

/** Writes `files` into a fresh directory named `dirName` and returns its path. */
async function tree(files: Record<string, string>, dirName = 'app'): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'janus-compose-')), dirName);
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

async function load(files: Record<string, string>, opts: Partial<LoadOptions> = {}): Promise<ComposeProject> {
  const dir = await tree(files);
  return loadProject({ files: [], environment: { HOME: '/home/u' }, cwd: dir, ...opts });
}

/** The InvalidArgument message loading `files` fails with. */
async function failure(files: Record<string, string>, opts: Partial<LoadOptions> = {}): Promise<string> {
  try {
    await load(files, opts);
  } catch (err) {
    assert.ok(isJanusError(err, 'InvalidArgument'), `expected InvalidArgument, got ${String(err)}`);
    return err.message;
  }
  assert.fail('loading succeeded');
}

test('a minimal file becomes the normalised model', async () => {
  const p = await load({
    'compose.yaml': `
services:
  web:
    image: busybox
    command: httpd -f -p 80
    environment: [A=1, B]
    ports: ["8080:80"]
    volumes: [./site:/site:ro, data:/data]
    networks: [front]
    depends_on: [db]
  db:
    image: busybox
volumes:
  data:
networks:
  front:
`,
  }, { environment: { HOME: '/home/u', B: 'from-shell' } });
  assert.equal(p.name, 'app');
  assert.match(p.workingDir, /\/app$/);
  assert.deepEqual(p.files, [join(p.workingDir, 'compose.yaml')]);
  assert.deepEqual(Object.keys(p.services), ['web', 'db']);
  const web = p.services.web;
  assert.equal(web.image, 'busybox');
  assert.deepEqual(web.command, ['httpd', '-f', '-p', '80']);
  assert.equal(web.entrypoint, undefined);
  assert.deepEqual(web.environment, { A: '1', B: 'from-shell' });
  assert.deepEqual(web.ports, [{ target: 80, published: '8080', protocol: 'tcp' }]);
  assert.deepEqual(web.volumes, [
    { type: 'bind', source: join(p.workingDir, 'site'), target: '/site', readOnly: true, createHostPath: true },
    { type: 'volume', source: 'data', target: '/data', readOnly: false },
  ]);
  assert.deepEqual(web.networks, { front: { aliases: [] } });
  assert.deepEqual(web.dependsOn, { db: { condition: 'service_started', required: true, restart: false } });
  assert.equal(web.scale, 1);
  assert.deepEqual(p.services.db.networks, { default: { aliases: [] } });
  assert.deepEqual(p.networks, {
    front: { name: 'app_front', external: false, driverOpts: {}, internal: false, labels: {}, ipam: [] },
    default: { name: 'app_default', external: false, driverOpts: {}, internal: false, labels: {}, ipam: [] },
  });
  assert.deepEqual(p.volumes, { data: { name: 'app_data', external: false, driverOpts: {}, labels: {} } });
  assert.deepEqual(p.disabledServices, {});
  assert.equal(p.warnings, undefined);
});

test('without -f the first of compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml is used, with its override, also from a parent directory', async () => {
  const dir = await tree({
    'docker-compose.yml': 'services: {a: {image: old}}\n',
    'compose.yaml': 'services: {a: {image: busybox, environment: {X: base}}}\n',
    'compose.override.yaml': 'services: {a: {environment: {Y: override}}}\n',
    'sub/deeper/.keep': '',
  });
  for (const cwd of [dir, join(dir, 'sub/deeper')]) {
    const p = await loadProject({ files: [], environment: {}, cwd });
    assert.deepEqual(p.files, [join(dir, 'compose.yaml'), join(dir, 'compose.override.yaml')]);
    assert.deepEqual(p.services.a.environment, { X: 'base', Y: 'override' });
    assert.equal(p.workingDir, dir);
  }
  const legacy = await tree({ 'docker-compose.yml': 'services: {a: {image: busybox}}\n', 'docker-compose.override.yml': 'services: {a: {image: alpine}}\n' });
  const p = await loadProject({ files: [], environment: {}, cwd: legacy });
  assert.equal(p.services.a.image, 'alpine');
  const empty = await tree({});
  await assert.rejects(loadProject({ files: [], environment: {}, cwd: empty }), { message: /no compose file found in .*app or its parents/ });
  await assert.rejects(loadProject({ files: ['nope.yaml'], environment: {}, cwd: empty }), { message: 'compose file nope.yaml: not found' });
});

test('COMPOSE_FILE names the files when there is no -f', async () => {
  const dir = await tree({ 'a.yaml': 'services: {a: {image: busybox}}\n', 'b.yaml': 'services: {b: {image: busybox}}\n' });
  const p = await loadProject({ files: [], environment: { COMPOSE_FILE: 'a.yaml:b.yaml' }, cwd: dir });
  assert.deepEqual(Object.keys(p.services), ['a', 'b']);
});

test('-f files merge in order with compose rules', async () => {
  const dir = await tree({
    'base.yaml': `
services:
  web:
    image: busybox:1
    command: [sh, -c, "sleep 1"]
    entrypoint: /bin/a
    environment: [A=1, B=2]
    labels: {one: "1"}
    ports: ["80:80", "443:443"]
    expose: ["9000"]
    dns: 1.1.1.1
    volumes: [./a:/data, logs:/logs]
    depends_on: [db]
    networks: [front]
    healthcheck: {test: [CMD, a], interval: 10s}
    build: {context: ., args: {X: "1"}}
    cap_add: [NET_ADMIN]
  db:
    image: busybox
networks: {front: {}, back: {}}
volumes: {logs: {}}
`,
    'over.yaml': `
services:
  web:
    image: busybox:2
    command: echo hi
    environment: {B: two, C: "3"}
    labels: [two=2]
    ports: ["80:80", "8080:8080"]
    expose: [9000, 9001]
    dns: [8.8.8.8]
    volumes: [./b:/data:ro]
    depends_on: {db: {condition: service_healthy}}
    networks: {back: {aliases: [w]}}
    healthcheck: {test: [CMD, b]}
    build: {args: [Y=2]}
    cap_add: [NET_ADMIN, SYS_TIME]
`,
  });
  const p = await loadProject({ files: ['base.yaml', 'over.yaml'], environment: {}, cwd: dir });
  const web = p.services.web;
  assert.equal(web.image, 'busybox:2');
  assert.deepEqual(web.command, ['echo', 'hi']);
  assert.deepEqual(web.entrypoint, ['/bin/a']);
  assert.deepEqual(web.environment, { A: '1', B: 'two', C: '3' });
  assert.deepEqual(web.labels, { one: '1', two: '2' });
  assert.deepEqual(web.ports.map((x) => x.published), ['80', '443', '8080']);
  assert.deepEqual(web.expose, ['9000', '9001']);
  assert.deepEqual(web.dns, ['1.1.1.1', '8.8.8.8']);
  assert.deepEqual(web.volumes.map((v) => [v.source, v.target, v.readOnly]), [[join(dir, 'b'), '/data', true], ['logs', '/logs', false]]);
  assert.deepEqual(web.dependsOn.db.condition, 'service_healthy');
  assert.deepEqual(Object.keys(web.networks), ['front', 'back']);
  assert.deepEqual(web.networks.back.aliases, ['w']);
  assert.deepEqual(web.healthcheck, { test: ['CMD', 'b'], interval: 10e9 });
  assert.deepEqual(web.build?.args, { X: '1', Y: '2' });
  assert.deepEqual(web.capAdd, ['NET_ADMIN', 'SYS_TIME']);
});

test('!reset removes and !override replaces a value from an earlier file', async () => {
  const dir = await tree({
    'a.yaml': 'services: {web: {image: busybox, ports: ["80:80"], environment: {A: "1", B: "2"}, command: [x]}}\n',
    'b.yaml': 'services:\n  web:\n    ports: !reset []\n    environment: !override {C: "3"}\n    command: !reset null\n',
  });
  const p = await loadProject({ files: ['a.yaml', 'b.yaml'], environment: {}, cwd: dir });
  assert.deepEqual(p.services.web.ports, []);
  assert.deepEqual(p.services.web.environment, { C: '3' });
  assert.equal(p.services.web.command, undefined);
});

test('YAML anchors, aliases and merge keys work; x- keys are ignored', async () => {
  const p = await load({
    'compose.yaml': `
x-base: &base
  image: busybox
  environment: {SHARED: "yes"}
  restart: always
x-labels: &labels {team: core}
services:
  a:
    <<: *base
    restart: "no"
    labels: *labels
    x-note: anything
  b: *base
`,
  });
  assert.equal(p.services.a.image, 'busybox');
  assert.equal(p.services.a.restart, 'no');
  assert.deepEqual(p.services.a.labels, { team: 'core' });
  assert.deepEqual(p.services.b.environment, { SHARED: 'yes' });
  assert.equal(p.services.b.restart, 'always');
});

test('.env in the project directory feeds interpolation; the shell wins; --env-file replaces .env, later files win', async () => {
  const dir = await tree({
    '.env': 'TAG=1.0\nPORT=8080\nFROM_DOTENV=yes\n',
    'one.env': 'TAG=2.0\nPORT=9090\n',
    'two.env': 'PORT=7070\n',
    'compose.yaml': 'services:\n  web:\n    image: "busybox:${TAG}"\n    ports: ["${PORT}:80"]\n    environment: {D: "${FROM_DOTENV:-no}"}\n',
  });
  let p = await loadProject({ files: [], environment: {}, cwd: dir });
  assert.equal(p.services.web.image, 'busybox:1.0');
  assert.equal(p.services.web.ports[0].published, '8080');
  assert.equal(p.services.web.environment.D, 'yes');
  p = await loadProject({ files: [], environment: { TAG: 'shell' }, cwd: dir });
  assert.equal(p.services.web.image, 'busybox:shell');
  p = await loadProject({ files: [], environment: {}, envFiles: ['one.env', 'two.env'], cwd: dir });
  assert.equal(p.services.web.image, 'busybox:2.0');
  assert.equal(p.services.web.ports[0].published, '7070');
  assert.equal(p.services.web.environment.D, 'no');
  await assert.rejects(loadProject({ files: [], environment: {}, envFiles: ['missing.env'], cwd: dir }), { message: 'env file missing.env not found' });
});

test('interpolation applies to values, not keys; $$ is a literal $; unset variables warn', async () => {
  const p = await load({
    'compose.yaml': 'services:\n  web:\n    image: busybox\n    environment:\n      $KEY: "${V}"\n      PRICE: "$$5"\n      EMPTY: "${NOPE}"\n',
  }, { environment: { V: 'v' } });
  assert.deepEqual(p.services.web.environment, { $KEY: 'v', PRICE: '$5', EMPTY: '' });
  assert.deepEqual(p.warnings, ['The "NOPE" variable is not set. Defaulting to a blank string.']);
});

test('a missing required variable fails with its message, the file, line and key path', async () => {
  const msg = await failure({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    environment:\n      DB: ${DB_URL:?set DB_URL to the database}\n' });
  assert.equal(msg, 'compose.yaml:5: services.web.environment.DB: required variable DB_URL is missing a value: set DB_URL to the database');
  const bad = await failure({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    command: echo ${x y}\n' });
  assert.match(bad, /^compose\.yaml:4: services\.web\.command: invalid interpolation format/);
});

test('env_file: files in order, environment wins, required: false may be missing, a missing one is an error naming it', async () => {
  const p = await load({
    'a.env': 'A=from-a\nB=from-a\n',
    'conf/b.env': 'B=from-b\nC=from-b\n',
    'compose.yaml': `
services:
  web:
    image: busybox
    env_file: [a.env, {path: ./conf/b.env}, {path: optional.env, required: false}]
    environment: {C: explicit}
  one:
    image: busybox
    env_file: a.env
`,
  });
  assert.deepEqual(p.services.web.environment, { A: 'from-a', B: 'from-b', C: 'explicit' });
  assert.deepEqual(p.services.one.environment, { A: 'from-a', B: 'from-a' });
  const msg = await failure({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    env_file:\n      - missing.env\n' });
  assert.equal(msg, 'compose.yaml:5: services.web.env_file[0]: env file missing.env not found');
});

test('profiles: services with profiles are disabled unless one is active; COMPOSE_PROFILES; *', async () => {
  const files = {
    'compose.yaml': `
services:
  app: {image: busybox}
  debug: {image: busybox, profiles: [debug]}
  tools: {image: busybox, profiles: [tools, debug]}
`,
  };
  let p = await load(files);
  assert.deepEqual(Object.keys(p.services), ['app']);
  assert.deepEqual(Object.keys(p.disabledServices), ['debug', 'tools']);
  p = await load(files, { profiles: ['tools'] });
  assert.deepEqual(Object.keys(p.services), ['app', 'tools']);
  p = await load(files, { environment: { COMPOSE_PROFILES: 'debug' } });
  assert.deepEqual(Object.keys(p.services), ['app', 'debug', 'tools']);
  p = await load(files, { profiles: ['*'] });
  assert.deepEqual(Object.keys(p.disabledServices), []);
  const msg = await failure({ 'compose.yaml': 'services:\n  app:\n    image: busybox\n    depends_on: [db]\n  db: {image: busybox, profiles: [db]}\n' });
  assert.equal(msg, 'compose.yaml:4: services.app.depends_on[0]: service "app" depends on "db", which is disabled by profiles [db] (activate one with --profile)');
});

test('project name: -p, then COMPOSE_PROJECT_NAME (shell or .env), then name:, then the directory', async () => {
  const dir = await tree({ 'compose.yaml': 'name: from-file\nservices: {a: {image: busybox}}\n' }, 'My Project.Dir');
  const base = { files: [], cwd: dir };
  assert.equal((await loadProject({ ...base, environment: {}, projectName: 'cli' })).name, 'cli');
  assert.equal((await loadProject({ ...base, environment: { COMPOSE_PROJECT_NAME: 'env' } })).name, 'env');
  assert.equal((await loadProject({ ...base, environment: {} })).name, 'from-file');
  const noName = await tree({ 'compose.yaml': 'services: {a: {image: busybox}}\n' }, 'My Project.Dir');
  assert.equal((await loadProject({ files: [], cwd: noName, environment: {} })).name, 'myprojectdir');
  const dotenv = await tree({ '.env': 'COMPOSE_PROJECT_NAME=dotenv\n', 'compose.yaml': 'services: {a: {image: busybox}}\n' });
  assert.equal((await loadProject({ files: [], cwd: dotenv, environment: {} })).name, 'dotenv');
  await assert.rejects(loadProject({ ...base, environment: {}, projectName: 'Bad Name' }), {
    message: 'project name (-p): "Bad Name" is not a valid project name: it must contain only lowercase letters, digits, dashes and underscores, and start with a letter or digit',
  });
  const msg = await failure({ 'compose.yaml': 'name: _x\nservices: {a: {image: busybox}}\n' });
  assert.match(msg, /^compose\.yaml:1: name: "_x" is not a valid project name/);
});

test('ports: short and long syntax, ranges, host IPs, udp', async () => {
  const p = await load({
    'compose.yaml': `
services:
  web:
    image: busybox
    ports:
      - 80
      - "8080:80"
      - "127.0.0.1:8443:443"
      - "127.0.0.1::5000"
      - "9000-9001:90-91/udp"
      - "7000-7002"
      - "[::1]:6000:6000"
      - "3000-3005:3000"
      - {target: 53, published: "5353", protocol: udp, host_ip: 0.0.0.0, mode: host}
      - {target: 22, published: 2222}
`,
  });
  assert.deepEqual(p.services.web.ports, [
    { target: 80, protocol: 'tcp' },
    { target: 80, published: '8080', protocol: 'tcp' },
    { target: 443, published: '8443', hostIp: '127.0.0.1', protocol: 'tcp' },
    { target: 5000, hostIp: '127.0.0.1', protocol: 'tcp' },
    { target: 90, published: '9000', protocol: 'udp' },
    { target: 91, published: '9001', protocol: 'udp' },
    { target: 7000, protocol: 'tcp' },
    { target: 7001, protocol: 'tcp' },
    { target: 7002, protocol: 'tcp' },
    { target: 6000, published: '6000', hostIp: '::1', protocol: 'tcp' },
    { target: 3000, published: '3000-3005', protocol: 'tcp' },
    { target: 53, published: '5353', hostIp: '0.0.0.0', protocol: 'udp' },
    { target: 22, published: '2222', protocol: 'tcp' },
  ]);
});

test('bad ports name the file, line and key path', async () => {
  const svc = (port: string) => ({ 'compose.yaml': `services:\n  web:\n    image: busybox\n    ports:\n      - ${port}\n` });
  assert.equal(await failure(svc('"abc"')), 'compose.yaml:5: services.web.ports[0]: "abc" is not a port');
  assert.equal(await failure(svc('"70000:80"')), 'compose.yaml:5: services.web.ports[0]: "70000:80" is not a port');
  assert.equal(await failure(svc('"80/sctp"')), 'compose.yaml:5: services.web.ports[0]: "80/sctp" is not a port (the protocol must be tcp or udp)');
  assert.equal(await failure(svc('"1-3:1-2"')), 'compose.yaml:5: services.web.ports[0]: "1-3:1-2" is not a port (the host and container port ranges differ in length)');
  assert.equal(await failure(svc('"x.y:80:80"')), 'compose.yaml:5: services.web.ports[0]: "x.y:80:80" is not a port ("x.y" is not an IP address)');
  assert.equal(await failure(svc('{published: 80}')), 'compose.yaml:5: services.web.ports[0]: a port mapping needs a target (the container port)');
  assert.equal(await failure(svc('{target: 80, protocol: icmp}')), 'compose.yaml:5: services.web.ports[0].protocol: must be tcp or udp');
  assert.equal(await failure(svc('{target: 80, publish: 80}')), 'compose.yaml:5: services.web.ports[0].publish: unknown key (did you mean "published"?)');
});

test('two services publishing one host port are refused; different IPs or protocols are not', async () => {
  const msg = await failure({
    'compose.yaml': 'services:\n  a:\n    image: busybox\n    ports: ["8080:80"]\n  b:\n    image: busybox\n    ports:\n      - "9000:90"\n      - "127.0.0.1:8080:81"\n',
  });
  assert.equal(msg, 'compose.yaml:9: services.b.ports[1]: host port 127.0.0.1:8080/tcp is already published by service "a"');
  const ok = await load({
    'compose.yaml': 'services:\n  a: {image: busybox, ports: ["127.0.0.1:8080:80", "53:53/udp"]}\n  b: {image: busybox, ports: ["127.0.0.2:8080:80", "53:53"]}\n  c: {image: busybox, ports: ["8080:80"], profiles: [off]}\n',
  });
  assert.equal(Object.keys(ok.services).length, 2);
  const scaled = await failure({ 'compose.yaml': 'services:\n  a:\n    image: busybox\n    scale: 2\n    ports: ["8080:80"]\n' });
  assert.equal(scaled, 'compose.yaml:5: services.a.ports[0]: host port 8080/tcp is published by 2 replicas of "a"; only one can have it');
});

test('volumes: short and long syntax, relative and ~ paths, tmpfs, secrets and configs as read-only binds', async () => {
  const p = await load({
    'secret.txt': 's3cret',
    'compose.yaml': `
services:
  web:
    image: busybox
    volumes:
      - /abs:/abs
      - ../up:/up:rw
      - ~/cfg:/cfg:ro
      - /anon
      - named:/named
      - {type: bind, source: ./src, target: /src, read_only: true, bind: {create_host_path: true}}
      - {type: bind, source: ./lib, target: /lib}
      - {type: volume, source: named, target: /named2}
      - {type: volume, target: /anon2}
      - {type: tmpfs, target: /tmp, tmpfs: {size: 64m}}
    tmpfs: [/run, "/cache:size=10m"]
    secrets: [token, {source: token, target: other}]
    configs: [{source: conf, target: /etc/app.conf}]
volumes:
  named:
secrets:
  token: {file: ./secret.txt}
configs:
  conf: {file: /etc/hostname}
`,
  });
  const dir = p.workingDir;
  assert.deepEqual(p.services.web.volumes, [
    { type: 'bind', source: '/abs', target: '/abs', readOnly: false, createHostPath: true },
    { type: 'bind', source: join(dir, '../up'), target: '/up', readOnly: false, createHostPath: true },
    { type: 'bind', source: '/home/u/cfg', target: '/cfg', readOnly: true, createHostPath: true },
    { type: 'volume', target: '/anon', readOnly: false },
    { type: 'volume', source: 'named', target: '/named', readOnly: false },
    { type: 'bind', source: join(dir, 'src'), target: '/src', readOnly: true, createHostPath: true },
    { type: 'bind', source: join(dir, 'lib'), target: '/lib', readOnly: false, createHostPath: false },
    { type: 'volume', source: 'named', target: '/named2', readOnly: false },
    { type: 'volume', target: '/anon2', readOnly: false },
    { type: 'tmpfs', target: '/tmp', readOnly: false, tmpfsSize: 64 * 1024 * 1024 },
    { type: 'bind', source: join(dir, 'secret.txt'), target: '/run/secrets/token', readOnly: true, createHostPath: false },
    { type: 'bind', source: join(dir, 'secret.txt'), target: '/run/secrets/other', readOnly: true, createHostPath: false },
    { type: 'bind', source: '/etc/hostname', target: '/etc/app.conf', readOnly: true, createHostPath: false },
  ]);
  assert.deepEqual(p.services.web.tmpfs, ['/run', '/cache:size=10m']);
});

test('bad volumes: undeclared named volumes, relative targets, unsupported options', async () => {
  const svc = (v: string, extra = '') => ({ 'compose.yaml': `services:\n  web:\n    image: busybox\n    volumes:\n      - ${v}\n${extra}` });
  assert.equal(await failure(svc('data:/data')), 'compose.yaml:5: services.web.volumes[0]: volume "data" is not declared in the top-level volumes');
  assert.equal(await failure(svc('./x:rel')), 'compose.yaml:5: services.web.volumes[0]: the container path "rel" must be absolute');
  assert.equal(await failure(svc('./x:/x:z')), 'compose.yaml:5: services.web.volumes[0]: volume option "z" is not supported by Janus');
  assert.equal(await failure(svc('./x:/x:rx')), 'compose.yaml:5: services.web.volumes[0]: unknown volume option "rx" in "./x:/x:rx"');
  assert.equal(await failure(svc('{type: npipe, source: x, target: /x}')), 'compose.yaml:5: services.web.volumes[0].type: mount type npipe is not supported by Janus');
  assert.equal(await failure(svc('{type: bind, target: /x}')), 'compose.yaml:5: services.web.volumes[0]: a bind mount needs a source');
  assert.equal(await failure(svc('{type: bind, source: ., target: /x, bind: {propagation: shared}}')), 'compose.yaml:5: services.web.volumes[0].bind.propagation: not supported by Janus');
  assert.equal(await failure(svc('/x', '    secrets: [nope]\n')), 'compose.yaml:6: services.web.secrets[0]: secret "nope" is not declared in the top-level secrets');
  assert.equal(
    await failure({ 'compose.yaml': 'services:\n  web: {image: busybox}\nsecrets:\n  s:\n    environment: TOKEN\n' }),
    'compose.yaml:5: secrets.s.environment: not supported by Janus',
  );
});

test('networks: list or map with aliases and static IPs; default implied; network_mode; top-level options', async () => {
  const p = await load({
    'compose.yaml': `
services:
  a:
    image: busybox
    networks:
      front: {aliases: [web, www], ipv4_address: 172.28.0.10}
      default:
  b:
    image: busybox
    network_mode: "service:a"
  c:
    image: busybox
    network_mode: none
networks:
  front:
    name: shared-front
    driver: bridge
    driver_opts: {com.docker.network.bridge.name: br-front}
    internal: true
    labels: [tier=front]
    ipam: {config: [{subnet: 172.28.0.0/16, gateway: 172.28.0.1, ip_range: 172.28.5.0/24}]}
  default:
    name: custom-default
  ext:
    external: true
    name: outside
`,
  });
  assert.deepEqual(p.services.a.networks, { front: { aliases: ['web', 'www'], ipv4Address: '172.28.0.10' }, default: { aliases: [] } });
  assert.deepEqual(p.services.b.networks, {});
  assert.equal(p.services.b.networkMode, 'service:a');
  assert.deepEqual(p.services.b.dependsOn, { a: { condition: 'service_started', required: true, restart: false } });
  assert.equal(p.services.c.networkMode, 'none');
  assert.deepEqual(p.networks, {
    front: {
      name: 'shared-front', external: false, driver: 'bridge', driverOpts: { 'com.docker.network.bridge.name': 'br-front' }, internal: true,
      labels: { tier: 'front' }, ipam: [{ subnet: '172.28.0.0/16', gateway: '172.28.0.1', ipRange: '172.28.5.0/24' }],
    },
    default: { name: 'custom-default', external: false, driverOpts: {}, internal: false, labels: {}, ipam: [] },
  });
  const undeclared = await failure({ 'compose.yaml': 'services:\n  a:\n    image: busybox\n    networks: [back]\n' });
  assert.equal(undeclared, 'compose.yaml:4: services.a.networks[0]: network "back" is not declared in the top-level networks');
  const both = await failure({ 'compose.yaml': 'services:\n  a:\n    image: busybox\n    network_mode: host\n    networks: [default]\n' });
  assert.equal(both, 'compose.yaml:5: services.a.networks: cannot be used together with network_mode');
  const ext = await failure({ 'compose.yaml': 'services:\n  a: {image: busybox}\nnetworks:\n  n:\n    external: true\n    driver: bridge\n' });
  assert.equal(ext, 'compose.yaml:6: networks.n.driver: an external network is not configured by the project');
  const ip = await failure({ 'compose.yaml': 'services:\n  a:\n    image: busybox\n    networks:\n      default: {ipv4_address: 300.1.1.1}\n' });
  assert.equal(ip, 'compose.yaml:5: services.a.networks.default.ipv4_address: "300.1.1.1" is not an IPv4 address');
});

test('top-level volumes: name, external, driver, options, labels', async () => {
  const p = await load({
    'compose.yaml': `
services: {a: {image: busybox, volumes: [v1:/a, v2:/b, v3:/c]}}
volumes:
  unused: {name: never-made}
  v1:
  v2: {name: fixed, driver: local, driver_opts: {type: tmpfs, device: tmpfs}, labels: {k: v}}
  v3: {external: true}
`,
  });
  assert.deepEqual(p.volumes, {
    v1: { name: 'app_v1', external: false, driverOpts: {}, labels: {} },
    v2: { name: 'fixed', external: false, driver: 'local', driverOpts: { type: 'tmpfs', device: 'tmpfs' }, labels: { k: 'v' } },
    v3: { name: 'v3', external: true, driverOpts: {}, labels: {} },
  });
});

test('depends_on: conditions, required and restart; unknown services and cycles are refused', async () => {
  const p = await load({
    'compose.yaml': `
services:
  a:
    image: busybox
    depends_on:
      b: {condition: service_healthy, restart: true}
      c: {condition: service_completed_successfully}
      gone: {required: false}
  b: {image: busybox}
  c: {image: busybox}
`,
  });
  assert.deepEqual(p.services.a.dependsOn, {
    b: { condition: 'service_healthy', required: true, restart: true },
    c: { condition: 'service_completed_successfully', required: true, restart: false },
    gone: { condition: 'service_started', required: false, restart: false },
  });
  const unknown = await failure({ 'compose.yaml': 'services:\n  a:\n    image: busybox\n    depends_on: [db]\n' });
  assert.equal(unknown, 'compose.yaml:4: services.a.depends_on[0]: service "a" depends on undefined service "db"');
  const cycle = await failure({
    'compose.yaml': 'services:\n  a:\n    image: busybox\n    depends_on: [b]\n  b:\n    image: busybox\n    depends_on: [c]\n  c:\n    image: busybox\n    depends_on:\n      a: {condition: service_started}\n',
  });
  assert.equal(cycle, 'compose.yaml:11: services.c.depends_on.a: dependency cycle: a -> b -> c -> a');
  const cond = await failure({ 'compose.yaml': 'services:\n  a:\n    image: busybox\n    depends_on:\n      b: {condition: healthy}\n  b: {image: busybox}\n' });
  assert.equal(cond, 'compose.yaml:5: services.a.depends_on.b.condition: "healthy" is not a condition (service_started, service_healthy, service_completed_successfully)');
});

test('healthcheck: a string test is CMD-SHELL, durations are nanoseconds, disable is NONE', async () => {
  const p = await load({
    'compose.yaml': `
services:
  a:
    image: busybox
    healthcheck: {test: "wget -q localhost || exit 1", interval: 1m30s, timeout: 500ms, start_period: 1h, start_interval: 2s, retries: 3}
  b:
    image: busybox
    healthcheck: {disable: true}
  c:
    image: busybox
    healthcheck: {test: [NONE]}
    stop_grace_period: 1m
`,
  });
  assert.deepEqual(p.services.a.healthcheck, {
    test: ['CMD-SHELL', 'wget -q localhost || exit 1'], interval: 90e9, timeout: 500e6, startPeriod: 3600e9, startInterval: 2e9, retries: 3,
  });
  assert.deepEqual(p.services.b.healthcheck, { test: ['NONE'] });
  assert.deepEqual(p.services.c.healthcheck, { test: ['NONE'] });
  assert.equal(p.services.c.stopGracePeriod, 60e9);
  const bad = await failure({ 'compose.yaml': 'services:\n  a:\n    image: busybox\n    healthcheck:\n      test: [CMD]\n      interval: 10\n' });
  assert.equal(bad, 'compose.yaml:5: services.a.healthcheck.test: CMD needs a command after it');
  const dur = await failure({ 'compose.yaml': 'services:\n  a:\n    image: busybox\n    healthcheck:\n      interval: 10\n' });
  assert.equal(dur, 'compose.yaml:5: services.a.healthcheck.interval: 10 is not a duration (e.g. 30s, 1m30s, 500ms)');
  const list = await failure({ 'compose.yaml': 'services:\n  a:\n    image: busybox\n    healthcheck:\n      test: [wget, x]\n' });
  assert.equal(list, 'compose.yaml:5: services.a.healthcheck.test: a list must start with "CMD", "CMD-SHELL" or "NONE"');
});

test('resources, replicas, ulimits, extra_hosts and the simple keys', async () => {
  const p = await load({
    'compose.yaml': `
services:
  a:
    image: busybox
    entrypoint: ["/bin/sh", "-c"]
    command: ["echo", 1]
    mem_limit: 512m
    cpus: "1.5"
    pids_limit: 100
    cpu_shares: 512
    deploy:
      replicas: 3
      resources:
        limits: {memory: 536870912}
        reservations: {memory: 1g}
      restart_policy: {condition: on-failure, max_attempts: 4}
    ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 512}
    extra_hosts: ["db:10.0.0.2", "v6=::1"]
    user: 1000
    working_dir: /srv
    labels: {a: b}
    hostname: h
    domainname: example.org
    init: true
    stop_signal: SIGINT
    cap_add: [NET_ADMIN]
    cap_drop: [ALL]
    privileged: true
    read_only: true
    security_opt: [no-new-privileges:true]
    dns: 10.0.0.1
    dns_search: [example.org]
    tty: true
    stdin_open: true
    pull_policy: if_not_present
  b:
    image: busybox
    container_name: fixed-b
    restart: unless-stopped
    extra_hosts: {gw: host-gateway, multi: [10.0.0.3, 10.0.0.4]}
    scale: 0
    deploy: {resources: {limits: {cpus: 0.25, pids: 50}}}
`,
  });
  const a = p.services.a;
  assert.deepEqual(a.entrypoint, ['/bin/sh', '-c']);
  assert.deepEqual(a.command, ['echo', '1']);
  assert.deepEqual(a.resources, { memory: 512 * 1024 ** 2, memoryReservation: 1024 ** 3, cpus: 1.5, pids: 100, cpuShares: 512 });
  assert.equal(a.scale, 3);
  assert.equal(a.restart, 'on-failure:4');
  assert.deepEqual(a.ulimits, { nofile: { soft: 1024, hard: 2048 }, nproc: { soft: 512, hard: 512 } });
  assert.deepEqual(a.extraHosts, ['db:10.0.0.2', 'v6:::1']);
  assert.equal(a.user, '1000');
  assert.equal(a.workingDir, '/srv');
  assert.equal(a.hostname, 'h');
  assert.equal(a.domainname, 'example.org');
  assert.equal(a.init, true);
  assert.equal(a.stopSignal, 'SIGINT');
  assert.deepEqual([a.capAdd, a.capDrop, a.securityOpt, a.dns, a.dnsSearch], [['NET_ADMIN'], ['ALL'], ['no-new-privileges:true'], ['10.0.0.1'], ['example.org']]);
  assert.deepEqual([a.privileged, a.readOnly, a.tty, a.stdinOpen], [true, true, true, true]);
  assert.equal(a.pullPolicy, 'missing');
  const b = p.services.b;
  assert.equal(b.containerName, 'fixed-b');
  assert.equal(b.restart, 'unless-stopped');
  assert.deepEqual(b.extraHosts, ['gw:host-gateway', 'multi:10.0.0.3', 'multi:10.0.0.4']);
  assert.equal(b.scale, 0);
  assert.deepEqual(b.resources, { cpus: 0.25, pids: 50 });
});

test('wrong types, unknown keys and conflicting values name the file, line and key path', async () => {
  const svc = (body: string) => ({ 'compose.yaml': `services:\n  web:\n    image: busybox\n${body}` });
  assert.equal(await failure(svc('    imagee: x\n')), 'compose.yaml:4: services.web.imagee: unknown key (did you mean "image"?)');
  assert.equal(await failure(svc('    privileged: maybe\n')), 'compose.yaml:4: services.web.privileged: must be true or false, not "maybe"');
  assert.equal(await failure(svc('    ports: "80:80"\n')), 'compose.yaml:4: services.web.ports: must be a list, not "80:80"');
  assert.equal(await failure(svc('    mem_limit: lots\n')), 'compose.yaml:4: services.web.mem_limit: "lots" is not a size (e.g. 512m, 1g)');
  assert.equal(await failure(svc('    cpus: 0\n')), 'compose.yaml:4: services.web.cpus: must be more than 0, not 0');
  assert.equal(await failure(svc('    restart: sometimes\n')), 'compose.yaml:4: services.web.restart: "sometimes" is not a restart policy (no, always, on-failure[:N], unless-stopped)');
  assert.equal(
    await failure(svc('    mem_limit: 1g\n    deploy:\n      resources:\n        limits: {memory: 2g}\n')),
    'compose.yaml:7: services.web.deploy.resources.limits.memory: 2147483648 conflicts with the value 1073741824 given elsewhere for this service',
  );
  assert.equal(await failure(svc('    scale: 2\n    deploy: {replicas: 3}\n')), 'compose.yaml:4: services.web.scale: 2 conflicts with deploy.replicas 3');
  assert.equal(await failure(svc('    ulimits: {nofile: {soft: 10, hard: 5}}\n')), 'compose.yaml:4: services.web.ulimits.nofile: the soft limit 10 is above the hard limit 5');
  assert.equal(await failure(svc('    ulimits: {files: 5}\n')), 'compose.yaml:4: services.web.ulimits.files: unknown ulimit "files"');
  assert.equal(await failure(svc('    extra_hosts: [nocolon]\n')), 'compose.yaml:4: services.web.extra_hosts[0]: "nocolon" is not HOST:IP');
  assert.equal(await failure(svc('    container_name: x\n    scale: 2\n')), 'compose.yaml:4: services.web.container_name: service "web" has a container_name and 2 replicas: one name cannot name several containers');
  assert.equal(await failure({ 'compose.yaml': 'services:\n  web:\n    command: x\n' }), 'compose.yaml:2: services.web: service "web" has neither an image nor a build context');
  assert.equal(await failure({ 'compose.yaml': 'servicess: {}\n' }), 'compose.yaml:1: servicess: unknown key (did you mean "services"?)');
  assert.equal(await failure({ 'compose.yaml': 'services: {}\n' }), 'compose.yaml: no services are defined (a compose file needs a services: mapping)');
  assert.equal(await failure({ 'compose.yaml': 'services: [web]\n' }), 'compose.yaml:1: services: must be a mapping, not a list');
});

test('keys Janus cannot honour are refused as not supported', async () => {
  const svc = (body: string) => ({ 'compose.yaml': `services:\n  web:\n    image: busybox\n${body}` });
  assert.equal(await failure(svc('    devices: [/dev/fuse]\n')), 'compose.yaml:4: services.web.devices: not supported by Janus');
  assert.equal(await failure(svc('    gpus: all\n')), 'compose.yaml:4: services.web.gpus: not supported by Janus');
  assert.equal(await failure(svc('    deploy: {resources: {reservations: {devices: [{capabilities: [gpu]}]}}}\n')), 'compose.yaml:4: services.web.deploy.resources.reservations.devices: not supported by Janus');
  assert.equal(await failure(svc('    platform: linux/s390x\n')), `compose.yaml:4: services.web.platform: "linux/s390x": only this host's platform (linux/${process.arch === 'x64' ? 'amd64' : process.arch}) is supported by Janus`);
  assert.equal(await failure({ 'compose.yaml': 'models: {m: {}}\nservices: {a: {image: busybox}}\n' }), 'compose.yaml:1: models: not supported by Janus');
});

test('a file that is not YAML fails with the parser\'s line and column', async () => {
  const msg = await failure({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n   bad: [\n' });
  assert.match(msg, /^compose\.yaml:4:\d+: not valid YAML: /);
  const dup = await failure({ 'compose.yaml': 'services:\n  web: {image: a}\n  web: {image: b}\n' });
  assert.match(dup, /^compose\.yaml:3:\d+: not valid YAML: Map keys must be unique/);
  assert.equal(await failure({ 'compose.yaml': '- a\n- b\n' }), 'compose.yaml:1: the top level must be a mapping');
});

test('x-janus: isolation, trust and compliance per service, with top-level defaults; unknown keys and values are refused', async () => {
  const p = await load({
    'compose.yaml': `
x-janus: {isolation: sandbox, trust: untrusted}
services:
  a: {image: busybox}
  b: {image: busybox, x-janus: {isolation: vm, compliance: pci-dss}}
  c: {image: busybox, x-janus: {isolation: auto, trust: trusted}}
`,
  });
  assert.deepEqual(p.services.a.janus, { isolation: 'sandbox', trust: 'untrusted' });
  assert.deepEqual(p.services.b.janus, { isolation: 'vm', trust: 'untrusted', compliance: 'pci-dss' });
  assert.deepEqual(p.services.c.janus, { isolation: 'auto', trust: 'trusted' });
  const svc = (x: string) => ({ 'compose.yaml': `services:\n  a:\n    image: busybox\n    x-janus:\n      ${x}\n` });
  assert.equal(await failure(svc('isolation: kvm')), 'compose.yaml:5: services.a.x-janus.isolation: "kvm" is not an isolation level (container, sandbox, vm, auto)');
  assert.equal(await failure(svc('trust: maybe')), 'compose.yaml:5: services.a.x-janus.trust: "maybe" is not a trust level (trusted, untrusted)');
  assert.equal(await failure(svc('level: vm')), 'compose.yaml:5: services.a.x-janus.level: unknown key');
});

test('build: a context string or a mapping, resolved against the project directory', async () => {
  const p = await load({
    'compose.yaml': `
services:
  a: {build: ./app}
  b:
    image: me/b
    build: {context: ../other, dockerfile: Dockerfile.dev, args: [VERSION=1, FROM_ENV, UNSET_ARG], target: dev, labels: {l: v}}
    pull_policy: build
`,
  }, { environment: { FROM_ENV: 'e' } });
  assert.deepEqual(p.services.a.build, { context: join(p.workingDir, 'app'), args: {}, labels: {} });
  assert.deepEqual(p.services.b.build, {
    context: join(p.workingDir, '../other'), dockerfile: 'Dockerfile.dev', args: { VERSION: '1', FROM_ENV: 'e' }, target: 'dev', labels: { l: 'v' },
  });
  assert.equal(p.services.b.pullPolicy, 'build');
});

test('--project-directory changes where relative paths and .env resolve', async () => {
  const dir = await tree({ 'files/compose.yaml': 'services: {a: {image: "busybox:${T}", volumes: [./d:/d]}}\n', 'root/.env': 'T=rooted\n' });
  const p = await loadProject({ files: ['files/compose.yaml'], projectDirectory: 'root', environment: {}, cwd: dir });
  assert.equal(p.workingDir, join(dir, 'root'));
  assert.equal(p.name, 'root');
  assert.equal(p.services.a.image, 'busybox:rooted');
  assert.equal(p.services.a.volumes[0].source, join(dir, 'root/d'));
});

test('extends: a service from the same file or another one, merged with compose rules; paths from the other file stay its own', async () => {
  const p = await load({
    'common/base.yaml': `
services:
  base:
    image: busybox
    environment: {LEVEL: base, KEEP: "1"}
    volumes: [./data:/data]
    env_file: base.env
    build: .
`,
    'common/base.env': 'FROM_BASE_ENV=1\n',
    'compose.yaml': `
services:
  app:
    extends: {service: base, file: common/base.yaml}
    environment: {LEVEL: app}
    command: [run]
  child:
    extends: app
    command: [child]
    ports: ["80"]
`,
  });
  const dir = p.workingDir;
  assert.deepEqual(p.services.app.environment, { FROM_BASE_ENV: '1', LEVEL: 'app', KEEP: '1' });
  assert.deepEqual(p.services.app.volumes[0].source, join(dir, 'common/data'));
  assert.equal(p.services.app.build?.context, join(dir, 'common'));
  assert.deepEqual(p.services.app.command, ['run']);
  assert.deepEqual(p.services.child.command, ['child']);
  assert.deepEqual(p.services.child.environment, p.services.app.environment);
  assert.equal(p.services.child.ports.length, 1);
  const cycle = await failure({ 'compose.yaml': 'services:\n  a:\n    image: busybox\n    extends: b\n  b:\n    image: busybox\n    extends: a\n' });
  assert.equal(cycle, 'compose.yaml:4: services.a.extends: extends cycle: a -> b -> a');
  const unknown = await failure({ 'compose.yaml': 'services:\n  a:\n    extends: nope\n' });
  assert.equal(unknown, 'compose.yaml:3: services.a.extends: service "nope" is not defined');
  const missing = await failure({ 'compose.yaml': 'services:\n  a:\n    extends: {service: x, file: gone.yaml}\n' });
  assert.equal(missing, 'compose.yaml:3: services.a.extends.file: gone.yaml not found');
});

test('extends across files: a cycle through two files is named, not a stack overflow; only the service extended is resolved in the other file', async () => {
  const cycle = await failure({
    'compose.yaml': 'services:\n  a:\n    extends: {file: other.yaml, service: b}\n',
    'other.yaml': 'services:\n  b:\n    extends: {file: compose.yaml, service: a}\n',
  });
  assert.equal(cycle, 'compose.yaml:3: services.a.extends: extends cycle: compose.yaml:a -> other.yaml:b -> compose.yaml:a');
  // other.yaml's d extends compose.yaml's a, but a needs only b: no cycle.
  const p = await load({
    'compose.yaml': 'services:\n  a:\n    extends: {file: other.yaml, service: b}\n    command: [a]\n',
    'other.yaml': 'services:\n  b:\n    image: busybox\n  d:\n    extends: {file: compose.yaml, service: a}\n',
  });
  assert.equal(p.services.a.image, 'busybox');
  assert.deepEqual(p.services.a.command, ['a']);
});

test('numbers keep their written form where a string is meant', async () => {
  const p = await load({ 'compose.yaml': 'services:\n  a:\n    image: busybox\n    command: [echo, 1.10, 0x10, 1e3]\n    environment: {V: 1.10, H: 0x10, I: 7}\n    labels: [n=1.0]\n' });
  assert.deepEqual(p.services.a.command, ['echo', '1.10', '0x10', '1e3']);
  assert.deepEqual(p.services.a.environment, { V: '1.10', H: '0x10', I: '7' });
  assert.deepEqual(p.services.a.labels, { n: '1.0' });
});

test('malformed values anywhere give a located InvalidArgument, never a crash', async () => {
  const snippets = [
    'services: {a: []}', 'services: {a: {image: x, ports: [null]}}', 'services: {a: {image: x, ports: [[1]]}}', 'services: {a: {image: x, volumes: [{}]}}',
    'services: {a: {image: x, volumes: [":"]}}', 'services: {a: {image: x, networks: [null]}}', 'services: {a: {image: x, depends_on: 5}}',
    'services: {a: {image: x, depends_on: {b: 5}}}', 'services: {a: {image: x, healthcheck: 5}}', 'services: {a: {image: x, environment: {A: [1]}}}',
    'services: {a: {image: x, env_file: [null]}}', 'services: {a: {image: x, ulimits: {nofile: []}}}', 'services: {a: {image: x, extra_hosts: 5}}',
    'services: {a: {image: x, deploy: {resources: {limits: {memory: []}}}}}', 'services: {a: {build: [x]}}', 'services: {a: {build: {args: 5}}}',
    'services: {a: {image: x, x-janus: []}}', 'services: {a: {image: x, command: {a: 1}}}', 'services: {a: {image: x}}\nnetworks: {n: {ipam: {config: 5}}}',
    'services: {a: {image: x}}\nsecrets: {s: null}', 'services: {a: {image: x, secrets: [{}]}}', 'services: {a: {image: x, extends: [1]}}',
    'services: {a: {<<: 5, image: x}}', 'services: {a: {image: x, tmpfs: [1, {}]}}', 'name: [a]\nservices: {a: {image: x}}',
    'services: {a: {image: x, ports: [{target: 80, published: [1]}]}}', 'services: {a: {image: x, deploy: {restart_policy: {condition: 5}}}}',
  ];
  for (const s of snippets) {
    const msg = await failure({ 'compose.yaml': `${s}\n` }, { projectName: 'x' });
    assert.match(msg, /^compose\.yaml:\d+: /, s);
  }
});

test('include: another project\'s services, networks and volumes join, with its own .env and relative paths', async () => {
  const p = await load({
    'db/compose.yaml': `
services:
  db:
    image: "postgres:\${PG_TAG}"
    volumes: [./init:/docker-entrypoint-initdb.d, pgdata:/var/lib/postgresql/data]
    networks: [back]
volumes: {pgdata: {}}
networks: {back: {}}
`,
    'db/.env': 'PG_TAG=16\n',
    'cache/cache.yaml': 'services: {cache: {image: "redis:\${REDIS_TAG:-7}"}}\n',
    'cache/cache.env': 'REDIS_TAG=6\n',
    'compose.yaml': `
include:
  - db/compose.yaml
  - {path: cache/cache.yaml, env_file: cache/cache.env}
services:
  app:
    image: busybox
    depends_on: [db, cache]
    networks: [back]
`,
  });
  const dir = p.workingDir;
  assert.deepEqual(Object.keys(p.services), ['db', 'cache', 'app']);
  assert.equal(p.services.db.image, 'postgres:16');
  assert.equal(p.services.db.volumes[0].source, join(dir, 'db/init'));
  assert.equal(p.services.cache.image, 'redis:6');
  assert.equal(p.volumes.pgdata.name, 'app_pgdata');
  assert.equal(p.networks.back.name, 'app_back');
  const clash = await failure({
    'other.yaml': 'services: {app: {image: alpine}}\n',
    'compose.yaml': 'include: [other.yaml]\nservices:\n  app: {image: busybox}\n',
  });
  assert.equal(clash, 'compose.yaml:3: services.app: service "app" is defined both in compose.yaml and in the included other.yaml');
  const cycle = await failure({ 'a.yaml': 'include: [compose.yaml]\nservices: {a: {image: x}}\n', 'compose.yaml': 'include: [a.yaml]\nservices: {b: {image: x}}\n' });
  assert.match(cycle, /^a\.yaml:1: include\[0\]: include cycle: compose\.yaml -> a\.yaml -> compose\.yaml$/);
  const missing = await failure({ 'compose.yaml': 'include: [gone.yaml]\nservices: {b: {image: x}}\n' });
  assert.equal(missing, 'compose.yaml:1: include[0]: gone.yaml not found');
});

test('the same port written in short syntax in one file and long syntax in another is one port', async () => {
  const dir = await tree({
    'a.yaml': 'services: {web: {image: busybox, ports: ["8080:80"]}}\n',
    'b.yaml': 'services: {web: {ports: [{target: 80, published: "8080"}]}}\n',
  });
  const p = await loadProject({ files: ['a.yaml', 'b.yaml'], environment: {}, cwd: dir });
  assert.deepEqual(p.services.web.ports, [{ target: 80, published: '8080', protocol: 'tcp' }]);
});

test('names that are also Object properties are plain names', async () => {
  const unknown = await failure({ 'compose.yaml': 'services:\n  a:\n    image: busybox\n    depends_on: [constructor]\n' });
  assert.equal(unknown, 'compose.yaml:4: services.a.depends_on[0]: service "a" depends on undefined service "constructor"');
  const volume = await failure({ 'compose.yaml': 'services:\n  a:\n    image: busybox\n    volumes: ["toString:/x"]\n' });
  assert.equal(volume, 'compose.yaml:4: services.a.volumes[0]: volume "toString" is not declared in the top-level volumes');
  const p = await load({ 'compose.yaml': 'services:\n  a: {image: busybox, networks: [constructor]}\nnetworks: {constructor: {}}\n' });
  assert.equal(p.networks.constructor.name, 'app_constructor');
});

test('__proto__ is refused as a key or a variable name', async () => {
  assert.equal(await failure({ 'compose.yaml': 'services:\n  a:\n    image: busybox\n    labels: {__proto__: x}\n' }), 'compose.yaml:4: the key __proto__ is not allowed');
  assert.equal(
    await failure({ 'compose.yaml': 'services:\n  a:\n    image: busybox\n    environment: [__proto__=1]\n' }),
    'compose.yaml:4: services.a.environment[0]: "__proto__=1" has no valid name before "="',
  );
});

test('a remote build context is refused', async () => {
  assert.equal(
    await failure({ 'compose.yaml': 'services:\n  a:\n    build:\n      context: https://github.com/x/y.git\n' }),
    'compose.yaml:4: services.a.build.context: a remote build context (https://github.com/x/y.git) is not supported by Janus; clone it and name the directory',
  );
});

test('extra_hosts written as a list in one file and a mapping in another merge', async () => {
  const dir = await tree({
    'a.yaml': 'services: {web: {image: busybox, extra_hosts: ["db:10.0.0.2"]}}\n',
    'b.yaml': 'services: {web: {extra_hosts: {cache: 10.0.0.3}}}\n',
  });
  const p = await loadProject({ files: ['a.yaml', 'b.yaml'], environment: {}, cwd: dir });
  assert.deepEqual(p.services.web.extraHosts, ['db:10.0.0.2', 'cache:10.0.0.3']);
});

test('an obsolete version: is accepted with docker compose\'s warning', async () => {
  const p = await load({ 'compose.yaml': 'version: "3.8"\nservices: {a: {image: busybox}}\n' });
  assert.deepEqual(p.warnings, ['compose.yaml: the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion']);
});

test('logging, shm_size and sysctls are read (long and short forms); another log driver or a sysctl without a value is refused', async () => {
  const p = await load({ 'compose.yaml': [
    'services:',
    '  a:',
    '    image: busybox',
    '    logging: {driver: json-file, options: {max-size: 10m, max-file: 3}}',
    '    shm_size: 64m',
    '    sysctls: [net.core.somaxconn=1024]',
    '  b:',
    '    image: busybox',
    '    shm_size: 1048576',
    '    sysctls: {net.ipv4.tcp_syncookies: 0}',
    '',
  ].join('\n') });
  assert.deepEqual(p.services.a.logging, { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } });
  assert.equal(p.services.a.shmSize, 64 * 1024 * 1024);
  assert.deepEqual(p.services.a.sysctls, { 'net.core.somaxconn': '1024' });
  assert.equal(p.services.b.shmSize, 1048576);
  assert.deepEqual(p.services.b.sysctls, { 'net.ipv4.tcp_syncookies': '0' });
  assert.equal(p.services.b.logging, undefined);
  const svc = (body: string) => ({ 'compose.yaml': `services:\n  a:\n    image: busybox\n${body}` });
  assert.equal(await failure(svc('    logging: {driver: syslog}\n')), 'compose.yaml:4: services.a.logging.driver: log driver "syslog" is not supported by Janus (json-file or none)');
  assert.equal(await failure(svc('    sysctls: [net.core.somaxconn]\n')), 'compose.yaml:4: services.a.sysctls: sysctl "net.core.somaxconn" has no value (want NAME=VALUE)');
  assert.equal(await failure(svc('    shm_size: lots\n')), 'compose.yaml:4: services.a.shm_size: "lots" is not a size (e.g. 512m, 1g)');
  assert.match(await failure(svc('    logging: {drvier: none}\n')), /^compose\.yaml:4: services\.a\.logging\.drvier: unknown key/);
});
