import type { ImageSummary } from '../../api/client/types.ts';
import type { Command } from '../command.ts';
import { humanSize } from '../human-size.ts';
import { timeAgo } from '../human-duration.ts';
import { shortId } from '../image-id.ts';
import { splitImageName } from '../image-name.ts';
import { formatList } from '../list-formatter.ts';
import { UsageError } from '../usage-error.ts';

/** docker's column headers for the image fields. */
export const IMAGE_HEADERS: Readonly<Record<string, string>> = {
  ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT',
  Size: 'SIZE', Containers: 'CONTAINERS', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', VirtualSize: 'VIRTUAL SIZE',
};

/** One row of `images`: docker's image formatting context, field for field. */
export interface ImageRow {
  Containers: string;
  CreatedAt: string;
  CreatedSince: string;
  Digest: string;
  ID: string;
  Repository: string;
  SharedSize: string;
  Size: string;
  Tag: string;
  UniqueSize: string;
  VirtualSize: string;
}

/**
 * The rows docker shows for a list of images: one per repository and tag
 * (per digest too with `digests`), digest-only names as `<none>` tags, and
 * `<none> <none>` for an image without names. Newest first.
 */
export function imageRows(images: readonly ImageSummary[], options: { digests: boolean; noTrunc: boolean; now?: number }): ImageRow[] {
  const rows: ImageRow[] = [];
  const sorted = [...images].sort((a, b) => b.Created - a.Created);
  for (const img of sorted) {
    const byRepoTags = new Map<string, string[]>();
    const byRepoDigests = new Map<string, string[]>();
    for (const ref of img.RepoTags ?? []) {
      if (ref === '<none>:<none>') continue;
      const s = splitImageName(ref);
      byRepoTags.set(s.name, [...(byRepoTags.get(s.name) ?? []), s.tag ?? '<none>']);
    }
    for (const ref of img.RepoDigests ?? []) {
      if (ref === '<none>@<none>') continue;
      const s = splitImageName(ref);
      byRepoDigests.set(s.name, [...(byRepoDigests.get(s.name) ?? []), s.digest ?? '<none>']);
    }
    const make = (repo: string, tag: string, digest: string): ImageRow => ({
      Containers: img.Containers >= 0 ? String(img.Containers) : 'N/A',
      CreatedAt: new Date(img.Created * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC'),
      CreatedSince: timeAgo(img.Created, options.now),
      Digest: digest,
      ID: options.noTrunc ? img.Id : shortId(img.Id),
      Repository: repo,
      SharedSize: img.SharedSize >= 0 ? humanSize(img.SharedSize) : 'N/A',
      Size: humanSize(img.Size),
      Tag: tag,
      UniqueSize: img.SharedSize >= 0 ? humanSize(img.Size - img.SharedSize) : 'N/A',
      VirtualSize: humanSize(img.VirtualSize ?? img.Size),
    });
    for (const [repo, tags] of byRepoTags) {
      const digests = options.digests ? byRepoDigests.get(repo) ?? [] : [];
      byRepoDigests.delete(repo);
      for (const tag of tags) {
        if (digests.length === 0) rows.push(make(repo, tag, '<none>'));
        for (const d of digests) rows.push(make(repo, tag, d));
      }
    }
    for (const [repo, digests] of byRepoDigests) {
      if (options.digests) for (const d of digests) rows.push(make(repo, '<none>', d));
      else rows.push(make(repo, '<none>', '<none>'));
    }
    if (byRepoTags.size === 0 && byRepoDigests.size === 0 && !(img.RepoDigests ?? []).some((r) => r !== '<none>@<none>')) {
      rows.push(make('<none>', '<none>', '<none>'));
    }
  }
  return rows;
}

/** Parses `--filter key=value` words into Docker's filter map. */
export function parseFilters(words: readonly string[], command: string): Record<string, string[]> {
  const filters: Record<string, string[]> = {};
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new UsageError(`bad format of filter (expected name=value): ${JSON.stringify(w)}`, { command });
    const key = w.slice(0, eq).trim().toLowerCase();
    (filters[key] ??= []).push(w.slice(eq + 1));
  }
  return filters;
}

/** `janus images` / `janus image ls`. */
export function imagesCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS] [REPOSITORY[:TAG]]',
      description: 'List images',
      aliases: ['image ls', 'image list', 'images'].filter((a) => a !== name),
      args: { min: 0, max: 1 },
      flags: [
        { name: 'all', short: 'a', type: 'bool', description: 'Show all images (default hides intermediate images)' },
        { name: 'digests', type: 'bool', description: 'Show digests' },
        { name: 'filter', short: 'f', type: 'list', valueName: 'filter', description: 'Filter output based on conditions provided' },
        { name: 'format', type: 'string', valueName: 'string', description: "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template" },
        { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
        { name: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
      ],
    },
    async run(ctx, args) {
      const filters = parseFilters(args.list('filter'), name);
      if (args.positionals[0] !== undefined) (filters.reference ??= []).push(args.positionals[0]);
      const images = await ctx.client().listImages({ all: args.bool('all'), digests: args.bool('digests'), filters, signal: ctx.signal });
      const digests = args.bool('digests') || /\.Digest\b/.test(args.string('format') ?? '');
      const rows = imageRows(images, { digests, noTrunc: args.bool('no-trunc') });
      let format = args.string('format');
      if (args.bool('quiet')) format = '{{.ID}}';
      const defaultTable = digests && args.bool('digests')
        ? '{{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
        : '{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
      ctx.stdout.write(formatList(rows, { format, defaultTable, headers: IMAGE_HEADERS }));
    },
  };
}
