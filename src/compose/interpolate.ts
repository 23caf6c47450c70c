/** Looks a variable up; undefined when unset. */
export type VariableLookup = (name: string) => string | undefined;

/** Why an interpolation failed: the caller adds the file, line and key path. */
export class InterpolationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InterpolationError';
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Substitutes variables in one compose value the way docker compose does:
 * `$X`, `${X}`, `${X:-d}` / `${X-d}` (default when unset or empty / unset),
 * `${X:?msg}` / `${X?msg}` (error), `${X:+r}` / `${X+r}` (replacement when
 * set), `$$` for a literal `$`. Defaults and replacements are themselves
 * interpolated, so they may nest. An unset variable without a default becomes
 * the empty string and is reported through `onUnset`; a `$` that starts no
 * variable is kept. Throws
 * InterpolationError for a malformed template or a missing required value.
 */
export function interpolate(template: string, lookup: VariableLookup, onUnset?: (name: string) => void): string {
  const [out, end] = scan(template, 0, lookup, onUnset, false);
  if (end !== template.length) throw new InterpolationError(`unexpected "}" in ${JSON.stringify(template)}`);
  return out;
}

/** Scans from `i` to the end, or to the `}` closing a braced expression when `inBraces`; returns the text and where it stopped. */
function scan(s: string, i: number, lookup: VariableLookup, onUnset: ((name: string) => void) | undefined, inBraces: boolean): [string, number] {
  let out = '';
  while (i < s.length) {
    const c = s[i];
    if (c === '}' && inBraces) return [out, i];
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const [value, end] = braced(s, i + 2, lookup, onUnset);
      out += value;
      i = end;
      continue;
    }
    const m = NAME.exec(s.slice(i + 1));
    if (!m) {
      // As in docker compose, a "$" that starts no variable stays as it is ("echo $ 5", "a$").
      out += '$';
      i++;
      continue;
    }
    out += resolve(m[0], lookup, onUnset);
    i += 1 + m[0].length;
  }
  if (inBraces) throw new InterpolationError(`invalid interpolation format in ${JSON.stringify(s)}: "\${" is not closed`);
  return [out, i];
}

function resolve(name: string, lookup: VariableLookup, onUnset: ((name: string) => void) | undefined): string {
  const v = lookup(name);
  if (v === undefined) {
    onUnset?.(name);
    return '';
  }
  return v;
}

/** Evaluates `${...}` starting just after `${`; returns the value and the index after the closing `}`. */
function braced(s: string, i: number, lookup: VariableLookup, onUnset: ((name: string) => void) | undefined): [string, number] {
  const m = NAME.exec(s.slice(i));
  if (!m) throw new InterpolationError(`invalid interpolation format in ${JSON.stringify(s)}: "\${" must be followed by a variable name`);
  const name = m[0];
  i += name.length;
  if (s[i] === '}') return [resolve(name, lookup, onUnset), i + 1];
  let op = '';
  if (s[i] === ':' && (s[i + 1] === '-' || s[i + 1] === '?' || s[i + 1] === '+')) op = s.slice(i, i + 2);
  else if (s[i] === '-' || s[i] === '?' || s[i] === '+') op = s[i];
  else throw new InterpolationError(`invalid interpolation format in ${JSON.stringify(s)}: unexpected ${JSON.stringify(s[i] ?? 'end')} after \${${name}`);
  i += op.length;
  const value = lookup(name);
  const set = value !== undefined;
  const nonEmpty = set && value !== '';
  // The word after the operator is only evaluated when it is used, so a nested ${Y:?} fires only then.
  const used = op === ':-' ? !nonEmpty : op === '-' ? !set : op === ':?' ? !nonEmpty : op === '?' ? !set : op === ':+' ? nonEmpty : set;
  const [word, end] = used ? scan(s, i, lookup, onUnset, true) : [undefined, skipBraced(s, i)];
  if (s[end] !== '}') throw new InterpolationError(`invalid interpolation format in ${JSON.stringify(s)}: "\${" is not closed`);
  if (op === ':?' || op === '?') {
    if (used) throw new InterpolationError(`required variable ${name} is missing a value${word ? `: ${word}` : ''}`);
    return [value as string, end + 1];
  }
  if (op === ':-' || op === '-') return [used ? (word as string) : (value as string), end + 1];
  return [used ? (word as string) : '', end + 1];
}

/** Finds the `}` closing the expression whose word starts at `i` without evaluating it. */
function skipBraced(s: string, i: number): number {
  let depth = 0;
  while (i < s.length) {
    if (s[i] === '$' && s[i + 1] === '$') {
      i += 2;
      continue;
    }
    if (s[i] === '$' && s[i + 1] === '{') {
      depth++;
      i += 2;
      continue;
    }
    if (s[i] === '}') {
      if (depth === 0) return i;
      depth--;
    }
    i++;
  }
  return i;
}
