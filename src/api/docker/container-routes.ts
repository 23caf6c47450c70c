import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidArgument, isJanusError, notImplemented } from '../../core/errors.ts';
import type {
  ContainerFilters, ContainerService, ContainerStatsSample, ContainerStatus, ContainerView, IsolationLevel, PathStat, ResourceUpdate,
} from '../../engine/container-service.ts';
import { isValidSignal } from '../../runtimes/oci/spec/run-options.ts';
import type { Logger } from '../../util/logger.ts';
import type { ApiRequest } from './api-request.ts';
import { compareApiVersions } from './api-version.ts';
import { containerInspectWire, containerSummaryWire, parseContainerCreate } from './container-wire.ts';
import { errorResponse } from './errors.ts';
import { parseFilters } from './filters.ts';
import { parseIsolation, parseResources, parseRestartPolicy } from './host-config-wire.ts';
import { resolveLegacyLinks, takeLegacyLinks } from './legacy-links.ts';
import type { Router } from './router.ts';
import { serveStreamSession } from './serve-stream-session.ts';
import { statsWire } from './stats-wire.ts';
import { serveWebSocketSession } from './websocket-session.ts';
import { MULTIPLEXED_STREAM, RAW_STREAM, muxFrame } from './stream-frames.ts';
import { formatLogTimestamp, formatRfc3339Nano } from './time-format.ts';
import { parseTimestamp } from './timestamps.ts';
import { WireObject } from './wire-object.ts';

/** What the container routes need. */
export interface ContainerRoutesOptions {
  containers: ContainerService;
  logger: Logger;
  /** Milliseconds between two samples of a stats stream (docker: one second). */
  statsIntervalMs?: number;
}

const LIST_FILTERS = ['id', 'name', 'label', 'status', 'exited', 'ancestor', 'before', 'since', 'health', 'isolation', 'volume', 'network', 'publish', 'expose', 'is-task'] as const;
const PRUNE_FILTERS = ['until', 'label', 'label!'] as const;
const STATUSES: readonly ContainerStatus[] = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'];
const HEALTH = ['starting', 'healthy', 'unhealthy', 'none'] as const;
const WAIT_CONDITIONS = ['not-running', 'next-exit', 'removed'] as const;
const COMMIT_QUERY = ['container', 'repo', 'tag', 'comment', 'author', 'pause', 'changes'];

/** A whole-number query parameter that may be negative (`t=-1`: wait forever). */
function signedInt(r: ApiRequest, name: string): number | undefined {
  const v = r.string(name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw invalidArgument(`invalid value for query parameter ${name}: ${JSON.stringify(v)} (want an integer)`);
  return Number(v);
}

/** A signal parameter, checked before anything is done. */
function signalParam(r: ApiRequest, name = 'signal'): string | undefined {
  const v = r.string(name);
  if (v !== undefined && !isValidSignal(v)) throw invalidArgument(`invalid signal: ${v}`);
  return v;
}

/** `h` and `w` of the resize endpoints (both required, unsigned 32-bit). */
export function ttySize(r: ApiRequest): { rows: number; cols: number } {
  const get = (name: 'h' | 'w', what: string): number => {
    const v = r.string(name);
    if (v === undefined || !/^\d+$/.test(v) || Number(v) > 0xffff_ffff) throw invalidArgument(`invalid resize ${what} ${JSON.stringify(v ?? '')}`);
    return Number(v);
  };
  return { rows: get('h', 'height'), cols: get('w', 'width') };
}

/** The media type of a session's or log's stream for the client's API version (docker: multiplexed only from 1.42 on). */
export function streamMediaType(tty: boolean, apiVersion: string): string {
  return !tty && compareApiVersions(apiVersion, '1.42') >= 0 ? MULTIPLEXED_STREAM : RAW_STREAM;
}

/** Docker list filters → the engine's ContainerFilters, plus the ones this layer applies itself. */
function listFilters(f: Map<string, string[]>): { filters: ContainerFilters; post: (v: ContainerView) => boolean; none: boolean } {
  const filters: ContainerFilters = {};
  const some = (name: string): string[] | undefined => {
    const v = f.get(name);
    return v && v.length > 0 ? v : undefined;
  };
  for (const k of ['id', 'name', 'label', 'ancestor', 'volume'] as const) {
    const v = some(k);
    if (v) filters[k] = v;
  }
  const status = some('status');
  if (status) {
    for (const s of status) if (!(STATUSES as readonly string[]).includes(s)) throw invalidArgument(`invalid filter 'status=${s}'`);
    filters.status = status as ContainerStatus[];
  }
  const exited = some('exited');
  if (exited) {
    filters.exited = exited.map((e) => {
      if (!/^-?\d+$/.test(e)) throw invalidArgument(`invalid filter 'exited=${e}'`);
      return Number(e);
    });
  }
  const health = some('health');
  if (health) {
    for (const h of health) if (!(HEALTH as readonly string[]).includes(h)) throw invalidArgument(`Unrecognised filter value for health: ${h}`);
    filters.health = health as ContainerFilters['health'];
  }
  const isolation = some('isolation');
  if (isolation) filters.isolation = isolation.map((i) => parseIsolation(i, `filter 'isolation'`) ?? ('container' satisfies IsolationLevel));
  for (const k of ['before', 'since'] as const) {
    const v = some(k);
    if (v && v.length > 1) throw invalidArgument(`filter '${k}' takes one value`);
    if (v) filters[k] = v[0];
  }
  // Filters the engine does not know: networks, ports and swarm tasks.
  const networks = some('network');
  const expose = some('expose')?.map((p) => (p.includes('/') ? p : `${p}/tcp`));
  const publish = some('publish')?.map((p) => (p.includes('/') ? p : `${p}/tcp`));
  const isTask = some('is-task');
  const post = (v: ContainerView): boolean =>
    (!networks || networks.includes(v.networkMode)) &&
    (!expose || v.config.exposedPorts.some((p) => expose.includes(p))) &&
    (!publish || (v.request.publish ?? []).some((p) => publish.includes(`${p.containerPort}/${p.protocol}`)));
  // Janus runs no swarm tasks: is-task=true matches nothing.
  const none = isTask?.some((t) => t === 'true' || t === '1') ?? false;
  return { filters, post, none };
}

/** Resolves when `w` can take more, or has gone away. */
function drained(w: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      w.off('drain', done);
      w.off('close', done);
      resolve();
    };
    w.once('drain', done);
    w.once('close', done);
  });
}

function pathParam(r: ApiRequest): string {
  const path = r.string('path');
  if (path === undefined) throw invalidArgument('query parameter path is required');
  return path;
}

/** docker's X-Docker-Container-Path-Stat: base64 of the PathStat JSON (Go's field names and time format). */
function pathStatHeader(s: PathStat): string {
  return Buffer.from(JSON.stringify({ name: s.name, size: s.size, mode: s.mode, mtime: formatRfc3339Nano(s.mtime), linkTarget: s.linkTarget })).toString('base64');
}

/**
 * Adds docker's `/containers/…` endpoints and `POST /commit` to `router`.
 * Fixed paths come before the `{id}` ones.
 */
export function registerContainerRoutes(router: Router, options: ContainerRoutesOptions): void {
  const { containers, logger } = options;
  const statsInterval = options.statsIntervalMs ?? 1000;
  const streamFailed = (r: ApiRequest, err: unknown): void => {
    const { error, status } = errorResponse(err);
    // A client that hangs up early is no failure of ours: docker cp stops reading once it has its file, `docker export | head` once head has enough.
    if (r.signal.aborted) {
      logger.debug('streamed request ended by the client', { method: r.req.method, path: r.path, error });
      return;
    }
    logger[status >= 500 ? 'error' : 'info']('streamed request failed', { method: r.req.method, path: r.path, status, error });
  };

  router.add('GET', '/containers/json', async (r) => {
    const { filters, post, none } = listFilters(parseFilters(r.string('filters'), LIST_FILTERS));
    const all = r.bool('all');
    const size = r.bool('size');
    const limit = signedInt(r, 'limit') ?? 0;
    if (none) {
      r.send(200, []);
      return;
    }
    // The filters applied here must see every candidate before the limit cuts the list.
    let views = await containers.list({ all: all || limit > 0, size, filters });
    views = views.filter(post);
    if (limit > 0) views = views.slice(0, limit);
    const now = Date.now();
    r.send(200, views.map((v) => containerSummaryWire(v, now)));
  });

  router.add('POST', '/containers/create', async (r) => {
    const { body, links } = takeLegacyLinks(await r.jsonBody());
    const query = { name: r.string('name'), platform: compareApiVersions(r.apiVersion, '1.41') >= 0 ? r.string('platform') : undefined };
    const request = await resolveLegacyLinks(parseContainerCreate(body, query, r.apiVersion), links, containers);
    const { id, warnings } = await containers.create(request, { signal: r.signal });
    r.send(201, { Id: id, Warnings: warnings });
  });

  router.add('POST', '/containers/prune', async (r) => {
    const f = parseFilters(r.string('filters'), PRUNE_FILTERS);
    if (f.has('label!')) throw notImplemented("filter 'label!' is not supported by container prune; use 'label'");
    const filters: ContainerFilters = {};
    const label = f.get('label');
    if (label && label.length > 0) filters.label = label;
    const until = f.get('until');
    if (until && until.length > 1) throw invalidArgument("filter 'until' takes one value");
    if (until && until.length === 1) filters.until = Number(parseTimestamp(until[0], "filter 'until'")) / 1e9;
    const { deleted, spaceReclaimed } = await containers.prune({ filters });
    r.send(200, { ContainersDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: spaceReclaimed });
  });

  router.add('POST', '/commit', async (r) => {
    const container = r.string('container');
    if (container === undefined) throw invalidArgument('query parameter container is required');
    const body = WireObject.from(await r.jsonBody(), 'body of POST /commit');
    // dockerode sends its options (the query parameters) as the body as well; they are no config fields.
    if (body && body.keys().some((k) => !COMMIT_QUERY.includes(k) && body.has(k))) {
      throw notImplemented('a container config in the body of POST /commit is not supported; give Dockerfile instructions with the changes parameter');
    }
    const repo = r.string('repo');
    const tag = r.string('tag');
    if (tag !== undefined && repo === undefined) throw invalidArgument('query parameter tag needs repo');
    const reference = repo === undefined ? undefined : tag === undefined ? repo : `${repo}:${tag}`;
    const message = r.string('comment');
    const author = r.string('author');
    const { id } = await containers.commit(container, {
      ...(reference !== undefined ? { reference } : {}),
      ...(message !== undefined ? { message } : {}),
      ...(author !== undefined ? { author } : {}),
      changes: r.strings('changes'),
      pause: r.bool('pause', true),
    });
    r.send(201, { Id: id });
  });

  router.add('GET', '/containers/{id}/json', async (r) => {
    r.send(200, containerInspectWire(await containers.inspect(r.param('id'), { size: r.bool('size') })));
  });

  router.add('POST', '/containers/{id}/start', async (r) => {
    // Docker stopped taking a HostConfig at start in API 1.24 and refuses a body; `{}` and `null` still pass.
    const length = r.req.headers['content-length'];
    if ((length !== undefined && Number(length) > 7) || r.req.headers['transfer-encoding'] !== undefined) {
      throw invalidArgument('starting container with non-empty request body was deprecated since API v1.22 and removed in v1.24');
    }
    if (r.string('checkpoint') !== undefined) throw notImplemented('checkpoint and restore are not supported');
    r.string('detachKeys');
    const { started } = await containers.start(r.param('id'), { signal: r.signal });
    r.sendEmpty(started ? 204 : 304);
  });

  router.add('POST', '/containers/{id}/stop', async (r) => {
    const timeout = signedInt(r, 't');
    const signal = compareApiVersions(r.apiVersion, '1.42') >= 0 ? signalParam(r) : undefined;
    const { stopped } = await containers.stop(r.param('id'), { ...(timeout !== undefined ? { timeout } : {}), ...(signal ? { signal } : {}) });
    r.sendEmpty(stopped ? 204 : 304);
  });

  router.add('POST', '/containers/{id}/restart', async (r) => {
    const timeout = signedInt(r, 't');
    const signal = compareApiVersions(r.apiVersion, '1.42') >= 0 ? signalParam(r) : undefined;
    await containers.restart(r.param('id'), { ...(timeout !== undefined ? { timeout } : {}), ...(signal ? { signal } : {}) });
    r.sendEmpty(204);
  });

  router.add('POST', '/containers/{id}/kill', async (r) => {
    await containers.kill(r.param('id'), signalParam(r));
    r.sendEmpty(204);
  });

  router.add('POST', '/containers/{id}/pause', async (r) => {
    await containers.pause(r.param('id'));
    r.sendEmpty(204);
  });

  router.add('POST', '/containers/{id}/unpause', async (r) => {
    await containers.unpause(r.param('id'));
    r.sendEmpty(204);
  });

  router.add('POST', '/containers/{id}/rename', async (r) => {
    const name = r.string('name');
    if (name === undefined) throw invalidArgument('query parameter name is required');
    await containers.rename(r.param('id'), name);
    r.sendEmpty(204);
  });

  router.add('POST', '/containers/{id}/resize', async (r) => {
    await containers.resize(r.param('id'), ttySize(r));
    r.sendEmpty(200);
  });

  router.add('POST', '/containers/{id}/update', async (r) => {
    const body = WireObject.from(await r.jsonBody(), '');
    if (!body) throw invalidArgument('POST /containers/{id}/update needs a JSON body (the resources to change)');
    const update: ResourceUpdate = {};
    const res = parseResources(body, r.apiVersion);
    if (res.ulimits) throw notImplemented('Ulimits cannot be changed on an existing container');
    // Docker: PidsLimit 0 or below means "unlimited" when updating (and null "leave as is").
    const pids = body.has('PidsLimit') ? (body.raw('PidsLimit') as number) : undefined;
    if (res.memory !== undefined) update.memory = res.memory;
    if (res.memorySwap !== undefined) update.memorySwap = res.memorySwap;
    if (res.cpus !== undefined) update.cpus = res.cpus;
    if (res.cpuShares !== undefined) update.cpuShares = res.cpuShares;
    if (pids !== undefined) update.pidsLimit = pids > 0 ? pids : 0;
    const restart = parseRestartPolicy(body.object('RestartPolicy'));
    if (restart) update.restartPolicy = restart;
    body.ignore('Init');
    body.rejectUnknown();
    const { warnings } = await containers.update(r.param('id'), update);
    r.send(200, { Warnings: warnings.length > 0 ? warnings : null });
  });

  router.add('GET', '/containers/{id}/top', async (r) => {
    const { titles, processes } = await containers.top(r.param('id'), r.string('ps_args'));
    r.send(200, { Titles: titles, Processes: processes });
  });

  router.add('GET', '/containers/{id}/changes', async (r) => {
    const changes = await containers.changes(r.param('id'));
    r.send(200, changes.map((c) => ({ Path: c.path, Kind: c.kind })));
  });

  router.add('GET', '/containers/{id}/export', async (r) => {
    const tar = await containers.export(r.param('id'), { signal: r.signal });
    r.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    try {
      await pipeline(tar, r.res);
    } catch (err) {
      streamFailed(r, err);
      r.res.destroy(err as Error);
    }
  });

  router.add('DELETE', '/containers/{id}', async (r) => {
    if (r.bool('link')) throw notImplemented('container links are not supported, so there is no link to remove');
    // `snapshots` is Janus's: also remove the container's snapshots (refused without it when it has some).
    await containers.remove(r.param('id'), { force: r.bool('force'), volumes: r.bool('v'), ...(r.bool('snapshots') ? { snapshots: true } : {}) });
    r.sendEmpty(204);
  });

  router.add('POST', '/containers/{id}/wait', async (r) => {
    const condition = r.string('condition') ?? 'not-running';
    if (!(WAIT_CONDITIONS as readonly string[]).includes(condition)) throw invalidArgument(`invalid condition: ${JSON.stringify(condition)}`);
    const waiting = containers.wait(r.param('id'), { condition: condition as (typeof WAIT_CONDITIONS)[number], signal: r.signal });
    // An answer ready at once (unknown container, already stopped) gets its own status. Otherwise docker
    // sends the headers now, so a client knows the wait is registered before it starts the container.
    const settled = await Promise.race([
      waiting.then((result) => ({ result }), (error: unknown) => ({ error })),
      new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined))),
    ]);
    if (settled && 'error' in settled) throw settled.error;
    if (settled) {
      r.send(200, waitBody(settled.result));
      return;
    }
    r.res.writeHead(200, { 'Content-Type': 'application/json' });
    r.res.flushHeaders();
    try {
      const result = await waiting;
      r.res.end(`${JSON.stringify(waitBody(result))}\n`);
    } catch (err) {
      if (r.res.destroyed) return;
      streamFailed(r, err);
      r.res.end(`${JSON.stringify({ StatusCode: -1, Error: { Message: errorResponse(err).error.message } })}\n`);
    }
  });

  router.add('GET', '/containers/{id}/logs', async (r) => {
    const stdout = r.bool('stdout');
    const stderr = r.bool('stderr');
    if (!stdout && !stderr) throw invalidArgument('Bad parameters: you must choose at least one stream');
    const follow = r.bool('follow');
    const timestamps = r.bool('timestamps');
    r.bool('details');
    const since = r.string('since');
    const until = r.string('until');
    const tailText = r.string('tail') ?? 'all';
    let tail: number | undefined;
    if (tailText !== 'all') {
      if (!/^-?\d+$/.test(tailText)) throw invalidArgument(`invalid value for query parameter tail: ${JSON.stringify(tailText)} (want a number or all)`);
      tail = Number(tailText) < 0 ? undefined : Number(tailText);
    }
    const view = await containers.inspect(r.param('id'));
    const entries = containers.logs(view.id, {
      follow,
      stdout,
      stderr,
      ...(since !== undefined && since !== '0' ? { since: Number(parseTimestamp(since, 'since')) / 1e9 } : {}),
      ...(until !== undefined && until !== '0' ? { until: Number(parseTimestamp(until, 'until')) / 1e9 } : {}),
      ...(tail !== undefined ? { tail } : {}),
      signal: r.signal,
    });
    const tty = view.config.tty;
    r.res.writeHead(200, { 'Content-Type': streamMediaType(tty, r.apiVersion) });
    r.res.flushHeaders();
    try {
      for await (const e of entries) {
        if (r.res.destroyed) break;
        const data = timestamps ? Buffer.concat([Buffer.from(`${formatLogTimestamp(e.timestamp)} `), e.data]) : e.data;
        const bytes = tty ? data : muxFrame(e.stream, data);
        if (!r.res.write(bytes)) await drained(r.res);
      }
      if (!r.res.destroyed) r.res.end();
    } catch (err) {
      if (r.signal.aborted) return;
      streamFailed(r, err);
      r.res.destroy(err as Error);
    }
  });

  router.add('GET', '/containers/{id}/stats', async (r) => {
    const stream = r.bool('stream', true);
    const oneShot = compareApiVersions(r.apiVersion, '1.41') >= 0 && r.bool('one-shot');
    if (oneShot && stream) throw invalidArgument('cannot have stream=true and one-shot=true');
    const view = await containers.inspect(r.param('id'));
    const sample = async (): Promise<ContainerStatsSample | undefined> => {
      try {
        return await containers.stats(view.id);
      } catch (err) {
        // Not running: docker answers with zeros.
        if (isJanusError(err, 'Conflict')) return undefined;
        throw err;
      }
    };
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      r.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
    });
    if (!stream) {
      let first = await sample();
      let previous: ContainerStatsSample | undefined;
      // Without one-shot docker waits for a second sample, so the CPU figures have a delta to show.
      if (first && !oneShot) {
        await sleep(statsInterval);
        previous = first;
        first = await sample();
        if (!first) previous = undefined;
      }
      r.send(200, statsWire(view, first, previous));
      return;
    }
    r.res.writeHead(200, { 'Content-Type': 'application/json' });
    r.res.flushHeaders();
    let previous: ContainerStatsSample | undefined;
    try {
      while (!r.signal.aborted && !r.res.destroyed) {
        const s = await sample();
        r.res.write(`${JSON.stringify(statsWire(view, s, previous))}\n`);
        previous = s;
        await sleep(statsInterval);
      }
    } catch (err) {
      // Gone (removed) or broken: the stream ends.
      if (!isJanusError(err, 'NotFound')) streamFailed(r, err);
    }
    if (!r.res.destroyed) r.res.end();
  });

  router.add('POST', '/containers/{id}/attach', async (r) => {
    const view = await containers.inspect(r.param('id'));
    const stdin = r.bool('stdin');
    const session = await containers.attach(view.id, {
      // Without an upgrade the client has no way to send stdin.
      stdin: stdin && r.wantsUpgrade,
      stdout: r.bool('stdout'),
      stderr: r.bool('stderr'),
      logs: r.bool('logs'),
      stream: r.bool('stream'),
      ...(r.string('detachKeys') !== undefined ? { detachKeys: r.string('detachKeys') } : {}),
      signal: r.signal,
    });
    const conn = r.hijack(streamMediaType(session.tty, r.apiVersion));
    await serveStreamSession(session, conn, {
      multiplex: !session.tty,
      // docker: the client's end of stdin closes the container's stdin only for a StdinOnce container without a TTY.
      onInputEnd: view.config.stdinOnce && !session.tty ? 'close-stdin' : 'detach',
      onError: (err) => streamFailed(r, err),
    });
  });

  router.add('GET', '/containers/{id}/attach/ws', async (r) => {
    const view = await containers.inspect(r.param('id'));
    // Before API 1.42 docker attached every stream over a websocket, whatever was asked.
    const modern = compareApiVersions(r.apiVersion, '1.42') >= 0;
    r.checkWebSocket();
    const session = await containers.attach(view.id, {
      stdin: modern ? r.bool('stdin') : true,
      stdout: modern ? r.bool('stdout') : true,
      stderr: modern ? r.bool('stderr') : true,
      logs: r.bool('logs'),
      stream: r.bool('stream'),
      ...(r.string('detachKeys') !== undefined ? { detachKeys: r.string('detachKeys') } : {}),
      signal: r.signal,
    });
    await serveWebSocketSession(session, r.acceptWebSocket(), { binary: compareApiVersions(r.apiVersion, '1.28') >= 0 });
  });

  router.add('HEAD', '/containers/{id}/archive', async (r) => {
    const stat = await containers.statPath(r.param('id'), pathParam(r));
    r.res.writeHead(200, { 'X-Docker-Container-Path-Stat': pathStatHeader(stat), 'Content-Type': 'application/json' });
    r.res.end();
  });

  router.add('GET', '/containers/{id}/archive', async (r) => {
    const { stat, archive } = await containers.getArchive(r.param('id'), pathParam(r), { signal: r.signal });
    r.res.writeHead(200, { 'X-Docker-Container-Path-Stat': pathStatHeader(stat), 'Content-Type': 'application/x-tar' });
    try {
      await pipeline(archive, r.res);
    } catch (err) {
      streamFailed(r, err);
      r.res.destroy(err as Error);
    }
  });

  router.add('PUT', '/containers/{id}/archive', async (r) => {
    const path = pathParam(r);
    await containers.putArchive(r.param('id'), path, r.body, {
      noOverwriteDirNonDir: r.bool('noOverwriteDirNonDir'),
      copyUidGid: r.bool('copyUIDGID'),
      signal: r.signal,
    });
    r.sendEmpty(200);
  });
}

function waitBody(result: { statusCode: number; error?: string }): Record<string, unknown> {
  return { StatusCode: result.statusCode, ...(result.error ? { Error: { Message: result.error } } : {}) };
}
