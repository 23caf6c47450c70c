import type { ContainerSummary, DiskUsage } from '../../api/client/types.ts';
import type { Command } from '../command.ts';
import { humanSize } from '../human-size.ts';
import { timeAgo } from '../human-duration.ts';
import { shortId } from '../image-id.ts';
import { formatList } from '../list-formatter.ts';
import { UsageError } from '../usage-error.ts';
import { CONTAINER_HEADERS, containerRows } from './ps.ts';

/** One row of docker's `system df` summary. */
export interface DfRow { Type: string; TotalCount: string; Active: string; Size: string; Reclaimable: string }

/** `system df` prints sizes with 4 significant digits, unlike the rest of the CLI's 3. */
const dfSize = (bytes: number) => humanSize(bytes, 4);

function reclaimable(bytes: number, total: number): string {
  // docker prints the share only when there is something to share.
  return total > 0 ? `${dfSize(bytes)} (${Math.floor((100 * bytes) / total)}%)` : dfSize(bytes);
}

/** docker's active containers: running, paused or restarting; the others' writable layers are reclaimable (`container prune`). */
function isActive(c: ContainerSummary): boolean {
  return c.State === 'running' || c.State === 'paused' || c.State === 'restarting';
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
  const rw = (c: ContainerSummary) => Math.max(0, c.SizeRw ?? 0);
  const ctTotal = containers.reduce((s, c) => s + rw(c), 0);
  const ctFree = containers.filter((c) => !isActive(c)).reduce((s, c) => s + rw(c), 0);
  const cache = du.BuildCache ?? [];
  return [
    { Type: 'Images', TotalCount: String(images.length), Active: String(activeImages.length), Size: dfSize(layers), Reclaimable: reclaimable(Math.max(0, layers - inUse), layers) },
    { Type: 'Containers', TotalCount: String(containers.length), Active: String(containers.filter(isActive).length), Size: dfSize(ctTotal), Reclaimable: reclaimable(ctFree, ctTotal) },
    { Type: 'Local Volumes', TotalCount: String(volumes.length), Active: String(activeVolumes.length), Size: dfSize(volTotal), Reclaimable: reclaimable(volFree, volTotal) },
    { Type: 'Build Cache', TotalCount: String(cache.length), Active: '0', Size: dfSize(0), Reclaimable: dfSize(0) },
    ...snapshotRows(du),
  ];
}

/**
 * Janus's own row, after docker's four (absent against a daemon that does
 * not send `Janus.Snapshots`): active are the snapshots of running
 * containers; none is reclaimable by a prune (only `snapshot rm` frees them).
 */
function snapshotRows(du: DiskUsage): DfRow[] {
  const snaps = du.Janus?.Snapshots;
  if (!snaps) return [];
  const running = new Set((du.Containers ?? []).filter(isActive).map((c) => c.Id));
  const size = snaps.reduce((s, x) => s + Math.max(0, x.Size), 0);
  return [{ Type: 'Snapshots', TotalCount: String(snaps.length), Active: String(snaps.filter((x) => running.has(x.ContainerID)).length), Size: dfSize(size), Reclaimable: dfSize(0) }];
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
      ctx.stdout.write(dfVerbose(du));
      return;
    }
    ctx.stdout.write(formatList(dfRows(du), {
      format,
      defaultTable: '{{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}',
      headers: { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' },
    }));
  },
};

/** docker's `system df -v`: images, containers (writable layer only), volumes, build cache. Pure apart from `now` (ages). */
export function dfVerbose(du: DiskUsage, now: number = Date.now()): string {
  const images = (du.Images ?? []).flatMap((i) => {
    const tags = i.RepoTags && i.RepoTags.length > 0 ? i.RepoTags : ['<none>:<none>'];
    return tags.map((t) => {
      const colon = t.lastIndexOf(':');
      return {
        Repository: t.slice(0, colon), Tag: t.slice(colon + 1), ID: shortId(i.Id), CreatedSince: timeAgo(i.Created, now),
        Size: humanSize(i.Size), SharedSize: i.SharedSize >= 0 ? humanSize(i.SharedSize) : 'N/A',
        UniqueSize: i.SharedSize >= 0 ? humanSize(i.Size - i.SharedSize) : 'N/A', Containers: i.Containers >= 0 ? String(i.Containers) : 'N/A',
      };
    });
  });
  // docker leaves the virtual size (image included) out of this table.
  const containers = containerRows((du.Containers ?? []).map((c) => ({ ...c, SizeRootFs: 0 })), { noTrunc: false, now });
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
    '\nContainers space usage:\n\n',
    formatList(containers, {
      format: undefined,
      defaultTable: '{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}',
      headers: CONTAINER_HEADERS,
    }),
    '\nLocal Volumes space usage:\n\n',
    formatList(volumes, { format: undefined, defaultTable: '{{.Name}}\t{{.Links}}\t{{.Size}}', headers: { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' } }),
    '\nBuild cache usage: 0B\n',
    ...(du.Janus?.Snapshots
      ? ['\nSnapshots space usage:\n\n', formatList(du.Janus.Snapshots.map((s) => ({ Container: s.ContainerName || s.ContainerID.slice(0, 12), Name: s.Name, Isolation: s.Isolation, Size: humanSize(s.Size) })), {
          format: undefined, defaultTable: '{{.Container}}\t{{.Name}}\t{{.Isolation}}\t{{.Size}}', headers: { Container: 'CONTAINER', Name: 'SNAPSHOT', Isolation: 'ISOLATION', Size: 'SIZE' },
        })]
      : []),
  ].join('');
}
