import type { Command } from '../command.ts';
import { fullImageName, splitImageName } from '../image-name.ts';
import { ProgressRenderer } from '../progress-renderer.ts';
import { registryAuthFor } from '../registry-auth.ts';
import { UsageError } from '../usage-error.ts';

/** `janus pull`: streams the daemon's progress, then prints the full name pulled, as docker does. */
export function pullCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
      description: 'Download an image from a registry',
      aliases: ['image pull', 'pull'].filter((a) => a !== name),
      args: { min: 1, max: 1 },
      flags: [
        { name: 'all-tags', short: 'a', type: 'bool', description: 'Download all tagged images in the repository (not supported)' },
        { name: 'platform', type: 'string', valueName: 'string', description: 'Set platform if server is multi-platform capable' },
        { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' },
      ],
    },
    async run(ctx, args) {
      if (args.bool('all-tags')) throw new UsageError('--all-tags is not supported: pull each tag by name', { command: name });
      let ref = args.positionals[0];
      const split = splitImageName(ref);
      const quiet = args.bool('quiet');
      if (split.tag === undefined && split.digest === undefined) {
        ref = `${ref}:latest`;
        if (!quiet) ctx.stdout.write('Using default tag: latest\n');
      }
      const auth = await registryAuthFor(ctx, ref);
      // The whole reference goes in fromImage (the API allows a tag or digest there), so the daemon's errors name it as typed.
      const stream = ctx.client().pullImage(ref, { platform: args.string('platform'), auth, signal: ctx.signal });
      if (quiet) {
        for await (const _ of stream) { /* drain: errors still throw */ }
      } else {
        await new ProgressRenderer({ out: ctx.stdout, tty: ctx.stdout.isTTY === true, columns: ctx.stdout.columns }).consume(stream);
      }
      ctx.stdout.write(`${fullImageName(ref)}\n`);
    },
  };
}
