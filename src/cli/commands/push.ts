import type { Command } from '../command.ts';
import { fullImageName, splitImageName } from '../image-name.ts';
import { ProgressRenderer } from '../progress-renderer.ts';
import { registryAuthFor } from '../registry-auth.ts';
import { UsageError } from '../usage-error.ts';

/** `janus push`: pushes one tag (docker's default `latest`), streaming progress; `-q` prints only the name. */
export function pushCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS] NAME[:TAG]',
      description: 'Upload an image to a registry',
      aliases: ['image push', 'push'].filter((a) => a !== name),
      args: { min: 1, max: 1 },
      flags: [
        { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' },
      ],
    },
    async run(ctx, args) {
      const ref = args.positionals[0];
      const split = splitImageName(ref);
      if (split.digest !== undefined) throw new UsageError(`cannot push a digest reference: ${JSON.stringify(ref)}; push a tag`, { command: name });
      const quiet = args.bool('quiet');
      let tag = split.tag;
      if (tag === undefined) {
        tag = 'latest';
        if (!quiet) ctx.stdout.write('Using default tag: latest\n');
      }
      const auth = await registryAuthFor(ctx, ref);
      const stream = ctx.client().pushImage(split.name, { tag, auth, signal: ctx.signal });
      if (quiet) {
        for await (const _ of stream) { /* drain: errors still throw */ }
        ctx.stdout.write(`${fullImageName(`${split.name}:${tag}`)}\n`);
        return;
      }
      await new ProgressRenderer({ out: ctx.stdout, tty: ctx.stdout.isTTY === true, columns: ctx.stdout.columns }).consume(stream);
    },
  };
}
