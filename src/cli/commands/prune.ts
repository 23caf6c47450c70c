import { JanusError } from '../../core/errors.ts';
import type { Command } from '../command.ts';
import { humanSize } from '../human-size.ts';
import { confirm } from '../prompt.ts';
import { parseFilters } from './images.ts';

const WARN_DANGLING = 'WARNING! This will remove all dangling images.';
const WARN_ALL = 'WARNING! This will remove all images without at least one container associated to them.';

/** `janus image prune`: asks first unless `-f`, then prints what went and the space reclaimed, like docker. */
export const pruneCommand: Command = {
  spec: {
    name: 'image prune',
    usage: '[OPTIONS]',
    description: 'Remove unused images',
    args: { min: 0, max: 0 },
    flags: [
      { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused images, not just dangling ones' },
      { name: 'filter', type: 'list', valueName: 'filter', description: 'Provide filter values (e.g. "until=<timestamp>")' },
      { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
    ],
  },
  async run(ctx, args) {
    const filters = parseFilters(args.list('filter'), 'image prune');
    filters.dangling = [String(!args.bool('all'))];
    if (!args.bool('force') && !(await confirm(ctx, args.bool('all') ? WARN_ALL : WARN_DANGLING))) {
      throw new JanusError('Canceled', 'image prune has been cancelled');
    }
    const report = await ctx.client().pruneImages({ filters, signal: ctx.signal });
    let out = '';
    const deleted = report.ImagesDeleted ?? [];
    if (deleted.length > 0) {
      out += 'Deleted Images:\n';
      for (const item of deleted) out += item.Untagged ? `untagged: ${item.Untagged}\n` : `deleted: ${item.Deleted}\n`;
      out += '\n';
    }
    out += `Total reclaimed space: ${humanSize(report.SpaceReclaimed)}\n`;
    ctx.stdout.write(out);
  },
};
