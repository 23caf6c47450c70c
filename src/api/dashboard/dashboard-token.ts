import { randomBytes } from 'node:crypto';
import { chmod, open, readFile } from 'node:fs/promises';

/**
 * The dashboard's token at `path`: read when present, else made (24 random
 * bytes, base64url) and written with mode 0600 from the first moment
 * (O_EXCL, so two daemons racing cannot both write). `created` tells the
 * caller to print it, once. A file readable by others is made private again.
 */
export async function readOrCreateToken(path: string): Promise<{ token: string; created: boolean }> {
  try {
    const token = (await readFile(path, 'utf8')).trim();
    if (/^[A-Za-z0-9_-]{16,}$/.test(token)) {
      await chmod(path, 0o600);
      return { token, created: false };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(24).toString('base64url');
  const file = await open(path, 'wx', 0o600).catch(async (err: NodeJS.ErrnoException) => {
    // A corrupt file: replaced.
    if (err.code !== 'EEXIST') throw err;
    return open(path, 'w', 0o600);
  });
  try {
    await file.writeFile(`${token}\n`);
    await file.chmod(0o600);
  } finally {
    await file.close();
  }
  return { token, created: true };
}
