import { JanusError } from '../../core/errors.ts';
import type { Command } from '../command.ts';
import { humanSize } from '../human-size.ts';
import { confirm } from '../prompt.ts';

/** `janus builder prune`: empties the build cache (asks first unless `-f`); docker's output. */
export const builderPruneCommand: Command = {
  spec: {
    name: 'builder prune',
    usage: '[OPTIONS]',
    description: 'Remove build cache',
    args: { min: 0, max: 0 },
    flags: [
      { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused build cache, not just dangling ones (the same here: the whole cache goes)' },
      { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
    ],
  },
  async run(ctx, args) {
    if (!args.bool('force') && !(await confirm(ctx, 'WARNING! This will remove all dangling build cache.'))) {
      throw new JanusError('Canceled', 'builder prune has been cancelled');
    }
    const report = await ctx.client().pruneBuildCache({ signal: ctx.signal });
    let out = '';
    const deleted = report.CachesDeleted ?? [];
    if (deleted.length > 0) out += `Deleted build cache objects:\n${deleted.map((id) => `${id}\n`).join('')}\n`;
    out += `Total reclaimed space: ${humanSize(report.SpaceReclaimed)}\n`;
    ctx.stdout.write(out);
  },
};
