import type { Command } from '../command.ts';
import { attachSession } from '../attach-session.ts';
import { forEachName } from '../each-name.ts';
import { UsageError } from '../usage-error.ts';

/**
 * `janus start` / `container start`: starts each container and prints its
 * name; with `-a`/`-i`, attaches to one container first and exits with its
 * exit code, as docker does.
 */
export function startCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS] CONTAINER [CONTAINER...]',
      description: 'Start one or more stopped containers',
      aliases: ['container start', 'start'].filter((a) => a !== name),
      args: { min: 1 },
      flags: [
        { name: 'attach', short: 'a', type: 'bool', description: 'Attach STDOUT/STDERR and forward signals' },
        { name: 'checkpoint', type: 'string', valueName: 'string', description: 'Restore from this checkpoint (not supported)' },
        { name: 'checkpoint-dir', type: 'string', valueName: 'string', description: 'Use a custom checkpoint storage directory (not supported)' },
        { name: 'detach-keys', type: 'string', valueName: 'string', description: 'Override the key sequence for detaching a container' },
        { name: 'interactive', short: 'i', type: 'bool', description: "Attach container's STDIN" },
      ],
    },
    async run(ctx, args) {
      if (args.changed('checkpoint') || args.changed('checkpoint-dir')) throw new UsageError('checkpoint and restore are not supported', { command: name });
      if (args.bool('attach') || args.bool('interactive')) {
        if (args.positionals.length > 1) throw new UsageError('you cannot start and attach multiple containers at once', { command: name });
        const info = await ctx.client().containerInspect(args.positionals[0], { signal: ctx.signal });
        await attachSession(ctx, info, {
          stdin: args.bool('interactive') && info.Config.OpenStdin === true,
          detachKeys: args.string('detach-keys'),
          sigProxy: true,
          start: true,
          command: name,
        });
        return;
      }
      await forEachName(args.positionals, async (c) => {
        await ctx.client().containerStart(c, { detachKeys: args.string('detach-keys'), signal: ctx.signal });
        ctx.stdout.write(`${c}\n`);
      }, { summary: (failed) => `Error: failed to start containers: ${failed.join(', ')}` });
    },
  };
}
