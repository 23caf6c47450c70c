/** The files of a VM's memory checkpoint: QEMU's state stream, and the shape of the machine it loads into. */
export const CHECKPOINT_STATE = 'vm.state';
export const CHECKPOINT_SHAPE = 'vm.json';

/** What a VM's saved state can only be loaded into: the same machine. */
export interface VmCheckpointShape {
  format: 1;
  accel: 'kvm' | 'tcg';
  cpus: number;
  memoryMiB: number;
  /** The guest kernel the state was running (its code is in the saved RAM). */
  kernelRelease: string;
  /** Guest RAM was the memory-backend object `ram` (QEMU names RAM blocks by it), not the machine's own. */
  ramObject: boolean;
  nics: number;
}

/**
 * Why a checkpoint of `saved` cannot be loaded into a machine of `now`
 * (QEMU would refuse the stream, or the guest would run another kernel's
 * code), in words; undefined when it can. Pure.
 */
export function checkpointMismatch(saved: VmCheckpointShape, now: Omit<VmCheckpointShape, 'format' | 'ramObject'>): string | undefined {
  if (saved.format !== 1) return `it was written in an unknown format (${String(saved.format)})`;
  const diffs: string[] = [];
  if (saved.memoryMiB !== now.memoryMiB) diffs.push(`it had ${saved.memoryMiB} MiB of memory and now has ${now.memoryMiB} MiB`);
  if (saved.cpus !== now.cpus) diffs.push(`it had ${saved.cpus} vCPUs and now has ${now.cpus}`);
  if (saved.accel !== now.accel) diffs.push(`it ran under ${saved.accel.toUpperCase()} and this host now uses ${now.accel.toUpperCase()}`);
  if (saved.kernelRelease !== now.kernelRelease) diffs.push(`it ran guest kernel ${saved.kernelRelease} and would now boot ${now.kernelRelease}`);
  if (saved.nics !== now.nics) diffs.push(`it had ${saved.nics} network interface${saved.nics === 1 ? '' : 's'} and now has ${now.nics}`);
  return diffs.length ? `the VM changed since: ${diffs.join('; ')}` : undefined;
}
