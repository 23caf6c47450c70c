import { mkdir, lstat, unlink } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { dirname } from 'node:path';
import { conflict, internal, invalidArgument } from '../core/errors.ts';

/**
 * Makes `path` ready to listen on: creates its directory, and removes a
 * socket left by a daemon that died, but only if nothing answers on it.
 * Conflict when a live server owns it; InvalidArgument when the path is
 * something other than a socket (we never delete a user's file).
 */
export async function prepareSocketPath(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw internal(`cannot inspect socket path ${path}: ${(err as Error).message}`, err);
  }
  if (!st.isSocket()) throw invalidArgument(`${path} exists and is not a socket; refusing to replace it`);
  if (await answers(path)) throw conflict(`another server is listening on ${path}`);
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw internal(`cannot remove stale socket ${path}: ${err.message}`, err);
  });
}

/** True when a connection to the unix socket succeeds within a second. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ path });
    const timer = setTimeout(() => { sock.destroy(); resolve(true); }, 1000);
    sock.once('connect', () => { clearTimeout(timer); sock.destroy(); resolve(true); });
    sock.once('error', () => { clearTimeout(timer); resolve(false); });
  });
}
