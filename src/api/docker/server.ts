import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { invalidArgument, isJanusError } from '../../core/errors.ts';
import type { BuildService } from '../../engine/build-service.ts';
import type { ContainerService } from '../../engine/container-service.ts';
import type { ImageService } from '../../engine/image-service.ts';
import type { NetworkService } from '../../engine/network-service.ts';
import type { VolumeService } from '../../engine/volume-service.ts';
import type { Logger } from '../../util/logger.ts';
import { ApiRequest } from './api-request.ts';
import { API_VERSION, checkApiVersion } from './api-version.ts';
import { errorResponse } from './errors.ts';
import type { EventBus } from './event-bus.ts';
import { registerAdviseRoutes } from './advise-routes.ts';
import { registerBenchRoutes } from './bench-routes.ts';
import type { BenchService } from '../../engine/bench-service.ts';
import { registerBuildRoutes } from './build-routes.ts';
import { registerContainerRoutes } from './container-routes.ts';
import { registerEventRoutes } from './event-routes.ts';
import { registerExecRoutes } from './exec-routes.ts';
import { registerImageRoutes } from './image-routes.ts';
import { registerNetworkRoutes } from './network-routes.ts';
import { registerNotOfferedRoutes } from './not-offered-routes.ts';
import { registerVolumeRoutes } from './volume-routes.ts';
import { registerDiskUsageRoutes } from './disk-usage-routes.ts';
import { registerSnapshotRoutes } from './snapshot-routes.ts';
import type { SnapshotService } from '../../engine/snapshot-service.ts';
import type { IsolationAdviser } from '../../engine/isolation-advice.ts';
import { registerDashboardRoutes, type DashboardStatus } from './dashboard-routes.ts';
import { Router } from './router.ts';
import { registerSystemRoutes } from './system-routes.ts';
import type { SystemService } from './system-service.ts';

/** What the API server serves. */
export interface ApiServerOptions {
  images: ImageService;
  containers: ContainerService;
  volumes: VolumeService;
  /** Absent: the `/networks` endpoints answer 501 "networks are not available". */
  networks?: NetworkService;
  system: SystemService;
  /** Absent: `POST /build` answers 501 (no builder). */
  builds?: BuildService;
  events: EventBus;
  /** Absent: the `/janus/…/snapshots` endpoints are not served (404). */
  snapshots?: SnapshotService;
  logger: Logger;
  /** The isolation advisor for `POST /janus/advise`; absent: that endpoint is not served (404). */
  adviser?: IsolationAdviser;
  /** The host's latest bench figures for `GET`/`PUT /janus/bench`; absent: those endpoints are not served (404). */
  bench?: BenchService;
  /**
   * Aborted by the daemon when it shuts down: every in-flight request's
   * signal (handed to the engine) is aborted with it, and `/events`
   * followers end.
   */
  shutdown?: AbortSignal;
  /** The web dashboard's address for `GET /janus/dashboard`; absent: that endpoint is not offered. */
  dashboard?: () => DashboardStatus;
}

const VERSION_PREFIX = /^\/v(\d+(?:\.\d+)?)(\/.*)$/;

/** Bodies of upgrade requests (exec start's small JSON) are read before routing; anything larger is refused. */
const MAX_UPGRADE_BODY = 1 << 20;

/**
 * The Docker Engine API on node:http. Returns an unlistening server: the
 * caller listens (on a unix socket) and closes it. Every response carries
 * docker's identifying headers; paths may have a `/vX.Y` prefix from
 * MIN_API_VERSION to API_VERSION; errors are `{"message": …}` with the
 * status of their kind (errors.ts).
 */
export function createApiServer(options: ApiServerOptions): Server {
  const { logger } = options;
  const router = new Router();
  registerSystemRoutes(router, { system: options.system, images: options.images });
  registerEventRoutes(router, { events: options.events });
  registerImageRoutes(router, { images: options.images, logger });
  registerVolumeRoutes(router, { volumes: options.volumes });
  registerNetworkRoutes(router, { networks: options.networks });
  registerDiskUsageRoutes(router, { images: options.images, volumes: options.volumes, containers: options.containers, ...(options.snapshots ? { snapshots: options.snapshots } : {}) });
  if (options.snapshots) registerSnapshotRoutes(router, { snapshots: options.snapshots });
  registerContainerRoutes(router, { containers: options.containers, logger });
  registerExecRoutes(router, { containers: options.containers, logger });
  if (options.builds) registerBuildRoutes(router, { builds: options.builds, logger });
  if (options.dashboard) registerDashboardRoutes(router, { dashboard: options.dashboard });
  if (options.adviser) registerAdviseRoutes(router, { adviser: options.adviser });
  if (options.bench) registerBenchRoutes(router, { bench: options.bench });
  registerNotOfferedRoutes(router);
  const serverHeader = `Janus/${options.system.serverVersion} (linux)`;

  const handle = async (req: IncomingMessage, res: ServerResponse, upgrade?: { socket: Socket; body: Buffer }): Promise<void> => {
    const started = Date.now();
    res.setHeader('Api-Version', API_VERSION);
    res.setHeader('Docker-Experimental', 'false');
    res.setHeader('Ostype', 'linux');
    res.setHeader('Server', serverHeader);

    const controller = new AbortController();
    res.once('close', () => { if (!res.writableFinished) controller.abort(); });
    const signal = options.shutdown ? AbortSignal.any([controller.signal, options.shutdown]) : controller.signal;
    const method = req.method ?? 'GET';
    let rawPath = '/';
    let api: ApiRequest | undefined;
    try {
      const url = new URL(req.url ?? '/', 'http://janus');
      rawPath = url.pathname;
      let path = rawPath;
      let apiVersion = API_VERSION;
      const m = VERSION_PREFIX.exec(path);
      if (m) {
        apiVersion = checkApiVersion(m[1]);
        path = m[2];
      }
      if (path === '/_ping' && (method === 'GET' || method === 'HEAD')) {
        ping(res, method);
        return;
      }
      const route = router.match(method, path);
      if (!route) {
        req.resume();
        sendJson(res, 404, { message: 'page not found' });
        return;
      }
      api = new ApiRequest({
        req, res, path, query: url.searchParams, params: route.params, apiVersion, signal,
        ...(upgrade ? { body: Readable.from(upgrade.body.length > 0 ? [upgrade.body] : []), upgradeSocket: upgrade.socket } : {}),
      });
      await route.handler(api);
    } catch (err) {
      const { error, status, body } = errorResponse(err);
      if (status >= 500 && status !== 501) logger.error('request failed', { method, path: rawPath, error, internal: !isJanusError(err) });
      if (api?.hijacked) {
        // The raw stream is under way: cutting the connection is the only way left to say it failed.
        if (upgrade) upgrade.socket.destroy();
        else res.destroy(error);
      } else if (!res.headersSent) {
        req.resume();
        sendJson(res, status, body);
      } else if (!res.writableEnded) {
        res.destroy(error);
      }
    } finally {
      logger.debug('request', { method, path: rawPath, status: res.statusCode, ms: Date.now() - started });
    }
  };

  const server = createServer((req, res) => { void handle(req, res); });

  // Node hands requests carrying `Connection: Upgrade` to 'upgrade' with the
  // bare socket. They go through the same routing, versioning and error
  // handling: a ServerResponse bound to the socket answers them normally
  // until a handler hijacks the connection (attach, exec start).
  const upgraded = new Set<Socket>();
  options.shutdown?.addEventListener('abort', () => {
    // Hijacked connections are no longer the http server's: end their sessions here (detaching, never killing).
    for (const s of upgraded) s.destroy();
  }, { once: true });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    socket.on('error', (err) => logger.debug('upgraded connection failed', { error: err }));
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    // A request answered without hijacking ends its connection, as a Connection: close response must;
    // reading on lets the client's own end arrive, so the socket is freed.
    res.once('finish', () => {
      socket.end();
      socket.resume();
    });
    readUpgradeBody(req, socket, head).then(
      (body) => handle(req, res, { socket, body }),
      (err: unknown) => {
        const { status, body } = errorResponse(err);
        sendJson(res, status, body);
      },
    ).catch((err: unknown) => {
      logger.error('upgrade request failed', { error: err });
      socket.destroy();
    });
  });
  return server;
}

/**
 * The body of an upgrade request: node's parser stops at the headers, so the
 * body (up to Content-Length) is at the start of `head` and of what the
 * socket reads next; bytes after it (stdin already sent) are put back. The
 * socket is left paused.
 */
function readUpgradeBody(req: IncomingMessage, socket: Socket, head: Buffer): Promise<Buffer> {
  socket.pause();
  if (req.headers['transfer-encoding'] !== undefined) {
    return Promise.reject(invalidArgument('a chunked request body cannot be sent with a connection upgrade; send Content-Length'));
  }
  const length = Number(req.headers['content-length'] ?? 0);
  if (!Number.isSafeInteger(length) || length < 0) return Promise.reject(invalidArgument('invalid Content-Length'));
  if (length > MAX_UPGRADE_BODY) return Promise.reject(invalidArgument(`request body of ${req.method} ${req.url} is larger than ${MAX_UPGRADE_BODY} bytes`));
  const split = (all: Buffer): Buffer => {
    if (all.length > length) socket.unshift(all.subarray(length));
    return all.subarray(0, length);
  };
  if (head.length >= length) return Promise.resolve(split(head));
  return new Promise((resolve, reject) => {
    const chunks = [head];
    let have = head.length;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      have += chunk.length;
      if (have < length) return;
      cleanup();
      socket.pause();
      resolve(split(Buffer.concat(chunks)));
    };
    const onEnd = (): void => {
      cleanup();
      reject(invalidArgument(`the connection ended inside the body of ${req.method} ${req.url}`));
    };
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.resume();
  });
}

function ping(res: ServerResponse, method: string): void {
  res.writeHead(200, {
    'Builder-Version': '1',
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': method === 'HEAD' ? 0 : 2,
  });
  res.end(method === 'HEAD' ? undefined : 'OK');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}
