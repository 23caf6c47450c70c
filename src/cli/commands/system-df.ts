import type { DiskUsage } from '../../api/client/types.ts';
import type { Command } from '../command.ts';
import { humanSize } from '../human-size.ts';
import { timeAgo } from '../human-duration.ts';
import { shortId } from '../image-id.ts';
import { formatList } from '../list-formatter.ts';
import { UsageError } from '../usage-error.ts';

/** One row of docker's `system df` summary. */
export interface DfRow { Type: string; TotalCount: string; Active: string; Size: string; Reclaimable: string }

/** `system df` prints sizes with 4 significant digits, unlike the rest of the CLI's 3. */
const dfSize = (bytes: number) => humanSize(bytes, 4);

function reclaimable(bytes: number, total: number): string {
  // docker prints the share only when there is something to share.
  return total > 0 ? `${dfSize(bytes)} (${Math.floor((100 * bytes) / total)}%)` : dfSize(bytes);
}

/** docker's summary rows: Images, Containers, Local Volumes, Build Cache. */
export function dfRows(du: DiskUsage): DfRow[] {
  const images = du.Images ?? [];
  const activeImages = images.filter((i) => i.Containers > 0);
  const layers = du.LayersSize ?? 0;
  const inUse = activeImages.reduce((sum, i) => sum + i.Size - Math.max(0, i.SharedSize ?? 0), 0);
  const volumes = du.Volumes ?? [];
  const volSize = (v: (typeof volumes)[number]) => Math.max(0, v.UsageData?.Size ?? 0);
  const activeVolumes = volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0);
  const volTotal = volumes.reduce((s, v) => s + volSize(v), 0);
  const volFree = volumes.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((s, v) => s + volSize(v), 0);
  const containers = du.Containers ?? [];
  const cache = du.BuildCache ?? [];
  return [
    { Type: 'Images', TotalCount: String(images.length), Active: String(activeImages.length), Size: dfSize(layers), Reclaimable: reclaimable(Math.max(0, layers - inUse), layers) },
    { Type: 'Containers', TotalCount: String(containers.length), Active: '0', Size: dfSize(0), Reclaimable: dfSize(0) },
    { Type: 'Local Volumes', TotalCount: String(volumes.length), Active: String(activeVolumes.length), Size: dfSize(volTotal), Reclaimable: reclaimable(volFree, volTotal) },
    { Type: 'Build Cache', TotalCount: String(cache.length), Active: '0', Size: dfSize(0), Reclaimable: dfSize(0) },
  ];
}

/** `janus system df`. */
export const systemDfCommand: Command = {
  spec: {
    name: 'system df',
    usage: '[OPTIONS]',
    description: 'Show Janus disk usage',
    args: { min: 0, max: 0 },
    flags: [
      { name: 'format', type: 'string', valueName: 'string', description: "Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')" },
      { name: 'verbose', short: 'v', type: 'bool', description: 'Show detailed information on space usage' },
    ],
  },
  async run(ctx, args) {
    const du = await ctx.client().systemDf({ signal: ctx.signal });
    const format = args.string('format');
    if (args.bool('verbose')) {
      if (format !== undefined) throw new UsageError('--format and --verbose cannot be combined', { command: 'system df' });
      ctx.stdout.write(verbose(du));
      return;
    }
    ctx.stdout.write(formatList(dfRows(du), {
      format,
      defaultTable: '{{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}',
      headers: { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' },
    }));
  },
};

function verbose(du: DiskUsage): string {
  const images = (du.Images ?? []).flatMap((i) => {
    const tags = i.RepoTags && i.RepoTags.length > 0 ? i.RepoTags : ['<none>:<none>'];
    return tags.map((t) => {
      const colon = t.lastIndexOf(':');
      return {
        Repository: t.slice(0, colon), Tag: t.slice(colon + 1), ID: shortId(i.Id), CreatedSince: timeAgo(i.Created),
        Size: humanSize(i.Size), SharedSize: i.SharedSize >= 0 ? humanSize(i.SharedSize) : 'N/A',
        UniqueSize: i.SharedSize >= 0 ? humanSize(i.Size - i.SharedSize) : 'N/A', Containers: i.Containers >= 0 ? String(i.Containers) : 'N/A',
      };
    });
  });
  const volumes = (du.Volumes ?? []).map((v) => ({
    Name: v.Name, Links: String(v.UsageData?.RefCount ?? 0),
    Size: (v.UsageData?.Size ?? -1) >= 0 ? humanSize(v.UsageData!.Size) : 'N/A',
  }));
  return [
    'Images space usage:\n\n',
    formatList(images, {
      format: undefined,
      defaultTable: '{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}',
      headers: { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', CreatedSince: 'CREATED', Size: 'SIZE', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', Containers: 'CONTAINERS' },
    }),
    '\nContainers space usage:\n\nCONTAINER ID   IMAGE     COMMAND   LOCAL VOLUMES   SIZE      CREATED   STATUS    NAMES\n',
    '\nLocal Volumes space usage:\n\n',
    formatList(volumes, { format: undefined, defaultTable: '{{.Name}}\t{{.Links}}\t{{.Size}}', headers: { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' } }),
    '\nBuild cache usage: 0B\n',
  ].join('');
}
