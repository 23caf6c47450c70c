import type { Command } from '../command.ts';
import { humanDuration } from '../human-duration.ts';
import { humanSize } from '../human-size.ts';
import { formatList } from '../list-formatter.ts';

/** `janus snapshot create CONTAINER SNAPSHOT`: a snapshot of a container's writable layer (a VM's disk), taken with it paused. */
export const snapshotCreateCommand: Command = {
  spec: {
    name: 'snapshot create',
    usage: '[OPTIONS] CONTAINER SNAPSHOT',
    description: "Take a snapshot of a container's writable layer (a VM's disk), pausing it meanwhile",
    args: { min: 2, max: 2 },
    flags: [
      { name: 'volumes', type: 'bool', description: "Also copy the container's named volumes" },
      { name: 'memory', type: 'bool', description: 'Also save the processes\' memory (refused where the host cannot: the daemon says why)' },
    ],
  },
  async run(ctx, args) {
    const [container, name] = args.positionals as [string, string];
    const s = await ctx.client().snapshotCreate(container, name, { volumes: args.bool('volumes'), memory: args.bool('memory'), signal: ctx.signal });
    ctx.stdout.write(`${s.Name}\n`);
  },
};

/** `janus snapshot ls [CONTAINER]`: snapshots of one container, or of all. */
export const snapshotLsCommand: Command = {
  spec: {
    name: 'snapshot ls',
    usage: '[OPTIONS] [CONTAINER]',
    description: 'List snapshots of a container, or of every container',
    aliases: ['snapshot list'],
    args: { min: 0, max: 1 },
    flags: [
      { name: 'format', type: 'string', valueName: 'string', description: "Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')" },
      { name: 'quiet', short: 'q', type: 'bool', description: 'Only display snapshot names' },
    ],
  },
  async run(ctx, args) {
    const list = await ctx.client().snapshotList(args.positionals[0], { signal: ctx.signal });
    const now = Date.now();
    const rows = list.map((s) => ({
      Container: s.ContainerName || s.ContainerID.slice(0, 12), ContainerID: s.ContainerID, Name: s.Name, Isolation: s.Isolation, Image: s.Image,
      Volumes: s.Volumes.join(','), Memory: !!s.Memory, Size: humanSize(s.Size), Bytes: s.Size, CopyMode: s.CopyMode,
      CreatedAt: s.Created, CreatedSince: `${humanDuration(now - Date.parse(s.Created))} ago`,
    }));
    const format = args.bool('quiet') ? '{{.Name}}' : args.string('format');
    ctx.stdout.write(formatList(rows, {
      format,
      defaultTable: '{{.Container}}\t{{.Name}}\t{{.Isolation}}\t{{.CreatedSince}}\t{{.Size}}\t{{.Memory}}\t{{.Volumes}}',
      headers: { Container: 'CONTAINER', Name: 'SNAPSHOT', Isolation: 'ISOLATION', CreatedSince: 'CREATED', Size: 'SIZE', Memory: 'MEMORY', Volumes: 'VOLUMES', Image: 'IMAGE', CopyMode: 'COPY' },
    }));
  },
};

/** `janus snapshot restore CONTAINER SNAPSHOT`: puts a stopped container's files back as they were. */
export const snapshotRestoreCommand: Command = {
  spec: {
    name: 'snapshot restore',
    usage: 'CONTAINER SNAPSHOT',
    description: "Restore a stopped container's writable layer (a VM's disk) and the volumes copied with the snapshot",
    args: { min: 2, max: 2 },
    flags: [],
  },
  async run(ctx, args) {
    const [container, name] = args.positionals as [string, string];
    await ctx.client().snapshotRestore(container, name, { signal: ctx.signal });
    ctx.stdout.write(`${name}\n`);
  },
};

/** `janus snapshot rm CONTAINER SNAPSHOT [SNAPSHOT...]`. */
export const snapshotRmCommand: Command = {
  spec: {
    name: 'snapshot rm',
    usage: 'CONTAINER SNAPSHOT [SNAPSHOT...]',
    description: 'Remove snapshots of a container',
    aliases: ['snapshot remove'],
    args: { min: 2 },
    flags: [],
  },
  async run(ctx, args) {
    const [container, ...names] = args.positionals as [string, ...string[]];
    for (const name of names) {
      await ctx.client().snapshotRemove(container, name, { signal: ctx.signal });
      ctx.stdout.write(`${name}\n`);
    }
  },
};
