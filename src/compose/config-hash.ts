import { createHash } from 'node:crypto';
import type { ServiceConfig } from './model.ts';

/**
 * The sha256 (hex) of a service's configuration, which `up` stores in the
 * `com.docker.compose.config-hash` label and compares to decide whether a
 * container must be recreated. As in docker compose, what changes only the
 * number of replicas or how the image is obtained (scale, build,
 * pull_policy), the start order (depends_on) and profiles do not count.
 * Stable: key order in the files and in the object does not matter.
 */
export function configHash(service: ServiceConfig): string {
  const { scale: _scale, build: _build, pullPolicy: _pull, dependsOn: _deps, profiles: _profiles, ...rest } = service;
  return createHash('sha256').update(canonical(rest)).digest('hex');
}

/** JSON with object keys sorted and undefined members dropped, so equal configurations give equal text. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonical(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}
