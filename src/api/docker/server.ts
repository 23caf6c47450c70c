import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isJanusError } from '../../core/errors.ts';
import type { ImageService } from '../../engine/image-service.ts';
import type { VolumeService } from '../../engine/volume-service.ts';
import type { Logger } from '../../util/logger.ts';
import { ApiRequest } from './api-request.ts';
import { API_VERSION, checkApiVersion } from './api-version.ts';
import { errorResponse } from './errors.ts';
import type { EventBus } from './event-bus.ts';
import { registerEventRoutes } from './event-routes.ts';
import { registerImageRoutes } from './image-routes.ts';
import { registerVolumeRoutes } from './volume-routes.ts';
import { registerDiskUsageRoutes } from './disk-usage-routes.ts';
import { Router } from './router.ts';
import { registerSystemRoutes } from './system-routes.ts';
import type { SystemService } from './system-service.ts';

/** What the API server serves. */
export interface ApiServerOptions {
  images: ImageService;
  volumes: VolumeService;
  system: SystemService;
  events: EventBus;
  logger: Logger;
  /**
   * Aborted by the daemon when it shuts down: every in-flight request's
   * signal (handed to the engine) is aborted with it, and `/events`
   * followers end.
   */
  shutdown?: AbortSignal;
}

const VERSION_PREFIX = /^\/v(\d+(?:\.\d+)?)(\/.*)$/;

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
  registerDiskUsageRoutes(router, { images: options.images, volumes: options.volumes });
  const serverHeader = `Janus/${options.system.serverVersion} (linux)`;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
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
      await route.handler(new ApiRequest({ req, res, path, query: url.searchParams, params: route.params, apiVersion, signal }));
    } catch (err) {
      const { error, status, body } = errorResponse(err);
      if (status >= 500 && status !== 501) logger.error('request failed', { method, path: rawPath, error, internal: !isJanusError(err) });
      if (!res.headersSent) {
        req.resume();
        sendJson(res, status, body);
      } else if (!res.writableEnded) {
        res.destroy(error);
      }
    } finally {
      logger.debug('request', { method, path: rawPath, status: res.statusCode, ms: Date.now() - started });
    }
  };

  return createServer((req, res) => { void handle(req, res); });
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
