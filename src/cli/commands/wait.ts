import type { Command } from '../command.ts';
import { forEachName } from '../each-name.ts';

/** `janus wait` / `container wait`: blocks until each container stops, printing its exit code. */
export function waitCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: 'CONTAINER [CONTAINER...]',
      description: 'Block until one or more containers stop, then print their exit codes',
      aliases: ['container wait', 'wait'].filter((a) => a !== name),
      args: { min: 1 },
      flags: [],
    },
    async run(ctx, args) {
      await forEachName(args.positionals, async (c) => {
        const { result } = await ctx.client().containerWait(c, { condition: 'not-running', signal: ctx.signal });
        const r = await result;
        ctx.stdout.write(`${r.StatusCode}\n`);
      });
    },
  };
}
