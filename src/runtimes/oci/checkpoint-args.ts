/**
 * The OCI runtime's arguments (after its global flags) that save the
 * paused container `id`'s processes into `dir`. runsc saves its sandbox
 * itself and has no way to keep it running after the save that fits a
 * conmon-supervised sandbox (its `--leave-running` restores a new sandbox
 * in the foreground of the checkpoint command), so it saves only; runc and
 * crun dump through CRIU and leave the container as it was, paused, with
 * criu's log in `dir` beside the images.
 */
export function buildCheckpointArgs(runtime: string, id: string, dir: string): string[] {
  if (runtime === 'runsc') return ['checkpoint', '--image-path', dir, id];
  return ['checkpoint', '--image-path', dir, '--work-path', dir, '--leave-running', id];
}
