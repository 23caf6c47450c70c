import { invalidArgument } from '../core/errors.ts';

/** Variables visible to an instruction: its stage's ENV over its ARGs in scope. */
export type Variables = ReadonlyMap<string, string>;

/**
 * Docker's Dockerfile word processing for one word (or, with `split`, a
 * text of words): `'…'` literal; `"…"` where the escape character escapes
 * `"`, itself and `$`, and variables expand; outside quotes the escape
 * character takes the next character literally; `$VAR`, `${VAR}`,
 * `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`, `${VAR+word}`,
 * `${VAR:?message}`, `${VAR?message}` expand from `vars` (unset: empty).
 * InvalidArgument for unmatched quotes, a missing `}`, a bad substitution
 * or a `?` whose variable is unset. Pure.
 */
export function processWord(text: string, vars: Variables, escape: string = '\\'): string {
  return lex(text, vars, escape, false).join('');
}

/** Like processWord, but splits on unquoted whitespace into several words (empty results of expansion are kept only when quoted). Pure. */
export function processWords(text: string, vars: Variables, escape: string = '\\'): string[] {
  return lex(text, vars, escape, true);
}

function lex(text: string, vars: Variables, escape: string, split: boolean): string[] {
  const fail = (why: string) => invalidArgument(`${why} in ${JSON.stringify(text)}`);
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;

  const expand = (): string => {
    // text[i] === '$'
    const next = text[i + 1];
    if (next === '{') {
      let depth = 1;
      let j = i + 2;
      for (; j < text.length; j++) {
        if (text[j] === escape) { j++; continue; }
        if (text[j] === '{') depth++;
        else if (text[j] === '}' && --depth === 0) break;
      }
      if (j >= text.length) throw fail("missing '}'");
      const body = text.slice(i + 2, j);
      i = j + 1;
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])([\s\S]*))?$/.exec(body);
      if (!m) throw fail(`bad substitution \${${body}}`);
      const [, name, op, arg = ''] = m;
      const value = vars.get(name!);
      const set = op?.startsWith(':') ? value !== undefined && value !== '' : value !== undefined;
      switch (op) {
        case undefined: return value ?? '';
        case ':-': case '-': return set ? value! : processWord(arg, vars, escape);
        case ':+': case '+': return set ? processWord(arg, vars, escape) : '';
        default:
          if (!set) throw invalidArgument(`${name}: ${arg ? processWord(arg, vars, escape) : 'is not allowed to be unset'}`);
          return value!;
      }
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (!m) {
      i++;
      return '$';
    }
    i += 1 + m[0].length;
    return vars.get(m[0]) ?? '';
  };

  while (i < text.length) {
    const ch = text[i]!;
    if (split && /\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    if (ch === "'") {
      inWord = true;
      const close = text.indexOf("'", i + 1);
      if (close < 0) throw fail("unmatched '");
      word += text.slice(i + 1, close);
      i = close + 1;
    } else if (ch === '"') {
      inWord = true;
      i++;
      for (;;) {
        if (i >= text.length) throw fail('unmatched "');
        const c = text[i]!;
        if (c === '"') {
          i++;
          break;
        }
        if (c === escape && i + 1 < text.length && ['"', escape, '$'].includes(text[i + 1]!)) {
          word += text[i + 1];
          i += 2;
        } else if (c === '$') {
          word += expand();
        } else {
          word += c;
          i++;
        }
      }
    } else if (ch === escape) {
      inWord = true;
      if (i + 1 < text.length) word += text[i + 1];
      i += 2;
    } else if (ch === '$') {
      const value = expand();
      if (value !== '') inWord = true;
      word += value;
    } else {
      inWord = true;
      word += ch;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * Expands `$NAME` and `${NAME}` (with docker's `:-`, `-`, `:+`, `+`
 * modifiers) in free text such as a here-document's body, leaving quotes
 * and everything else as they are; `\$` stays a literal `$`. Pure.
 */
export function expandVariables(text: string, vars: Variables): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '\\' && text[i + 1] === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (ch !== '$') {
      out += ch;
      i++;
      continue;
    }
    if (text[i + 1] === '{') {
      const close = text.indexOf('}', i + 2);
      if (close > 0) {
        try {
          out += processWord(text.slice(i, close + 1), vars, '\\');
          i = close + 1;
          continue;
        } catch {
          // not a substitution docker knows: keep the text
        }
      }
      out += ch;
      i++;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (!m) {
      out += ch;
      i++;
      continue;
    }
    out += vars.get(m[0]) ?? '';
    i += 1 + m[0].length;
  }
  return out;
}
