import { JanusError, conflict, invalidArgument, notImplemented } from '../core/errors.ts';
import type { IsolationLevel } from './container-service.ts';
import type { SnapshotView } from './snapshot-service.ts';
import type { MemorySnapshotMachine } from './workload-snapshots.ts';

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
 * The error for `--memory` on a workload whose backend (`runtime`) has no
 * memory checkpoints.
 */
export function memorySnapshotRefusal(level: IsolationLevel, runtime: string): Error {
  const what = level === 'sandbox' ? 'sandboxes' : level === 'vm' ? 'VMs' : 'containers';
  return notImplemented(`--memory is not supported for ${what} run by ${runtime}: it cannot save its processes' memory; snapshot the files alone (without --memory)`);
}

/**
 * Throws Conflict when the saved processes of `saved` cannot continue in a
 * workload that now has `now`: other resources (a VM's RAM and vCPUs come
 * from them) or other networks and addresses (the processes' sockets and a
 * guest's interfaces hold them).
 */
export function checkMemorySnapshotFits(name: string, saved: MemorySnapshotMachine, now: MemorySnapshotMachine, what: string): void {
  const diffs: string[] = [];
  if (saved.memoryLimit !== now.memoryLimit) diffs.push(`its memory limit was ${saved.memoryLimit || 'none'} and is ${now.memoryLimit || 'none'}`);
  if (saved.cpuQuota !== now.cpuQuota || saved.cpuPeriod !== now.cpuPeriod) diffs.push(`its CPU limit was ${saved.cpuQuota}/${saved.cpuPeriod} and is ${now.cpuQuota}/${now.cpuPeriod}`);
  if (saved.networks.join(',') !== now.networks.join(',')) diffs.push(`its networks were [${saved.networks.join(', ')}] and are [${now.networks.join(', ')}]`);
  if (diffs.length) throw conflict(`snapshot ${name} holds running processes, which cannot continue in ${what}: ${diffs.join('; ')}`);
}
