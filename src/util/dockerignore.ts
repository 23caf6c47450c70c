import { posix } from 'node:path';

/** One `.dockerignore` line, compiled. */
interface IgnorePattern {
  /** The cleaned pattern, for messages. */
  text: string;
  /** `!pattern`: brings back what earlier patterns excluded. */
  exclusion: boolean;
  re: RegExp;
}

/**
 * The rules of a `.dockerignore` file, as docker's pattern matcher applies
 * them: one pattern per line, `#` comment lines and blank lines skipped,
 * each pattern cleaned like Go's filepath.Clean with a leading `/`
 * dropped (patterns are relative to the context root); `*` matches within
 * a path element, `?` one character, `[…]` a class, `**` any number of
 * directories (zero included), `\` escapes; `!` makes an exception. A path
 * is excluded when the last pattern matching it — or matching any of its
 * parent directories — is not an exception. Immutable; pure. Shared by the
 * CLI (which leaves excluded files out of the context it sends) and the
 * builder (which applies the rules again to whatever context it gets).
 */
export class DockerIgnore {
  readonly #patterns: readonly IgnorePattern[];

  private constructor(patterns: IgnorePattern[]) {
    this.#patterns = patterns;
  }

  /** Compiles the text of a `.dockerignore` file ('' or undefined: nothing is excluded). */
  static parse(text: string | undefined): DockerIgnore {
    const patterns: IgnorePattern[] = [];
    for (const rawLine of (text ?? '').split(/\r?\n/)) {
      let line = rawLine.trim();
      if (line === '' || line.startsWith('#')) continue;
      let exclusion = false;
      if (line.startsWith('!')) {
        exclusion = true;
        line = line.slice(1).trim();
      }
      let clean = posix.normalize(line);
      if (clean.length > 1 && clean.startsWith('/')) clean = clean.slice(1);
      if (clean.length > 1 && clean.endsWith('/')) clean = clean.slice(0, -1);
      if (clean === '' || clean === '.' || clean === '/') continue;
      patterns.push({ text: clean, exclusion, re: compile(clean) });
    }
    return new DockerIgnore(patterns);
  }

  /** True when there are no patterns. */
  get empty(): boolean {
    return this.#patterns.length === 0;
  }

  /** True when some exception pattern exists: an excluded directory may still hold included files. */
  get hasExceptions(): boolean {
    return this.#patterns.some((p) => p.exclusion);
  }

  /** Whether `path` (relative to the context root, `/`-separated, no leading `/`) is excluded. */
  excludes(path: string): boolean {
    const clean = posix.normalize(path).replace(/^\/+/, '').replace(/\/+$/, '');
    if (clean === '' || clean === '.') return false;
    const parents: string[] = [];
    const parts = clean.split('/');
    for (let i = 1; i < parts.length; i++) parents.push(parts.slice(0, i).join('/'));
    let excluded = false;
    for (const p of this.#patterns) {
      if (p.exclusion !== excluded) continue; // cannot change the answer
      const hit = p.re.test(clean) || parents.some((d) => p.re.test(d));
      if (hit) excluded = !p.exclusion;
    }
    return excluded;
  }

  /**
   * Whether a walk may skip excluded directory `dir` entirely: no exception
   * pattern could bring back anything under it.
   */
  canSkipDir(dir: string): boolean {
    if (!this.excludes(dir)) return false;
    for (const p of this.#patterns) {
      if (!p.exclusion) continue;
      // An exception that names something below `dir`, or uses `**`, may match inside.
      if (p.text.includes('**') || p.text.startsWith(`${dir}/`) || /[*?[\\]/.test(p.text.split('/')[0]!)) return false;
    }
    return true;
  }
}

/** docker's pattern → regular expression translation (patternmatcher's compile). */
function compile(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') i++;
        re += i + 1 >= pattern.length ? '.*' : '(.*/)?';
      } else {
        re += '[^/]*';
      }
    } else if (ch === '?') {
      re += '[^/]';
    } else if (ch === '\\') {
      if (i + 1 < pattern.length) {
        re += escapeRe(pattern[i + 1]!);
        i++;
      } else {
        re += '\\\\';
      }
    } else if (ch === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
      } else {
        let cls = pattern.slice(i + 1, close);
        if (cls.startsWith('^') || cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        re += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else {
      re += escapeRe(ch);
    }
  }
  return new RegExp(`${re}$`, 's');
}

function escapeRe(ch: string): string {
  return /[.+^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch;
}
