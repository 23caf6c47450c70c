import type { Command } from '../command.ts';
import { UsageError } from '../usage-error.ts';

/** `janus rename` / `container rename`. */
export function renameCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: 'CONTAINER NEW_NAME',
      description: 'Rename a container',
      aliases: ['container rename', 'rename'].filter((a) => a !== name),
      args: { min: 2, max: 2 },
      flags: [],
    },
    async run(ctx, args) {
      const [container, newName] = args.positionals.map((p) => p.trim());
      if (container === '' || newName === '') throw new UsageError('Neither old nor new names may be empty', { command: name });
      await ctx.client().containerRename(container, newName, { signal: ctx.signal });
    },
  };
}
