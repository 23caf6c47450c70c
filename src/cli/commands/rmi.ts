import { DaemonError } from '../../api/client/daemon-error.ts';
import { isJanusError, type ErrorKind } from '../../core/errors.ts';
import type { Command } from '../command.ts';
import { PartialFailure } from '../partial-failure.ts';

/** `janus rmi` / `image rm`: removes each image in turn; failures are reported together at the end, as docker does. */
export function rmiCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS] IMAGE [IMAGE...]',
      description: 'Remove one or more images',
      aliases: ['image rm', 'image remove', 'rmi'].filter((a) => a !== name),
      args: { min: 1 },
      flags: [
        { name: 'force', short: 'f', type: 'bool', description: 'Force removal of the image' },
        { name: 'no-prune', type: 'bool', description: 'Do not delete untagged parents' },
      ],
    },
    async run(ctx, args) {
      const failures: string[] = [];
      let kind: ErrorKind | undefined;
      for (const image of args.positionals) {
        try {
          const removed = await ctx.client().removeImage(image, { force: args.bool('force'), noPrune: args.bool('no-prune'), signal: ctx.signal });
          for (const item of removed) {
            if (item.Untagged) ctx.stdout.write(`Untagged: ${item.Untagged}\n`);
            if (item.Deleted) ctx.stdout.write(`Deleted: ${item.Deleted}\n`);
          }
        } catch (err) {
          if (!isJanusError(err) || err.kind === 'Unavailable' || err.kind === 'Canceled') throw err;
          kind ??= err.kind;
          failures.push(err instanceof DaemonError ? `Error response from daemon: ${err.message}` : `Error: ${err.message}`);
        }
      }
      if (kind) throw new PartialFailure(kind, failures);
    },
  };
}
