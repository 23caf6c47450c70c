import type { Command } from '../command.ts';
import { forEachName } from '../each-name.ts';
import { UsageError } from '../usage-error.ts';

/** `janus rm` / `container rm` / `container remove`: removes each container; prints each name as given; failures reported together, like rmi. */
export function rmCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS] CONTAINER [CONTAINER...]',
      description: 'Remove one or more containers',
      aliases: ['container rm', 'container remove', 'rm'].filter((a) => a !== name),
      args: { min: 1 },
      flags: [
        { name: 'force', short: 'f', type: 'bool', description: 'Force the removal of a running container (uses SIGKILL)' },
        { name: 'link', short: 'l', type: 'bool', description: 'Remove the specified link (not supported: Janus has no container links)' },
        { name: 'volumes', short: 'v', type: 'bool', description: 'Remove anonymous volumes associated with the container' },
        { name: 'snapshots', type: 'bool', description: "Also remove the container's snapshots (refused without it when it has some)" },
      ],
    },
    async run(ctx, args) {
      if (args.bool('link')) throw new UsageError('--link is not supported: Janus has no legacy container links', { command: name });
      await forEachName(args.positionals, async (c) => {
        const id = c.replace(/^\/+/, '');
        if (id === '') throw new UsageError('container name cannot be empty', { command: name });
        await ctx.client().containerRemove(id, { force: args.bool('force'), volumes: args.bool('volumes'), snapshots: args.bool('snapshots'), signal: ctx.signal });
        ctx.stdout.write(`${c}\n`);
      });
    },
  };
}
