import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { httpRequest } from './http-request.ts';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { JanusError, invalidArgument } from '../../core/errors.ts';
import type { BenchResults } from '../../core/bench-results.ts';
import { DaemonError } from './daemon-error.ts';
import { containerStream, isMultiplexed, sendHijackRequest, type ContainerStream, type HijackAnswer } from './hijack.ts';
import { demultiplex, rawChunks } from './stdcopy.ts';
import type {
  AdviseResponse, AdviseWorkloadWire,
  AuthConfig, AuthResponse, CommitResponse, ContainerChange, ContainerCreateBody, ContainerCreateResponse, ContainerInspect,
  ContainerPathStat, ContainersPruneReport, ContainerStatsWire, ContainerSummary, ContainerTopResponse, ContainerUpdateBody,
  ContainerUpdateResponse, ContainerWaitResponse, DiskUsage, EventMessage, ExecCreateBody, ExecInspect, HistoryResponseItem,
  EndpointSettingsWire, ImageDeleteResponseItem, ImageInspect, ImagesPruneReport, ImageSummary, InfoResponse, JsonMessage,
  NetworkCreateRequest, NetworkCreateResponse, NetworkResource, NetworksPruneReport, PingResponse, SnapshotWire, StreamChunk, VersionResponse, Volume, VolumeCreateRequest, VolumeListResponse, VolumesPruneReport,
} from './types.ts';

export type { ContainerStream } from './hijack.ts';

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

const JSON_HEADERS: OutgoingHttpHeaders = { 'Content-Type': 'application/json' };

/** Options of `containerLogs`. */
export interface LogsOptions {
  follow?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  /** Unix seconds (with an optional fraction), as the daemon takes them. */
  since?: string;
  until?: string;
  timestamps?: boolean;
  details?: boolean;
  /** A line count or `all`. */
  tail?: string;
  /** Whether the container has a TTY (raw output); asked of the daemon when absent. */
  tty?: boolean;
  signal?: AbortSignal;
}

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

  /**
   * `POST /build` (the classic builder protocol): sends `context` (a tar,
   * or a bare Dockerfile) and yields the progress messages — `stream`
   * text, pull progress, and `aux.ID` with the image built; throws the
   * stream's error (a failing RUN's exit code in `DaemonError.status`).
   */
  buildImage(context: Readable, options: {
    tags?: string[]; dockerfile?: string; buildArgs?: Record<string, string | null>; target?: string; noCache?: boolean; pull?: boolean;
    labels?: Record<string, string>; networkMode?: string; quiet?: boolean; platform?: string; signal?: AbortSignal;
  } = {}): AsyncIterable<JsonMessage> {
    const query: Record<string, string | undefined> = {
      dockerfile: options.dockerfile,
      buildargs: options.buildArgs && Object.keys(options.buildArgs).length > 0 ? JSON.stringify(options.buildArgs) : undefined,
      labels: options.labels && Object.keys(options.labels).length > 0 ? JSON.stringify(options.labels) : undefined,
      target: options.target,
      nocache: flag(options.noCache),
      pull: flag(options.pull),
      networkmode: options.networkMode,
      q: flag(options.quiet),
      platform: options.platform,
      rm: '1',
    };
    const extra = (options.tags ?? []).map((t) => ['t', t]);
    return this.#stream('POST', '/build', { query, headers: { 'Content-Type': 'application/x-tar' }, body: context, signal: options.signal }, extra);
  }

  /** `POST /build/prune`: empties the build cache. */
  pruneBuildCache(options: { signal?: AbortSignal } = {}): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
    return this.#json('POST', '/build/prune', { signal: options.signal });
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

  /** `GET /networks`. */
  listNetworks(options: { filters?: Filters; signal?: AbortSignal } = {}): Promise<NetworkResource[]> {
    return this.#json('GET', '/networks', { query: { filters: encodeFilters(options.filters) }, signal: options.signal });
  }

  /** `GET /networks/{id}`: by name, ID or unique ID prefix; the running containers' endpoints included. */
  inspectNetwork(ref: string, options: { verbose?: boolean; scope?: string; signal?: AbortSignal } = {}): Promise<NetworkResource> {
    return this.#json('GET', `/networks/${encodeURIComponent(ref)}`, { query: { verbose: flag(options.verbose), scope: options.scope }, signal: options.signal });
  }

  /** `POST /networks/create`: Conflict when the name exists or the subnet overlaps another network's. */
  createNetwork(spec: NetworkCreateRequest, options: { signal?: AbortSignal } = {}): Promise<NetworkCreateResponse> {
    return this.#json('POST', '/networks/create', { headers: JSON_HEADERS, body: JSON.stringify(spec), signal: options.signal });
  }

  /** `DELETE /networks/{id}`: Forbidden for the predefined networks; refused while containers use it. */
  async removeNetwork(ref: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.#request('DELETE', `/networks/${encodeURIComponent(ref)}`, { signal: options.signal });
    res.resume();
  }

  /** `POST /networks/prune`: user-defined networks no container uses (filters `label`, `until`). */
  pruneNetworks(options: { filters?: Filters; signal?: AbortSignal } = {}): Promise<NetworksPruneReport> {
    return this.#json('POST', '/networks/prune', { query: { filters: encodeFilters(options.filters) }, signal: options.signal });
  }

  /** `POST /networks/{id}/connect`: joins a container (running or not), with aliases and a static address. */
  async connectNetwork(ref: string, container: string, endpoint: EndpointSettingsWire = {}, options: { signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.#request('POST', `/networks/${encodeURIComponent(ref)}/connect`, {
      headers: JSON_HEADERS, body: JSON.stringify({ Container: container, EndpointConfig: endpoint }), signal: options.signal,
    });
    res.resume();
  }

  /** `POST /networks/{id}/disconnect`: `force` ignores a container that is not connected. */
  async disconnectNetwork(ref: string, container: string, options: { force?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.#request('POST', `/networks/${encodeURIComponent(ref)}/disconnect`, {
      headers: JSON_HEADERS, body: JSON.stringify({ Container: container, Force: !!options.force }), signal: options.signal,
    });
    res.resume();
  }

  /** `POST /auth`: checks credentials with the registry; Unauthorized when it refuses them. */
  auth(config: AuthConfig, options: { signal?: AbortSignal } = {}): Promise<AuthResponse> {
    return this.#json('POST', '/auth', { body: JSON.stringify(config), headers: { 'Content-Type': 'application/json' }, signal: options.signal });
  }

  /** `POST /janus/advise` (Janus extension): the isolation advisor's answer for create bodies and existing containers, in that order. */
  advise(body: { Workloads?: AdviseWorkloadWire[]; Containers?: string[] }, options: { signal?: AbortSignal } = {}): Promise<AdviseResponse> {
    return this.#json('POST', '/janus/advise', { headers: JSON_HEADERS, body: JSON.stringify(body), signal: options.signal });
  }

  /** `GET /janus/bench` (Janus extension): the host's latest `janus bench` figures; NotFound when none were recorded. */
  bench(options: { signal?: AbortSignal } = {}): Promise<BenchResults> {
    return this.#json('GET', '/janus/bench', options);
  }

  /** `PUT /janus/bench` (Janus extension): hands bench figures to the daemon, which keeps them as the host's latest; InvalidArgument names a field it refuses. */
  async benchRecord(results: BenchResults, options: { signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.#request('PUT', '/janus/bench', { headers: JSON_HEADERS, body: JSON.stringify(results), signal: options.signal });
    res.resume();
  }

  /** `GET /janus/dashboard` (Janus extension): the web dashboard's link (with its token); NotFound when it is off. */
  dashboard(options: { signal?: AbortSignal } = {}): Promise<{ URL: string; Token: string }> {
    return this.#json('GET', '/janus/dashboard', options);
  }

  /** `POST /janus/images/bootstrap?name=` (Janus extension): builds a base image from host tools. */
  bootstrapImage(name: string, options: { signal?: AbortSignal } = {}): AsyncIterable<JsonMessage> {
    return this.#stream('POST', '/janus/images/bootstrap', { query: { name }, signal: options.signal });
  }

  // ------------------------------------------------------------ snapshots (Janus extension)

  /** `POST /janus/containers/{id}/snapshots`: takes a snapshot of a container (paused meanwhile). */
  snapshotCreate(container: string, name: string, options: { volumes?: boolean; memory?: boolean; signal?: AbortSignal } = {}): Promise<SnapshotWire> {
    const body = { Name: name, ...(options.volumes ? { Volumes: true } : {}), ...(options.memory ? { Memory: true } : {}) };
    return this.#json('POST', `/janus/containers/${encodeURIComponent(container)}/snapshots`, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal: options.signal });
  }

  /** `GET /janus/containers/{id}/snapshots`, or `GET /janus/snapshots` (every container's) without a container. */
  snapshotList(container?: string, options: { signal?: AbortSignal } = {}): Promise<SnapshotWire[]> {
    return this.#json('GET', container === undefined ? '/janus/snapshots' : `/janus/containers/${encodeURIComponent(container)}/snapshots`, options);
  }

  /** `POST /janus/containers/{id}/snapshots/{name}/restore`: Conflict while the container runs. */
  async snapshotRestore(container: string, name: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.#request('POST', `/janus/containers/${encodeURIComponent(container)}/snapshots/${encodeURIComponent(name)}/restore`, options);
    res.resume();
  }

  /** `DELETE /janus/containers/{id}/snapshots/{name}`. */
  async snapshotRemove(container: string, name: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.#request('DELETE', `/janus/containers/${encodeURIComponent(container)}/snapshots/${encodeURIComponent(name)}`, options);
    res.resume();
  }

  /** `POST /janus/projects/{project}/snapshots`: a snapshot of every container of a compose project and their volumes, taken together. */
  projectSnapshotCreate(project: string, name: string, options: { memory?: boolean; signal?: AbortSignal } = {}): Promise<SnapshotWire[]> {
    const body = { Name: name, ...(options.memory ? { Memory: true } : {}) };
    return this.#json('POST', `/janus/projects/${encodeURIComponent(project)}/snapshots`, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal: options.signal });
  }

  /** `GET /janus/projects/{project}/snapshots`: one entry per container and snapshot. */
  projectSnapshotList(project: string, options: { signal?: AbortSignal } = {}): Promise<SnapshotWire[]> {
    return this.#json('GET', `/janus/projects/${encodeURIComponent(project)}/snapshots`, options);
  }

  /** `POST /janus/projects/{project}/snapshots/{name}/restore`: Conflict while any of its containers runs. */
  async projectSnapshotRestore(project: string, name: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.#request('POST', `/janus/projects/${encodeURIComponent(project)}/snapshots/${encodeURIComponent(name)}/restore`, options);
    res.resume();
  }

  /** `DELETE /janus/projects/{project}/snapshots/{name}`. */
  async projectSnapshotRemove(project: string, name: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.#request('DELETE', `/janus/projects/${encodeURIComponent(project)}/snapshots/${encodeURIComponent(name)}`, options);
    res.resume();
  }

  // ------------------------------------------------------------ containers

  /** `POST /containers/create`: a new container, not started. `name` and `platform` go in the query. */
  containerCreate(body: ContainerCreateBody, options: { name?: string; platform?: string; signal?: AbortSignal } = {}): Promise<ContainerCreateResponse> {
    return this.#json('POST', '/containers/create', {
      query: { name: options.name || undefined, platform: options.platform || undefined },
      headers: JSON_HEADERS,
      body: JSON.stringify(body),
      signal: options.signal,
    });
  }

  /** `POST /containers/{id}/start`. Resolves false when it was already running (the daemon's 304). */
  async containerStart(id: string, options: { detachKeys?: string; signal?: AbortSignal } = {}): Promise<boolean> {
    const res = await this.#request('POST', `/containers/${encodeURIComponent(id)}/start`, { query: { detachKeys: options.detachKeys }, signal: options.signal });
    res.resume();
    return res.statusCode !== 304;
  }

  /**
   * `POST /containers/{id}/stop`: the stop signal (`stopSignal`, else the
   * container's), then SIGKILL after `timeout` seconds (-1: never).
   * Resolves false when it was not running (304).
   */
  async containerStop(id: string, options: { timeout?: number; stopSignal?: string; signal?: AbortSignal } = {}): Promise<boolean> {
    const res = await this.#request('POST', `/containers/${encodeURIComponent(id)}/stop`, { query: { t: options.timeout, signal: options.stopSignal }, signal: options.signal });
    res.resume();
    return res.statusCode !== 304;
  }

  /** `POST /containers/{id}/restart`: stop as `containerStop` does, then start. */
  async containerRestart(id: string, options: { timeout?: number; stopSignal?: string; signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.#request('POST', `/containers/${encodeURIComponent(id)}/restart`, { query: { t: options.timeout, signal: options.stopSignal }, signal: options.signal });
    res.resume();
  }

  /** `POST /containers/{id}/kill`: `killSignal` (name or number), SIGKILL by default. Conflict when not running. */
  async containerKill(id: string, options: { killSignal?: string; signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.#request('POST', `/containers/${encodeURIComponent(id)}/kill`, { query: { signal: options.killSignal || undefined }, signal: options.signal });
    res.resume();
  }

  /** `DELETE /containers/{id}`: `force` kills a running one first; `volumes` also removes its anonymous volumes. */
  async containerRemove(id: string, options: { force?: boolean; volumes?: boolean; snapshots?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.#request('DELETE', `/containers/${encodeURIComponent(id)}`, { query: { force: flag(options.force), v: flag(options.volumes), ...(options.snapshots ? { snapshots: '1' } : {}) }, signal: options.signal });
    res.resume();
  }

  /**
   * `POST /containers/{id}/wait`. Resolves once the daemon has answered
   * with its status line, which it does as soon as the wait is registered —
   * so a caller can start the container knowing no exit is missed. `result`
   * resolves when the condition holds (`not-running`, the default;
   * `next-exit`; `removed`) with the exit status and any error the daemon
   * reports. Rejects at once for an unknown container or condition.
   */
  async containerWait(id: string, options: { condition?: 'not-running' | 'next-exit' | 'removed'; signal?: AbortSignal } = {}): Promise<{ result: Promise<ContainerWaitResponse> }> {
    const path = `/containers/${encodeURIComponent(id)}/wait`;
    const res = await this.#request('POST', path, { query: { condition: options.condition }, signal: options.signal });
    const result = (async () => {
      let text: string;
      try {
        text = await readText(res, this.host);
      } catch (err) {
        throw this.#connectionError(err, 'POST', path, options.signal);
      }
      try {
        return JSON.parse(text) as ContainerWaitResponse;
      } catch {
        throw new JanusError('Internal', `the daemon at ${this.host} answered POST ${path} with malformed JSON: ${text.slice(0, 200)}`);
      }
    })();
    // Callers that never look at the result (they were interrupted) must not leave an unhandled rejection behind.
    result.catch(() => {});
    return { result };
  }

  /** `GET /containers/json`: running containers, or all with `all`; `limit` keeps the newest N. */
  containerList(options: { all?: boolean; limit?: number; size?: boolean; filters?: Filters; signal?: AbortSignal } = {}): Promise<ContainerSummary[]> {
    return this.#json('GET', '/containers/json', {
      query: { all: flag(options.all), limit: options.limit !== undefined && options.limit > 0 ? options.limit : undefined, size: flag(options.size), filters: encodeFilters(options.filters) },
      signal: options.signal,
    });
  }

  /** `GET /containers/{id}/json`; `size` adds SizeRw and SizeRootFs. */
  containerInspect(id: string, options: { size?: boolean; signal?: AbortSignal } = {}): Promise<ContainerInspect> {
    return this.#json('GET', `/containers/${encodeURIComponent(id)}/json`, { query: { size: flag(options.size) }, signal: options.signal });
  }

  /**
   * `GET /containers/{id}/logs` as stdout/stderr chunks: demultiplexed, or
   * one raw stream when the container has a TTY (`tty`; asked of the
   * daemon with inspect when not given). `since`/`until` are what the
   * daemon takes (Unix seconds with an optional fraction); `tail` a count
   * or `all`. With `follow` it ends when the container stops or `signal`
   * aborts.
   */
  async *containerLogs(id: string, options: LogsOptions = {}): AsyncGenerator<StreamChunk> {
    const tty = options.tty ?? (await this.containerInspect(id, { signal: options.signal })).Config.Tty;
    const path = `/containers/${encodeURIComponent(id)}/logs`;
    const res = await this.#request('GET', path, {
      query: {
        follow: flag(options.follow), stdout: flag(options.stdout ?? true), stderr: flag(options.stderr ?? true),
        since: options.since, until: options.until, timestamps: flag(options.timestamps), details: flag(options.details), tail: options.tail,
      },
      signal: options.signal,
    });
    const multiplexed = isMultiplexed(res.headers['content-type'], { tty, contentTypeReliable: await this.#atLeast('1.42') });
    try {
      yield* multiplexed ? demultiplex(res as AsyncIterable<Buffer>) : rawChunks(res as AsyncIterable<Buffer>);
    } catch (err) {
      throw this.#connectionError(err, 'GET', path, options.signal);
    } finally {
      res.destroy();
    }
  }

  /**
   * `POST /containers/{id}/attach` over a hijacked connection. `tty` says
   * how output is framed (asked of the daemon with inspect when not
   * given). Attach before starting a container to miss none of its output.
   */
  async containerAttach(id: string, options: { stdin?: boolean; stdout?: boolean; stderr?: boolean; stream?: boolean; logs?: boolean; detachKeys?: string; tty?: boolean; signal?: AbortSignal } = {}): Promise<ContainerStream> {
    const tty = options.tty ?? (await this.containerInspect(id, { signal: options.signal })).Config.Tty;
    return this.#hijack('POST', `/containers/${encodeURIComponent(id)}/attach`, {
      query: {
        stdin: flag(options.stdin), stdout: flag(options.stdout), stderr: flag(options.stderr), stream: flag(options.stream ?? true),
        logs: flag(options.logs), detachKeys: options.detachKeys,
      },
      tty,
      signal: options.signal,
    });
  }

  /** `POST /containers/{id}/resize`: the TTY's size in characters. */
  async containerResize(id: string, size: { height: number; width: number }, options: { signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.#request('POST', `/containers/${encodeURIComponent(id)}/resize`, { query: { h: size.height, w: size.width }, signal: options.signal });
    res.resume();
  }

  /** `POST /containers/{id}/exec`: registers a process to run in the container; start it with `execStart`. */
  execCreate(id: string, body: ExecCreateBody, options: { signal?: AbortSignal } = {}): Promise<{ Id: string }> {
    return this.#json('POST', `/containers/${encodeURIComponent(id)}/exec`, { headers: JSON_HEADERS, body: JSON.stringify(body), signal: options.signal });
  }

  /**
   * `POST /exec/{id}/start` over a hijacked connection: the process's
   * streams, raw when `tty`. `consoleSize` ([height, width]) sets the
   * TTY's first size.
   */
  execStart(id: string, options: { tty?: boolean; consoleSize?: [number, number]; signal?: AbortSignal } = {}): Promise<ContainerStream> {
    const body = { Detach: false, Tty: !!options.tty, ...(options.consoleSize ? { ConsoleSize: options.consoleSize } : {}) };
    return this.#hijack('POST', `/exec/${encodeURIComponent(id)}/start`, { body: JSON.stringify(body), tty: !!options.tty, signal: options.signal });
  }

  /** `POST /exec/{id}/start` with `Detach`: starts the process and returns without its streams. */
  async execStartDetached(id: string, options: { tty?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.#request('POST', `/exec/${encodeURIComponent(id)}/start`, {
      headers: JSON_HEADERS, body: JSON.stringify({ Detach: true, Tty: !!options.tty }), signal: options.signal,
    });
    res.resume();
  }

  /** `GET /exec/{id}/json`: whether it runs and its exit code once it ended. */
  execInspect(id: string, options: { signal?: AbortSignal } = {}): Promise<ExecInspect> {
    return this.#json('GET', `/exec/${encodeURIComponent(id)}/json`, options);
  }

  /** `POST /exec/{id}/resize`. */
  async execResize(id: string, size: { height: number; width: number }, options: { signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.#request('POST', `/exec/${encodeURIComponent(id)}/resize`, { query: { h: size.height, w: size.width }, signal: options.signal });
    res.resume();
  }

  /** `GET /containers/{id}/top`: `ps` in the container (`psArgs` as for ps(1)). */
  containerTop(id: string, options: { psArgs?: string; signal?: AbortSignal } = {}): Promise<ContainerTopResponse> {
    return this.#json('GET', `/containers/${encodeURIComponent(id)}/top`, { query: { ps_args: options.psArgs || undefined }, signal: options.signal });
  }

  /** `GET /containers/{id}/stats?stream=1`: a sample about every second until `signal` aborts or the container goes away. */
  containerStats(id: string, options: { signal?: AbortSignal } = {}): AsyncIterable<ContainerStatsWire> {
    return this.#stream('GET', `/containers/${encodeURIComponent(id)}/stats`, { query: { stream: '1' }, signal: options.signal }) as AsyncIterable<ContainerStatsWire>;
  }

  /**
   * `GET /containers/{id}/stats?stream=0`: one sample. Without `oneShot`
   * the daemon takes two samples a second apart, so CPU figures have a
   * delta (precpu_stats).
   */
  containerStatsOnce(id: string, options: { oneShot?: boolean; signal?: AbortSignal } = {}): Promise<ContainerStatsWire> {
    return this.#json('GET', `/containers/${encodeURIComponent(id)}/stats`, { query: { stream: '0', 'one-shot': flag(options.oneShot) }, signal: options.signal });
  }

  /** `GET /containers/{id}/changes`: what differs in its filesystem from the image. */
  async containerChanges(id: string, options: { signal?: AbortSignal } = {}): Promise<ContainerChange[]> {
    return (await this.#json<ContainerChange[] | null>('GET', `/containers/${encodeURIComponent(id)}/changes`, options)) ?? [];
  }

  /** `GET /containers/{id}/export`: its root filesystem as a tar stream. */
  containerExport(id: string, options: { signal?: AbortSignal } = {}): Promise<Readable> {
    return this.#request('GET', `/containers/${encodeURIComponent(id)}/export`, options);
  }

  /**
   * `POST /commit`: a new image from the container. `reference` is
   * `repo[:tag]`; `changes` are Dockerfile instructions; the container is
   * paused while copied unless `pause` is false.
   */
  containerCommit(id: string, options: { repo?: string; tag?: string; comment?: string; author?: string; changes?: string[]; pause?: boolean; signal?: AbortSignal } = {}): Promise<CommitResponse> {
    const extra = (options.changes ?? []).map((c) => ['changes', c]);
    return this.#json('POST', '/commit', {
      query: { container: id, repo: options.repo, tag: options.tag, comment: options.comment, author: options.author, pause: options.pause === false ? '0' : '1' },
      signal: options.signal,
    }, extra);
  }

  /** `HEAD /containers/{id}/archive`: what is at `path` in the container. NotFound when nothing is. */
  async containerStatPath(id: string, path: string, options: { signal?: AbortSignal } = {}): Promise<ContainerPathStat> {
    const apiPath = `/containers/${encodeURIComponent(id)}/archive`;
    const prefix = await this.#negotiate();
    const res = await this.#send('HEAD', `${prefix}${apiPath}${queryString({ path }, [])}`, options);
    res.resume();
    const status = res.statusCode ?? 500;
    // A HEAD answer has no body to carry the daemon's message: say what docker's client says.
    if (status === 404) throw new DaemonError(404, `Could not find the file ${path} in container ${id}`);
    if (status >= 400) throw new DaemonError(status, `HEAD ${apiPath}?path=${path}: HTTP ${status}`);
    return decodePathStat(res.headers['x-docker-container-path-stat'], this.host);
  }

  /** `GET /containers/{id}/archive`: a tar of `path` (named by its base name) and what `path` is. */
  async containerGetArchive(id: string, path: string, options: { signal?: AbortSignal } = {}): Promise<{ stat: ContainerPathStat; archive: Readable }> {
    const res = await this.#request('GET', `/containers/${encodeURIComponent(id)}/archive`, { query: { path }, signal: options.signal });
    return { stat: decodePathStat(res.headers['x-docker-container-path-stat'], this.host), archive: res };
  }

  /** `PUT /containers/{id}/archive`: extracts `tar` into the directory `path` of the container. */
  async containerPutArchive(id: string, path: string, tar: Readable, options: { noOverwriteDirNonDir?: boolean; copyUidGid?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.#request('PUT', `/containers/${encodeURIComponent(id)}/archive`, {
      query: { path, noOverwriteDirNonDir: flag(options.noOverwriteDirNonDir), copyUIDGID: flag(options.copyUidGid) },
      headers: { 'Content-Type': 'application/x-tar' },
      body: tar,
      signal: options.signal,
    });
    res.resume();
  }

  /** `POST /containers/prune`: removes stopped containers (`until`, `label` filters). */
  containerPrune(options: { filters?: Filters; signal?: AbortSignal } = {}): Promise<ContainersPruneReport> {
    return this.#json('POST', '/containers/prune', { query: { filters: encodeFilters(options.filters) }, signal: options.signal });
  }

  /** `POST /containers/{id}/rename`. Conflict when the name is taken. */
  async containerRename(id: string, name: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.#request('POST', `/containers/${encodeURIComponent(id)}/rename`, { query: { name }, signal: options.signal });
    res.resume();
  }

  /** `POST /containers/{id}/update`: new resource limits or restart policy, live when it runs. */
  containerUpdate(id: string, body: ContainerUpdateBody, options: { signal?: AbortSignal } = {}): Promise<ContainerUpdateResponse> {
    return this.#json('POST', `/containers/${encodeURIComponent(id)}/update`, { headers: JSON_HEADERS, body: JSON.stringify(body), signal: options.signal });
  }

  /** `POST /containers/{id}/pause`: freezes its processes. */
  async containerPause(id: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.#request('POST', `/containers/${encodeURIComponent(id)}/pause`, options);
    res.resume();
  }

  /** `POST /containers/{id}/unpause`. */
  async containerUnpause(id: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.#request('POST', `/containers/${encodeURIComponent(id)}/unpause`, options);
    res.resume();
  }

  /** Whether the negotiated API version is at least `version` (an unversioned daemon counts as current). */
  async #atLeast(version: string): Promise<boolean> {
    const prefix = await this.#negotiate();
    return prefix === '' || compareVersions(prefix.slice(2), version) >= 0;
  }

  /** Sends a hijack request on the negotiated version; error statuses become DaemonErrors. */
  async #hijack(method: string, path: string, options: { query?: RequestOptions['query']; body?: string; tty: boolean; signal?: AbortSignal }): Promise<ContainerStream> {
    const prefix = await this.#negotiate();
    let answer: HijackAnswer;
    try {
      answer = await sendHijackRequest({
        endpoint: this.#endpoint,
        method,
        path: `${prefix}${path}${queryString(options.query, [])}`,
        headers: { 'User-Agent': this.#userAgent },
        body: options.body,
        signal: options.signal,
      });
    } catch (err) {
      throw this.#connectionError(err, method, path, options.signal);
    }
    if (answer.kind === 'response' && (answer.response.statusCode ?? 500) >= 400) throw await this.#errorFrom(answer.response, method, path);
    return containerStream(answer, { tty: options.tty, contentTypeReliable: await this.#atLeast('1.42') });
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

  async #json<T>(method: string, path: string, options: RequestOptions, extra: string[][] = []): Promise<T> {
    const res = await this.#request(method, path, options, extra);
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
    throw await this.#errorFrom(res, method, path);
  }

  /** The DaemonError an error response stands for: its `{"message"}`, or its text. */
  async #errorFrom(res: IncomingMessage, method: string, path: string): Promise<DaemonError> {
    const text = await readText(res, this.host).catch(() => '');
    let message = text.trim();
    try {
      const body = JSON.parse(text) as { message?: unknown };
      if (typeof body.message === 'string') message = body.message;
    } catch {
      // not JSON: keep the text as the daemon sent it
    }
    return new DaemonError(res.statusCode ?? 500, message || `${method} ${path}: HTTP ${res.statusCode}`);
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

/** The `X-Docker-Container-Path-Stat` header: base64 of the PathStat JSON. */
function decodePathStat(header: string | string[] | undefined, host: string): ContainerPathStat {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) throw new JanusError('Internal', `the daemon at ${host} sent no X-Docker-Container-Path-Stat header`);
  try {
    return JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as ContainerPathStat;
  } catch {
    throw new JanusError('Internal', `the daemon at ${host} sent a malformed X-Docker-Container-Path-Stat header`);
  }
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
