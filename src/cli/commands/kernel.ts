import type { Command } from '../command.ts';
import { formatList } from '../list-formatter.ts';

interface KernelWire {
  Release: string;
  Path: string;
  Modules: boolean;
  Default: boolean;
}

/** `janus kernel ls`: the guest kernels the daemon's vm level can boot, from `/info`. */
export const kernelLsCommand: Command = {
  spec: {
    name: 'kernel ls',
    usage: '[OPTIONS]',
    description: 'List the guest kernels microVMs can boot',
    aliases: ['kernel list'],
    args: { min: 0, max: 0 },
    flags: [
      { name: 'format', type: 'string', valueName: 'string', description: "Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')" },
      { name: 'quiet', short: 'q', type: 'bool', description: 'Only display kernel releases' },
    ],
  },
  async run(ctx, args) {
    const info = await ctx.client().info({ signal: ctx.signal });
    const kernels = ((info.Janus as { Kernels?: KernelWire[] } | undefined)?.Kernels ?? []);
    const rows = kernels.map((k) => ({ Release: k.Release, Path: k.Path, Modules: k.Modules ? 'yes' : 'no', Default: k.Default ? '*' : '' }));
    const format = args.bool('quiet') ? '{{.Release}}' : args.string('format');
    ctx.stdout.write(formatList(rows, {
      format,
      defaultTable: '{{.Release}}\t{{.Default}}\t{{.Modules}}\t{{.Path}}',
      headers: { Release: 'RELEASE', Default: 'DEFAULT', Modules: 'MODULES', Path: 'PATH' },
    }));
  },
};
