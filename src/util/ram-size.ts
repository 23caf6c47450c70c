/**
 * Memory sizes as docker's flags and compose files write them (go-units
 * RAMInBytes): one parser for both, so `512m` means the same bytes wherever
 * a user writes it.
 */

const POWERS: Readonly<Record<string, number>> = { '': 0, k: 1, m: 2, g: 3, t: 4, p: 5 };

/**
 * A non-negative number, optionally with a fraction, then an optional unit
 * `b`, `k`, `m`, `g`, `t` or `p` in powers of 1024, any case, optionally
 * followed by `b` or `ib` (`512m`, `1.5g`, `64MiB`, `1024`), in bytes;
 * fractions of a byte are dropped. Throws a SyntaxError in docker's words
 * (`invalid size: 'lots'`, `invalid suffix: 'x'`) otherwise; callers give
 * it their error kind. Pure.
 */
export function parseRamSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(.*)$/.exec(text);
  if (!m) throw new SyntaxError(`invalid size: '${text}'`);
  const suffix = m[2]!.replace(/^ /, '').toLowerCase();
  const unit = /^([kmgtp]?)(?:i?b)?$/.exec(suffix) ?? (suffix === 'b' ? ['b', ''] : null);
  if (!unit) throw new SyntaxError(`invalid suffix: '${m[2]}'`);
  const bytes = Math.floor(Number(m[1]) * 1024 ** POWERS[unit[1]!]!);
  if (!Number.isSafeInteger(bytes)) throw new SyntaxError(`invalid size: '${text}' is too large`);
  return bytes;
}

/** parseRamSize, or undefined when `text` is not a size. Pure. */
export function ramSizeOrUndefined(text: string): number | undefined {
  try {
    return parseRamSize(text);
  } catch {
    return undefined;
  }
}
