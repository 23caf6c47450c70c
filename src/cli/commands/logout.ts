import type { Command } from '../command.ts';
import { normaliseServer } from './login.ts';

/** `janus logout [SERVER]`: forgets the stored credentials; needs no daemon. */
export const logoutCommand: Command = {
  spec: {
    name: 'logout',
    usage: '[SERVER]',
    description: 'Log out from a registry.\nIf no server is specified, the default is defined by the daemon.',
    args: { min: 0, max: 1 },
    flags: [],
  },
  async run(ctx, args) {
    const server = normaliseServer(args.positionals[0]);
    if (await (await ctx.credentials()).erase(server)) ctx.stdout.write(`Removing login credentials for ${server}\n`);
    else ctx.stdout.write(`Not logged in to ${server}\n`);
  },
};
