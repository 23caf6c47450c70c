import type { Command } from '../command.ts';
import { forEachName } from '../each-name.ts';

/** `janus kill` / `container kill`: sends a signal (SIGKILL by default) to each running container. */
export function killCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS] CONTAINER [CONTAINER...]',
      description: 'Kill one or more running containers',
      aliases: ['container kill', 'kill'].filter((a) => a !== name),
      args: { min: 1 },
      flags: [{ name: 'signal', short: 's', type: 'string', valueName: 'string', description: 'Signal to send to the container' }],
    },
    async run(ctx, args) {
      const killSignal = args.string('signal');
      await forEachName(args.positionals, async (c) => {
        await ctx.client().containerKill(c, { killSignal, signal: ctx.signal });
        ctx.stdout.write(`${c}\n`);
      });
    },
  };
}
