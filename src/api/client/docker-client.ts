import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { JanusError, invalidArgument } from '../../core/errors.ts';
import { DaemonError } from './daemon-error.ts';
import type {
  AuthConfig, AuthResponse, DiskUsage, EventMessage, HistoryResponseItem, ImageDeleteResponseItem, ImageInspect, ImagesPruneReport,
  ImageSummary, InfoResponse, JsonMessage, PingResponse, VersionResponse, Volume, VolumeCreateRequest, VolumeListResponse,
  VolumesPruneReport,
} from './types.ts';

/** The newest Engine API version this client speaks. */
export const CLIENT_API_VERSION = '1.50';

/** Where the Janus daemon listens unless `--host`/`JANUS_HOST` say otherwise. */
export const DEFAULT_HOST = 'unix:///run/janus/janus.sock';

/** Options of `DockerClient`. */
export interface DockerClientOptions {
  /** `unix:///path/to.sock`, `tcp://host:port` or `http://host:port`. */
  host: string;
  /** Highest API version to use; the lower of this and the daemon's is used. Default CLIENT_API_VERSION. */
  apiVersion?: string;
  /** Sent as User-Agent. */
  userAgent?: string;
}

/** Filters in Docker's wire shape, `{"dangling": ["true"], "label": ["a=b"]}`. */
export type Filters = Record<string, string[]>;

interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  headers?: OutgoingHttpHeaders;
  body?: Readable | string;
  signal?: AbortSignal;
}

type Endpoint = { socketPath: string } | { host: string; port: number };

/**
 * A typed client of the Docker Engine API, as served by the Janus daemon or
 * any Docker-compatible one. Safe to use for many requests; the first request
 * negotiates the API version with `/_ping` and later ones reuse it. Every
 * failure is a JanusError: daemon errors a DaemonError whose kind follows the
 * HTTP status, an unreachable daemon Unavailable with a hint to start one.
 * Streaming methods return async iterables that throw on an error message.
 */
export class DockerClient {
  /** The address this client talks to, as given (for messages). */
  readonly host: string;
  readonly #endpoint: Endpoint;
  readonly #maxVersion: string;
  readonly #userAgent: string;
  #prefix: Promise<string> | undefined;

  /** Throws InvalidArgument when `host` is not a unix://, tcp:// or http:// address. */
  constructor(options: DockerClientOptions) {
    this.host = options.host;
    this.#endpoint = parseHost(options.host);
    this.#maxVersion = options.apiVersion ?? CLIENT_API_VERSION;
    this.#userAgent = options.userAgent ?? 'janus-cli';
  }

  /** `GET /_ping`: the daemon's API version and OS from its headers. Never versioned. */
  async ping(options: { signal?: AbortSignal } = {}): Promise<PingResponse> {
    const res = await this.#send('GET', '/_ping', options);
    res.resume();
    const header = (name: string): string | undefined => {
      const v = res.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    return { apiVersion: header('api-version'), osType: header('ostype') };
  }

  /** The API version in use after negotiation (the lower of ours and the daemon's), or undefined when the daemon did not say. */
  async apiVersion(): Promise<string | undefined> {
    const prefix = await this.#negotiate();
    return prefix ? prefix.slice(2) : undefined;
  }

  /** `GET /version`. */
  version(options: { signal?: AbortSignal } = {}): Promise<VersionResponse> {
    return this.#json('GET', '/version', options);
  }

  /** `GET /info`. */
  info(options: { signal?: AbortSignal } = {}): Promise<InfoResponse> {
    return this.#json('GET', '/info', options);
  }

  /** `GET /images/json`. */
  listImages(options: { all?: boolean; digests?: boolean; filters?: Filters; signal?: AbortSignal } = {}): Promise<ImageSummary[]> {
    return this.#json('GET', '/images/json', {
      query: { all: flag(options.all), digests: flag(options.digests), filters: encodeFilters(options.filters) },
      signal: options.signal,
    });
  }

  /** `POST /images/create?fromImage=`: pulls; yields progress messages, throws the stream's error. */
  pullImage(image: string, options: { tag?: string; platform?: string; auth?: AuthConfig; signal?: AbortSignal } = {}): AsyncIterable<JsonMessage> {
    return this.#stream('POST', '/images/create', {
      query: { fromImage: image, tag: options.tag, platform: options.platform },
      headers: authHeader(options.auth),
      signal: options.signal,
    });
  }

  /** `POST /images/create?fromSrc=-`: imports `tar` (a rootfs tarball) as a one-layer image. */
  importImage(tar: Readable, options: { repo?: string; tag?: string; changes?: string[]; message?: string; platform?: string; signal?: AbortSignal } = {}): AsyncIterable<JsonMessage> {
    const query: Record<string, string | undefined> = { fromSrc: '-', repo: options.repo, tag: options.tag, message: options.message, platform: options.platform };
    const extra = (options.changes ?? []).map((c) => ['changes', c]);
    return this.#stream('POST', '/images/create', {
      query, headers: { 'Content-Type': 'application/x-tar' }, body: tar, signal: options.signal,
    }, extra);
  }

  /**
   * `GET /events`: the daemon's events, replayed from `since` and followed
   * live until `until` (or until `signal` aborts, when there is no `until`).
   * `since`/`until` are Unix timestamps, RFC 3339 dates or Go durations, as docker takes them.
   */
  events(options: { since?: string; until?: string; filters?: Filters; signal?: AbortSignal } = {}): AsyncIterable<EventMessage> {
    return this.#stream('GET', '/events', {
      query: { since: options.since, until: options.until, filters: encodeFilters(options.filters) },
      signal: options.signal,
    }) as AsyncIterable<EventMessage>;
  }

  /** `POST /images/{name}/push`: pushes; the last messages carry the digest (`aux.Digest`). */
  pushImage(name: string, options: { tag?: string; auth?: AuthConfig; signal?: AbortSignal } = {}): AsyncIterable<JsonMessage> {
    return this.#stream('POST', `/images/${encodeName(name)}/push`, {
      query: { tag: options.tag },
      // Docker requires the header on push even without credentials.
      headers: authHeader(options.auth ?? {}),
      signal: options.signal,
    });
  }

  /** `POST /images/{name}/tag`. */
  async tagImage(source: string, target: { repo: string; tag?: string }, options: { signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.#request('POST', `/images/${encodeName(source)}/tag`, { query: { repo: target.repo, tag: target.tag }, signal: options.signal });
    res.resume();
  }

  /** `DELETE /images/{name}`: what was untagged and deleted, in order. */
  removeImage(name: string, options: { force?: boolean; noPrune?: boolean; signal?: AbortSignal } = {}): Promise<ImageDeleteResponseItem[]> {
    return this.#json('DELETE', `/images/${encodeName(name)}`, { query: { force: flag(options.force), noprune: flag(options.noPrune) }, signal: options.signal });
  }

  /** `GET /images/{name}/json`. */
  inspectImage(name: string, options: { signal?: AbortSignal } = {}): Promise<ImageInspect> {
    return this.#json('GET', `/images/${encodeName(name)}/json`, options);
  }

  /** `GET /images/{name}/history`, newest layer first. */
  imageHistory(name: string, options: { signal?: AbortSignal } = {}): Promise<HistoryResponseItem[]> {
    return this.#json('GET', `/images/${encodeName(name)}/history`, options);
  }

  /**
   * `GET /images/get?names=…`: the archive as a stream. `format: 'oci'` asks
   * for a plain OCI layout (a Janus extension, sent only when asked for).
   */
  async saveImages(names: string[], options: { format?: 'docker' | 'oci'; signal?: AbortSignal } = {}): Promise<Readable> {
    const extra = names.map((n) => ['names', n]);
    if (options.format === 'oci') extra.push(['format', 'oci']);
    return this.#request('GET', '/images/get', { signal: options.signal }, extra);
  }

  /** `POST /images/load`: loads a docker-archive or OCI layout tar; messages name what was loaded. */
  loadImages(tar: Readable, options: { quiet?: boolean; signal?: AbortSignal } = {}): AsyncIterable<JsonMessage> {
    return this.#stream('POST', '/images/load', {
      query: { quiet: flag(options.quiet) }, headers: { 'Content-Type': 'application/x-tar' }, body: tar, signal: options.signal,
    });
  }

  /** `POST /images/prune`. */
  pruneImages(options: { filters?: Filters; signal?: AbortSignal } = {}): Promise<ImagesPruneReport> {
    return this.#json('POST', '/images/prune', { query: { filters: encodeFilters(options.filters) }, signal: options.signal });
  }

  /** `GET /system/df`: disk usage by images, containers, volumes and build cache. */
  systemDf(options: { signal?: AbortSignal } = {}): Promise<DiskUsage> {
    return this.#json('GET', '/system/df', options);
  }

  /** `GET /volumes`. */
  listVolumes(options: { filters?: Filters; signal?: AbortSignal } = {}): Promise<VolumeListResponse> {
    return this.#json('GET', '/volumes', { query: { filters: encodeFilters(options.filters) }, signal: options.signal });
  }

  /** `POST /volumes/create`; an absent name makes an anonymous volume. */
  createVolume(spec: VolumeCreateRequest, options: { signal?: AbortSignal } = {}): Promise<Volume> {
    return this.#json('POST', '/volumes/create', { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(spec), signal: options.signal });
  }

  /** `GET /volumes/{name}`. */
  inspectVolume(name: string, options: { signal?: AbortSignal } = {}): Promise<Volume> {
    return this.#json('GET', `/volumes/${encodeURIComponent(name)}`, options);
  }

  /** `DELETE /volumes/{name}`: Conflict while a container uses it, unless `force`. */
  async removeVolume(name: string, options: { force?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.#request('DELETE', `/volumes/${encodeURIComponent(name)}`, { query: { force: flag(options.force) }, signal: options.signal });
    res.resume();
  }

  /** `POST /volumes/prune`: unused anonymous volumes, or all unused with the `all` filter. */
  pruneVolumes(options: { filters?: Filters; signal?: AbortSignal } = {}): Promise<VolumesPruneReport> {
    return this.#json('POST', '/volumes/prune', { query: { filters: encodeFilters(options.filters) }, signal: options.signal });
  }

  /** `POST /auth`: checks credentials with the registry; Unauthorized when it refuses them. */
  auth(config: AuthConfig, options: { signal?: AbortSignal } = {}): Promise<AuthResponse> {
    return this.#json('POST', '/auth', { body: JSON.stringify(config), headers: { 'Content-Type': 'application/json' }, signal: options.signal });
  }

  /** `POST /janus/images/bootstrap?name=` (Janus extension): builds a base image from host tools. */
  bootstrapImage(name: string, options: { signal?: AbortSignal } = {}): AsyncIterable<JsonMessage> {
    return this.#stream('POST', '/janus/images/bootstrap', { query: { name }, signal: options.signal });
  }

  #negotiate(): Promise<string> {
    this.#prefix ??= this.ping().then((p) => {
      if (!p.apiVersion || !/^\d+\.\d+$/.test(p.apiVersion)) return '';
      return `/v${compareVersions(p.apiVersion, this.#maxVersion) < 0 ? p.apiVersion : this.#maxVersion}`;
    });
    // A failed negotiation is retried by the next request rather than cached.
    this.#prefix.catch(() => { this.#prefix = undefined; });
    return this.#prefix;
  }

  async #json<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const res = await this.#request(method, path, options);
    const text = await readText(res, this.host);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new JanusError('Internal', `the daemon at ${this.host} answered ${method} ${path} with malformed JSON: ${text.slice(0, 200)}`);
    }
  }

  async *#stream(method: string, path: string, options: RequestOptions, extra: string[][] = []): AsyncGenerator<JsonMessage> {
    const res = await this.#request(method, path, options, extra);
    let buffered = '';
    const parse = (line: string): JsonMessage | undefined => {
      const trimmed = line.trim();
      if (!trimmed) return undefined;
      let msg: JsonMessage;
      try {
        msg = JSON.parse(trimmed) as JsonMessage;
      } catch {
        throw new JanusError('Internal', `the daemon at ${this.host} sent a malformed progress message: ${trimmed.slice(0, 200)}`);
      }
      if (msg.errorDetail || msg.error) {
        const code = msg.errorDetail?.code ?? 0;
        throw new DaemonError(code, msg.errorDetail?.message || msg.error || 'unknown error', { inStream: true });
      }
      return msg;
    };
    try {
      res.setEncoding('utf8');
      for await (const chunk of res as AsyncIterable<string>) {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const msg = parse(buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
          if (msg) yield msg;
        }
      }
      const last = parse(buffered);
      if (last) yield last;
    } catch (err) {
      throw this.#connectionError(err, method, path, options.signal);
    } finally {
      res.destroy();
    }
  }

  /** Sends a request on the negotiated version and returns the response when its status is below 400. */
  async #request(method: string, path: string, options: RequestOptions, extra: string[][] = []): Promise<IncomingMessage> {
    const prefix = await this.#negotiate();
    const res = await this.#send(method, `${prefix}${path}${queryString(options.query, extra)}`, options);
    if ((res.statusCode ?? 500) < 400) return res;
    const text = await readText(res, this.host).catch(() => '');
    let message = text.trim();
    try {
      const body = JSON.parse(text) as { message?: unknown };
      if (typeof body.message === 'string') message = body.message;
    } catch {
      // not JSON: keep the text as the daemon sent it
    }
    throw new DaemonError(res.statusCode ?? 500, message || `${method} ${path}: HTTP ${res.statusCode}`);
  }

  #send(method: string, path: string, options: RequestOptions): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        ...this.#endpoint,
        method,
        path,
        signal: options.signal,
        headers: { 'User-Agent': this.#userAgent, ...options.headers },
      });
      req.once('response', resolve);
      req.once('error', (err) => reject(this.#connectionError(err, method, path, options.signal)));
      const body = options.body;
      if (body === undefined) req.end();
      else if (typeof body === 'string') req.end(body);
      else {
        // A daemon that answers before reading the whole body (an error) ends the pipe early; its response tells why.
        pipeline(body, req).catch((err: unknown) => {
          if (!req.destroyed) req.destroy(err as Error);
          else if (!(err as NodeJS.ErrnoException).code?.startsWith('ERR_STREAM')) reject(this.#connectionError(err, method, path, options.signal));
        });
      }
    });
  }

  #connectionError(err: unknown, method: string, path: string, signal: AbortSignal | undefined): JanusError {
    if (err instanceof JanusError) return err;
    const e = err as NodeJS.ErrnoException;
    if (signal?.aborted || e?.name === 'AbortError') return new JanusError('Canceled', `${method} ${path}: canceled`, { cause: err });
    switch (e?.code) {
      case 'ENOENT': case 'ECONNREFUSED': case 'ENOTSOCK': case 'EHOSTUNREACH': case 'ENOTFOUND':
        return new JanusError('Unavailable', `Cannot connect to the Janus daemon at ${this.host}. Is the daemon running? Start one with: janus daemon`, { cause: err });
      case 'EACCES': case 'EPERM':
        return new JanusError('Forbidden', `permission denied while trying to connect to the Janus daemon socket at ${this.host}`, { cause: err });
      case 'ECONNRESET': case 'EPIPE': case 'ERR_STREAM_PREMATURE_CLOSE':
        return new JanusError('Unavailable', `the connection to the Janus daemon at ${this.host} was lost during ${method} ${path}`, { cause: err });
      default:
        return new JanusError('Unavailable', `${method} ${path} on ${this.host}: ${e?.message ?? String(err)}`, { cause: err });
    }
  }
}

function parseHost(host: string): Endpoint {
  const m = /^(unix|tcp|http):\/\/(.*)$/.exec(host);
  if (!m) throw invalidArgument(`invalid daemon address ${JSON.stringify(host)}: expected unix:///path, tcp://host:port or http://host:port`);
  if (m[1] === 'unix') {
    if (!m[2].startsWith('/')) throw invalidArgument(`invalid daemon address ${JSON.stringify(host)}: the socket path must be absolute`);
    return { socketPath: m[2] };
  }
  const hp = /^(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(m[2]);
  if (!hp) throw invalidArgument(`invalid daemon address ${JSON.stringify(host)}: expected ${m[1]}://host:port`);
  const port = hp[2] ? Number(hp[2]) : m[1] === 'http' ? 80 : 2375;
  return { host: hp[1].replace(/^\[|\]$/g, ''), port };
}

function compareVersions(a: string, b: string): number {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return am !== bm ? am - bm : an - bn;
}

function flag(v: boolean | undefined): string | undefined {
  return v ? '1' : undefined;
}

function encodeFilters(filters: Filters | undefined): string | undefined {
  if (!filters || Object.keys(filters).length === 0) return undefined;
  // Docker's newer map form {"key": {"value": true}} is accepted by every daemon since 1.24, arrays only by some.
  return JSON.stringify(Object.fromEntries(Object.entries(filters).map(([k, vs]) => [k, Object.fromEntries(vs.map((v) => [v, true]))])));
}

/** Image names go into the path as docker sends them (`/`, `:` and `@` unescaped); only what would break the URL is escaped. */
function encodeName(name: string): string {
  return encodeURI(name).replace(/\?/g, '%3F').replace(/#/g, '%23');
}

function queryString(query: RequestOptions['query'], extra: string[][]): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.append(k, String(v));
  for (const [k, v] of extra) params.append(k, v);
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** Docker's X-Registry-Auth: base64url (with padding, as Go's URLEncoding) of the JSON credentials. */
function authHeader(auth: AuthConfig | undefined): OutgoingHttpHeaders {
  if (!auth) return {};
  const b64 = Buffer.from(JSON.stringify(auth)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
  return { 'X-Registry-Auth': b64 };
}

async function readText(res: IncomingMessage, host: string): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of res) chunks.push(c as Buffer);
  } catch (err) {
    throw new JanusError('Unavailable', `the connection to the Janus daemon at ${host} was lost`, { cause: err });
  }
  return Buffer.concat(chunks).toString('utf8');
}
