import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { internal } from '../core/errors.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';

/**
 * The daemon's stable ID (docker's `/info` `ID`), kept in `<root>/engine-id`
 * and made on first start. Call after the root lock is held.
 */
export async function readOrCreateEngineId(root: string): Promise<string> {
  const path = join(root, 'engine-id');
  try {
    const id = (await readFile(path, 'utf8')).trim();
    if (/^[0-9a-f-]{36}$/.test(id)) return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw internal(`cannot read ${path}: ${(err as Error).message}`, err);
  }
  // Missing or corrupted: a new ID is harmless (nothing else refers to it).
  const id = randomUUID();
  await writeFileAtomic(path, `${id}\n`);
  return id;
}
