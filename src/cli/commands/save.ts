import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { invalidArgument } from '../../core/errors.ts';
import type { Command } from '../command.ts';
import { UsageError } from '../usage-error.ts';

const FORMATS: Readonly<Record<string, 'docker' | 'oci'>> = { docker: 'docker', 'docker-archive': 'docker', oci: 'oci', 'oci-archive': 'oci' };

/**
 * `janus save`: a docker-archive (or with `--format oci` an OCI layout) tar
 * of the images, to `-o FILE` — written beside it and renamed into place, so
 * a failed save never leaves a truncated archive under the name — or to a
 * redirected stdout (never to a terminal).
 */
export function saveCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS] IMAGE [IMAGE...]',
      description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
      aliases: ['image save', 'save'].filter((a) => a !== name),
      args: { min: 1 },
      flags: [
        { name: 'format', type: 'string', valueName: 'string', default: 'docker', description: 'Archive format: docker (docker-archive, readable by docker load) or oci (OCI image layout)' },
        { name: 'output', short: 'o', type: 'string', valueName: 'string', description: 'Write to a file, instead of STDOUT' },
      ],
    },
    async run(ctx, args) {
      const format = FORMATS[args.string('format') ?? 'docker'];
      if (!format) throw new UsageError(`invalid --format ${JSON.stringify(args.string('format'))}: expected docker or oci`, { command: name });
      const output = args.string('output');
      if (output === undefined && ctx.stdout.isTTY) throw invalidArgument('cowardly refusing to save to a terminal. Use the -o flag or redirect');
      const archive = await ctx.client().saveImages(args.positionals, { format, signal: ctx.signal });
      if (output === undefined) {
        await pipeline(archive, ctx.stdout, { end: false, signal: ctx.signal });
        return;
      }
      const tmp = join(dirname(output), `.tmp-${basename(output)}-${randomBytes(6).toString('hex')}`);
      try {
        await pipeline(archive, createWriteStream(tmp, { flags: 'wx', mode: 0o644 }), { signal: ctx.signal });
        await rename(tmp, output);
      } catch (err) {
        await unlink(tmp).catch(() => {});
        throw err;
      }
    },
  };
}
