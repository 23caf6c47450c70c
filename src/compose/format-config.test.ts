import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { formatConfig } from './format-config.ts';
import { loadProject } from './load-project.ts';

const RICH = `
name: rich
x-janus: {trust: untrusted}
services:
  web:
    image: busybox
    command: sh -c 'echo "$$HOME" costs $$5'
    entrypoint: []
    environment: [A=1, UNSET_HERE, SET_HERE]
    env_file: app.env
    ports: ["8080:80", "127.0.0.1:9000-9001:90-91/udp", "[::1]::53/udp"]
    expose: ["3000", "4000/udp"]
    volumes: [./site:/site:ro, data:/data, /anon, {type: tmpfs, target: /t, tmpfs: {size: 1m}}, {type: bind, source: /etc, target: /host-etc}]
    tmpfs: /run
    networks: {front: {aliases: [www], ipv4_address: 172.30.0.5}, default: }
    depends_on: {db: {condition: service_healthy, restart: true}, opt: {required: false}}
    healthcheck: {test: "wget -q localhost", interval: 1m30s, timeout: 2500ms, retries: 3, start_period: 0s}
    restart: on-failure:3
    mem_limit: 512m
    mem_reservation: 128m
    cpus: 0.5
    cpu_shares: 256
    pids_limit: 64
    user: "1000:1000"
    working_dir: /srv
    labels: {tier: "front", "empty": ""}
    hostname: web
    domainname: example.org
    init: true
    stop_signal: SIGQUIT
    stop_grace_period: 20s
    cap_add: [NET_ADMIN]
    cap_drop: [ALL]
    privileged: true
    read_only: true
    security_opt: [no-new-privileges]
    ulimits: {nofile: {soft: 100, hard: 200}}
    extra_hosts: {db.local: 10.0.0.2}
    dns: [10.0.0.1]
    dns_search: [example.org]
    tty: true
    stdin_open: true
    x-janus: {isolation: vm, compliance: pci-dss}
  db:
    build: {context: ./db, dockerfile: Dockerfile, args: {V: "2"}, target: prod, labels: {b: c}}
    image: me/db
    pull_policy: build
    healthcheck: {disable: true}
    network_mode: none
    container_name: the-db
    deploy: {resources: {limits: {cpus: "2", memory: 1g, pids: 10}}}
  worker:
    image: busybox
    scale: 2
    profiles: [jobs]
    networks: [back]
    secrets: [token]
    volumes: [ext:/ext]
    command: ["yes"]
  ids:
    image: "busybox:1.36"
    command: ["true", "1.10", "null", "0x10", "~"]
networks:
  front: {ipam: {config: [{subnet: 172.30.0.0/16}]}, labels: {n: "1"}, driver_opts: {mtu: "1400"}, internal: true, driver: bridge}
  back: {name: custom-back}
  unused: {}
volumes:
  data: {driver: local, labels: [x=y]}
  ext: {external: true, name: outside}
  unused: {}
secrets:
  token: {file: ./token.txt}
`;

async function rich(): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = await mkdtemp(join(tmpdir(), 'janus-format-'));
  await writeFile(join(dir, 'compose.yaml'), RICH);
  await writeFile(join(dir, 'app.env'), 'FROM_FILE=f\nA=0\n');
  await writeFile(join(dir, 'token.txt'), 't');
  return { dir, env: { HOME: '/home/u', SET_HERE: 'x$y' } };
}

test('formatConfig output loads again into the same project', async () => {
  const { dir, env } = await rich();
  const first = await loadProject({ files: [], environment: env, cwd: dir, profiles: ['jobs'] });
  const text = formatConfig(first);
  await writeFile(join(dir, 'normalised.yaml'), text);
  const second = await loadProject({ files: ['normalised.yaml'], environment: env, cwd: dir, profiles: ['jobs'] });
  assert.equal(second.name, first.name);
  assert.equal(second.workingDir, first.workingDir);
  assert.deepEqual(second.services, first.services);
  assert.deepEqual(second.networks, first.networks);
  assert.deepEqual(second.volumes, first.volumes);
  assert.deepEqual(second.disabledServices, {});
  // And once more: the normalised form is a fixed point.
  assert.equal(formatConfig(second), text);
});

test('the output is docker compose\'s normalised form: name first, long syntax, absolute paths, $ escaped', async () => {
  const { dir, env } = await rich();
  const project = await loadProject({ files: [], environment: env, cwd: dir, profiles: ['jobs'] });
  const text = formatConfig(project);
  assert.ok(text.startsWith('name: rich\nservices:\n'), text.slice(0, 40));
  const doc = parse(text);
  const web = doc.services.web;
  assert.deepEqual(web.command, ['sh', '-c', 'echo "$$HOME" costs $$5']);
  assert.deepEqual(web.entrypoint, []);
  assert.deepEqual(web.environment, { FROM_FILE: 'f', A: '1', UNSET_HERE: null, SET_HERE: 'x$$y' });
  assert.deepEqual(web.ports[0], { mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' });
  assert.deepEqual(web.volumes[0], { type: 'bind', source: join(dir, 'site'), target: '/site', read_only: true, bind: { create_host_path: true } });
  assert.deepEqual(web.depends_on.db, { condition: 'service_healthy', required: true, restart: true });
  assert.deepEqual(web.healthcheck, { test: ['CMD-SHELL', 'wget -q localhost'], interval: '1m30s', timeout: '2.5s', start_period: '0s', retries: 3 });
  assert.deepEqual(web.deploy, { resources: { limits: { cpus: 0.5, memory: '536870912', pids: 64 }, reservations: { memory: '134217728' } } });
  assert.deepEqual(web.volumes[3], { type: 'tmpfs', target: '/t', tmpfs: { size: '1048576' } });
  assert.deepEqual(web['x-janus'], { isolation: 'vm', trust: 'untrusted', compliance: 'pci-dss' });
  assert.equal(web.stop_grace_period, '20s');
  assert.deepEqual(doc.services.worker.volumes, [
    { type: 'volume', source: 'ext', target: '/ext' },
    { type: 'bind', source: join(dir, 'token.txt'), target: '/run/secrets/token', read_only: true },
  ]);
  assert.deepEqual(doc.services.ids.command, ['true', '1.10', 'null', '0x10', '~']);
  assert.deepEqual(Object.keys(doc.networks), ['front', 'default', 'back']);
  assert.deepEqual(doc.networks.default, { name: 'rich_default' });
  assert.deepEqual(doc.volumes.ext, { name: 'outside', external: true });
  assert.deepEqual(Object.keys(doc.volumes), ['data', 'ext'], 'unused volumes are left out');
  const withoutJobs = formatConfig(await loadProject({ files: [], environment: env, cwd: dir }));
  assert.equal(parse(withoutJobs).services.worker, undefined);
});
