import { JanusError, conflict, invalidArgument, notImplemented } from '../core/errors.ts';
import type { IsolationLevel } from './container-service.ts';
import type { SnapshotView } from './snapshot-service.ts';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Free space a snapshot or restore leaves on the file system beyond its own bytes, so that a copy never fills the disk. */
export const SNAPSHOT_SPACE_MARGIN = 64 * 1024 * 1024;

/** Throws InvalidArgument unless `name` is a valid snapshot name (it becomes a directory name). */
export function checkSnapshotName(name: string): void {
  if (!NAME.test(name)) {
    throw invalidArgument(`invalid snapshot name ${JSON.stringify(name)}: use 1 to 64 of [A-Za-z0-9_.-], starting with a letter or digit`);
  }
}

/** `CONTAINER:SNAPSHOT` of `--from-snapshot`; InvalidArgument when either part is missing. */
export function parseSnapshotRef(ref: string): { container: string; snapshot: string } {
  const i = ref.lastIndexOf(':');
  const container = i > 0 ? ref.slice(0, i) : '';
  const snapshot = i > 0 ? ref.slice(i + 1) : '';
  if (!container || !snapshot) throw invalidArgument(`invalid snapshot reference ${JSON.stringify(ref)}: want CONTAINER:SNAPSHOT`);
  return { container, snapshot };
}

/** What a workload a snapshot is restored onto (or cloned into) is made of. */
export interface SnapshotTarget {
  imageId: string;
  isolation: IsolationLevel;
  /** `--kernel` ('' for the default). */
  vmKernel: string;
  /** The guest kernel release the VM last ran ('' when unknown). */
  kernelRelease: string;
}

/**
 * Throws Conflict when `snap` cannot go onto `target`: another image (the
 * writable layer or disk is a diff against the image's files), another
 * isolation level (a container's layer is not a VM's disk), another guest
 * kernel for a VM.
 */
export function checkSnapshotFits(snap: Pick<SnapshotView, 'name' | 'imageId' | 'image' | 'isolation' | 'vmKernel' | 'kernelRelease'>, target: SnapshotTarget, what: string): void {
  if (snap.isolation !== target.isolation) {
    throw conflict(`snapshot ${snap.name} is of a ${snap.isolation}-level workload and ${what} is at the ${target.isolation} level: a snapshot goes back onto the level it was taken at`);
  }
  if (snap.imageId !== target.imageId) {
    throw conflict(`snapshot ${snap.name} was taken of image ${snap.image} (${snap.imageId.slice(0, 19)}) and ${what} runs image ${target.imageId.slice(0, 19)}: a snapshot needs the same image`);
  }
  if (snap.isolation === 'vm') {
    if (snap.vmKernel !== target.vmKernel) {
      throw conflict(`snapshot ${snap.name} was taken of a VM with kernel ${snap.vmKernel || '(default)'} and ${what} boots ${target.vmKernel || '(default)'}: a VM snapshot needs the same kernel`);
    }
    if (snap.kernelRelease && target.kernelRelease && snap.kernelRelease !== target.kernelRelease) {
      throw conflict(`snapshot ${snap.name} was taken with guest kernel ${snap.kernelRelease} and ${what} now runs ${target.kernelRelease}: a VM snapshot needs the same kernel`);
    }
  }
}

/** Throws ResourceExhausted unless `free` bytes hold `need` bytes and the margin. */
export function checkSnapshotSpace(free: number, need: number, where: string): void {
  if (free < need + SNAPSHOT_SPACE_MARGIN) {
    const mib = (n: number) => `${Math.ceil(n / (1024 * 1024))} MiB`;
    throw new JanusError('ResourceExhausted', `not enough disk space in ${where}: ${mib(need)} to copy (and ${mib(SNAPSHOT_SPACE_MARGIN)} to spare) but ${mib(free)} free`);
  }
}

/**
 * Why `--memory` cannot be offered for a workload at `level` on this
 * host; always an error today (NotImplemented), each saying what is missing.
 */
export function memorySnapshotRefusal(level: IsolationLevel, criuPath: string | undefined): Error {
  if (level === 'vm') {
    return notImplemented('--memory is not supported for VMs: QEMU refuses to migrate (save) a VM while a virtio-9p share is mounted in the guest, and every Janus VM mounts one (its /etc/hosts, /etc/resolv.conf, /etc/hostname, volumes and binds); snapshot the disk alone (without --memory)');
  }
  if (!criuPath) {
    return notImplemented(`--memory is not supported for ${level === 'sandbox' ? 'sandboxes' : 'containers'} on this host: it needs a CRIU checkpoint and criu is not installed (Debian package criu); snapshot the writable layer alone (without --memory)`);
  }
  return notImplemented(`--memory is not supported for ${level === 'sandbox' ? 'sandboxes' : 'containers'} yet: criu is installed (${criuPath}) but Janus cannot restore a checkpoint under conmon; snapshot the writable layer alone (without --memory)`);
}
