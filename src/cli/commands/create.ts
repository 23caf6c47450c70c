import { readFile } from 'node:fs/promises';
import type { Command } from '../command.ts';
import { buildContainerConfig } from '../container-config.ts';
import { createContainer } from '../create-container.ts';
import { createFlagSpecs } from '../create-flags.ts';

/** `janus create` / `container create`: makes a container without starting it and prints its ID. */
export function createCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
      description: 'Create a new container',
      aliases: ['container create', 'create'].filter((a) => a !== name),
      args: { min: 1 },
      interspersed: false,
      flags: createFlagSpecs(false),
    },
    async run(ctx, args) {
      const config = await buildContainerConfig('create', args, { env: ctx.env, cwd: process.cwd(), readFile: (p) => readFile(p) });
      const id = await createContainer(ctx, config, name);
      ctx.stdout.write(`${id}\n`);
    },
  };
}
