import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ContainerService } from '../../engine/container-service.ts';
import type { Logger } from '../../util/logger.ts';
import { errorResponse } from '../docker/errors.ts';
import type { EventBus } from '../docker/event-bus.ts';
import { serveWebSocketSession, webSocketAccept } from '../docker/websocket-session.ts';
import { allowedHosts, checkAccess, TOKEN_COOKIE, tokenMatches, type AccessVerdict, type ListenAddress } from './dashboard-access.ts';
import { assetPath, contentType } from './static-files.ts';
import type { SampleTarget, StatsSampler } from './stats-sampler.ts';
import { workloadWire } from './workload-wire.ts';

/** What the dashboard server serves. */
export interface DashboardServerOptions {
  containers: ContainerService;
  /**
   * Answers one Docker Engine API request (the daemon's own API server, in
   * process): `/api/...` requests the page may make are handed to it with
   * the `/api` prefix removed.
   */
  api: (req: IncomingMessage, res: ServerResponse) => void;
  sampler: StatsSampler;
  /** The built page (vite's output). */
  assetsDir: string;
  token: string;
  address: ListenAddress;
  logger: Logger;
  /** Default 1000: the stream's period. */
  intervalMs?: number;
  /**
   * The engine's events: a container event makes the next tick list the
   * workloads again. Without it (and in any case every LIST_EVERY ticks, for
   * what changes without an event) the list is read every tick.
   */
  events?: EventBus;
}

/** A running dashboard server: the http server (unlistening) and its clean-up. */
export interface DashboardServer {
  server: Server;
  /** Ends the streams and websockets, stops sampling and closes the server. Idempotent. */
  close(): Promise<void>;
}

/**
 * Engine API requests the page may make through `/api` (method → path
 * patterns, after the prefix): reading, the lifecycle actions, logs and
 * exec. Anything else (create, build, archive, …) is refused: the page has
 * no use for it and a stolen session should not get it.
 */
const API_ALLOWED: Readonly<Record<string, readonly RegExp[]>> = {
  GET: [
    /^\/(?:_ping|version|info|containers\/json|images\/json|volumes|system\/df)$/,
    /^\/containers\/[^/]+\/(?:json|logs|top)$/,
    /^\/exec\/[^/]+\/json$/,
    // The host's latest bench figures (janus bench records them).
    /^\/janus\/bench$/,
  ],
  HEAD: [/^\/_ping$/],
  POST: [
    /^\/containers\/[^/]+\/(?:start|stop|restart|kill|pause|unpause|exec)$/,
    /^\/exec\/[^/]+\/resize$/,
    // The isolation advisor: computes, changes nothing.
    /^\/janus\/advise$/,
  ],
  DELETE: [/^\/containers\/[^/]+$/],
};

/** Whether the page may make Engine API request `method path` through `/api`. Pure. */
export function apiRequestAllowed(method: string, path: string): boolean {
  return (API_ALLOWED[method] ?? []).some((r) => r.test(path));
}

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  // The token can be in the first URL: never send it on.
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

const EXEC_WS = /^\/dashboard\/exec\/([0-9a-f]{8,64})$/;
/** The workload list is read again at least this often (in ticks), events or not. */
const LIST_EVERY = 5;
/** A viewer that has this much unsent is too slow: its stats frames are skipped until it catches up. */
const SLOW_CLIENT_BYTES = 1 << 20;

/**
 * The dashboard's http server: the built single-page app, the Engine API
 * under `/api` (the allowed part), a server-sent event stream of the
 * workload list and of one stats sample a second (`/dashboard/stream`),
 * and exec sessions over websockets (`/dashboard/exec/{execId}`). Data and
 * actions need the token (cookie or bearer) and, when they change state,
 * the dashboard's own origin; the app's files do not. No CORS headers are
 * sent: other origins cannot read anything.
 */
export function createDashboardServer(options: DashboardServerOptions): DashboardServer {
  const { logger } = options;
  const hosts = allowedHosts(options.address);
  const stream = new StatsStream(options);
  const sockets = new Set<Socket>();
  const access = (req: IncomingMessage, upgrade = false): AccessVerdict =>
    checkAccess({ method: req.method ?? 'GET', headers: req.headers, upgrade }, { token: options.token, hosts });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/api' || path.startsWith('/api/')) {
      const verdict = access(req);
      if (!verdict.ok) return refuse(req, res, verdict.status, verdict.message);
      const apiPath = path.slice('/api'.length) || '/';
      if (!apiRequestAllowed(method, apiPath)) return refuse(req, res, 403, `the dashboard does not offer ${method} ${apiPath}`);
      req.url = `${apiPath}${url.search}`;
      options.api(req, res);
      return;
    }
    if (path === '/dashboard/session') {
      const verdict = access(req);
      if (!verdict.ok) return refuse(req, res, verdict.status, verdict.message);
      sendJson(res, 200, { intervalMs: options.intervalMs ?? 1000 });
      return;
    }
    if (path === '/dashboard/stream') {
      const verdict = access(req);
      if (!verdict.ok) return refuse(req, res, verdict.status, verdict.message);
      stream.add(res);
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') return refuse(req, res, 405, `${method} is not allowed here`);
    const token = url.searchParams.get('token');
    if (path === '/' && token !== null) {
      // The link `janus dashboard` prints: the token becomes a cookie and leaves the address bar (and history).
      if (!tokenMatches(token, options.token)) return refuse(req, res, 401, 'wrong dashboard token: open the link `janus dashboard` prints');
      res.writeHead(303, {
        Location: '/',
        'Set-Cookie': `${TOKEN_COOKIE}=${encodeURIComponent(options.token)}; Path=/; HttpOnly; SameSite=Strict`,
        'Cache-Control': 'no-store',
      });
      res.end();
      return;
    }
    await serveAsset(req, res, options.assetsDir, path);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error('dashboard request failed', { path: req.url, error: err });
      if (!res.headersSent) sendJson(res, 500, { message: 'internal error' });
      else res.destroy();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    socket.on('error', () => {});
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://dashboard').pathname;
    } catch {
      return rejectUpgrade(socket, 400, 'malformed request target');
    }
    const m = EXEC_WS.exec(path);
    const verdict: AccessVerdict = m ? access(req, true) : { ok: false, status: 404, message: 'no such websocket' };
    if (!verdict.ok) return rejectUpgrade(socket, verdict.status, verdict.message);
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string' || String(req.headers.upgrade).toLowerCase() !== 'websocket' || req.headers['sec-websocket-version'] !== '13') {
      return rejectUpgrade(socket, 400, 'want a websocket (version 13) upgrade');
    }
    void startExec(options.containers, m![1], key, socket, logger);
  });

  let closing: Promise<void> | undefined;
  return {
    server,
    close() {
      closing ??= new Promise<void>((done) => {
        stream.close();
        server.close(() => done());
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}

/** Runs an exec (created by the page through the API) with a TTY and carries it over the websocket. */
async function startExec(containers: ContainerService, execId: string, key: string, socket: Socket, logger: Logger): Promise<void> {
  const controller = new AbortController();
  socket.once('close', () => controller.abort());
  let session;
  try {
    session = await containers.execStart(execId, { tty: true, signal: controller.signal });
  } catch (err) {
    const { status, body } = errorResponse(err);
    rejectUpgrade(socket, status, body.message);
    return;
  }
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${webSocketAccept(key)}\r\n\r\n`);
  try {
    await serveWebSocketSession(session, socket, { binary: true });
  } catch (err) {
    logger.info('dashboard exec session ended with an error', { exec: execId, error: err });
  }
}

function rejectUpgrade(socket: Socket, status: number, message: string): void {
  const body = JSON.stringify({ message });
  socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function refuse(req: IncomingMessage, res: ServerResponse, status: number, message: string): void {
  req.resume();
  sendJson(res, status, { message });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function serveAsset(req: IncomingMessage, res: ServerResponse, dir: string, path: string): Promise<void> {
  const file = assetPath(dir, path);
  const info = file ? await stat(file).catch(() => undefined) : undefined;
  if (!file || !info?.isFile()) {
    if (path === '/') return refuse(req, res, 503, 'the dashboard was not built: run scripts/setup (it builds build/dashboard)');
    return refuse(req, res, 404, `no such file: ${path}`);
  }
  res.writeHead(200, {
    'Content-Type': contentType(file),
    'Content-Length': info.size,
    // Vite names assets by content hash: they never change; the page itself always may.
    'Cache-Control': path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).on('error', () => res.destroy()).pipe(res);
}

/**
 * The one stats stream all viewers share: while anyone watches, once an
 * interval it lists the workloads (sent only when the list changed) and
 * takes one sample of all of them.
 */
class StatsStream {
  readonly #o: DashboardServerOptions;
  readonly #clients = new Set<ServerResponse>();
  #timer: NodeJS.Timeout | undefined;
  #lastList = '';
  #ticking = false;
  #ticks = 0;
  /** Set by a container event: the list must be read again. */
  #dirty = true;
  #unsubscribe: (() => void) | undefined;

  constructor(options: DashboardServerOptions) {
    this.#o = options;
  }

  add(res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    res.write('retry: 2000\n\n');
    this.#clients.add(res);
    res.once('close', () => {
      this.#clients.delete(res);
      if (this.#clients.size === 0) this.#stop();
    });
    // The newcomer gets the list at once, before any stats: the page draws its rows first.
    void this.#list().then((list) => {
      if (!res.destroyed) res.write(`event: workloads\ndata: ${list}\n\n`);
    }, (err: unknown) => this.#o.logger.warn('dashboard list failed', { error: err }));
    if (!this.#timer) {
      this.#dirty = true;
      this.#unsubscribe = this.#o.events?.subscribe((e) => { if (e.type === 'container') this.#dirty = true; }).unsubscribe;
      this.#timer = setInterval(() => void this.#tick(), this.#o.intervalMs ?? 1000);
    }
  }

  close(): void {
    this.#stop();
    for (const c of this.#clients) c.end();
    this.#clients.clear();
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    // Nobody watches: the sampler's open files go.
    this.#o.sampler.close();
  }

  #targets: SampleTarget[] = [];

  async #list(): Promise<string> {
    const views = await this.#o.containers.list({ all: true });
    this.#targets = views.filter((v) => v.state.running && v.state.pid > 0).map((v) => ({ id: v.id, pid: v.state.pid }));
    return JSON.stringify(views.map(workloadWire));
  }

  async #tick(): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      if (this.#dirty || !this.#o.events || this.#ticks++ % LIST_EVERY === 0) {
        this.#dirty = false;
        const list = await this.#list();
        if (list !== this.#lastList) {
          this.#lastList = list;
          this.#broadcast(`event: workloads\ndata: ${list}\n\n`, true);
        }
      }
      const frame = this.#o.sampler.sample(this.#targets);
      this.#broadcast(`event: stats\ndata: ${JSON.stringify(frame)}\n\n`, false);
    } catch (err) {
      this.#o.logger.warn('dashboard stats tick failed', { error: err });
    } finally {
      this.#ticking = false;
    }
  }

  #broadcast(message: string, always: boolean): void {
    for (const c of this.#clients) {
      if (c.destroyed) continue;
      if (!always && c.writableLength > SLOW_CLIENT_BYTES) continue;
      c.write(message);
    }
  }
}
