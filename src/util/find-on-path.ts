import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The path of executable `name` in `PATH` (and the sbin directories a root
 * daemon's PATH may lack), or undefined when it is not installed. For
 * host facts that are optional tools (criu); never throws.
 */
export async function findOnPath(name: string, path = process.env.PATH ?? ''): Promise<string | undefined> {
  const dirs = [...path.split(':').filter(Boolean), '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    const p = join(dir, name);
    if (await access(p, fsConstants.X_OK).then(() => true, () => false)) return p;
  }
  return undefined;
}
