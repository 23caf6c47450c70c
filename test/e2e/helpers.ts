import assert from 'node:assert/strict';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NodeExec, type ExecResult } from '../../src/util/exec.ts';
import type { CliResult } from '../support/daemon.ts';
import { skipUnlessRegistry } from '../support/registry.ts';
import { skipUnlessRoot } from '../support/daemon.ts';

const exec = new NodeExec();

/** Asserts a CLI run exited 0, showing its output when it did not; returns stdout. */
export function ok(result: CliResult, what: string): string {
  assert.equal(result.code, 0, `${what} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result.stdout;
}

/** Asserts a CLI run failed and its stderr (or stdout) matches `pattern`; returns stderr. */
export function fails(result: CliResult, pattern: RegExp, what: string): string {
  assert.notEqual(result.code, 0, `${what} should fail but exited 0\nstdout: ${result.stdout}`);
  assert.match(result.stderr + result.stdout, pattern, `${what}: the error should match ${pattern}`);
  return result.stderr;
}

/** Runs skopeo (plain HTTP to 127.0.0.1 only, via the explicit tls flags the callers pass). */
export function skopeo(args: string[]): Promise<ExecResult> {
  return exec.run('skopeo', args);
}

/** The Digest skopeo sees for `ref` (a `HOST/repo:tag` on a plain-HTTP test registry). */
export async function skopeoDigest(ref: string, creds?: string): Promise<string> {
  const args = ['inspect', '--tls-verify=false', ...(creds ? ['--creds', creds] : []), `docker://${ref}`];
  const out = JSON.parse((await skopeo(args)).stdout) as { Digest: string };
  return out.Digest;
}

/** The raw manifest or index skopeo fetches for `ref`. */
export async function skopeoRaw(ref: string): Promise<{ layers?: Array<{ digest: string; size: number }>; manifests?: unknown[] }> {
  return JSON.parse((await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout);
}

/** Where docker-registry's filesystem driver keeps the bytes of a blob. */
export function registryBlobPath(dataDir: string, digest: string): string {
  const hex = digest.replace(/^sha256:/, '');
  return join(dataDir, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}

/** Total bytes of the regular files under `dir` (0 when it does not exist). */
export async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await treeBytes(p);
    // A file may go between readdir and lstat (the daemon renames its temporary files into place).
    else if (e.isFile()) total += (await lstat(p).catch(() => undefined))?.size ?? 0;
  }
  return total;
}

/** Why an end-to-end test cannot run here, or undefined. */
export function skipE2e(options: { htpasswd?: boolean } = {}): string | undefined {
  return skipUnlessRoot() ?? skipUnlessRegistry(options);
}

/** Every `sha256:<64 hex>` in `text`. */
export function digestsIn(text: string): string[] {
  return [...text.matchAll(/sha256:[0-9a-f]{64}/g)].map((m) => m[0]);
}

/** The image names `janus images` lists, as `repo:tag` lines. */
export async function listNames(janus: (args: string[]) => Promise<CliResult>): Promise<string[]> {
  const out = ok(await janus(['images', '--format', '{{.Repository}}:{{.Tag}}']), 'janus images --format');
  return out.split('\n').map((l) => l.trim()).filter(Boolean).sort();
}

/** Polls `fn` every 100 ms until it returns a value, failing with `what` after `timeoutMs` (a safety net, not a measured threshold). */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Mount points at or under `dir` (from /proc/self/mountinfo): what a daemon's root still has mounted. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text.split('\n').map((l) => l.split(' ')[4] ?? '').filter((p) => p === dir || p.startsWith(`${dir}/`));
}
