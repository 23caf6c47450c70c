import type { Command } from '../command.ts';
import { ProgressRenderer } from '../progress-renderer.ts';

/** `janus image bootstrap NAME` (Janus extension): builds busybox or debian:bookworm from host tools, showing progress. */
export const bootstrapCommand: Command = {
  spec: {
    name: 'image bootstrap',
    usage: 'NAME',
    description: 'Build a base image from host tools, without a network: busybox (from busybox-static) or debian:bookworm (with debootstrap)',
    args: { min: 1, max: 1 },
    flags: [],
  },
  async run(ctx, args) {
    const stream = ctx.client().bootstrapImage(args.positionals[0], { signal: ctx.signal });
    await new ProgressRenderer({ out: ctx.stdout, tty: ctx.stdout.isTTY === true, columns: ctx.stdout.columns }).consume(stream);
  },
};
