import type { Command } from '../command.ts';
import { forEachName } from '../each-name.ts';

/** `janus pause` and `janus unpause` (and their `container` names): freezes or thaws each container's processes. */
export function pauseCommand(name: string, action: 'pause' | 'unpause'): Command {
  return {
    spec: {
      name,
      usage: 'CONTAINER [CONTAINER...]',
      description: action === 'pause' ? 'Pause all processes within one or more containers' : 'Unpause all processes within one or more containers',
      aliases: [`container ${action}`, action].filter((a) => a !== name),
      args: { min: 1 },
      flags: [],
    },
    async run(ctx, args) {
      await forEachName(args.positionals, async (c) => {
        if (action === 'pause') await ctx.client().containerPause(c, { signal: ctx.signal });
        else await ctx.client().containerUnpause(c, { signal: ctx.signal });
        ctx.stdout.write(`${c}\n`);
      });
    },
  };
}
