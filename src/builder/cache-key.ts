import { createHash } from 'node:crypto';
import type { Digest } from '../core/digest.ts';
import type { ContainerDefaults } from '../core/oci.ts';

/** What identifies a build step's result (docker's cache rule: the parent image, the instruction, the files it copies). */
export interface StepIdentity {
  /** The image the step runs on; undefined on `scratch` before any layer. */
  parent: Digest | undefined;
  /**
   * The step as recorded in history, build args in effect and file
   * checksums included (`|1 A=b /bin/sh -c make`, `COPY file:<sha> in /app`).
   */
  createdBy: string;
  /** The image config after the step. */
  config: ContainerDefaults;
  /** Anything else the result depends on (a RUN's network, a stage's platform). */
  extra?: string;
}

/**
 * The layer cache key of a step: a SHA-256 over a canonical JSON of its
 * identity (object keys sorted, so equal configs give equal keys whatever
 * order they were built in). Equal identities give equal keys; a changed
 * parent, instruction, build arg, copied file or config gives another. Pure.
 */
export function stepCacheKey(step: StepIdentity): Digest {
  const body = canonicalJson({ v: 1, parent: step.parent ?? 'scratch', createdBy: step.createdBy, config: step.config, extra: step.extra ?? '' });
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

/** JSON with object keys sorted at every level; undefined members dropped as JSON.stringify drops them. Pure. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
