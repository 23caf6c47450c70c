import { readFile } from 'node:fs/promises';
import type { ContainerStream } from '../../api/client/docker-client.ts';
import type { ContainerWaitResponse } from '../../api/client/types.ts';
import { JanusError, isJanusError } from '../../core/errors.ts';
import type { CliContext, Command } from '../command.ts';
import { buildContainerConfig } from '../container-config.ts';
import { createContainer } from '../create-container.ts';
import { createFlagSpecs } from '../create-flags.ts';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../detach-keys.ts';
import { StatusError } from '../exit-status.ts';
import { startFailureStatus } from '../start-failure.ts';
import { holdStreams } from '../stream-io.ts';
import { monitorTtySize } from '../tty-size.ts';
import { UsageError } from '../usage-error.ts';

/** docker's run wraps every failure of its own in exit status 125, keeping the container's codes for the container. */
function status125(err: unknown): unknown {
  if (err instanceof StatusError || (isJanusError(err) && err.kind === 'Canceled')) return err;
  return new StatusError(125, err);
}

/** Forwards the CLI's signals to the container while it runs in the foreground without a TTY (docker's --sig-proxy). */
function proxySignals(ctx: CliContext, id: string): () => void {
  if (!ctx.signals) return () => {};
  return ctx.signals.intercept((sig) => {
    ctx.client().containerKill(id, { killSignal: sig }).catch((err: unknown) => {
      ctx.stderr.write(`Error sending signal ${sig} to the container: ${(err as Error).message}\n`);
    });
  });
}

/**
 * `janus run` / `container run`, docker's semantics: create (pulling a
 * missing image), attach before starting so no output is lost, register
 * the wait, start, carry the streams until the process ends, and exit with
 * the container's exit code. `-d` prints the ID instead. Failures of the
 * CLI or the daemon exit 125, a program that cannot be found or executed
 * 127/126 (see start-failure.ts). `--rm` removes the container when it
 * exits (the daemon's AutoRemove; the CLI waits for the removal). With
 * `-t` on a terminal the terminal is raw, sized like the container's TTY
 * and always restored; the detach keys leave the container running.
 */
export function runCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
      description: 'Create and run a new container from an image',
      aliases: ['container run', 'run'].filter((a) => a !== name),
      args: { min: 1 },
      interspersed: false,
      flags: createFlagSpecs(true),
    },
    async run(ctx, args) {
      const config = await buildContainerConfig('run', args, { env: ctx.env, cwd: process.cwd(), readFile: (p) => readFile(p) });
      const body = config.body;
      const tty = body.Tty === true;
      const detachKeysText = args.string('detach-keys');
      let detachKeys: Buffer;
      try {
        detachKeys = parseDetachKeys(detachKeysText ?? DEFAULT_DETACH_KEYS);
      } catch (err) {
        throw new UsageError(`invalid argument ${JSON.stringify(detachKeysText)} for "--detach-keys" flag: ${(err as Error).message}`, { command: name });
      }
      const attachStdin = body.AttachStdin === true;
      const attachOutput = body.AttachStdout === true || body.AttachStderr === true;
      // docker's CheckTty: a TTY that reads the keyboard needs a keyboard.
      if (attachStdin && tty && ctx.stdin.isTTY !== true) throw new JanusError('InvalidArgument', 'the input device is not a TTY');
      const client = ctx.client();

      let id: string;
      try {
        id = await createContainer(ctx, config, name);
      } catch (err) {
        throw status125(err);
      }

      if (args.bool('detach')) {
        try {
          await client.containerStart(id, { signal: ctx.signal });
        } catch (err) {
          throw await startFailureStatus(client, id, err);
        }
        ctx.stdout.write(`${id}\n`);
        return;
      }

      let stream: ContainerStream | undefined;
      let wait: Promise<ContainerWaitResponse>;
      // The wait request ends with the command: left open after a detach, it would keep the CLI alive until the container exits.
      const commandOver = new AbortController();
      const autoRemove = body.HostConfig?.AutoRemove === true;
      try {
        if (attachStdin || attachOutput) {
          stream = await client.containerAttach(id, {
            stdin: attachStdin, stdout: body.AttachStdout === true, stderr: body.AttachStderr === true, stream: true,
            detachKeys: detachKeysText, tty, signal: ctx.signal,
          });
        }
        // Registered before the start, so no exit (or removal) can be missed.
        wait = (await client.containerWait(id, { condition: autoRemove ? 'removed' : 'next-exit', signal: AbortSignal.any([ctx.signal, commandOver.signal]) })).result;
      } catch (err) {
        stream?.close();
        throw status125(err);
      }

      const stopProxy = args.bool('sig-proxy') && !tty ? proxySignals(ctx, id) : () => {};
      try {
        try {
          await client.containerStart(id, { signal: ctx.signal });
        } catch (err) {
          stream?.close();
          throw await startFailureStatus(client, id, err, autoRemove ? { wait } : {});
        }
        if (stream) {
          const stopResize = tty ? monitorTtySize(ctx, (size) => client.containerResize(id, size)) : () => {};
          try {
            const outcome = await holdStreams(ctx, stream, { tty, sendStdin: attachStdin, detachKeys, expectOutput: attachOutput, signal: ctx.signal });
            if (outcome === 'detached') return;
          } catch (err) {
            throw status125(err);
          } finally {
            stopResize();
          }
        }
        if (!attachOutput) {
          // Nothing to watch: like -d, say which container runs.
          ctx.stdout.write(`${id}\n`);
          return;
        }
        let result: ContainerWaitResponse;
        try {
          result = await wait;
        } catch (err) {
          throw status125(err);
        }
        if (result.Error?.Message) {
          ctx.stderr.write(`Error waiting for container: ${result.Error.Message}\n`);
          throw new StatusError(125);
        }
        if (result.StatusCode !== 0) throw new StatusError(result.StatusCode);
      } finally {
        stopProxy();
        commandOver.abort();
      }
    },
  };
}
