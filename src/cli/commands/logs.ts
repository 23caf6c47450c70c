import type { Command } from '../command.ts';
import { parseTimeFlag } from '../time-flag.ts';
import { UsageError } from '../usage-error.ts';

/**
 * `janus logs` / `container logs`: the container's output, stdout to
 * stdout and stderr to stderr (one stream for a TTY container), from the
 * daemon's log; `-f` follows until the container stops or the user
 * interrupts.
 */
export function logsCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS] CONTAINER',
      description: 'Fetch the logs of a container',
      aliases: ['container logs', 'logs'].filter((a) => a !== name),
      args: { min: 1, max: 1 },
      flags: [
        { name: 'details', type: 'bool', description: 'Show extra details provided to logs (not supported)' },
        { name: 'follow', short: 'f', type: 'bool', description: 'Follow log output' },
        { name: 'since', type: 'string', valueName: 'string', description: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
        { name: 'tail', short: 'n', type: 'string', valueName: 'string', default: 'all', description: 'Number of lines to show from the end of the logs' },
        { name: 'timestamps', short: 't', type: 'bool', description: 'Show timestamps' },
        { name: 'until', type: 'string', valueName: 'string', description: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
      ],
    },
    async run(ctx, args) {
      if (args.bool('details')) throw new UsageError('--details is not supported: Janus logs carry no extra attributes (log-opt labels/env) to show', { command: name });
      const tail = args.string('tail') ?? 'all';
      if (tail !== 'all' && !/^-?\d+$/.test(tail)) throw new UsageError(`invalid argument ${JSON.stringify(tail)} for "-n, --tail" flag: want a number of lines or "all"`, { command: name });
      const since = args.string('since');
      const until = args.string('until');
      const stream = ctx.client().containerLogs(args.positionals[0], {
        follow: args.bool('follow'),
        timestamps: args.bool('timestamps'),
        tail,
        ...(since !== undefined ? { since: parseTimeFlag(since, 'since') } : {}),
        ...(until !== undefined ? { until: parseTimeFlag(until, 'until') } : {}),
        signal: ctx.signal,
      });
      for await (const chunk of stream) {
        const out = chunk.stream === 'stderr' ? ctx.stderr : ctx.stdout;
        if (!out.write(chunk.data)) await new Promise<void>((resolve) => out.once('drain', resolve));
      }
    },
  };
}
