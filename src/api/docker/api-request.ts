import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex, Readable, Writable } from 'node:stream';
import { invalidArgument } from '../../core/errors.ts';
import { webSocketAccept } from './websocket-session.ts';

/** Bodies of JSON requests (`/auth`, …) are small; anything larger is refused rather than buffered. */
const MAX_JSON_BODY = 1 << 20;

/** What the router hands a handler besides the raw request. */
export interface ApiRequestInit {
  req: IncomingMessage;
  res: ServerResponse;
  /** The path with any `/vX.Y` prefix removed. */
  path: string;
  query: URLSearchParams;
  /** Decoded `{name}` captures of the route pattern. */
  params: Record<string, string>;
  /** The API version the client asked for (the prefix), or the server's when unprefixed. */
  apiVersion: string;
  /** Aborted when the client goes away or the daemon shuts down. */
  signal: AbortSignal;
  /** The request body when it is not `req` itself (an upgrade request, whose body node hands over with the socket). */
  body?: Readable;
  /** The connection of a request that asked to upgrade (`Connection: Upgrade`, `Upgrade: tcp`); `res` writes to it until `hijack`. */
  upgradeSocket?: Duplex;
}

/** `api-version` → `Api-Version`, as Go writes header names. */
function canonicalHeader(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

/**
 * A connection taken over for raw streams (docker's hijack: attach, exec
 * start). `output` carries the stream to the client and must be ended when
 * the stream is done; `input` is what the client sends after the response
 * head (stdin), ending when the client half-closes.
 */
export interface HijackedConnection {
  /** True when the client asked to upgrade and got `101 UPGRADED`; false when it got a plain 200 and a streamed body. */
  upgraded: boolean;
  /** The client's bytes after the request; absent without an upgrade (a plain request has no channel for them). */
  input?: Readable;
  output: Writable;
  /** Resolves once the connection is closed, by either side. */
  closed: Promise<void>;
}

/**
 * One API request as a handler sees it: typed access to query parameters
 * (each bad value is an InvalidArgument naming its parameter), the JSON body,
 * and JSON responses. Valid for the duration of one handler call.
 */
export class ApiRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly params: Record<string, string>;
  readonly apiVersion: string;
  readonly signal: AbortSignal;
  /** The request body (`req`, except for upgrade requests). */
  readonly body: Readable;
  readonly #upgradeSocket: Duplex | undefined;
  #hijacked = false;

  constructor(init: ApiRequestInit) {
    this.req = init.req;
    this.res = init.res;
    this.path = init.path;
    this.query = init.query;
    this.params = init.params;
    this.apiVersion = init.apiVersion;
    this.signal = init.signal;
    this.body = init.body ?? init.req;
    this.#upgradeSocket = init.upgradeSocket;
  }

  /** Whether the client asked for a connection upgrade (docker clients do for attach and exec start). */
  get wantsUpgrade(): boolean {
    return this.#upgradeSocket !== undefined;
  }

  /** True once `hijack` took the connection over: the server must not answer on it any more. */
  get hijacked(): boolean {
    return this.#hijacked;
  }

  /**
   * Takes the connection over for a raw stream of `contentType`. With an
   * upgrade request: answers `101 UPGRADED` (with docker's
   * `Connection: Upgrade`, `Upgrade: tcp` and this server's headers) and
   * hands over the socket both ways. Without one: answers 200 and streams
   * the response body; there is no input. Call at most once, before
   * anything else was sent.
   */
  hijack(contentType: string): HijackedConnection {
    if (this.#hijacked || this.res.headersSent) throw new Error('the response was already started');
    this.#hijacked = true;
    const socket = this.#upgradeSocket;
    if (socket) {
      this.#switch(socket, `101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp`);
      const closed = new Promise<void>((resolve) => {
        if (socket.destroyed) resolve();
        else socket.once('close', () => resolve());
      });
      return { upgraded: true, input: socket, output: socket, closed };
    }
    this.req.resume();
    this.res.writeHead(200, { 'Content-Type': contentType });
    this.res.flushHeaders();
    const res = this.res;
    const closed = new Promise<void>((resolve) => {
      if (res.destroyed) resolve();
      else res.once('close', () => resolve());
    });
    return { upgraded: false, output: res, closed };
  }

  /**
   * Accepts a websocket upgrade (RFC 6455 handshake: `101 Switching
   * Protocols` with the `Sec-WebSocket-Accept` answer and this server's
   * headers) and returns the socket, which then carries websocket frames.
   * InvalidArgument when the request is not a websocket upgrade. Call at
   * most once, before anything else was sent.
   */
  acceptWebSocket(): Duplex {
    this.checkWebSocket();
    const socket = this.#upgradeSocket!;
    const key = String(this.req.headers['sec-websocket-key']);
    if (this.#hijacked || this.res.headersSent) throw new Error('the response was already started');
    this.#hijacked = true;
    this.#switch(socket, `101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${webSocketAccept(key)}`);
    return socket;
  }

  /** Throws InvalidArgument unless the request asks for a websocket (version 13) upgrade. */
  checkWebSocket(): void {
    const key = this.req.headers['sec-websocket-key'];
    if (!this.#upgradeSocket || String(this.req.headers.upgrade).toLowerCase() !== 'websocket' || typeof key !== 'string' || key === '') {
      throw invalidArgument(`${this.req.method} ${this.path} needs a websocket upgrade (Connection: Upgrade, Upgrade: websocket, Sec-WebSocket-Key)`);
    }
    if (this.req.headers['sec-websocket-version'] !== '13') throw invalidArgument('unsupported Sec-WebSocket-Version: want 13');
  }

  /** Writes a 101 head (`statusLines`: the status and its own headers) plus this server's headers. */
  #switch(socket: Duplex, statusLines: string): void {
    let head = `HTTP/1.1 ${statusLines}\r\n`;
    for (const name of this.res.getHeaderNames()) head += `${canonicalHeader(name)}: ${String(this.res.getHeader(name))}\r\n`;
    this.res.statusCode = 101;
    socket.write(`${head}\r\n`);
  }

  /** A route capture; the router guarantees it exists for the route's pattern. */
  param(name: string): string {
    const v = this.params[name];
    if (v === undefined) throw new Error(`route has no parameter ${name}`);
    return v;
  }

  /** A query parameter's last value, or undefined when absent or empty. */
  string(name: string): string | undefined {
    const all = this.query.getAll(name);
    const v = all[all.length - 1];
    return v === undefined || v === '' ? undefined : v;
  }

  /** Every value of a repeated query parameter (`changes=…&changes=…`), empty ones dropped. */
  strings(name: string): string[] {
    return this.query.getAll(name).filter((v) => v !== '');
  }

  /**
   * A boolean query parameter: `1/true/yes` or `0/false/no/none` (any case),
   * absent or empty meaning `fallback`. Anything else is InvalidArgument.
   */
  bool(name: string, fallback = false): boolean {
    const v = this.string(name);
    if (v === undefined) return fallback;
    const l = v.toLowerCase();
    if (l === '1' || l === 'true' || l === 'yes') return true;
    if (l === '0' || l === 'false' || l === 'no' || l === 'none') return false;
    throw invalidArgument(`invalid value for query parameter ${name}: ${JSON.stringify(v)} (want true or false)`);
  }

  /** A non-negative integer query parameter, or undefined when absent. */
  int(name: string): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
      throw invalidArgument(`invalid value for query parameter ${name}: ${JSON.stringify(v)} (want a non-negative integer)`);
    }
    return Number(v);
  }

  /**
   * Reads and parses a JSON body. An empty body is `undefined`; malformed
   * JSON or a body over 1 MiB is InvalidArgument.
   */
  async jsonBody(): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_JSON_BODY) throw invalidArgument(`request body of ${this.req.method} ${this.path} is larger than ${MAX_JSON_BODY} bytes`);
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text);
    } catch (err) {
      throw invalidArgument(`malformed JSON in the body of ${this.req.method} ${this.path}: ${(err as Error).message}`);
    }
  }

  /** Sends `body` as JSON with `status`. */
  send(status: number, body: unknown): void {
    const data = JSON.stringify(body);
    this.res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
    this.res.end(data);
  }

  /** Sends a status without a body (201 for tag, 204, …). */
  sendEmpty(status: number): void {
    this.res.writeHead(status, { 'Content-Length': 0 });
    this.res.end();
  }
}
