import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { invalidArgument, notFound } from '../../core/errors.ts';
import type { Command } from '../command.ts';
import { ProgressRenderer } from '../progress-renderer.ts';

/** `janus load`: sends a docker-archive or OCI layout tar (`-i FILE` or stdin) and prints what was loaded. */
export function loadCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS]',
      description: 'Load an image from a tar archive or STDIN',
      aliases: ['image load', 'load'].filter((a) => a !== name),
      args: { min: 0, max: 0 },
      flags: [
        { name: 'input', short: 'i', type: 'string', valueName: 'string', description: 'Read from tar archive file, instead of STDIN' },
        { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the load output' },
      ],
    },
    async run(ctx, args) {
      const input = args.string('input');
      let tar: Readable;
      if (input !== undefined) {
        await access(input).catch(() => { throw notFound(`open ${input}: no such file or directory`); });
        tar = createReadStream(input);
      } else {
        if (ctx.stdin.isTTY) throw invalidArgument('requested load from stdin, but stdin is empty');
        tar = Readable.from(ctx.stdin as AsyncIterable<Buffer>);
      }
      const quiet = args.bool('quiet');
      const stream = ctx.client().loadImages(tar, { quiet, signal: ctx.signal });
      await new ProgressRenderer({ out: ctx.stdout, tty: !quiet && ctx.stdout.isTTY === true, columns: ctx.stdout.columns }).consume(stream);
    },
  };
}
