import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { JanusError } from '../../core/errors.ts';
import type { Command } from '../command.ts';

/** `janus export` / `container export`: the container's filesystem as a tar, to a file (`-o`) or stdout (never a terminal). */
export function exportCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS] CONTAINER',
      description: "Export a container's filesystem as a tar archive",
      aliases: ['container export', 'export'].filter((a) => a !== name),
      args: { min: 1, max: 1 },
      flags: [{ name: 'output', short: 'o', type: 'string', valueName: 'string', description: 'Write to a file, instead of STDOUT' }],
    },
    async run(ctx, args) {
      const output = args.string('output');
      if (output === undefined && ctx.stdout.isTTY === true) throw new JanusError('InvalidArgument', 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
      const tar = await ctx.client().containerExport(args.positionals[0], { signal: ctx.signal });
      try {
        await pipeline(tar, output === undefined ? ctx.stdout : createWriteStream(output), { end: output !== undefined });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'EACCES' || e.code === 'ENOENT' || e.code === 'EISDIR') throw new JanusError('InvalidArgument', `failed to export container: ${e.message}`);
        throw new JanusError('Unavailable', `the export stream from the daemon broke: ${e.message}`, { cause: err });
      }
    },
  };
}
