import type { Digest } from '../core/digest.ts';
import type { IsolationLevel } from './container-service.ts';

/** One snapshot of a workload, as `snapshot ls` shows it. */
export interface SnapshotView {
  name: string;
  containerId: string;
  /** The container's name when the snapshot was listed (without docker's leading slash). */
  containerName: string;
  created: Date;
  isolation: IsolationLevel;
  /** The image as the container's user named it, and its ID: a restore or clone needs the same ID. */
  image: string;
  imageId: Digest;
  /** vm level: the `--kernel` path the VM was created with ('' for the default kernel). */
  vmKernel: string;
  /** vm level: the guest kernel release the VM last ran ('' when it never ran, and below the vm level). */
  kernelRelease: string;
  /** Named volumes copied with it (`--volumes`). */
  volumes: string[];
  /** It holds the running processes' memory (`--memory`): a restore continues them. */
  memory: boolean;
  /** Bytes the snapshot takes on the host (allocated blocks of its copies). */
  size: number;
  /** How its files were copied: `reflink` (copy-on-write, shares blocks) or `copy`. */
  copyMode: 'reflink' | 'copy';
  /** The compose project it was taken with, all services at once ('' for a single container's snapshot). */
  project: string;
}

/** Options of `snapshot create`. */
export interface SnapshotCreateOptions {
  /** Also copy the container's named volumes. */
  volumes?: boolean;
  /** Also save processes' memory (CRIU for containers, QMP migration for VMs); refused where it cannot work, saying why. */
  memory?: boolean;
}

/**
 * Snapshots and rollback of single workloads, at the container and vm
 * levels. Implemented by `ContainerEngine`; only the API calls it. A
 * snapshot is taken with the workload paused (or stopped), is durable when
 * `create` resolves, and survives daemon restarts. Containers are named as
 * in `ContainerService`; snapshot names are unique per container.
 */
export interface SnapshotService {
  /** Takes a snapshot. NotFound for the container; Conflict for a taken name; InvalidArgument for a bad name; ResourceExhausted for too little disk. */
  snapshotCreate(container: string, name: string, options?: SnapshotCreateOptions): Promise<SnapshotView>;
  /** Snapshots of one container, or of all (oldest first). */
  snapshotList(container?: string): Promise<SnapshotView[]>;
  /**
   * Puts a stopped container's writable layer (a VM's disk), and the
   * volumes copied with the snapshot, back as they were. Conflict while
   * it runs, or when a volume is in use by another container; on any
   * failure the container is left exactly as before.
   */
  snapshotRestore(container: string, name: string): Promise<void>;
  /** Removes one snapshot. NotFound when absent. */
  snapshotRemove(container: string, name: string): Promise<void>;
  /** Bytes and count of every snapshot (`system df`). */
  snapshotUsage(): Promise<{ count: number; size: number }>;
  /**
   * Snapshot `name` of every container of compose project `project` (by
   * docker compose's project label) and of their volumes (each once), all
   * paused together while it is taken. NotFound for a project without
   * containers; the other errors as `snapshotCreate`'s.
   */
  projectSnapshotCreate(project: string, name: string, options?: { memory?: boolean }): Promise<SnapshotView[]>;
  /** The snapshots taken with `projectSnapshotCreate`, one per container. */
  projectSnapshotList(project: string): Promise<SnapshotView[]>;
  /**
   * Restores every container of the project and their volumes, all or
   * nothing: Conflict while any runs, for a container without the snapshot
   * (made after it), for a volume held outside the project.
   */
  projectSnapshotRestore(project: string, name: string): Promise<void>;
  /** Removes the project's snapshot `name` from each container. NotFound when none has it. */
  projectSnapshotRemove(project: string, name: string): Promise<void>;
}
