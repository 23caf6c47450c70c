import { invalidArgument } from '../core/errors.ts';

const POWERS: Readonly<Record<string, number>> = { '': 0, k: 1, m: 2, g: 3, t: 4, p: 5 };

/**
 * A memory size as docker's flags take it (go-units RAMInBytes): a
 * non-negative number, optionally with a fraction, then an optional unit
 * `b`, `k`, `m`, `g`, `t` or `p` in powers of 1024, any case, optionally
 * followed by `b` or `ib` (`512m`, `1.5g`, `64MiB`, `1024`). Fractions of a
 * byte are dropped. InvalidArgument with docker's words otherwise
 * (`invalid size: 'lots'`, `invalid suffix: 'x'`). Pure.
 */
export function parseRamSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(.*)$/.exec(text);
  if (!m) throw invalidArgument(`invalid size: '${text}'`);
  const suffix = m[2].replace(/^ /, '').toLowerCase();
  const unit = /^([kmgtp]?)(?:i?b)?$/.exec(suffix) ?? (suffix === 'b' ? ['b', ''] : null);
  if (!unit) throw invalidArgument(`invalid suffix: '${m[2]}'`);
  const bytes = Math.floor(Number(m[1]) * 1024 ** POWERS[unit[1]]);
  if (!Number.isSafeInteger(bytes)) throw invalidArgument(`invalid size: '${text}' is too large`);
  return bytes;
}
