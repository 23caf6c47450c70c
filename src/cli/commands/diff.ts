import type { Command } from '../command.ts';

const KIND = ['C', 'A', 'D'] as const;

/** `janus diff` / `container diff`: what changed in the container's filesystem, `C`/`A`/`D` and the path per line. */
export function diffCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: 'CONTAINER',
      description: "Inspect changes to files or directories on a container's filesystem",
      aliases: ['container diff', 'diff'].filter((a) => a !== name),
      args: { min: 1, max: 1 },
      flags: [],
    },
    async run(ctx, args) {
      const changes = await ctx.client().containerChanges(args.positionals[0], { signal: ctx.signal });
      ctx.stdout.write(changes.map((c) => `${KIND[c.Kind] ?? '?'} ${c.Path}\n`).join(''));
    },
  };
}
