import type { Stats } from 'node:fs';
import { notImplemented } from '../core/errors.ts';
import type { Exec } from '../util/exec.ts';
import type { DirRef } from './container-archive-root.ts';
import { ScopedRoot } from './container-archive-root.ts';
import { isWhiteout, LowerLayers } from './container-diff-lower.ts';
import { readXattrsUnder, type XattrMap } from './container-files-xattrs.ts';
import type { ChangeEntry } from './container-service.ts';

const MODIFIED = 0;
const ADDED = 1;
const DELETED = 2;

/**
 * Mount points the runtime creates in a container's writable layer when the
 * image lacks them. Docker keeps them in a separate init layer, so `diff`
 * and `commit` never show them; here they are recognised as new, empty
 * files or directories at these paths (and a new directory holding nothing
 * else, such as `/etc` in a `FROM scratch` image).
 */
const PLACEHOLDERS = new Set(['proc', 'sys', 'dev', 'etc/hosts', 'etc/hostname', 'etc/resolv.conf', '.dockerenv']);
const PLACEHOLDER_PARENTS = new Set([...PLACEHOLDERS].filter((p) => p.includes('/')).map((p) => p.slice(0, p.lastIndexOf('/'))));

/** A container's overlay layers: its writable upper directory and the image's layers, top first. */
export interface OverlayLayers {
  upperDir: string;
  lowerDirs: string[];
}

/** What `diffUpper` learned of a writable layer. */
export interface UpperDiff {
  /** docker's `diff`, sorted by path. */
  changes: ChangeEntry[];
  /** Runtime mount points to leave out of a committed layer (relative paths). */
  excluded: Set<string>;
  /** Opaque directories of the upper layer (relative paths). */
  opaque: Set<string>;
  /** `security.capability` of the upper layer's files, for a committed layer. */
  xattrs: XattrMap;
}

/** Options of `diffUpper`. */
export interface DiffUpperOptions {
  exec: Exec;
  /** The opaque directories of one image layer (relative paths); the caller may cache them, layers being immutable. */
  lowerOpaque: (dir: string) => Promise<ReadonlySet<string>>;
  /** Prefixes error messages. */
  context: string;
  signal?: AbortSignal;
}

/**
 * docker's `diff` of a container, computed from its overlay upper
 * directory against the image's layers: a whiteout is a deletion (D) of
 * what the image had there; an entry the image lacks is added (A), and so
 * is everything inside a new directory; one it has is modified (C) — a
 * directory only when its mode or owner changed or something inside it
 * did; an opaque directory (deleted and made again) deletes every image
 * entry it no longer holds. The parents of every change appear as modified,
 * as in docker. Runtime mount points are left out (see PLACEHOLDERS).
 *
 * Reads the upper directory through descriptors without following symlinks,
 * so a running container cannot steer the walk. NotImplemented when the
 * layer uses overlayfs features whose metadata this cannot interpret
 * (redirect_dir, metacopy).
 */
export async function diffUpper(layers: OverlayLayers, options: DiffUpperOptions): Promise<UpperDiff> {
  const upperAttrs = await readXattrsUnder(options.exec, layers.upperDir, '^(trusted\\.overlay\\.|security\\.capability$)', options.signal);
  const opaque = new Set<string>();
  const xattrs: XattrMap = new Map();
  for (const [rel, attrs] of upperAttrs) {
    if (attrs.get('trusted.overlay.opaque')?.toString() === 'y') opaque.add(rel);
    for (const unsupported of ['trusted.overlay.redirect', 'trusted.overlay.metacopy']) {
      if (attrs.has(unsupported)) {
        throw notImplemented(`${options.context}: its writable layer uses overlayfs ${unsupported === 'trusted.overlay.redirect' ? 'redirect_dir' : 'metacopy'} (${rel || '/'}), which diff, commit and export cannot read; mount overlays with redirect_dir=off,metacopy=off`);
      }
    }
    const cap = attrs.get('security.capability');
    if (cap) xattrs.set(rel, new Map([['security.capability', cap]]));
  }
  const lower = new LowerLayers(layers.lowerDirs, await Promise.all(layers.lowerDirs.map((d) => options.lowerOpaque(d))));
  const root = await ScopedRoot.open(layers.upperDir, { context: options.context });
  const scan = new UpperScan(root, lower, opaque, options.signal);
  try {
    await scan.directory(root.root, '', false);
  } finally {
    await root.close();
  }
  return { changes: scan.result(), excluded: scan.excluded, opaque, xattrs };
}

class UpperScan {
  readonly #root: ScopedRoot;
  readonly #lower: LowerLayers;
  readonly #opaque: ReadonlySet<string>;
  readonly #signal: AbortSignal | undefined;
  readonly #changes = new Map<string, 0 | 1 | 2>();
  readonly excluded = new Set<string>();

  constructor(root: ScopedRoot, lower: LowerLayers, opaque: ReadonlySet<string>, signal: AbortSignal | undefined) {
    this.#root = root;
    this.#lower = lower;
    this.#opaque = opaque;
    this.#signal = signal;
  }

  /**
   * Scans directory `rel` of the upper layer. With `hidesLower`, the image's
   * content of this directory is hidden (an opaque directory or one inside
   * it), so image entries the upper layer lacks are deletions. Returns
   * whether the directory held nothing but left-out placeholders.
   */
  async directory(dir: DirRef, rel: string, hidesLower: boolean): Promise<boolean> {
    this.#signal?.throwIfAborted();
    const names = await this.#root.readdir(dir);
    let onlyPlaceholders = true;
    for (const name of names) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const st = await this.#root.lstatAt(dir, name);
      if (!st) continue;
      if (isWhiteout(st)) {
        if (!hidesLower && (await this.#lower.stat(childRel))) this.#record(childRel, DELETED);
        onlyPlaceholders = false;
        continue;
      }
      const below = await this.#lower.stat(childRel);
      if (!st.isDirectory()) {
        if (!below && PLACEHOLDERS.has(childRel) && st.isFile() && st.size === 0) {
          this.excluded.add(childRel);
          continue;
        }
        this.#record(childRel, below ? MODIFIED : ADDED);
        onlyPlaceholders = false;
        continue;
      }
      const child = await this.#root.openDir(dir, name);
      if (!child || child === 'hidden') continue;
      try {
        const wasDir = below?.isDirectory() ?? false;
        const childHides = wasDir && (hidesLower || this.#opaque.has(childRel));
        if (!below) this.#record(childRel, ADDED);
        else if (!wasDir || metadataDiffers(st, below)) this.#record(childRel, MODIFIED);
        const empty = await this.directory(child, childRel, childHides);
        if (!below && empty && (PLACEHOLDERS.has(childRel) || PLACEHOLDER_PARENTS.has(childRel))) {
          this.#changes.delete(childRel);
          this.excluded.add(childRel);
          continue;
        }
        onlyPlaceholders = false;
      } finally {
        await this.#root.release(child);
      }
    }
    if (hidesLower) {
      const present = new Set(names);
      for (const name of await this.#lower.children(rel)) {
        if (!present.has(name)) this.#record(rel === '' ? name : `${rel}/${name}`, DELETED);
      }
    }
    return onlyPlaceholders;
  }

  #record(rel: string, kind: 0 | 1 | 2): void {
    this.#changes.set(rel, kind);
  }

  /** The changes with their parent directories, sorted by path as docker sorts them. */
  result(): ChangeEntry[] {
    const all = new Map(this.#changes);
    for (const rel of this.#changes.keys()) {
      for (let slash = rel.lastIndexOf('/'); slash > 0; slash = rel.lastIndexOf('/', slash - 1)) {
        const parent = rel.slice(0, slash);
        if (all.has(parent)) break;
        all.set(parent, MODIFIED);
      }
    }
    return [...all]
      .map(([rel, kind]) => ({ path: `/${rel}`, kind }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

/** A directory counts as changed when its mode or owner did; its time changes whenever an entry inside does. */
function metadataDiffers(a: Stats, b: Stats): boolean {
  return a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid;
}
