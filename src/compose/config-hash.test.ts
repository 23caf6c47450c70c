import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configHash } from './config-hash.ts';
import { loadProject } from './load-project.ts';
import type { ServiceConfig } from './model.ts';

async function web(yaml: string, env: Record<string, string> = {}): Promise<ServiceConfig> {
  const dir = await mkdtemp(join(tmpdir(), 'janus-hash-'));
  await writeFile(join(dir, 'compose.yaml'), yaml);
  const p = await loadProject({ files: [], projectName: 'h', environment: env, cwd: dir });
  return p.services.web ?? p.disabledServices.web;
}

const BASE = 'services:\n  web:\n    image: busybox\n    command: [sleep, "60"]\n    environment: {A: "1", B: "2"}\n    ports: ["8080:80"]\n';

test('the hash is a sha256 hex, the same for the same configuration however it is written', async () => {
  const a = configHash(await web(BASE));
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.equal(configHash(await web(BASE)), a);
  const reordered = 'services:\n  web:\n    ports: [{target: 80, published: 8080}]\n    environment: [B=2, A=1]\n    command: sleep 60\n    image: busybox\n';
  assert.equal(configHash(await web(reordered)), a);
  const viaVariable = 'services:\n  web:\n    image: ${IMG}\n    command: [sleep, "60"]\n    environment: {A: "1", B: "2"}\n    ports: ["${P}:80"]\n';
  assert.equal(configHash(await web(viaVariable, { IMG: 'busybox', P: '8080' })), a);
});

test('a change of what the container runs changes the hash', async () => {
  const a = configHash(await web(BASE));
  const changes = [
    BASE.replace('busybox', 'busybox:1.36'),
    BASE.replace('"60"', '"61"'),
    BASE.replace('B: "2"', 'B: "3"'),
    BASE.replace('8080:80', '8081:80'),
    `${BASE}    volumes: [/x:/x]\n`,
    `${BASE}    healthcheck: {test: "true"}\n`,
    `${BASE}    mem_limit: 1g\n`,
    `${BASE}    x-janus: {isolation: vm}\n`,
    `${BASE}    labels: {x: y}\n`,
  ];
  const hashes = new Set([a]);
  for (const yaml of changes) hashes.add(configHash(await web(yaml)));
  assert.equal(hashes.size, changes.length + 1);
});

test('replicas, build, pull_policy, depends_on and profiles do not change the hash, as in docker compose', async () => {
  const base = BASE.replace('8080:80', '80');
  const a = configHash(await web(base));
  const same = [
    `${base}    scale: 3\n`,
    `${base}    deploy: {replicas: 2}\n`,
    `${base}    build: .\n`,
    `${base}    pull_policy: always\n`,
    `${base}    profiles: [p]\n`,
  ];
  for (const yaml of same) assert.equal(configHash(await web(yaml)), a, yaml);
  const withDep = `${base}    depends_on: [db]\n  db: {image: busybox}\n`;
  assert.equal(configHash(await web(withDep)), a);
});
