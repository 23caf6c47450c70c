import { invalidArgument } from '../../../core/errors.ts';
import type { ContainerDefaults } from '../../../core/oci.ts';

/**
 * Docker's combination of the image's Entrypoint/Cmd with `--entrypoint`
 * and the command given to `run`: without `--entrypoint` the image's
 * Entrypoint stays and the given command (or else the image's Cmd) follows
 * it; any `--entrypoint` replaces the image's and drops its Cmd (an
 * entrypoint of [""] is then no entrypoint); an entrypoint of [] drops the
 * image's Entrypoint but keeps its Cmd. Returns what `inspect` shows as Path
 * and Args. InvalidArgument "no command specified" when nothing is left.
 */
export function resolveCommand(image: ContainerDefaults, run: { entrypoint?: string[]; cmd?: string[] }): { path: string; args: string[] } {
  let entrypoint = run.entrypoint;
  let cmd = run.cmd ?? [];
  if (entrypoint === undefined || entrypoint.length === 0) {
    if (cmd.length === 0) cmd = image.Cmd ?? [];
    if (entrypoint === undefined) entrypoint = image.Entrypoint ?? [];
  }
  if (entrypoint.length === 1 && entrypoint[0] === '') entrypoint = [];
  const argv = [...entrypoint, ...cmd];
  if (argv.length === 0) throw invalidArgument('no command specified');
  return { path: argv[0], args: argv.slice(1) };
}
