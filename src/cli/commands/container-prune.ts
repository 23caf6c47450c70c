import { JanusError } from '../../core/errors.ts';
import type { Command } from '../command.ts';
import { humanSize } from '../human-size.ts';
import { confirm } from '../prompt.ts';
import { parseFilters } from './images.ts';

/** `janus container prune`: removes every stopped container (asks first unless `-f`). */
export const containerPruneCommand: Command = {
  spec: {
    name: 'container prune',
    usage: '[OPTIONS]',
    description: 'Remove all stopped containers',
    args: { min: 0, max: 0 },
    flags: [
      { name: 'filter', type: 'list', valueName: 'filter', description: 'Provide filter values (e.g. "until=<timestamp>")' },
      { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
    ],
  },
  async run(ctx, args) {
    const filters = parseFilters(args.list('filter'), 'container prune');
    if (!args.bool('force') && !(await confirm(ctx, 'WARNING! This will remove all stopped containers.'))) {
      throw new JanusError('Canceled', 'container prune has been cancelled');
    }
    const report = await ctx.client().containerPrune({ filters, signal: ctx.signal });
    let out = '';
    const deleted = report.ContainersDeleted ?? [];
    if (deleted.length > 0) out += `Deleted Containers:\n${deleted.map((id) => `${id}\n`).join('')}\n`;
    out += `Total reclaimed space: ${humanSize(report.SpaceReclaimed)}\n`;
    ctx.stdout.write(out);
  },
};
