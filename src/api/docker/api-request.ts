import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidArgument } from '../../core/errors.ts';

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

  constructor(init: ApiRequestInit) {
    this.req = init.req;
    this.res = init.res;
    this.path = init.path;
    this.query = init.query;
    this.params = init.params;
    this.apiVersion = init.apiVersion;
    this.signal = init.signal;
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
    for await (const chunk of this.req as AsyncIterable<Buffer>) {
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
