import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

/** The Janus version from the repository's package.json ("unknown" when it cannot be read, which never fails a command). */
export async function readVersion(): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
