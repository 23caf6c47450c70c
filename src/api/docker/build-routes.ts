import { invalidArgument, notImplemented } from '../../core/errors.ts';
import type { BuildNetwork, BuildRequest, BuildService } from '../../engine/build-service.ts';
import { RunStepFailed } from '../../engine/build-service.ts';
import type { Logger } from '../../util/logger.ts';
import type { ApiRequest } from './api-request.ts';
import { errorResponse } from './errors.ts';
import { JsonMessageStream } from './json-message-stream.ts';
import type { Router } from './router.ts';

/** Query parameters docker's client sends empty whatever the flags; anything else in them is refused. */
const EMPTY_STRINGS = ['cpusetcpus', 'cpusetmems', 'cgroupparent', 'remote', 'securityopt'] as const;
const EMPTY_JSON_LISTS = ['ulimits', 'cachefrom', 'outputs'] as const;

/**
 * `POST /build` (docker's classic builder protocol: the context tar as the
 * body, options in the query, a JSON message stream of `stream` lines, the
 * image ID in an `aux` message, errors as `errorDetail` — with a failing
 * RUN's exit code as its code, which `docker build` exits with) and
 * `POST /build/prune`. Options the builder does not offer (resource limits
 * for RUN, remote contexts, cache-from, squash, BuildKit's `version=2`)
 * are refused with 501 naming them; the zero values docker's client always
 * sends pass.
 */
export function registerBuildRoutes(router: Router, options: { builds: BuildService; logger: Logger }): void {
  const { builds, logger } = options;

  router.add('POST', '/build', async (r) => {
    const request = buildRequest(r);
    const quiet = r.bool('q');
    const out = new JsonMessageStream(r.res);
    const held: string[] = [];
    const text = (chunk: string) => {
      if (quiet) held.push(chunk);
      else out.write({ stream: chunk });
    };
    try {
      const result = await builds.build(request, { output: { text, progress: quiet ? () => {} : out.progress }, signal: r.signal });
      out.write({ aux: { ID: result.id } });
      if (quiet) {
        out.write({ stream: `${result.id}\n` });
      } else {
        out.write({ stream: `Successfully built ${result.id.replace(/^sha256:/, '').slice(0, 12)}\n` });
        for (const tag of result.tags) out.write({ stream: `Successfully tagged ${tag}\n` });
      }
      out.end();
    } catch (err) {
      const { status, error } = errorResponse(err);
      logger[status >= 500 && status !== 501 ? 'error' : 'info']('build failed', { status, error });
      // With -q the output is shown only when the build fails, as dockerd does.
      if (quiet && held.length > 0) out.write({ stream: held.join('') });
      if (!out.started && !(err instanceof RunStepFailed) && held.length === 0) {
        out.fail(err);
        return;
      }
      const message = error.message;
      out.write(err instanceof RunStepFailed ? { errorDetail: { code: err.exitCode, message }, error: message } : { errorDetail: { message }, error: message });
      out.end();
    }
  });

  router.add('POST', '/build/prune', async (r) => {
    const filters = jsonObject(r.string('filters'), 'filters', true, true);
    if (Object.keys(filters).length > 0) throw notImplemented(`filters (${Object.keys(filters).join(', ')}) are not supported by build cache prune: it removes the whole cache`);
    r.bool('all');
    const { deleted, spaceReclaimed } = await builds.prune({ signal: r.signal });
    // IDs as /system/df lists the build cache (25 characters, as BuildKit's record IDs are long).
    r.send(200, { CachesDeleted: deleted.length > 0 ? deleted.map(cacheRecordId) : null, SpaceReclaimed: spaceReclaimed });
  });
}

/** The query of `POST /build` in domain form, the body as the context. InvalidArgument / NotImplemented for what cannot be honoured. */
function buildRequest(r: ApiRequest): BuildRequest {
  const version = r.string('version');
  if (version !== undefined && version !== '' && version !== '1') {
    throw notImplemented(`builder version ${version} (BuildKit) is not offered by Janus: use the classic builder (DOCKER_BUILDKIT=0)`);
  }
  for (const name of EMPTY_STRINGS) {
    const vs = r.strings(name).filter((v) => v !== '');
    if (vs.length > 0) throw notImplemented(`build option ${name}=${vs.join(',')} is not supported by Janus's builder`);
  }
  for (const name of EMPTY_JSON_LISTS) {
    const v = r.string(name);
    if (v === undefined || v === '' || v === 'null' || v === '[]') continue;
    throw notImplemented(`build option ${name}=${v} is not supported by Janus's builder`);
  }
  if (r.bool('squash')) throw notImplemented('squashing a build (--squash) is not supported by Janus\'s builder');
  const isolation = r.string('isolation');
  if (isolation !== undefined && !['', 'default', 'container'].includes(isolation)) {
    throw notImplemented(`build isolation ${isolation} is not supported: RUN steps run at the container level`);
  }
  r.bool('rm', true);
  r.bool('forcerm');
  const buildArgs = jsonObject(r.string('buildargs'), 'buildargs', true) as Record<string, string | null>;
  const labels = jsonObject(r.string('labels'), 'labels', false) as Record<string, string>;
  const dockerfile = r.string('dockerfile');
  const target = r.string('target');
  const platform = r.string('platform');
  // docker's client sends `extrahosts` as one comma-separated value or repeated; each is `name:ip`.
  const extraHosts = r.strings('extrahosts').flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  return {
    context: r.req,
    ...(dockerfile ? { dockerfile } : {}),
    tags: r.strings('t').filter((t) => t !== ''),
    buildArgs,
    ...(target ? { target } : {}),
    noCache: r.bool('nocache'),
    pull: r.bool('pull'),
    labels,
    network: buildNetwork(r.string('networkmode')),
    ...(platform ? { platform } : {}),
    ...resources(r),
    ...(extraHosts.length > 0 ? { extraHosts } : {}),
  };
}

/** RUN containers' limits: docker's client sends 0 for each one not given (-1 for an unlimited swap). */
function resources(r: ApiRequest): Pick<BuildRequest, 'resources'> {
  const num = (name: string): number | undefined => {
    const text = r.string(name);
    if (text === undefined || text === '' || text === '0') return undefined;
    const v = Number(text);
    if (!Number.isInteger(v) || (v < 0 && !(name === 'memswap' && v === -1))) throw invalidArgument(`invalid ${name}=${text}: want a whole number of ${name === 'cpushares' ? 'shares' : name.startsWith('cpu') ? 'microseconds' : 'bytes'}`);
    return v;
  };
  const out: NonNullable<BuildRequest['resources']> = {};
  const memory = num('memory');
  const memorySwap = num('memswap');
  const cpuShares = num('cpushares');
  const quota = num('cpuquota');
  const period = num('cpuperiod');
  const shmSize = num('shmsize');
  if (memory !== undefined) out.memory = memory;
  if (memorySwap !== undefined) out.memorySwap = memorySwap;
  if (cpuShares !== undefined) out.cpuShares = cpuShares;
  if (quota !== undefined) out.cpus = quota / (period ?? 100_000);
  else if (period !== undefined) throw notImplemented('cpuperiod without cpuquota is not supported by Janus\'s builder');
  if (shmSize !== undefined) out.shmSize = shmSize;
  return Object.keys(out).length > 0 ? { resources: out } : {};
}

/** `networkmode`: `default` (and '') is none for Janus builds; `none`, `host`, or a network name. */
function buildNetwork(mode: string | undefined): BuildNetwork {
  if (mode === undefined || mode === '' || mode === 'default' || mode === 'none') return { mode: 'none' };
  if (mode === 'host') return { mode: 'host' };
  if (mode.startsWith('container:')) throw notImplemented(`build network ${mode} is not supported: use none, host or a network name`);
  return { mode: 'network', name: mode };
}

function jsonObject(text: string | undefined, name: string, nullable: boolean, anyValues = false): Record<string, unknown> {
  if (text === undefined || text === '' || text === 'null') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`invalid ${name}: not JSON: ${(err as Error).message}`, err);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(`invalid ${name}: want a JSON object`);
  for (const [k, value] of Object.entries(v)) {
    if (anyValues) break;
    if (!(typeof value === 'string' || (nullable && value === null))) throw invalidArgument(`invalid ${name}: the value of ${JSON.stringify(k)} must be a string`);
  }
  return v as Record<string, unknown>;
}

/** A build cache key as docker's BuildCache record ID (its first 25 hex digits). Pure. */
export function cacheRecordId(key: string): string {
  return key.replace(/^sha256:/, '').slice(0, 25);
}
