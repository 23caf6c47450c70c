import { invalidArgument, type JanusError } from '../core/errors.ts';

/** Every instruction a Dockerfile may hold (docker's reference). */
export const DOCKERFILE_KEYWORDS = [
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER',
  'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
] as const;

/** One Dockerfile keyword, upper-case. */
export type DockerfileKeyword = (typeof DOCKERFILE_KEYWORDS)[number];

const KEYWORDS: ReadonlySet<string> = new Set(DOCKERFILE_KEYWORDS);
/** Instructions whose `<<WORD` arguments open here-documents (BuildKit's rule; the classic builder has none). */
const HEREDOC_KEYWORDS: ReadonlySet<string> = new Set(['RUN', 'COPY', 'ADD']);

/** The parser directives at the top of a Dockerfile. */
export interface DockerfileDirectives {
  /** `# escape=`: the line-continuation and escape character. */
  escape: '\\' | '`';
  /** `# syntax=`: recorded; Janus always builds with its own frontend. */
  syntax?: string;
}

/** A here-document (`<<EOF` … `EOF`) attached to an instruction. */
export interface Heredoc {
  /** The delimiter word (also the file name for COPY/ADD). */
  name: string;
  /** The body, each line ending in `\n`. */
  content: string;
  /** False for a quoted delimiter (`<<"EOF"`, `<<'EOF'`): no variable expansion. */
  expand: boolean;
  /** `<<-EOF`: leading tabs were stripped from every line. */
  chomp: boolean;
}

/** A `--name=value` (or bare `--name`) flag written before an instruction's arguments. */
export interface InstructionFlag {
  name: string;
  /** Undefined for a bare `--name`. Quotes are kept; the builder expands it. */
  value: string | undefined;
}

/** One instruction as written: keyword, flags and the rest, with where it stands. */
export interface RawInstruction {
  keyword: DockerfileKeyword;
  /** The keyword as written (for messages). */
  written: string;
  flags: InstructionFlag[];
  /** The arguments after the flags, continuation lines joined (escape and newline removed), trimmed. */
  args: string;
  heredocs: Heredoc[];
  /** First and last line (1-based), here-documents included. */
  line: number;
  endLine: number;
}

/** A parsed Dockerfile. */
export interface ParsedDockerfile {
  directives: DockerfileDirectives;
  instructions: RawInstruction[];
  /** Things docker warns about (empty continuation lines), with their line. */
  warnings: string[];
}

/** InvalidArgument in docker's words for a Dockerfile problem at `line`. */
export function dockerfileError(line: number, message: string): JanusError {
  return invalidArgument(`Dockerfile parse error on line ${line}: ${message}`);
}

/**
 * Parses a Dockerfile the way docker's parser does: parser directives
 * (`# syntax=`, `# escape=`) only before anything else, comment lines
 * dropped (also inside continuations), lines continued by the escape
 * character, keywords case-insensitive, flags (`--from=x`) split off, and
 * here-documents read after their instruction for RUN, COPY and ADD.
 * Throws InvalidArgument with the line number for an unknown instruction,
 * an instruction without arguments, a bad escape directive, an unterminated
 * here-document, or a file without any instruction. Pure.
 */
export function parseDockerfile(text: string): ParsedDockerfile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const directives: DockerfileDirectives = { escape: '\\' };
  const warnings: string[] = [];
  const instructions: RawInstruction[] = [];
  let i = 0;

  // Directives: `# key=value` lines at the very top; the first other line ends them.
  const seen = new Set<string>();
  for (; i < lines.length; i++) {
    const m = /^\s*#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$/.exec(lines[i]!);
    if (!m) break;
    const key = m[1]!.toLowerCase();
    if (key !== 'escape' && key !== 'syntax' && key !== 'check') break;
    if (seen.has(key)) throw dockerfileError(i + 1, `only one ${key} parser directive can be used`);
    seen.add(key);
    if (key === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`') throw dockerfileError(i + 1, `invalid escape token '${m[2]}' does not match ` + '` or \\');
      directives.escape = m[2];
    } else if (key === 'syntax') {
      directives.syntax = m[2];
    }
  }
  const escape = directives.escape;

  while (i < lines.length) {
    const first = lines[i]!;
    const trimmed = first.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      i++;
      continue;
    }
    const start = i;
    // Join continuation lines: a line ending in the escape character goes on with the next non-comment line.
    let logical = '';
    let current = first;
    for (;;) {
      const body = current.replace(/[ \t]+$/, '');
      if (body.endsWith(escape)) {
        logical += body.slice(0, -1);
        i++;
        // Skip comment lines and note empty ones inside the continuation.
        while (i < lines.length && (lines[i]!.trim() === '' || lines[i]!.trim().startsWith('#'))) {
          if (lines[i]!.trim() === '') warnings.push(`line ${i + 1}: empty continuation line`);
          i++;
        }
        if (i >= lines.length) break;
        current = lines[i]!;
        continue;
      }
      logical += current;
      i++;
      break;
    }
    const m = /^\s*(\S+)(?:\s+([\s\S]*))?$/.exec(logical);
    const written = m?.[1] ?? '';
    const keyword = written.toUpperCase();
    if (!KEYWORDS.has(keyword)) throw dockerfileError(start + 1, `unknown instruction: ${written}`);
    const rest = (m?.[2] ?? '').trim();
    const { flags, remainder } = splitFlags(rest, escape);
    if (remainder === '' && keyword !== 'HEALTHCHECK') {
      throw dockerfileError(start + 1, `${keyword} requires at least one argument`);
    }
    const heredocs: Heredoc[] = [];
    if (HEREDOC_KEYWORDS.has(keyword)) {
      for (const opener of heredocOpeners(remainder, escape)) {
        const bodyLines: string[] = [];
        let closed = false;
        while (i < lines.length) {
          let line = lines[i]!;
          i++;
          if (opener.chomp) line = line.replace(/^\t+/, '');
          if (line === opener.name) {
            closed = true;
            break;
          }
          bodyLines.push(`${line}\n`);
        }
        if (!closed) throw dockerfileError(start + 1, `unterminated heredoc: no line ${opener.name} after line ${start + 1}`);
        heredocs.push({ ...opener, content: bodyLines.join('') });
      }
    }
    instructions.push({ keyword: keyword as DockerfileKeyword, written, flags, args: remainder, heredocs, line: start + 1, endLine: i });
  }
  if (instructions.length === 0) throw invalidArgument('the Dockerfile (or its file) has no instructions: it must start with FROM');
  return { directives, instructions, warnings };
}

/** Leading `--name[=value]` words (quotes allowed in values); a lone `--` ends them. */
function splitFlags(text: string, escape: string): { flags: InstructionFlag[]; remainder: string } {
  const flags: InstructionFlag[] = [];
  let pos = 0;
  for (;;) {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
    if (!text.startsWith('--', pos)) break;
    const end = wordEnd(text, pos, escape);
    const word = text.slice(pos, end);
    pos = end;
    if (word === '--') break;
    const eq = word.indexOf('=');
    flags.push(eq < 0 ? { name: word.slice(2), value: undefined } : { name: word.slice(2, eq), value: word.slice(eq + 1) });
  }
  return { flags, remainder: text.slice(pos).trim() };
}

/** Index just past the word starting at `pos`: ends at unquoted whitespace; quotes and escapes kept. */
export function wordEnd(text: string, pos: number, escape: string): number {
  let quote: string | undefined;
  let i = pos;
  while (i < text.length) {
    const c = text[i]!;
    if (quote === undefined && /\s/.test(c)) break;
    if (c === escape && quote !== "'" && i + 1 < text.length) {
      i += 2;
      continue;
    }
    if (quote === undefined && (c === '"' || c === "'")) quote = c;
    else if (c === quote) quote = undefined;
    i++;
  }
  return i;
}

/**
 * Splits `text` into whitespace-separated words, quotes and escapes kept
 * (they are processed when the word is expanded). Pure.
 */
export function splitWords(text: string, escape: string): string[] {
  const words: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    if (/\s/.test(text[pos]!)) {
      pos++;
      continue;
    }
    const end = wordEnd(text, pos, escape);
    words.push(text.slice(pos, end));
    pos = end;
  }
  return words;
}

/** The `<<WORD`, `<<-WORD`, `<<"WORD"`, `<<'WORD'` words of an instruction, in order. */
function heredocOpeners(args: string, escape: string): Omit<Heredoc, 'content'>[] {
  if (args.startsWith('[')) return []; // exec form has no here-documents
  const out: Omit<Heredoc, 'content'>[] = [];
  for (const word of splitWords(args, escape)) {
    // `<<EOF` may be glued to a redirection (`cat <<EOF>file`) in a shell command.
    const at = word.indexOf('<<');
    if (at < 0 || word[at + 2] === '<') continue; // none, or a here-string (`<<<`)
    if (word.slice(0, at).includes("'") || word.slice(0, at).includes('"')) continue; // inside a quoted word
    let rest = word.slice(at + 2);
    const chomp = rest.startsWith('-');
    if (chomp) rest = rest.slice(1);
    let expand = true;
    let name: string;
    const q = rest[0];
    if (q === '"' || q === "'") {
      const close = rest.indexOf(q, 1);
      if (close < 0) continue;
      name = rest.slice(1, close);
      expand = false;
    } else {
      const m = /^[A-Za-z0-9_.-]+/.exec(rest);
      if (!m) continue;
      name = m[0];
    }
    if (name === '') continue;
    out.push({ name, expand, chomp });
  }
  return out;
}
