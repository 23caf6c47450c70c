import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { notFound, notImplemented } from '../../core/errors.ts';
import type { Command } from '../command.ts';

/** `janus import FILE|- [REPOSITORY[:TAG]]`: a rootfs tarball becomes a one-layer image; prints its ID. */
export function importCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS] file|-  [REPOSITORY[:TAG]]',
      description: 'Import the contents from a tarball to create a filesystem image',
      aliases: ['image import', 'import'].filter((a) => a !== name),
      args: { min: 1, max: 2 },
      flags: [
        { name: 'change', short: 'c', type: 'list', valueName: 'list', description: 'Apply Dockerfile instruction to the created image' },
        { name: 'message', short: 'm', type: 'string', valueName: 'string', description: 'Set commit message for imported image' },
        { name: 'platform', type: 'string', valueName: 'string', description: 'Set platform if server is multi-platform capable' },
      ],
    },
    async run(ctx, args) {
      const [source, ref] = args.positionals;
      let tar: Readable;
      if (source === '-') {
        tar = Readable.from(ctx.stdin as AsyncIterable<Buffer>);
      } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
        throw notImplemented(`import from a URL (${source}) is not supported: download the file and import it by path`);
      } else {
        await access(source).catch(() => { throw notFound(`open ${source}: no such file or directory`); });
        tar = createReadStream(source);
      }
      const stream = ctx.client().importImage(tar, { repo: ref, changes: args.list('change'), message: args.string('message'), platform: args.string('platform'), signal: ctx.signal });
      for await (const msg of stream) {
        if (msg.status) ctx.stdout.write(`${msg.status}\n`);
        else if (msg.stream) ctx.stdout.write(msg.stream);
      }
    },
  };
}
