import type { AuthConfig } from '../api/client/types.ts';
import type { CliContext } from './command.ts';
import { authKey, splitImageName } from './image-name.ts';

/**
 * The stored credentials for the registry `ref` lives on, as X-Registry-Auth
 * carries them (username/password or identity token), or undefined when the
 * user has not logged in there.
 */
export async function registryAuthFor(ctx: CliContext, ref: string): Promise<AuthConfig | undefined> {
  const key = authKey(splitImageName(ref).registry);
  const stored = await (await ctx.credentials()).get(key);
  if (!stored) return undefined;
  return stored.identitytoken ? { identitytoken: stored.identitytoken } : { username: stored.username, password: stored.password, serveraddress: key };
}
