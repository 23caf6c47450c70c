/** The PATH Docker gives a Linux container whose image sets none. */
export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const keyOf = (e: string): string => (e.includes('=') ? e.slice(0, e.indexOf('=')) : e);

/**
 * Replaces entries of `defaults` by key with `overrides`, appends new keys,
 * and removes a key given bare (`KEY` without `=`), as Docker does.
 */
function replaceOrAppend(defaults: readonly string[], overrides: readonly string[]): string[] {
  const out: Array<string | undefined> = [...defaults];
  const index = new Map<string, number>();
  out.forEach((e, i) => index.set(keyOf(e as string), i));
  for (const value of overrides) {
    const key = keyOf(value);
    const at = index.get(key);
    if (!value.includes('=')) {
      if (at !== undefined) out[at] = undefined;
      continue;
    }
    if (at !== undefined) out[at] = value;
    else index.set(key, out.push(value) - 1);
  }
  return out.filter((e): e is string => e !== undefined);
}

/**
 * The environment of a container's process, built as Docker builds it:
 * `PATH` (Docker's default), `HOSTNAME`, `TERM=xterm` with a tty, then the
 * container's Config.Env (the run's env merged over the image's, see
 * mergeConfigEnv), whose keys win.
 */
export function containerProcessEnv(configEnv: readonly string[], options: { hostname: string; tty: boolean }): string[] {
  const base = [DEFAULT_PATH_ENV, `HOSTNAME=${options.hostname}`];
  if (options.tty) base.push('TERM=xterm');
  return replaceOrAppend(base, configEnv);
}

/**
 * A container's Config.Env as `docker inspect` shows it: the run's entries
 * first, then the image's entries whose keys the run does not set.
 */
export function mergeConfigEnv(imageEnv: readonly string[] | undefined, runEnv: readonly string[] | undefined): string[] {
  const run = runEnv ?? [];
  if (run.length === 0) return [...(imageEnv ?? [])];
  const keys = new Set(run.map(keyOf));
  return [...run, ...(imageEnv ?? []).filter((e) => !keys.has(keyOf(e)))];
}
