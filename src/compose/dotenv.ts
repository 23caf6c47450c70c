import { invalidArgument } from '../core/errors.ts';
import { interpolate, InterpolationError } from './interpolate.ts';
import type { VariableLookup } from './interpolate.ts';

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Parses an env file (`.env`, `--env-file`, a service's `env_file:`) as
 * docker compose does: `KEY=VALUE` or `KEY: VALUE` lines, an optional
 * `export ` prefix, `#` comments (inline ones after whitespace in unquoted
 * values), single quotes literal, double quotes with `\n`-style escapes and
 * several lines, `$VAR` interpolation in unquoted and double-quoted values
 * (variables set earlier in the file first, then `lookup`). A bare `KEY` line
 * takes KEY from `lookup` and is skipped when unset. Later keys override
 * earlier ones. Throws InvalidArgument naming `display` and the line.
 */
export function parseDotenv(text: string, display: string, lookup: VariableLookup): Map<string, string> {
  const vars = new Map<string, string>();
  const local: VariableLookup = (name) => vars.get(name) ?? lookup(name);
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (let n = 0; n < lines.length; n++) {
    const lineNo = n + 1;
    let line = lines[n].trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('export ')) line = line.slice(7).trimStart();
    const sep = line.search(/[=:]/);
    const fail = (msg: string) => invalidArgument(`${display}:${lineNo}: ${msg}`);
    if (sep < 0) {
      if (!KEY.test(line)) throw fail(`invalid variable name ${JSON.stringify(line)}`);
      const v = lookup(line);
      if (v !== undefined) vars.set(line, v);
      continue;
    }
    const key = line.slice(0, sep).trim();
    if (!KEY.test(key) || key === '__proto__') throw fail(`invalid variable name ${JSON.stringify(key)}`);
    let rest = line.slice(sep + 1).trimStart();
    let value: string;
    const q = rest[0];
    if (q === "'" || q === '"') {
      // A quoted value may continue over the following lines until its closing quote.
      let body = rest.slice(1);
      let close = findClose(body, q);
      while (close < 0 && n + 1 < lines.length) {
        n++;
        body += '\n' + lines[n];
        close = findClose(body, q);
      }
      if (close < 0) throw fail(`unterminated quoted value for ${key}`);
      const after = body.slice(close + 1).trim();
      if (after !== '' && !after.startsWith('#')) throw fail(`unexpected characters after the quoted value of ${key}`);
      body = body.slice(0, close);
      value = q === "'" ? body : expand(unescape(body), local, fail);
    } else {
      const hash = rest.search(/\s#/);
      if (hash >= 0) rest = rest.slice(0, hash);
      value = expand(rest.trim(), local, fail);
    }
    vars.set(key, value);
  }
  return vars;
}

function findClose(body: string, q: string): number {
  for (let i = 0; i < body.length; i++) {
    if (q === '"' && body[i] === '\\') {
      i++;
      continue;
    }
    if (body[i] === q) return i;
  }
  return -1;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/gs, (_m, c: string) => ({ n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', $: '$$' })[c] ?? `\\${c}`);
}

function expand(s: string, lookup: VariableLookup, fail: (msg: string) => Error): string {
  try {
    return interpolate(s, lookup);
  } catch (err) {
    if (err instanceof InterpolationError) throw fail(err.message);
    throw err;
  }
}
