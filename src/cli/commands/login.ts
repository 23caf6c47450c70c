import { JanusError } from '../../core/errors.ts';
import type { Command } from '../command.ts';
import { authKey } from '../image-name.ts';
import { readAll, readLine } from '../prompt.ts';
import { UsageError } from '../usage-error.ts';

/** The registry as typed (`https://127.0.0.1:5000/`) reduced to the key docker stores it under. */
export function normaliseServer(server: string | undefined): string {
  if (server === undefined) return authKey('docker.io');
  const host = server.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return authKey(host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host);
}

/**
 * `janus login [-u U] [-p P | --password-stdin] [SERVER]`: the daemon checks
 * the credentials with the registry (POST /auth); only then are they stored
 * (config.json, mode 0600). Prompts on a terminal for what is missing.
 */
export const loginCommand: Command = {
  spec: {
    name: 'login',
    usage: '[OPTIONS] [SERVER]',
    description: 'Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.',
    args: { min: 0, max: 1 },
    flags: [
      { name: 'password', short: 'p', type: 'string', valueName: 'string', description: 'Password or Personal Access Token (PAT)' },
      { name: 'password-stdin', type: 'bool', description: 'Take the Password or Personal Access Token (PAT) from stdin' },
      { name: 'username', short: 'u', type: 'string', valueName: 'string', description: 'Username' },
    ],
  },
  async run(ctx, args) {
    const server = normaliseServer(args.positionals[0]);
    let username = args.string('username');
    let password = args.string('password');
    if (args.bool('password-stdin')) {
      if (password !== undefined) throw new UsageError('--password and --password-stdin are mutually exclusive', { command: 'login' });
      if (username === undefined) throw new UsageError('Must provide --username with --password-stdin', { command: 'login' });
      password = (await readAll(ctx)).replace(/\n$/, '').replace(/\r$/, '');
    } else if (password !== undefined) {
      ctx.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    }
    const interactive = ctx.stdin.isTTY === true;
    if (username === undefined) {
      if (!interactive) throw new JanusError('InvalidArgument', 'Cannot perform an interactive login from a non TTY device');
      ctx.stdout.write('Username: ');
      username = (await readLine(ctx))?.trim();
      if (!username) throw new JanusError('InvalidArgument', 'Username is required');
    }
    if (password === undefined) {
      if (!interactive) throw new JanusError('InvalidArgument', 'Cannot perform an interactive login from a non TTY device');
      ctx.stdout.write('Password: ');
      password = await readLine(ctx, { hidden: true });
      if (!password) throw new JanusError('InvalidArgument', 'Password is required');
    }
    const res = await ctx.client().auth({ username, password, serveraddress: server }, { signal: ctx.signal });
    const store = await ctx.credentials();
    await store.set(server, res.IdentityToken ? { username, identitytoken: res.IdentityToken } : { username, password });
    ctx.stderr.write(`WARNING! Your credentials are stored unencrypted in '${store.path}'.\n`);
    ctx.stdout.write(`${res.Status || 'Login Succeeded'}\n`);
  },
};
