import { pipeline } from 'node:stream/promises';
import { invalidArgument, notImplemented } from '../../core/errors.ts';
import type { Platform } from '../../core/oci.ts';
import type { ImageFilters, ImageService } from '../../engine/image-service.ts';
import { parsePlatform } from '../../registry/platform.ts';
import type { Logger } from '../../util/logger.ts';
import type { ApiRequest } from './api-request.ts';
import { parseFilters } from './filters.ts';
import { historyItemWire, imageInspectWire, imageSummaryWire, removedItemWire } from './image-wire.ts';
import { JsonMessageStream } from './json-message-stream.ts';
import { errorResponse } from './errors.ts';
import { decodeRegistryAuth } from './registry-auth.ts';
import type { Router } from './router.ts';
import { parseTimestamp } from './timestamps.ts';

/** What the image routes need. */
export interface ImageRoutesOptions {
  images: ImageService;
  logger: Logger;
}

const LIST_FILTERS = ['dangling', 'label', 'reference', 'before', 'since', 'until'] as const;
const PRUNE_FILTERS = ['dangling', 'label', 'label!', 'until'] as const;

/**
 * Adds the `/images/…` endpoints (and `/janus/images/bootstrap`) to `router`.
 * Fixed paths are added before the `{name...}` ones, which must stay last.
 */
export function registerImageRoutes(router: Router, options: ImageRoutesOptions): void {
  const { images } = options;
  /** Streamed operations answer their own errors; the log still records why they failed. */
  const fail = (out: JsonMessageStream, err: unknown, r: ApiRequest) => {
    const { error, status } = errorResponse(err);
    options.logger[status >= 500 ? 'error' : 'info']('streamed request failed', { method: r.req.method, path: r.path, status, error });
    out.fail(err);
  };

  router.add('GET', '/images/json', async (r) => {
    const filters = imageFilters(parseFilters(r.string('filters'), LIST_FILTERS));
    r.bool('digests');
    r.bool('manifests');
    const list = await images.list({ all: r.bool('all'), filters, sharedSize: r.bool('shared-size') });
    r.send(200, list.map((s) => imageSummaryWire(s, r.apiVersion)));
  });

  router.add('POST', '/images/create', async (r) => {
    const fromImage = r.string('fromImage');
    const fromSrc = r.string('fromSrc');
    if (fromImage !== undefined && fromSrc !== undefined) throw invalidArgument('give only one of query parameters fromImage and fromSrc');
    if (fromSrc !== undefined) return importImage(r, images, fromSrc, fail);
    if (fromImage === undefined) throw invalidArgument('query parameter fromImage (pull) or fromSrc (import) is required');
    const ref = pullReference(fromImage, r.string('tag'));
    const platform = platformParam(r.string('platform'));
    const credentials = decodeRegistryAuth(r.req.headers['x-registry-auth']);
    r.req.resume();
    const out = new JsonMessageStream(r.res);
    try {
      await images.pull(ref, { credentials, progress: out.progress, signal: r.signal, ...(platform ? { platform } : {}) });
      out.end();
    } catch (err) {
      fail(out, err, r);
    }
  });

  router.add('POST', '/images/load', async (r) => {
    const quiet = r.bool('quiet');
    const out = new JsonMessageStream(r.res);
    try {
      const names = await images.load(r.req, { signal: r.signal, ...(quiet ? {} : { progress: out.progress }) });
      for (const name of names) {
        out.write({ stream: `${name.startsWith('sha256:') ? 'Loaded image ID' : 'Loaded image'}: ${name}\n` });
      }
      out.end();
    } catch (err) {
      fail(out, err, r);
    }
  });

  router.add('POST', '/images/prune', async (r) => {
    const f = parseFilters(r.string('filters'), PRUNE_FILTERS);
    if (f.has('label!')) throw notImplemented("filter 'label!' is not supported by image prune; use 'label'");
    const filters = imageFilters(f);
    // Docker's prune: dangling=false means "every unused image", not "only tagged ones".
    const all = filters.dangling === false;
    delete filters.dangling;
    const { deleted, spaceReclaimed } = await images.prune({ all, filters });
    r.send(200, { ImagesDeleted: deleted.length > 0 ? deleted.map(removedItemWire) : null, SpaceReclaimed: spaceReclaimed });
  });

  router.add('GET', '/images/search', async () => {
    throw notImplemented('image search is not offered by Janus: there is no registry index to search (no internet access); pull images by name from a registry');
  });

  router.add('GET', '/images/get', async (r) => {
    const names = r.strings('names');
    if (names.length === 0) throw invalidArgument('query parameter names is required');
    await saveImages(r, images, names);
  });

  router.add('POST', '/janus/images/bootstrap', async (r) => {
    const name = r.string('name');
    if (name === undefined) throw invalidArgument('query parameter name is required (busybox or debian:bookworm)');
    const out = new JsonMessageStream(r.res);
    try {
      const made = await images.bootstrap(name, { progress: out.progress, signal: r.signal });
      out.write({ aux: { Name: made.name, ID: made.id } });
      out.end();
    } catch (err) {
      fail(out, err, r);
    }
  });

  router.add('GET', '/images/{name...}/json', async (r) => {
    // docker-compose v1 negotiates the newest API version, then reads ContainerConfig (gone since 1.45) to
    // recreate a container: it crashes with KeyError 'ContainerConfig' against docker 26+ too. It names itself
    // in the User-Agent, so it alone gets the field back.
    const composeV1 = /^docker-compose\/1\./.test(r.req.headers['user-agent'] ?? '');
    r.send(200, imageInspectWire(await images.inspect(r.param('name')), r.apiVersion, { withContainerConfig: composeV1 }));
  });

  router.add('GET', '/images/{name...}/history', async (r) => {
    r.send(200, (await images.history(r.param('name'))).map(historyItemWire));
  });

  router.add('GET', '/images/{name...}/get', async (r) => {
    await saveImages(r, images, [r.param('name')]);
  });

  router.add('POST', '/images/{name...}/push', async (r) => {
    const name = r.param('name');
    const tag = r.string('tag');
    if (r.string('platform') !== undefined) {
      throw notImplemented('push with a platform is not supported: Janus keeps one platform per image name, push the name itself');
    }
    const credentials = decodeRegistryAuth(r.req.headers['x-registry-auth']);
    const ref = tag === undefined ? name : `${name}:${tag}`;
    r.req.resume();
    const out = new JsonMessageStream(r.res);
    try {
      const pushed = await images.push(ref, { credentials, progress: out.progress, signal: r.signal });
      out.write({ progressDetail: {}, aux: { Tag: tag ?? tagOf(pushed.name), Digest: pushed.digest, Size: pushed.size } });
      out.end();
    } catch (err) {
      fail(out, err, r);
    }
  });

  router.add('POST', '/images/{name...}/tag', async (r) => {
    const repo = r.string('repo');
    if (repo === undefined) throw invalidArgument('query parameter repo is required');
    const tag = r.string('tag');
    await images.tag(r.param('name'), tag === undefined ? repo : `${repo}:${tag}`);
    r.sendEmpty(201);
  });

  router.add('DELETE', '/images/{name...}', async (r) => {
    const removed = await images.remove(r.param('name'), { force: r.bool('force'), noPrune: r.bool('noprune') });
    r.send(200, removed.map(removedItemWire));
  });
}

/** `fromImage` + `tag` as one reference: a digest tag joins with `@`, a tag with `:`. */
function pullReference(fromImage: string, tag: string | undefined): string {
  if (tag === undefined) return fromImage;
  if (fromImage.includes('@')) throw invalidArgument(`query parameter tag ${JSON.stringify(tag)} given for digest reference ${fromImage}`);
  return /^sha(256|512):/.test(tag) ? `${fromImage}@${tag}` : `${fromImage}:${tag}`;
}

/** The tag of a familiar or qualified name (`a/b:t` → `t`), `latest` when it has none. */
function tagOf(name: string): string {
  const at = name.indexOf('@');
  const base = at >= 0 ? name.slice(0, at) : name;
  const colon = base.lastIndexOf(':');
  return colon > base.lastIndexOf('/') ? base.slice(colon + 1) : 'latest';
}

/** The `platform` parameter: `os/arch[/variant]`, or a JSON OCI platform as newer clients send. */
function platformParam(value: string | undefined): Platform | undefined {
  if (value === undefined) return undefined;
  if (value.trim().startsWith('{')) {
    let p: unknown;
    try {
      p = JSON.parse(value);
    } catch {
      throw invalidArgument(`invalid value for query parameter platform: ${JSON.stringify(value)}`);
    }
    const o = p as Record<string, unknown>;
    if (typeof o.os !== 'string' || typeof o.architecture !== 'string') {
      throw invalidArgument('invalid value for query parameter platform: want os and architecture');
    }
    const variant = typeof o.variant === 'string' && o.variant !== '' ? `/${o.variant}` : '';
    return parsePlatform(`${o.os}/${o.architecture}${variant}`);
  }
  return parsePlatform(value);
}

/** Docker filter values → the engine's ImageFilters; bad values are InvalidArgument in docker's words. */
function imageFilters(f: Map<string, string[]>): ImageFilters {
  const filters: ImageFilters = {};
  const dangling = f.get('dangling');
  if (dangling !== undefined) {
    const set = new Set(dangling.map((v) => v.toLowerCase()));
    if (set.size !== 1) throw invalidArgument("filter 'dangling' takes exactly one value, true or false");
    const [v] = set;
    if (v === 'true' || v === '1') filters.dangling = true;
    else if (v === 'false' || v === '0') filters.dangling = false;
    else throw invalidArgument(`invalid filter 'dangling=${v}'`);
  }
  const label = f.get('label');
  if (label && label.length > 0) filters.label = label;
  const reference = f.get('reference');
  if (reference && reference.length > 0) filters.reference = reference;
  const single = (name: 'before' | 'since' | 'until'): string | undefined => {
    const v = f.get(name);
    if (v === undefined || v.length === 0) return undefined;
    if (v.length > 1) throw invalidArgument(`filter '${name}' takes one value`);
    return v[0];
  };
  const before = single('before');
  if (before !== undefined) filters.before = before;
  const since = single('since');
  if (since !== undefined) filters.since = since;
  const until = single('until');
  if (until !== undefined) filters.until = Number(parseTimestamp(until, "filter 'until'") / 1_000_000_000n);
  return filters;
}

/** `POST /images/create?fromSrc=-`: the body is a rootfs tarball. */
async function importImage(
  r: ApiRequest,
  images: ImageService,
  fromSrc: string,
  fail: (out: JsonMessageStream, err: unknown, r: ApiRequest) => void,
): Promise<void> {
  if (fromSrc !== '-') {
    throw notImplemented(`importing from a URL (fromSrc=${fromSrc}) is not supported: send the tarball as the request body with fromSrc=-`);
  }
  const repo = r.string('repo');
  const tag = r.string('tag');
  if (tag !== undefined && repo === undefined) throw invalidArgument('query parameter tag needs repo');
  const reference = repo === undefined ? undefined : tag === undefined ? repo : `${repo}:${tag}`;
  const platform = platformParam(r.string('platform'));
  const message = r.string('message');
  const out = new JsonMessageStream(r.res);
  try {
    const { id } = await images.import(r.req, {
      changes: r.strings('changes'),
      signal: r.signal,
      ...(reference !== undefined ? { reference } : {}),
      ...(message !== undefined ? { message } : {}),
      ...(platform ? { platform } : {}),
    });
    out.status(id);
    out.end();
  } catch (err) {
    fail(out, err, r);
  }
}

/** Streams a docker-archive tar of `names`; an error before the first byte gets its status. */
async function saveImages(r: ApiRequest, images: ImageService, names: string[]): Promise<void> {
  // `format=oci` is a Janus extension; docker's default (and only) format is the docker archive.
  const format = r.string('format') ?? 'docker';
  if (format !== 'docker' && format !== 'oci') throw invalidArgument(`invalid format ${JSON.stringify(format)}: want docker or oci`);
  const tar = await images.save(names, { format, signal: r.signal });
  r.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  try {
    await pipeline(tar, r.res);
  } catch (err) {
    // The status is sent: a cut connection is the only way left to say the archive is incomplete.
    r.res.destroy(err as Error);
  }
}
