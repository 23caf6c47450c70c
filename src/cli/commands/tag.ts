import type { Command } from '../command.ts';
import { invalidArgument } from '../../core/errors.ts';
import { referenceProblem, splitImageName } from '../image-name.ts';

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
      // Checked here, as the docker client does, so a bad target is named even when the source is also wrong.
      const problem = referenceProblem(target);
      if (problem) throw invalidArgument(`Error parsing reference: ${JSON.stringify(target)} is not a valid repository/tag: ${problem}`);
      const split = splitImageName(target);
      if (split.digest !== undefined) throw invalidArgument(`refusing to create a tag with a digest reference: ${JSON.stringify(target)}`);
      await ctx.client().tagImage(source, { repo: split.name, tag: split.tag }, { signal: ctx.signal });
    },
  };
}
