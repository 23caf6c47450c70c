import type { ErrorKind } from '../../core/errors.ts';
import { JanusError, isJanusError } from '../../core/errors.ts';
import { DaemonError } from '../../api/client/daemon-error.ts';
import type { Volume } from '../../api/client/types.ts';
import type { Command } from '../command.ts';
import { GoTemplate } from '../go-template.ts';
import { humanSize } from '../human-size.ts';
import { formatList } from '../list-formatter.ts';
import { PartialFailure } from '../partial-failure.ts';
import { confirm } from '../prompt.ts';
import { UsageError } from '../usage-error.ts';
import { parseFilters } from './images.ts';

/** `k=v` words (`--opt`, `--label`) into a map; a bare `k` means an empty value, as docker takes labels. */
function keyValues(words: readonly string[], flag: string, command: string, requireValue: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq === 0 || (eq < 0 && requireValue)) throw new UsageError(`invalid ${flag} ${JSON.stringify(w)}: want key=value`, { command });
    if (eq < 0) out[w] = '';
    else out[w.slice(0, eq)] = w.slice(eq + 1);
  }
  return out;
}

/** Runs `fn` for each name; errors other than lost connections are collected and reported together, like docker. */
async function eachName(names: readonly string[], fn: (name: string) => Promise<void>): Promise<void> {
  const failures: string[] = [];
  let kind: ErrorKind | undefined;
  for (const name of names) {
    try {
      await fn(name);
    } catch (err) {
      if (!isJanusError(err) || err.kind === 'Unavailable' || err.kind === 'Canceled') throw err;
      kind ??= err.kind;
      failures.push(err instanceof DaemonError ? `Error response from daemon: ${err.message}` : `Error: ${err.message}`);
    }
  }
  if (kind) throw new PartialFailure(kind, failures);
}

/** `janus volume create [OPTIONS] [VOLUME]`. */
export const volumeCreateCommand: Command = {
  spec: {
    name: 'volume create',
    usage: '[OPTIONS] [VOLUME]',
    description: 'Create a volume',
    args: { min: 0, max: 1 },
    flags: [
      { name: 'driver', short: 'd', type: 'string', valueName: 'string', description: 'Specify volume driver name (default "local")' },
      { name: 'label', type: 'list', valueName: 'list', description: 'Set metadata for a volume' },
      { name: 'name', type: 'string', valueName: 'string', description: 'Specify volume name' },
      { name: 'opt', short: 'o', type: 'list', valueName: 'map', description: 'Set driver specific options (local: type, device, o)' },
    ],
  },
  async run(ctx, args) {
    const flagName = args.string('name');
    const positional = args.positionals[0];
    if (flagName !== undefined && positional !== undefined && flagName !== positional) {
      throw new UsageError(`conflicting options: either specify --name or provide positional arg, not both`, { command: 'volume create' });
    }
    const volume = await ctx.client().createVolume({
      Name: positional ?? flagName,
      Driver: args.string('driver'),
      DriverOpts: keyValues(args.list('opt'), '--opt', 'volume create', true),
      Labels: keyValues(args.list('label'), '--label', 'volume create', false),
    }, { signal: ctx.signal });
    ctx.stdout.write(`${volume.Name}\n`);
  },
};

/** `janus volume ls`. */
export const volumeLsCommand: Command = {
  spec: {
    name: 'volume ls',
    usage: '[OPTIONS]',
    description: 'List volumes',
    aliases: ['volume list'],
    args: { min: 0, max: 0 },
    flags: [
      { name: 'filter', short: 'f', type: 'list', valueName: 'filter', description: "Provide filter values (e.g. 'dangling=true')" },
      { name: 'format', type: 'string', valueName: 'string', description: "Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')" },
      { name: 'quiet', short: 'q', type: 'bool', description: 'Only display volume names' },
    ],
  },
  async run(ctx, args) {
    const list = await ctx.client().listVolumes({ filters: parseFilters(args.list('filter'), 'volume ls'), signal: ctx.signal });
    const rows = (list.Volumes ?? []).map((v) => ({
      Driver: v.Driver, Name: v.Name, Mountpoint: v.Mountpoint, Scope: v.Scope, CreatedAt: v.CreatedAt ?? '',
      Labels: Object.entries(v.Labels ?? {}).map(([k, val]) => `${k}=${val}`).join(','),
    }));
    const format = args.bool('quiet') ? '{{.Name}}' : args.string('format');
    ctx.stdout.write(formatList(rows, { format, defaultTable: '{{.Driver}}\t{{.Name}}', headers: { Driver: 'DRIVER', Name: 'VOLUME NAME' } }));
  },
};

/** `janus volume inspect`. */
export const volumeInspectCommand: Command = {
  spec: {
    name: 'volume inspect',
    usage: '[OPTIONS] VOLUME [VOLUME...]',
    description: 'Display detailed information on one or more volumes',
    args: { min: 1 },
    flags: [
      { name: 'format', short: 'f', type: 'string', valueName: 'string', description: "Format output using a custom template ('json' or a Go template)" },
    ],
  },
  async run(ctx, args) {
    const format = args.string('format');
    const template = format && format !== 'json' ? GoTemplate.parse(format) : undefined;
    const found: Volume[] = [];
    try {
      await eachName(args.positionals, async (name) => { found.push(await ctx.client().inspectVolume(name, { signal: ctx.signal })); });
    } finally {
      if (template) for (const v of found) ctx.stdout.write(`${template.execute(v)}\n`);
      else ctx.stdout.write(`${JSON.stringify(found, null, 4)}\n`);
    }
  },
};

/** `janus volume rm`. */
export const volumeRmCommand: Command = {
  spec: {
    name: 'volume rm',
    usage: '[OPTIONS] VOLUME [VOLUME...]',
    description: 'Remove one or more volumes',
    aliases: ['volume remove'],
    args: { min: 1 },
    flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Force the removal of one or more volumes' }],
  },
  async run(ctx, args) {
    await eachName(args.positionals, async (name) => {
      await ctx.client().removeVolume(name, { force: args.bool('force'), signal: ctx.signal });
      ctx.stdout.write(`${name}\n`);
    });
  },
};

/** `janus volume prune`: asks first unless `-f`. */
export const volumePruneCommand: Command = {
  spec: {
    name: 'volume prune',
    usage: '[OPTIONS]',
    description: 'Remove unused local volumes',
    args: { min: 0, max: 0 },
    flags: [
      { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused volumes, not just anonymous ones' },
      { name: 'filter', type: 'list', valueName: 'filter', description: 'Provide filter values (e.g. "label=<label>")' },
      { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
    ],
  },
  async run(ctx, args) {
    const filters = parseFilters(args.list('filter'), 'volume prune');
    if (args.bool('all')) filters.all = ['true'];
    const warning = args.bool('all') ? 'WARNING! This will remove all local volumes not used by at least one container.' : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
    if (!args.bool('force') && !(await confirm(ctx, warning))) throw new JanusError('Canceled', 'volume prune has been cancelled');
    const report = await ctx.client().pruneVolumes({ filters, signal: ctx.signal });
    let out = '';
    const deleted = report.VolumesDeleted ?? [];
    if (deleted.length > 0) out += `Deleted Volumes:\n${deleted.map((n) => `${n}\n`).join('')}\n`;
    out += `Total reclaimed space: ${humanSize(report.SpaceReclaimed)}\n`;
    ctx.stdout.write(out);
  },
};
