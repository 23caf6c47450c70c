import { Readable } from 'node:stream';
import { conflict, notFound } from '../../src/core/errors.ts';
import type { Digest } from '../../src/core/digest.ts';
import type { ContainerDefaults, HistoryEntry, Platform } from '../../src/core/oci.ts';
import type {
  HistoryItem, ImageDetail, ImageFilters, ImageService, ImageSummary, RemoteOptions, RemovedItem,
} from '../../src/engine/image-service.ts';
import type { ProgressSink } from '../../src/core/progress.ts';

/** One recorded call of the fake. */
export interface FakeCall {
  method: keyof ImageService;
  args: unknown[];
}

/**
 * An in-memory ImageService for API and daemon tests: holds ImageDetails
 * by name, records every call with its arguments, and lets a test replace
 * any method (`fake.pull = async () => { throw … }`). Not for production use.
 */
export class FakeImageService implements ImageService {
  readonly calls: FakeCall[] = [];
  readonly byName = new Map<string, ImageDetail>();

  /** Adds an image under its repoTags. */
  add(detail: ImageDetail): void {
    for (const t of detail.repoTags) this.byName.set(t, detail);
  }

  #find(ref: string): ImageDetail {
    const d = this.byName.get(ref) ?? [...this.byName.values()].find((i) => i.id === ref || i.id.slice(7).startsWith(ref));
    if (!d) throw notFound(`No such image: ${ref}`);
    return d;
  }

  async pull(ref: string, options: RemoteOptions & { platform?: Platform } = {}): Promise<{ name: string; digest: Digest; id: Digest }> {
    this.calls.push({ method: 'pull', args: [ref, options] });
    const p = options.progress ?? (() => {});
    p({ id: 'latest', status: 'Pulling from library/busybox' });
    p({ id: 'aaaaaaaaaaaa', status: 'Pulling fs layer' });
    p({ id: 'aaaaaaaaaaaa', status: 'Downloading', current: 1024, total: 2048 });
    p({ id: 'aaaaaaaaaaaa', status: 'Download complete' });
    p({ id: 'aaaaaaaaaaaa', status: 'Pull complete' });
    p({ status: `Digest: sha256:${'d'.repeat(64)}` });
    p({ status: `Status: Downloaded newer image for ${ref}` });
    const detail = makeDetail({ repoTags: [ref] });
    this.add(detail);
    return { name: ref, digest: `sha256:${'d'.repeat(64)}`, id: detail.id };
  }

  async push(ref: string, options: RemoteOptions = {}): Promise<{ name: string; digest: Digest; size: number }> {
    this.calls.push({ method: 'push', args: [ref, options] });
    this.#find(ref);
    const p = options.progress ?? (() => {});
    p({ status: `The push refers to repository [${ref.replace(/:[^:/]+$/, '')}]` });
    p({ id: 'aaaaaaaaaaaa', status: 'Pushed' });
    const tag = /:([^:/]+)$/.exec(ref)?.[1] ?? 'latest';
    p({ status: `${tag}: digest: sha256:${'e'.repeat(64)} size: 527` });
    return { name: ref, digest: `sha256:${'e'.repeat(64)}`, size: 527 };
  }

  async tag(source: string, target: string): Promise<void> {
    this.calls.push({ method: 'tag', args: [source, target] });
    const d = this.#find(source);
    this.byName.set(target, { ...d, repoTags: [...d.repoTags, target] });
  }

  async remove(ref: string, options: { force?: boolean; noPrune?: boolean } = {}): Promise<RemovedItem[]> {
    this.calls.push({ method: 'remove', args: [ref, options] });
    const d = this.#find(ref);
    if (d.repoTags.length > 1 && !options.force && !this.byName.has(ref)) throw conflict(`image ${ref} is referenced by several names`);
    this.byName.delete(ref);
    const left = [...this.byName.values()].some((i) => i.id === d.id);
    return left ? [{ untagged: ref }] : [{ untagged: ref }, { deleted: d.id }];
  }

  async list(options: { all?: boolean; filters?: ImageFilters; sharedSize?: boolean } = {}): Promise<ImageSummary[]> {
    this.calls.push({ method: 'list', args: [options] });
    const seen = new Map<string, ImageSummary>();
    for (const d of this.byName.values()) {
      const { id, parentId, repoTags, repoDigests, created, size, labels, containers } = d;
      // Asked for, an image's sharedSize is what the test gave it (0 by default).
      seen.set(id, { id, parentId, repoTags, repoDigests, created, size, labels, containers, ...(options.sharedSize ? { sharedSize: d.sharedSize ?? 0 } : {}) });
    }
    return [...seen.values()];
  }

  async inspect(ref: string): Promise<ImageDetail> {
    this.calls.push({ method: 'inspect', args: [ref] });
    return this.#find(ref);
  }

  async history(ref: string): Promise<HistoryItem[]> {
    this.calls.push({ method: 'history', args: [ref] });
    const d = this.#find(ref);
    return [
      { id: d.id, created: d.created, createdBy: '/bin/sh -c #(nop) CMD ["sh"]', tags: d.repoTags, size: 0, comment: '' },
      { id: '<missing>', created: d.created, createdBy: '/bin/sh -c #(nop) ADD file:abc in / ', tags: [], size: d.size, comment: '' },
    ];
  }

  async prune(options: { all?: boolean; filters?: ImageFilters } = {}): Promise<{ deleted: RemovedItem[]; spaceReclaimed: number }> {
    this.calls.push({ method: 'prune', args: [options] });
    return { deleted: [{ deleted: `sha256:${'f'.repeat(64)}` }], spaceReclaimed: 4096 };
  }

  async save(refs: string[], options: { format?: 'docker' | 'oci'; signal?: AbortSignal } = {}): Promise<Readable> {
    this.calls.push({ method: 'save', args: [refs, options] });
    for (const r of refs) this.#find(r);
    return Readable.from([Buffer.from('fake tar bytes')]);
  }

  async load(archive: Readable, options: { progress?: ProgressSink; signal?: AbortSignal } = {}): Promise<string[]> {
    const chunks: Buffer[] = [];
    for await (const c of archive) chunks.push(c as Buffer);
    this.calls.push({ method: 'load', args: [Buffer.concat(chunks).toString('utf8'), options] });
    options.progress?.({ id: 'aaaaaaaaaaaa', status: 'Loading layer', current: 10, total: 10 });
    return ['busybox:latest', `sha256:${'a'.repeat(64)}`];
  }

  async import(
    archive: Readable,
    options: { reference?: string; changes?: string[]; message?: string; platform?: Platform; signal?: AbortSignal } = {},
  ): Promise<{ id: Digest }> {
    const chunks: Buffer[] = [];
    for await (const c of archive) chunks.push(c as Buffer);
    this.calls.push({ method: 'import', args: [Buffer.concat(chunks).toString('utf8'), options] });
    return { id: `sha256:${'b'.repeat(64)}` };
  }

  async commitLayer(
    parent: string,
    layer: Readable,
    options: { config: ContainerDefaults; history?: Pick<HistoryEntry, 'created_by' | 'comment' | 'author'>; author?: string; reference?: string; signal?: AbortSignal },
  ): Promise<{ id: Digest }> {
    this.#find(parent);
    let bytes = 0;
    for await (const c of layer) bytes += (c as Buffer).length;
    this.calls.push({ method: 'commitLayer', args: [parent, bytes, options] });
    return { id: `sha256:${'f'.repeat(64)}` };
  }

  /** Build cache: key → image ID, as the fake's buildStep fills it. */
  readonly buildCache = new Map<Digest, Digest>();

  async buildStep(
    parent: string | undefined,
    options: { layer?: Readable; config: ContainerDefaults; createdBy: string; cacheKey: Digest; signal?: AbortSignal },
  ): Promise<{ id: Digest }> {
    if (parent !== undefined) this.#find(parent);
    let bytes = 0;
    if (options.layer) for await (const c of options.layer) bytes += (c as Buffer).length;
    this.calls.push({ method: 'buildStep', args: [parent, bytes, options] });
    const id: Digest = `sha256:${options.cacheKey.slice(7, 15).padEnd(64, '0')}`;
    this.buildCache.set(options.cacheKey, id);
    this.add(makeDetail({ id, repoTags: [id], config: options.config }));
    return { id };
  }

  async buildCacheLookup(cacheKey: Digest): Promise<Digest | undefined> {
    this.calls.push({ method: 'buildCacheLookup', args: [cacheKey] });
    return this.buildCache.get(cacheKey);
  }

  async pruneBuildCache(): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    this.calls.push({ method: 'pruneBuildCache', args: [] });
    const deleted = [...this.buildCache.keys()];
    this.buildCache.clear();
    return { deleted, spaceReclaimed: 0 };
  }

  async buildCacheUsage(): Promise<Array<{ id: string; size: number; created: number; shared: boolean }>> {
    this.calls.push({ method: 'buildCacheUsage', args: [] });
    return [...this.buildCache.keys()].map((id) => ({ id, size: 0, created: 0, shared: false }));
  }

  async layersSize(): Promise<number> {
    this.calls.push({ method: 'layersSize', args: [] });
    return [...new Set(this.byName.values())].reduce((sum, d) => sum + d.size, 0);
  }

  async bootstrap(name: string, options: { progress?: ProgressSink; signal?: AbortSignal } = {}): Promise<{ name: string; id: Digest }> {
    this.calls.push({ method: 'bootstrap', args: [name, options] });
    options.progress?.({ status: `Building ${name}` });
    options.progress?.({ status: `Built ${name}` });
    return { name: `${name}:latest`, id: `sha256:${'c'.repeat(64)}` };
  }
}

/** An ImageDetail with plausible defaults, for tests. */
export function makeDetail(over: Partial<ImageDetail> = {}): ImageDetail {
  return {
    id: `sha256:${'1'.repeat(64)}`,
    parentId: '',
    repoTags: ['busybox:latest'],
    repoDigests: [`busybox@sha256:${'d'.repeat(64)}`],
    created: 1_700_000_000,
    size: 4_261_550,
    labels: {},
    containers: -1,
    manifest: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'d'.repeat(64)}`, size: 527 },
    architecture: 'amd64',
    os: 'linux',
    author: '',
    comment: '',
    createdIso: '2023-11-14T22:13:20.123456789Z',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
    layers: [`sha256:${'2'.repeat(64)}`, `sha256:${'3'.repeat(64)}`],
    chainIds: [`sha256:${'2'.repeat(64)}`, `sha256:${'4'.repeat(64)}`],
    layerDirs: ['/root/overlay/snapshots/1/fs', '/root/overlay/snapshots/2/fs'],
    history: [],
    ...over,
  };
}
