import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Digest } from '../core/digest.ts';
import { digestAlgorithm, isDigest } from '../core/digest.ts';
import {
  JanusError, asJanusError, dataLoss, internal, invalidArgument, isJanusError, notFound, notImplemented, unauthorized, unavailable,
} from '../core/errors.ts';
import { MediaType, isIndexMediaType, isManifestMediaType, type Descriptor } from '../core/oci.ts';
import type { ImageReference } from '../core/reference.ts';
import type { Registry, RegistryCredentials, RemoteRepository, RepositoryOptions } from '../core/registry.ts';
import { silentLogger, type Logger } from '../util/logger.ts';
import { parseManifestOrIndex } from './manifest.ts';
import { DEFAULT_REGISTRY, repositoryName } from './reference.ts';

/** The manifest types Janus asks for, best first; schema1 is deliberately absent. */
export const MANIFEST_ACCEPT = [MediaType.OciIndex, MediaType.OciManifest, MediaType.DockerManifestList, MediaType.DockerManifest].join(', ');

/** Where `docker.io` names are served from (Docker Hub's API host). */
const DOCKER_HUB_API = 'registry-1.docker.io';
const SCHEMA1 = new Set(['application/vnd.docker.distribution.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v1+prettyjws']);
/** Tokens are renewed this long before they expire, so a request never carries one that lapses in flight. */
const TOKEN_MARGIN_MS = 10_000;
/** distribution's token spec: a token without expires_in lives 60 s. */
const DEFAULT_TOKEN_LIFETIME_S = 60;

/** Options of `HttpRegistry`. */
export interface HttpRegistryOptions {
  /** Registries (`host[:port]`) that may be reached over plain http when https fails. */
  insecureRegistries?: string[];
  userAgent?: string;
  /** Retries of an idempotent request after a network error, 5xx or 429 (default 3). */
  maxRetries?: number;
  /** First backoff delay; doubled per retry (default 250 ms). */
  retryDelayMs?: number;
  logger?: Logger;
  /** Injected for tests; defaults to Node's global fetch. */
  fetch?: typeof fetch;
}

type Challenge =
  | { scheme: 'bearer'; realm: string; service?: string }
  | { scheme: 'basic'; realm?: string };

interface CachedToken {
  token: string;
  expiresAt: number;
  refreshToken?: string;
}

/** One HTTP exchange as the client plans it; `body` is called again for every attempt. */
interface RequestSpec {
  registry: string;
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  /** Path below the registry root (`/v2/…`) or an absolute URL (upload locations). */
  path: string;
  headers?: Record<string, string>;
  body?: () => Promise<{ body: RequestInit['body'] | Readable; length?: number }>;
  scopes: string[];
  credentials?: RegistryCredentials;
  signal?: AbortSignal;
  idempotent: boolean;
  /** The object named in error messages, e.g. `127.0.0.1:5000/x:1`. */
  what: string;
  /** Statuses handed back to the caller instead of becoming errors. */
  expect: number[];
}

/**
 * The OCI distribution client on Node's fetch. Safe for concurrent use; keeps
 * per-registry auth challenges, bearer tokens (per credentials and scope,
 * until they expire) and the scheme chosen for insecure registries. Plain
 * http is used for 127.0.0.0/8, localhost and [::1] on any port, https for
 * everything else except `insecureRegistries` (https first, then http).
 * `docker.io` is served from `registry-1.docker.io`.
 */
export class HttpRegistry implements Registry {
  readonly #insecure: Set<string>;
  readonly #userAgent: string;
  readonly #maxRetries: number;
  readonly #retryDelayMs: number;
  readonly #log: Logger;
  readonly #fetch: typeof fetch;
  readonly #challenges = new Map<string, Challenge>();
  readonly #tokens = new Map<string, Promise<CachedToken>>();
  readonly #schemes = new Map<string, Promise<'https' | 'http'>>();

  constructor(options: HttpRegistryOptions = {}) {
    this.#insecure = new Set((options.insecureRegistries ?? []).map((r) => r.toLowerCase()));
    this.#userAgent = options.userAgent ?? 'janus';
    this.#maxRetries = options.maxRetries ?? 3;
    this.#retryDelayMs = options.retryDelayMs ?? 250;
    this.#log = options.logger ?? silentLogger;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /** @internal How often and how patiently whole upload sequences are retried. */
  get retryPolicy(): { maxRetries: number; delayMs: number } {
    return { maxRetries: this.#maxRetries, delayMs: this.#retryDelayMs };
  }

  /** A client of one repository. Cheap; does no I/O until a method is called. */
  repository(ref: ImageReference, options: RepositoryOptions = {}): RemoteRepository {
    return new HttpRepository(this, ref, options);
  }

  /**
   * Checks `credentials` against `registry`'s `/v2/`, following a Basic or
   * Bearer challenge. Unauthorized when the registry or its token server
   * rejects them; returns the token server's refresh token as
   * `identityToken` when it hands one out. A registry without auth accepts
   * any credentials, as with docker.
   */
  async login(registry: string, credentials: RegistryCredentials, options: { signal?: AbortSignal } = {}): Promise<{ identityToken?: string }> {
    const res = await this.request({
      registry, method: 'GET', path: '/v2/', scopes: [], credentials, signal: options.signal,
      idempotent: true, what: `registry ${registry}`, expect: [200],
    }, { login: true });
    await drain(res);
    const key = this.#tokenKey(registry, credentials, []);
    const cached = this.#tokens.get(key);
    const refreshToken = cached ? (await cached.catch(() => undefined))?.refreshToken : undefined;
    return refreshToken ? { identityToken: refreshToken } : {};
  }

  /** @internal The scheme for `registry`; probes https then http once for insecure registries. */
  async baseUrl(registry: string, signal?: AbortSignal): Promise<string> {
    const host = registry === DEFAULT_REGISTRY ? DOCKER_HUB_API : registry;
    if (isLoopback(host)) return `http://${host}`;
    if (!this.#insecure.has(registry.toLowerCase())) return `https://${host}`;
    let scheme = this.#schemes.get(registry);
    if (!scheme) {
      scheme = (async () => {
        try {
          const res = await this.#fetch(`https://${host}/v2/`, { method: 'GET', headers: { 'user-agent': this.#userAgent }, signal });
          await drain(res);
          return 'https' as const;
        } catch (err) {
          if (signal?.aborted) throw err;
          this.#log.info('insecure registry: https failed, using http', { registry, error: err });
          return 'http' as const;
        }
      })();
      this.#schemes.set(registry, scheme);
      scheme.catch(() => this.#schemes.delete(registry));
    }
    return `${await scheme}://${host}`;
  }

  /**
   * @internal Sends one logical request: adds auth (answering a 401
   * challenge once), retries idempotent ones on network errors, 5xx and 429,
   * and turns every other failure into a JanusError. The response's status is
   * one of `spec.expect`; its body is the caller's to consume.
   */
  async request(spec: RequestSpec, flags: { login?: boolean } = {}): Promise<Response> {
    const attempts = spec.idempotent ? this.#maxRetries + 1 : 1;
    let lastError: JanusError | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) {
        const delay = Math.min(this.#retryDelayMs * 2 ** (attempt - 1), 10_000);
        await sleep(lastError instanceof RetryAfter ? Math.min(lastError.ms, 30_000) : delay, spec.signal);
      }
      try {
        return await this.#attempt(spec, flags);
      } catch (err) {
        if (!(err instanceof Retriable) || attempt === attempts - 1) throw err instanceof Retriable ? err.error : err;
        lastError = err.error;
        this.#log.debug('registry request failed, retrying', { registry: spec.registry, method: spec.method, path: spec.path, attempt: attempt + 1, error: err.error });
      }
    }
    throw lastError ?? internal(`request to ${spec.registry} was never sent`);
  }

  async #attempt(spec: RequestSpec, flags: { login?: boolean }): Promise<Response> {
    const base = await this.baseUrl(spec.registry, spec.signal);
    const url = /^https?:\/\//.test(spec.path) ? spec.path : `${base}${spec.path}`;
    let authorization = await this.#authorization(spec, false);
    for (let round = 0; ; round++) {
      const res = await this.#send(spec, url, authorization);
      if (res.status === 401 && round === 0) {
        const challenge = parseChallenge(res.headers.get('www-authenticate'));
        await drain(res);
        if (!challenge) throw unauthorized(`${spec.what}: registry ${spec.registry} refused the request (401) without a usable auth challenge`);
        this.#challenges.set(spec.registry, challenge);
        const next = await this.#authorization(spec, true);
        if (next === undefined) {
          throw unauthorized(`${spec.what}: authentication required by ${spec.registry}; run janus login ${spec.registry}`);
        }
        if (next === authorization && challenge.scheme === 'basic') {
          throw unauthorized(flags.login ? `login to ${spec.registry} failed: unauthorized: incorrect username or password` : `${spec.what}: ${spec.registry} rejected the credentials`);
        }
        authorization = next;
        continue;
      }
      if (spec.expect.includes(res.status)) return res;
      const error = await responseError(res, spec);
      if (spec.idempotent && (res.status >= 500 || res.status === 429)) {
        const after = retryAfterMs(res.headers.get('retry-after'));
        throw new Retriable(after !== undefined ? new RetryAfter(error, after) : error);
      }
      if (flags.login && res.status === 401) throw unauthorized(`login to ${spec.registry} failed: unauthorized: incorrect username or password`);
      throw error;
    }
  }

  async #send(spec: RequestSpec, url: string, authorization: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { 'user-agent': this.#userAgent, ...spec.headers };
    if (authorization) headers.authorization = authorization;
    const init: RequestInit & { duplex?: 'half' } = { method: spec.method, headers, signal: spec.signal, redirect: 'follow' };
    let stream: Readable | undefined;
    if (spec.body) {
      const { body, length } = await spec.body();
      if (body instanceof Readable) {
        stream = body;
        init.body = body as unknown as RequestInit['body'];
        init.duplex = 'half';
      } else {
        init.body = body;
      }
      if (length !== undefined) headers['content-length'] = String(length);
    }
    try {
      return await this.#fetch(url, init);
    } catch (err) {
      stream?.destroy();
      if (spec.signal?.aborted) throw asJanusError(spec.signal.reason ?? err, spec.what);
      const error = unavailable(`cannot reach registry ${spec.registry}: ${networkReason(err)}`, err);
      if (spec.idempotent) throw new Retriable(error);
      throw error;
    }
  }

  /** The Authorization header for a request, or undefined when none is known to be needed. */
  async #authorization(spec: RequestSpec, challenged: boolean): Promise<string | undefined> {
    const creds = spec.credentials;
    if (creds?.registryToken) return `Bearer ${creds.registryToken}`;
    const challenge = this.#challenges.get(spec.registry);
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') {
      if (!creds?.username && !creds?.password) return undefined;
      return `Basic ${Buffer.from(`${creds.username ?? ''}:${creds.password ?? ''}`).toString('base64')}`;
    }
    const key = this.#tokenKey(spec.registry, creds, spec.scopes);
    let entry = this.#tokens.get(key);
    if (entry) {
      const cached = await entry.catch(() => undefined);
      if (!cached || cached.expiresAt - TOKEN_MARGIN_MS <= Date.now() || challenged) entry = undefined;
    }
    if (!entry) {
      entry = this.#fetchToken(spec, challenge);
      this.#tokens.set(key, entry);
      entry.catch(() => { if (this.#tokens.get(key) === entry) this.#tokens.delete(key); });
    }
    return `Bearer ${(await entry).token}`;
  }

  #tokenKey(registry: string, creds: RegistryCredentials | undefined, scopes: string[]): string {
    const who = creds ? createHash('sha256').update(JSON.stringify([creds.username, creds.password, creds.identityToken])).digest('hex') : '';
    return `${registry}\n${who}\n${[...scopes].sort().join(' ')}`;
  }

  /** distribution's token protocol: GET with Basic credentials, or the OAuth2 refresh-token grant for identity tokens. */
  async #fetchToken(spec: RequestSpec, challenge: Extract<Challenge, { scheme: 'bearer' }>): Promise<CachedToken> {
    const creds = spec.credentials;
    let realm: URL;
    try {
      realm = new URL(challenge.realm);
    } catch (err) {
      throw unavailable(`registry ${spec.registry} sent an invalid token realm ${JSON.stringify(challenge.realm)}`, err);
    }
    const params = new URLSearchParams();
    if (challenge.service) params.set('service', challenge.service);
    for (const s of spec.scopes) params.append('scope', s);
    const headers: Record<string, string> = { 'user-agent': this.#userAgent };
    let init: RequestInit;
    if (creds?.identityToken) {
      params.set('grant_type', 'refresh_token');
      params.set('refresh_token', creds.identityToken);
      params.set('client_id', this.#userAgent);
      headers['content-type'] = 'application/x-www-form-urlencoded';
      init = { method: 'POST', headers, body: params.toString(), signal: spec.signal };
    } else {
      if (creds?.username || creds?.password) {
        headers.authorization = `Basic ${Buffer.from(`${creds.username ?? ''}:${creds.password ?? ''}`).toString('base64')}`;
        // Asks for a refresh token that `login` can hand back as an identity token.
        params.set('offline_token', 'true');
        params.set('client_id', this.#userAgent);
      }
      for (const [k, v] of params) realm.searchParams.append(k, v);
      init = { method: 'GET', headers, signal: spec.signal };
    }
    let res: Response;
    try {
      res = await this.#fetch(realm, init);
    } catch (err) {
      if (spec.signal?.aborted) throw asJanusError(spec.signal.reason ?? err, spec.what);
      throw unavailable(`cannot reach the token server ${realm.origin} of registry ${spec.registry}: ${networkReason(err)}`, err);
    }
    if (res.status === 401 || res.status === 403) {
      await drain(res);
      throw unauthorized(`${spec.what}: the token server of ${spec.registry} rejected the credentials (${res.status})`);
    }
    if (!res.ok) {
      await drain(res);
      throw unavailable(`the token server of ${spec.registry} answered ${res.status} ${res.statusText}`);
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown; refresh_token?: unknown };
    try {
      body = await res.json() as typeof body;
    } catch (err) {
      throw unavailable(`the token server of ${spec.registry} sent malformed JSON`, err);
    }
    const token = typeof body.token === 'string' && body.token ? body.token : typeof body.access_token === 'string' ? body.access_token : '';
    if (!token) throw unavailable(`the token server of ${spec.registry} sent no token`);
    const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_LIFETIME_S;
    const issued = typeof body.issued_at === 'string' && !Number.isNaN(Date.parse(body.issued_at)) ? Math.min(Date.parse(body.issued_at), Date.now()) : Date.now();
    return {
      token,
      expiresAt: issued + lifetime * 1000,
      ...(typeof body.refresh_token === 'string' && body.refresh_token ? { refreshToken: body.refresh_token } : {}),
    };
  }
}

/** A failure worth another attempt; carries the error to report when attempts run out. */
class Retriable extends Error {
  readonly error: JanusError;
  constructor(error: JanusError) {
    super(error.message);
    this.error = error;
  }
}

/** An Unavailable error whose server said when to come back. */
class RetryAfter extends JanusError {
  readonly ms: number;
  constructor(error: JanusError, ms: number) {
    super(error.kind, error.message, { cause: error.cause });
    this.ms = ms;
  }
}

/** The client of one repository; see RemoteRepository for the contract. */
class HttpRepository implements RemoteRepository {
  readonly reference: ImageReference;
  readonly #client: HttpRegistry;
  readonly #credentials: RegistryCredentials | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #prefix: string;
  readonly #name: string;

  constructor(client: HttpRegistry, ref: ImageReference, options: RepositoryOptions) {
    this.reference = ref;
    this.#client = client;
    this.#credentials = options.credentials;
    this.#signal = options.signal;
    this.#prefix = `/v2/${ref.repository}`;
    this.#name = repositoryName(ref);
  }

  #what(tagOrDigest: string): string {
    return `${this.#name}${isDigest(tagOrDigest) ? '@' : ':'}${tagOrDigest}`;
  }

  #pull(): string[] {
    return [`repository:${this.reference.repository}:pull`];
  }

  #push(): string[] {
    return [`repository:${this.reference.repository}:pull,push`];
  }

  #req(spec: Omit<RequestSpec, 'registry' | 'credentials' | 'signal'>): Promise<Response> {
    return this.#client.request({ ...spec, registry: this.reference.registry, credentials: this.#credentials, signal: this.#signal });
  }

  async resolve(tagOrDigest: string): Promise<Descriptor> {
    const what = this.#what(tagOrDigest);
    const path = `${this.#prefix}/manifests/${tagOrDigest}`;
    const head = await this.#req({ method: 'HEAD', path, headers: { accept: MANIFEST_ACCEPT }, scopes: this.#pull(), idempotent: true, what, expect: [200, 404] });
    await drain(head);
    if (head.status === 404) throw notFound(`manifest unknown: ${what}`);
    const contentType = bareType(head.headers.get('content-type'));
    if (SCHEMA1.has(contentType)) throw notImplemented(`schema1 manifests are deprecated and not supported: ${what}`);
    const headerDigest = head.headers.get('docker-content-digest') ?? undefined;
    const length = Number(head.headers.get('content-length') ?? NaN);
    const known = isIndexMediaType(contentType) || isManifestMediaType(contentType);
    if (known && headerDigest && isDigest(headerDigest) && Number.isSafeInteger(length)) {
      if (isDigest(tagOrDigest) && headerDigest !== tagOrDigest) {
        throw dataLoss(`registry ${this.reference.registry} answered ${headerDigest} for ${what}`);
      }
      return { mediaType: contentType, digest: headerDigest, size: length };
    }
    // Some registries omit the digest or type on HEAD: fetch the bytes and find both.
    const res = await this.#req({ method: 'GET', path, headers: { accept: MANIFEST_ACCEPT }, scopes: this.#pull(), idempotent: true, what, expect: [200, 404] });
    if (res.status === 404) {
      await drain(res);
      throw notFound(`manifest unknown: ${what}`);
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    const parsed = parseManifestOrIndex(bytes, res.headers.get('content-type') ?? undefined, { context: what });
    const digest: Digest = isDigest(tagOrDigest) && tagOrDigest.startsWith('sha512:')
      ? `sha512:${createHash('sha512').update(bytes).digest('hex')}`
      : `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (isDigest(tagOrDigest) && digest !== tagOrDigest) throw dataLoss(`registry ${this.reference.registry} served content with digest ${digest} for ${what}`);
    const mediaType = parsed.kind === 'index' ? parsed.index.mediaType : parsed.manifest.mediaType;
    return { mediaType, digest, size: bytes.length };
  }

  async fetch(desc: Descriptor, options: { offset?: number } = {}): Promise<Readable> {
    const offset = options.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) throw invalidArgument(`invalid offset ${offset} for ${this.#what(desc.digest)}`);
    const isManifest = isIndexMediaType(desc.mediaType) || isManifestMediaType(desc.mediaType);
    const kind = isManifest ? 'manifest' : 'blob';
    const what = this.#what(desc.digest);
    const headers: Record<string, string> = isManifest ? { accept: MANIFEST_ACCEPT } : {};
    if (offset > 0) headers.range = `bytes=${offset}-`;
    const res = await this.#req({
      method: 'GET', path: `${this.#prefix}/${isManifest ? 'manifests' : 'blobs'}/${desc.digest}`, headers,
      scopes: this.#pull(), idempotent: true, what, expect: [200, 206, 404, 416],
    });
    if (res.status === 404) {
      await drain(res);
      throw notFound(`${kind} unknown: ${what}`);
    }
    if (res.status === 416) {
      await drain(res);
      if (offset === desc.size) return Readable.from([]);
      throw invalidArgument(`offset ${offset} is beyond the end of ${kind} ${what}`);
    }
    if (!res.body) return Readable.from([]);
    const stream = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    // A server that ignores Range sends everything: skip what the caller already has.
    if (res.status === 200 && offset > 0) return skipBytes(stream, offset);
    return stream;
  }

  async hasBlob(desc: Descriptor): Promise<boolean> {
    const res = await this.#req({
      method: 'HEAD', path: `${this.#prefix}/blobs/${desc.digest}`, scopes: this.#pull(), idempotent: true, what: this.#what(desc.digest), expect: [200, 404],
    });
    await drain(res);
    return res.status === 200;
  }

  async mountBlob(desc: Descriptor, fromRepository: string): Promise<boolean> {
    const what = this.#what(desc.digest);
    const query = new URLSearchParams({ mount: desc.digest, from: fromRepository });
    const res = await this.#req({
      method: 'POST', path: `${this.#prefix}/blobs/uploads/?${query}`, headers: { 'content-length': '0' },
      scopes: [...this.#push(), `repository:${fromRepository}:pull`], idempotent: true, what, expect: [201, 202],
    });
    await drain(res);
    if (res.status === 201) return true;
    // The registry opened an ordinary upload instead; close it so it does not linger until purged.
    const location = res.headers.get('location');
    if (location) {
      try {
        const cancel = await this.#req({
          method: 'DELETE', path: await this.#absolute(location), scopes: this.#push(), idempotent: true, what, expect: [200, 202, 204, 404],
        });
        await drain(cancel);
      } catch (err) {
        if (isJanusError(err, 'Canceled')) throw err;
      }
    }
    return false;
  }

  async pushBlob(desc: Descriptor, open: () => Promise<Readable>): Promise<void> {
    const what = this.#what(desc.digest);
    // Each attempt is a whole new upload session: a failed PUT leaves its session unusable.
    const attempt = async (): Promise<void> => {
      const start = await this.#req({
        method: 'POST', path: `${this.#prefix}/blobs/uploads/`, headers: { 'content-length': '0' },
        scopes: this.#push(), idempotent: true, what, expect: [202],
      });
      await drain(start);
      const location = start.headers.get('location');
      if (!location) throw internal(`registry ${this.reference.registry} opened an upload for ${what} without a Location`);
      const url = new URL(await this.#absolute(location));
      url.searchParams.set('digest', desc.digest);
      const put = await this.#req({
        method: 'PUT', path: url.toString(), headers: { 'content-type': 'application/octet-stream' },
        body: async () => ({ body: await open(), length: desc.size }),
        scopes: this.#push(), idempotent: false, what, expect: [201, 204],
      });
      await drain(put);
    };
    await this.#withRetries(attempt);
  }

  async pushManifest(tagOrDigest: string, desc: Descriptor, body: Uint8Array): Promise<void> {
    const what = this.#what(tagOrDigest);
    const res = await this.#req({
      method: 'PUT', path: `${this.#prefix}/manifests/${tagOrDigest}`, headers: { 'content-type': desc.mediaType },
      body: async () => ({ body: body as RequestInit['body'] }), scopes: this.#push(), idempotent: true, what, expect: [200, 201, 204],
    });
    await drain(res);
    const stored = res.headers.get('docker-content-digest');
    if (stored && isDigest(stored) && digestAlgorithm(stored) === digestAlgorithm(desc.digest) && stored !== desc.digest) {
      throw dataLoss(`registry ${this.reference.registry} stored manifest ${what} as ${stored}, expected ${desc.digest}`);
    }
  }

  /** Upload locations may be relative to the registry root. */
  async #absolute(location: string): Promise<string> {
    return new URL(location, `${await this.#client.baseUrl(this.reference.registry, this.#signal)}/`).toString();
  }

  /** Retries a whole non-idempotent sequence on failures that say nothing about the data. */
  async #withRetries(fn: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const { maxRetries, delayMs } = this.#client.retryPolicy;
        if (!isJanusError(err, 'Unavailable') || attempt >= maxRetries) throw err;
        await sleep(Math.min(delayMs * 2 ** attempt, 10_000), this.#signal);
      }
    }
  }
}

/** Turns a registry's error response into a JanusError of the right kind, naming `spec.what`. */
async function responseError(res: Response, spec: RequestSpec): Promise<JanusError> {
  let text = '';
  try {
    text = await res.text();
  } catch {
    /* the status alone must do */
  }
  let code = '';
  let message = '';
  try {
    const parsed = JSON.parse(text) as { errors?: Array<{ code?: unknown; message?: unknown }> };
    const first = parsed.errors?.[0];
    if (first && typeof first.code === 'string') code = first.code;
    if (first && typeof first.message === 'string') message = first.message;
  } catch {
    /* not distribution's error JSON */
  }
  const said = message || (code ? code.toLowerCase().replace(/_/g, ' ') : `${res.status} ${res.statusText}`.trim());
  const text2 = `${said}: ${spec.what}`;
  if (code.endsWith('_UNKNOWN')) return notFound(text2);
  if (code === 'UNAUTHORIZED' || code === 'DENIED') return unauthorized(`${text2} (registry ${spec.registry})`);
  if (code === 'TOOMANYREQUESTS' || res.status === 429) return unavailable(`${said}: registry ${spec.registry} is rate limiting (${spec.what})`);
  if (code === 'UNSUPPORTED') return notImplemented(`${text2} (registry ${spec.registry} does not support this)`);
  if (code.endsWith('_INVALID')) return invalidArgument(text2);
  if (res.status === 401) return unauthorized(`${text2} (registry ${spec.registry})`);
  if (res.status === 403) return new JanusError('Forbidden', `${text2} (registry ${spec.registry})`);
  if (res.status === 404) return notFound(text2);
  if (res.status >= 500) return unavailable(`registry ${spec.registry} failed: ${said} (${spec.what})`);
  if (res.status >= 400 && res.status < 500) return invalidArgument(`registry ${spec.registry} refused ${spec.method} ${spec.what}: ${said}`);
  return internal(`registry ${spec.registry} answered ${spec.method} ${spec.what} with unexpected status ${res.status}`);
}

/**
 * Parses a WWW-Authenticate header into the first Bearer or Basic
 * challenge. Exported for tests; pure.
 */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const challenges: Array<{ scheme: string; params: Record<string, string> }> = [];
  const re = /\s*(?:([A-Za-z][\w!#$%&'*+.^`|~-]*)(?=\s+[^=\s,]|\s*$|\s*,)|([\w!#$%&'*+.^`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*)))\s*,?/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < header.length && (m = re.exec(header)) !== null) {
    if (m[0] === '') break;
    if (m[1]) challenges.push({ scheme: m[1].toLowerCase(), params: {} });
    else if (m[2] && challenges.length) challenges[challenges.length - 1].params[m[2].toLowerCase()] = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[4];
  }
  for (const c of challenges) {
    if (c.scheme === 'bearer' && c.params.realm) return { scheme: 'bearer', realm: c.params.realm, ...(c.params.service ? { service: c.params.service } : {}) };
  }
  for (const c of challenges) {
    if (c.scheme === 'basic') return { scheme: 'basic', ...(c.params.realm ? { realm: c.params.realm } : {}) };
  }
  return undefined;
}

function isLoopback(host: string): boolean {
  const h = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return h === 'localhost' || h === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function bareType(v: string | null): string {
  return (v ?? '').split(';')[0].trim().toLowerCase();
}

function retryAfterMs(v: string | null): number | undefined {
  if (!v) return undefined;
  const s = Number(v);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code) return `${cause.code}${cause.message && !cause.message.includes(cause.code) ? ` (${cause.message})` : ''}`;
  return cause?.message ?? (err as Error)?.message ?? String(err);
}

async function drain(res: Response): Promise<void> {
  if (res.bodyUsed || !res.body) return;
  try {
    await res.body.cancel();
  } catch {
    /* already closed */
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(asJanusError(signal.reason));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(asJanusError(signal?.reason));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Drops the first `n` bytes of a stream. */
function skipBytes(stream: Readable, n: number): Readable {
  let left = n;
  return Readable.from((async function* () {
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      if (left >= chunk.length) {
        left -= chunk.length;
        continue;
      }
      yield left > 0 ? chunk.subarray(left) : chunk;
      left = 0;
    }
  })(), { objectMode: false });
}
