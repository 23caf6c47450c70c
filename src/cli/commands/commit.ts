import type { Command } from '../command.ts';
import { referenceProblem, splitImageName } from '../image-name.ts';
import { UsageError } from '../usage-error.ts';

/** `janus commit` / `container commit`: a new image from a container's changes; prints its ID. */
export function commitCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
      description: "Create a new image from a container's changes",
      aliases: ['container commit', 'commit'].filter((a) => a !== name),
      args: { min: 1, max: 2 },
      flags: [
        { name: 'author', short: 'a', type: 'string', valueName: 'string', description: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
        { name: 'change', short: 'c', type: 'list', valueName: 'list', description: 'Apply Dockerfile instruction to the created image' },
        { name: 'message', short: 'm', type: 'string', valueName: 'string', description: 'Commit message' },
        { name: 'pause', short: 'p', type: 'bool', default: 'true', description: 'Pause container during commit' },
      ],
    },
    async run(ctx, args) {
      const [container, reference] = args.positionals;
      let repo: string | undefined;
      let tag: string | undefined;
      if (reference !== undefined && reference !== '') {
        const problem = referenceProblem(reference);
        if (problem) throw new UsageError(`${problem}: ${JSON.stringify(reference)}`, { command: name });
        const s = splitImageName(reference);
        if (s.digest !== undefined) throw new UsageError('refusing to create a tag with a digest reference', { command: name });
        repo = s.name;
        tag = s.tag;
      }
      const r = await ctx.client().containerCommit(container, {
        repo, tag, comment: args.string('message'), author: args.string('author'), changes: args.list('change'), pause: args.bool('pause'), signal: ctx.signal,
      });
      ctx.stdout.write(`${r.Id}\n`);
    },
  };
}
