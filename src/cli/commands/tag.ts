import type { Command } from '../command.ts';
import { splitImageName } from '../image-name.ts';

/** `janus tag SOURCE TARGET`. */
export function tagCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
      description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
      aliases: ['image tag', 'tag'].filter((a) => a !== name),
      args: { min: 2, max: 2 },
      flags: [],
    },
    async run(ctx, args) {
      const [source, target] = args.positionals;
      const split = splitImageName(target);
      // A digest in the target is the daemon's to refuse, so the target then travels whole and its error names it.
      const target2 = split.digest !== undefined ? { repo: target } : { repo: split.name, tag: split.tag };
      await ctx.client().tagImage(source, target2, { signal: ctx.signal });
    },
  };
}
