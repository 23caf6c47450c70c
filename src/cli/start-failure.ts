import type { DockerClient } from '../api/client/docker-client.ts';
import type { ContainerWaitResponse } from '../api/client/types.ts';
import { isJanusError } from '../core/errors.ts';
import { StatusError } from './exit-status.ts';

/**
 * The exit status of `run` (and `start`) when the daemon could not start
 * the container: docker's 127 when the program was not found, 126 when it
 * could not be executed, else 125. The structured signal comes first: the
 * container's recorded exit code (State.ExitCode, which Janus and docker
 * both set to 126/127 for these failures), or for an auto-removed container
 * the code its removal wait reports. Only when neither is available (the
 * container is gone, the daemon records nothing) does the daemon's wording
 * decide, exactly as docker's CLI decides — the one place the CLI reads an
 * error's text, kept for compatibility with daemons that give nothing else.
 */
export async function startFailureStatus(client: DockerClient, id: string, err: unknown, options: { wait?: Promise<ContainerWaitResponse> } = {}): Promise<StatusError> {
  let code: number | undefined;
  if (isJanusError(err) && err.kind !== 'Unavailable' && err.kind !== 'Canceled') {
    try {
      code = options.wait ? (await options.wait).StatusCode : (await client.containerInspect(id)).State.ExitCode;
    } catch {
      // Gone already: fall back to the message.
    }
  }
  if (code !== 126 && code !== 127) code = statusFromWording(err instanceof Error ? err.message : String(err));
  return new StatusError(code, err);
}

/** docker's runStartContainerErr: 127 for "not found" wordings, 126 for permission and is-a-directory, else 125. */
export function statusFromWording(message: string): number {
  if (message.includes('executable file not found') || message.includes('no such file or directory') || message.includes('system cannot find the file specified')) return 127;
  if (message.includes('permission denied') || message.includes('is a directory')) return 126;
  return 125;
}
