import type { ContainerInspect, ContainerWaitResponse } from '../api/client/types.ts';
import { JanusError } from '../core/errors.ts';
import type { CliContext } from './command.ts';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from './detach-keys.ts';
import { StatusError } from './exit-status.ts';
import { holdStreams } from './stream-io.ts';
import { monitorTtySize } from './tty-size.ts';
import { UsageError } from './usage-error.ts';

/** Options of `attachSession`. */
export interface AttachSessionOptions {
  /** Send the CLI's stdin (the container must keep stdin open). */
  stdin: boolean;
  /** `--detach-keys` as typed, or undefined for docker's default. */
  detachKeys?: string;
  /** Forward the CLI's signals to the container (only without a TTY, as docker). */
  sigProxy: boolean;
  /** Start the container once attached (`start -a`). */
  start: boolean;
  /** The command, for usage errors. */
  command: string;
}

/**
 * Attaches the CLI to a container — `start -a`/`start -i` and `attach` —
 * the way docker's CLI does: attach first, register the wait, start if
 * asked, keep the TTY sized and the terminal raw (and restored), forward
 * signals without a TTY, carry the streams until they end, then exit with
 * the container's exit code (a StatusError when it is not 0). The detach
 * keys leave the container running and end with status 0.
 */
export async function attachSession(ctx: CliContext, info: ContainerInspect, options: AttachSessionOptions): Promise<void> {
  const tty = info.Config.Tty === true;
  let keys: Buffer;
  try {
    keys = parseDetachKeys(options.detachKeys ?? DEFAULT_DETACH_KEYS);
  } catch (err) {
    throw new UsageError(`invalid argument ${JSON.stringify(options.detachKeys)} for "--detach-keys" flag: ${(err as Error).message}`, { command: options.command });
  }
  if (options.stdin && tty && ctx.stdin.isTTY !== true) throw new JanusError('InvalidArgument', 'the input device is not a TTY');
  const client = ctx.client();
  const id = info.Id;
  // The wait request ends with the session: left open after a detach, it would keep the CLI alive until the container exits.
  const sessionOver = new AbortController();
  const stream = await client.containerAttach(id, { stdin: options.stdin, stdout: true, stderr: true, stream: true, detachKeys: options.detachKeys, tty, signal: ctx.signal });
  let wait: Promise<ContainerWaitResponse>;
  try {
    const condition = options.start ? (info.HostConfig.AutoRemove ? 'removed' : 'next-exit') : 'not-running';
    wait = (await client.containerWait(id, { condition, signal: AbortSignal.any([ctx.signal, sessionOver.signal]) })).result;
  } catch (err) {
    stream.close();
    throw err;
  }
  const stopProxy = options.sigProxy && !tty && ctx.signals
    ? ctx.signals.intercept((sig) => {
      client.containerKill(id, { killSignal: sig }).catch((err: unknown) => ctx.stderr.write(`Error sending signal ${sig} to the container: ${(err as Error).message}\n`));
    })
    : () => {};
  try {
    if (options.start) {
      try {
        await client.containerStart(id, { signal: ctx.signal });
      } catch (err) {
        stream.close();
        throw err;
      }
    }
    const stopResize = tty ? monitorTtySize(ctx, (size) => client.containerResize(id, size)) : () => {};
    try {
      const outcome = await holdStreams(ctx, stream, { tty, sendStdin: options.stdin, detachKeys: keys, signal: ctx.signal });
      if (outcome === 'detached') return;
    } finally {
      stopResize();
    }
    const result = await wait;
    if (result.Error?.Message) throw new JanusError('Internal', `error waiting for the container: ${result.Error.Message}`);
    if (result.StatusCode !== 0) throw new StatusError(result.StatusCode);
  } finally {
    stopProxy();
    sessionOver.abort();
  }
}
