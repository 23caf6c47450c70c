import { lstat, mkdir, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { asJanusError, conflict, dataLoss, invalidArgument, JanusError, notFound } from '../../core/errors.ts';
import type { Mount, SnapshotInfo, SnapshotKind, Snapshotter } from '../../core/snapshotter.ts';
import { writeFileAtomic } from '../../util/atomic-file.ts';

/** Options of an OverlaySnapshotter. */
export interface OverlaySnapshotterOptions {
  /** Directory owning `metadata.json`, `snapshots/` and `l/`; created when missing. Keep it short (see `mounts`). */
  root: string;
}

/** Label that marks an active snapshot as scratch: `cleanup` removes it. */
export const TEMPORARY_LABEL = 'janus.temporary';

/**
 * The kernel copies mount options into one page, NUL included; longer
 * option strings fail with EINVAL at mount time, far from the cause.
 */
const MOUNT_OPTIONS_MAX = 4095;
/** overlayfs' own limit on lower layers (OVL_MAX_STACK). */
const OVERLAY_MAX_LOWER = 500;
const FILE_VERSION = 1;

interface Record_ {
  id: string;
  parent?: string;
  kind: SnapshotKind;
  createdAt: Date;
  labels: Record<string, string>;
}

interface Metadata {
  nextId: number;
  snapshots: Map<string, Record_>;
}

/**
 * Snapshots as overlayfs directories, containerd style. Each snapshot owns
 * `snapshots/<id>/fs` (its layer, the overlay upper dir while active) and
 * `snapshots/<id>/work` (overlay's work dir); `l/<id>` is a short symlink to
 * its `fs` so that long chains of lower dirs fit the kernel's one-page limit
 * on mount options. What exists is recorded in `metadata.json`, replaced
 * atomically on every change (changes are serialized within the process);
 * directories are created before and removed after their record, so a crash
 * leaves at worst unrecorded directories, which `cleanup` removes.
 */
export class OverlaySnapshotter implements Snapshotter {
  /** Each snapshot's `fs` dir is an overlay upper dir: its own changes only. */
  readonly independentLayers = true;
  readonly #root: string;
  readonly #metaPath: string;
  #meta: Metadata | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: OverlaySnapshotterOptions) {
    this.#root = options.root;
    this.#metaPath = join(options.root, 'metadata.json');
  }

  async stat(key: string): Promise<SnapshotInfo> {
    const meta = await this.#load();
    return info(key, this.#get(meta, key));
  }

  prepare(key: string, parent?: string, options: { labels?: Record<string, string> } = {}): Promise<Mount[]> {
    return this.#create('active', key, parent, options.labels);
  }

  view(key: string, parent: string, options: { labels?: Record<string, string> } = {}): Promise<Mount[]> {
    return this.#create('view', key, parent, options.labels);
  }

  async mounts(key: string): Promise<Mount[]> {
    const meta = await this.#load();
    const rec = this.#get(meta, key);
    if (rec.kind === 'committed') throw conflict(`snapshot ${key} is committed and cannot be mounted directly; prepare or view a snapshot on top of it`);
    return this.#mountsOf(meta, key, rec);
  }

  commit(name: string, key: string, options: { labels?: Record<string, string>; parent?: string } = {}): Promise<void> {
    return this.#mutate(async (meta) => {
      const rec = this.#get(meta, key);
      if (rec.kind !== 'active') throw conflict(`snapshot ${key} is ${rec.kind}; only active snapshots can be committed`);
      if (meta.snapshots.has(name)) throw conflict(`snapshot ${name} already exists`);
      checkKey(name);
      let parent = rec.parent;
      if (options.parent !== undefined) {
        // An upper dir holds only its own layer's changes, so it may sit on any committed parent.
        if (rec.parent !== undefined) throw conflict(`snapshot ${key} was prepared on ${rec.parent}; it cannot be committed onto ${options.parent}`);
        const p = meta.snapshots.get(options.parent);
        if (!p) throw notFound(`parent snapshot ${options.parent} of ${name} not found`);
        if (p.kind !== 'committed') throw conflict(`parent snapshot ${options.parent} of ${name} is ${p.kind}, not committed`);
        parent = options.parent;
      }
      meta.snapshots.delete(key);
      meta.snapshots.set(name, {
        id: rec.id,
        parent,
        kind: 'committed',
        createdAt: new Date(),
        labels: { ...(options.labels ?? withoutTemporary(rec.labels)) },
      });
    });
  }

  async remove(key: string): Promise<void> {
    let id = '';
    await this.#mutate(async (meta) => {
      const rec = this.#get(meta, key);
      const children = [...meta.snapshots].filter(([, r]) => r.parent === key).map(([k]) => k);
      if (children.length) throw conflict(`snapshot ${key} has ${children.length} child snapshot(s) (${children.slice(0, 3).join(', ')}); remove them first`);
      meta.snapshots.delete(key);
      id = rec.id;
    });
    // After the record is gone: a crash here leaves an unrecorded directory for cleanup.
    await this.#removeDirs(id);
  }

  async usage(key: string): Promise<{ size: number; inodes: number }> {
    const meta = await this.#load();
    const rec = this.#get(meta, key);
    const seen = new Set<string>();
    let size = 0;
    const walk = async (dir: string): Promise<void> => {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const name of names) {
        const p = join(dir, name);
        const st = await lstat(p, { bigint: true });
        const ino = `${st.dev}:${st.ino}`;
        // Hard links share one inode and its blocks: count them once.
        if (!seen.has(ino)) {
          seen.add(ino);
          size += Number(st.blocks) * 512;
        }
        if (st.isDirectory()) await walk(p);
      }
    };
    try {
      await walk(this.#fsDir(rec.id));
    } catch (err) {
      throw asJanusError(err, `snapshot ${key}: measuring usage`);
    }
    return { size, inodes: seen.size };
  }

  async *walk(): AsyncIterable<SnapshotInfo> {
    const meta = await this.#load();
    for (const [key, rec] of [...meta.snapshots]) yield info(key, rec);
  }

  /**
   * The directory holding snapshot `key`'s own layer (its files while the
   * snapshot is active, its layer once committed). For display and
   * diagnostics; writers should go through the mounts. NotFound when absent.
   */
  async dir(key: string): Promise<string> {
    const meta = await this.#load();
    return this.#fsDir(this.#get(meta, key).id);
  }

  /**
   * Removes what interrupted work left behind: snapshot directories with no
   * record (a crash between creating and recording, or between un-recording
   * and deleting) and active snapshots labelled `janus.temporary=true`
   * (unfinished unpacks). Call at daemon start, before other use. Returns
   * the keys of the removed snapshots.
   */
  async cleanup(): Promise<string[]> {
    const removedKeys: string[] = [];
    const removedIds: string[] = [];
    await this.#mutate(async (meta) => {
      for (const [key, rec] of [...meta.snapshots]) {
        if (rec.kind !== 'committed' && rec.labels[TEMPORARY_LABEL] === 'true') {
          const hasChildren = [...meta.snapshots.values()].some((r) => r.parent === key);
          if (hasChildren) continue;
          meta.snapshots.delete(key);
          removedKeys.push(key);
          removedIds.push(rec.id);
        }
      }
    });
    const meta = await this.#load();
    const known = new Set([...meta.snapshots.values()].map((r) => r.id));
    try {
      for (const id of removedIds) await this.#removeDirs(id);
      for (const name of await readdirOrEmpty(join(this.#root, 'snapshots'))) {
        if (!known.has(name)) await this.#removeDirs(name);
      }
      for (const name of await readdirOrEmpty(join(this.#root, 'l'))) {
        if (!known.has(name)) await rm(join(this.#root, 'l', name), { force: true });
      }
      for (const name of await readdirOrEmpty(this.#root)) {
        if (name.startsWith('.tmp-metadata.json-')) await rm(join(this.#root, name), { force: true });
      }
    } catch (err) {
      throw asJanusError(err, `overlay snapshotter ${this.#root}: cleanup`);
    }
    return removedKeys;
  }

  async #create(kind: 'active' | 'view', key: string, parent: string | undefined, labels: Record<string, string> | undefined): Promise<Mount[]> {
    checkKey(key);
    if (labels !== undefined && !isStringMap(labels)) throw invalidArgument(`snapshot ${key}: labels must map strings to strings`);
    let mounts: Mount[] = [];
    await this.#mutate(async (meta) => {
      if (meta.snapshots.has(key)) throw conflict(`snapshot ${key} already exists`);
      if (parent !== undefined) {
        const p = meta.snapshots.get(parent);
        if (!p) throw notFound(`parent snapshot ${parent} of ${key} not found`);
        if (p.kind !== 'committed') throw conflict(`parent snapshot ${parent} of ${key} is ${p.kind}, not committed`);
      }
      const id = (meta.nextId++).toString(36);
      const rec: Record_ = { id, parent, kind, createdAt: new Date(), labels: { ...labels } };
      // Check before creating anything so a too-deep chain fails cleanly.
      const m = this.#mountsOf(meta, key, rec);
      const base = join(this.#root, 'snapshots', id);
      await rm(base, { recursive: true, force: true }); // a leftover with a reused id (lost metadata) must not leak in
      await mkdir(join(base, 'fs'), { recursive: true, mode: 0o755 });
      await mkdir(join(base, 'work'), { mode: 0o700 });
      await mkdir(join(this.#root, 'l'), { recursive: true });
      await rm(join(this.#root, 'l', id), { force: true });
      await symlink(join('..', 'snapshots', id, 'fs'), join(this.#root, 'l', id));
      meta.snapshots.set(key, rec);
      mounts = m;
    });
    return mounts;
  }

  #mountsOf(meta: Metadata, key: string, rec: Record_): Mount[] {
    const lowers: string[] = [];
    for (let p = rec.parent; p !== undefined; p = meta.snapshots.get(p)?.parent) {
      const pr = meta.snapshots.get(p);
      if (!pr) throw dataLoss(`snapshot ${key}: ancestor ${p} is missing from ${this.#metaPath}`);
      lowers.push(join(this.#root, 'l', pr.id));
    }
    const fs = this.#fsDir(rec.id);
    if (lowers.length === 0) {
      return [{ type: 'bind', source: fs, options: ['rbind', rec.kind === 'view' ? 'ro' : 'rw'] }];
    }
    if (rec.kind === 'view' && lowers.length === 1) {
      return [{ type: 'bind', source: this.#fsDir(meta.snapshots.get(rec.parent!)!.id), options: ['rbind', 'ro'] }];
    }
    const options = rec.kind === 'view'
      ? [`lowerdir=${lowers.join(':')}`]
      : [`lowerdir=${lowers.join(':')}`, `upperdir=${fs}`, `workdir=${join(this.#root, 'snapshots', rec.id, 'work')}`];
    if (rec.kind === 'view' && lowers.length > OVERLAY_MAX_LOWER) {
      throw new JanusError('ResourceExhausted', `snapshot ${key}: ${lowers.length} layers exceed overlayfs' limit of ${OVERLAY_MAX_LOWER} lower layers`);
    }
    if (rec.kind === 'active' && lowers.length > OVERLAY_MAX_LOWER - 1) {
      throw new JanusError('ResourceExhausted', `snapshot ${key}: ${lowers.length} layers exceed overlayfs' limit of ${OVERLAY_MAX_LOWER - 1} lower layers under an upper`);
    }
    const length = options.join(',').length;
    if (length > MOUNT_OPTIONS_MAX) {
      throw new JanusError(
        'ResourceExhausted',
        `snapshot ${key}: its ${lowers.length} layers need ${length} bytes of overlay mount options, more than the kernel's ` +
          `${MOUNT_OPTIONS_MAX}; use a shorter snapshotter root than ${this.#root} or an image with fewer layers`,
      );
    }
    return [{ type: 'overlay', source: 'overlay', options }];
  }

  #fsDir(id: string): string {
    return join(this.#root, 'snapshots', id, 'fs');
  }

  async #removeDirs(id: string): Promise<void> {
    try {
      await rm(join(this.#root, 'l', id), { force: true });
      await rm(join(this.#root, 'snapshots', id), { recursive: true, force: true });
    } catch (err) {
      throw asJanusError(err, `overlay snapshotter: removing ${join(this.#root, 'snapshots', id)}`);
    }
  }

  #get(meta: Metadata, key: string): Record_ {
    const rec = meta.snapshots.get(key);
    if (!rec) throw notFound(`snapshot ${key} not found`);
    return rec;
  }

  /** Applies `change` to a copy of the metadata and persists it; serialized. */
  #mutate(change: (meta: Metadata) => Promise<void>): Promise<void> {
    const run = this.#queue.then(async () => {
      const current = await this.#load();
      const next: Metadata = { nextId: current.nextId, snapshots: new Map(current.snapshots) };
      await change(next);
      const body = {
        version: FILE_VERSION,
        nextId: next.nextId,
        snapshots: Object.fromEntries([...next.snapshots].map(([k, r]) => [k, { ...r, createdAt: r.createdAt.toISOString() }])),
      };
      try {
        await writeFileAtomic(this.#metaPath, `${JSON.stringify(body)}\n`);
      } catch (err) {
        throw asJanusError(err, `overlay snapshotter: writing ${this.#metaPath}`);
      }
      this.#meta = next;
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  async #load(): Promise<Metadata> {
    if (this.#meta) return this.#meta;
    let text: string;
    try {
      text = await readFile(this.#metaPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw asJanusError(err, `overlay snapshotter: reading ${this.#metaPath}`);
      try {
        await mkdir(join(this.#root, 'snapshots'), { recursive: true });
      } catch (e) {
        throw asJanusError(e, `overlay snapshotter ${this.#root}`);
      }
      this.#meta = { nextId: 1, snapshots: new Map() };
      return this.#meta;
    }
    this.#meta = parseMetadata(text, this.#metaPath);
    return this.#meta;
  }
}

function info(key: string, rec: Record_): SnapshotInfo {
  const out: SnapshotInfo = { key, kind: rec.kind, createdAt: new Date(rec.createdAt), labels: { ...rec.labels } };
  if (rec.parent !== undefined) out.parent = rec.parent;
  return out;
}

function withoutTemporary(labels: Record<string, string>): Record<string, string> {
  const { [TEMPORARY_LABEL]: _dropped, ...rest } = labels;
  return rest;
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key === '' || key.length > 512 || /[\0\n]/.test(key)) {
    throw invalidArgument(`invalid snapshot key ${JSON.stringify(key)}`);
  }
}

function isStringMap(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

function corrupt(path: string, why: string): JanusError {
  return dataLoss(
    `snapshot metadata ${path} is corrupted (${why}); it was left untouched. To recover, stop the daemon, move the ` +
      `snapshotter directory ${join(path, '..')} aside and start again: unpacked layers are lost and are unpacked again on the next pull or run.`,
  );
}

function parseMetadata(text: string, path: string): Metadata {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw corrupt(path, `not valid JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null) throw corrupt(path, 'not a JSON object');
  const d = doc as { version?: unknown; nextId?: unknown; snapshots?: unknown };
  if (d.version !== FILE_VERSION) throw corrupt(path, `unsupported version ${JSON.stringify(d.version)}`);
  if (typeof d.nextId !== 'number' || !Number.isSafeInteger(d.nextId) || d.nextId < 1) throw corrupt(path, 'nextId is not a positive integer');
  if (typeof d.snapshots !== 'object' || d.snapshots === null) throw corrupt(path, 'snapshots is not an object');
  const snapshots = new Map<string, Record_>();
  for (const [key, raw] of Object.entries(d.snapshots as Record<string, unknown>)) {
    const r = raw as Record<string, unknown>;
    if (typeof r !== 'object' || r === null) throw corrupt(path, `snapshot ${key} is not an object`);
    if (typeof r.id !== 'string' || !/^[0-9a-z]+$/.test(r.id)) throw corrupt(path, `snapshot ${key} has a bad id`);
    if (r.kind !== 'active' && r.kind !== 'view' && r.kind !== 'committed') throw corrupt(path, `snapshot ${key} has a bad kind`);
    if (r.parent !== undefined && typeof r.parent !== 'string') throw corrupt(path, `snapshot ${key} has a bad parent`);
    if (!isStringMap(r.labels)) throw corrupt(path, `snapshot ${key} has bad labels`);
    const createdAt = new Date(r.createdAt as string);
    if (typeof r.createdAt !== 'string' || Number.isNaN(createdAt.getTime())) throw corrupt(path, `snapshot ${key} has a bad createdAt`);
    snapshots.set(key, { id: r.id, parent: r.parent as string | undefined, kind: r.kind, createdAt, labels: r.labels });
  }
  for (const [key, r] of snapshots) {
    if (r.parent !== undefined && !snapshots.has(r.parent)) throw corrupt(path, `snapshot ${key} names missing parent ${r.parent}`);
  }
  return { nextId: d.nextId, snapshots };
}
