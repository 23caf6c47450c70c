/**
 * A mount the runtime performs (or the host performs on its behalf). Overlay
 * snapshots yield `{type: 'overlay', source: 'overlay', options: [lowerdir=…, upperdir=…, workdir=…]}`
 * or a single `bind` mount; VM disks yield `{type: 'disk', …}` later.
 */
export interface Mount {
  type: string;
  source: string;
  options: string[];
}

export type SnapshotKind = 'active' | 'view' | 'committed';

/** What the snapshotter records of one snapshot. */
export interface SnapshotInfo {
  key: string;
  parent?: string;
  kind: SnapshotKind;
  createdAt: Date;
  labels: Record<string, string>;
}

/**
 * Layered filesystem snapshots, containerd style. Committed snapshots are
 * immutable and named (image layers are committed under their chain ID);
 * active ones are writable and keyed. Lifecycle: `prepare(key, parent)` →
 * write through the mounts → `commit(name, key)`; or `remove(key)`.
 * A crash between prepare and commit leaves an active snapshot that `cleanup`
 * removes when it is not listed as kept.
 */
export interface Snapshotter {
  /**
   * True when a snapshot's own directory holds only its layer's changes
   * (overlay), so layers can be unpacked in any order, each into a snapshot
   * prepared without a parent, and given their parent at `commit`. False or
   * absent for snapshotters whose snapshots contain their parents (disks).
   */
  readonly independentLayers?: boolean;
  /** NotFound when absent. */
  stat(key: string): Promise<SnapshotInfo>;
  /** A writable snapshot on top of committed `parent` (or empty). Conflict when `key` exists. */
  prepare(key: string, parent?: string, options?: { labels?: Record<string, string> }): Promise<Mount[]>;
  /** A read-only view of committed `parent`. */
  view(key: string, parent: string, options?: { labels?: Record<string, string> }): Promise<Mount[]>;
  /** The mounts of an existing active or view snapshot. */
  mounts(key: string): Promise<Mount[]>;
  /**
   * Freezes active `key` into committed `name`. Conflict when `name` exists.
   * `parent` (only with `independentLayers`, and only for a snapshot prepared
   * without a parent) records committed `parent` as its parent.
   */
  commit(name: string, key: string, options?: { labels?: Record<string, string>; parent?: string }): Promise<void>;
  /** Removes a snapshot. Conflict while it has children. NotFound when absent. */
  remove(key: string): Promise<void>;
  /** Disk usage of the snapshot's own layer (not its parents). */
  usage(key: string): Promise<{ size: number; inodes: number }>;
  /** Every snapshot. */
  walk(): AsyncIterable<SnapshotInfo>;
}
