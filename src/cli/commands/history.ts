import type { HistoryResponseItem } from '../../api/client/types.ts';
import type { Command } from '../command.ts';
import { humanSize } from '../human-size.ts';
import { timeAgo } from '../human-duration.ts';
import { shortId } from '../image-id.ts';
import { formatList } from '../list-formatter.ts';

const HEADERS = { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' };

/** One row of `history`, docker's history formatting context. */
export interface HistoryRow { ID: string; CreatedSince: string; CreatedAt: string; CreatedBy: string; Size: string; Comment: string }

/** docker's Ellipsis: cut to `max` characters, the last one `…`. */
function ellipsis(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

/** The rows docker shows for an image's history. */
export function historyRows(items: readonly HistoryResponseItem[], options: { human: boolean; noTrunc: boolean; now?: number }): HistoryRow[] {
  return items.map((h) => {
    const createdBy = h.CreatedBy.replace(/\t/g, ' ');
    return {
      ID: h.Id.startsWith('sha256:') && !options.noTrunc ? shortId(h.Id) : h.Id,
      CreatedSince: options.human ? timeAgo(h.Created, options.now) : new Date(h.Created * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
      CreatedAt: new Date(h.Created * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
      CreatedBy: options.noTrunc ? createdBy : ellipsis(createdBy, 45),
      Size: options.human ? humanSize(h.Size) : String(h.Size),
      Comment: h.Comment,
    };
  });
}

/** `janus history` / `image history`. */
export function historyCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS] IMAGE',
      description: 'Show the history of an image',
      aliases: ['image history', 'history'].filter((a) => a !== name),
      args: { min: 1, max: 1 },
      flags: [
        { name: 'format', type: 'string', valueName: 'string', description: "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template" },
        { name: 'human', short: 'H', type: 'bool', default: 'true', description: 'Print sizes and dates in human readable format (default true)' },
        { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
        { name: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
      ],
    },
    async run(ctx, args) {
      const items = await ctx.client().imageHistory(args.positionals[0], { signal: ctx.signal });
      const rows = historyRows(items, { human: args.bool('human'), noTrunc: args.bool('no-trunc') });
      const format = args.bool('quiet') ? '{{.ID}}' : args.string('format');
      ctx.stdout.write(formatList(rows, { format, defaultTable: '{{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}', headers: HEADERS }));
    },
  };
}
