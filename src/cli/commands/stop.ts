import type { Command } from '../command.ts';
import { forEachName } from '../each-name.ts';
import { UsageError } from '../usage-error.ts';

/** `-t, --timeout` (docker also takes the old `--time`) as whole seconds, or undefined for the container's own. */
export function stopTimeout(text: string | undefined, command: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) throw new UsageError(`invalid argument ${JSON.stringify(text)} for "-t, --timeout" flag: strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`, { command });
  return Number(text);
}

/**
 * `janus stop` and `janus restart` (and their `container` names): for each
 * container, the stop signal, then SIGKILL after the timeout; prints each
 * name as given once done, reports failures together at the end.
 */
export function stopCommand(name: string, action: 'stop' | 'restart'): Command {
  const short = action === 'stop' ? 'Stop one or more running containers' : 'Restart one or more containers';
  return {
    spec: {
      name,
      usage: '[OPTIONS] CONTAINER [CONTAINER...]',
      description: short,
      aliases: [`container ${action}`, action].filter((a) => a !== name),
      args: { min: 1 },
      flags: [
        { name: 'signal', short: 's', type: 'string', valueName: 'string', description: 'Signal to send to the container' },
        { name: 'timeout', short: 't', type: 'string', valueName: 'int', description: 'Seconds to wait before killing the container' },
        { name: 'time', type: 'string', valueName: 'int', description: 'Seconds to wait before killing the container (deprecated: use --timeout)' },
      ],
    },
    async run(ctx, args) {
      if (args.changed('time') && args.changed('timeout')) throw new UsageError('conflicting options: cannot specify both --timeout and --time', { command: name });
      const timeout = stopTimeout(args.string('timeout') ?? args.string('time'), name);
      const stopSignal = args.string('signal');
      await forEachName(args.positionals, async (c) => {
        if (action === 'stop') await ctx.client().containerStop(c, { timeout, stopSignal, signal: ctx.signal });
        else await ctx.client().containerRestart(c, { timeout, stopSignal, signal: ctx.signal });
        ctx.stdout.write(`${c}\n`);
      });
    },
  };
}
