import { JanusError } from '../core/errors.ts';
import { UsageError } from './usage-error.ts';

/*
 * A Go text/template engine, enough of it for docker's `--format`: text and
 * actions with `{{-`/`-}}` trimming, comments, fields and chained fields,
 * variables (`$`, `$x := …`, `range $i, $e := …`), string/number/bool/nil
 * literals, parenthesised pipelines, pipes, `if`/`else if`/`with`/`range`/
 * `else`/`end`, `break`/`continue`, and Go's builtins plus docker's functions.
 * `define`, `template` and `block` are refused at parse time. Values are
 * decoded JSON (PascalCase wire objects), so a missing map key prints
 * `<no value>` like a Go map, and a field of nothing is an error.
 */

/** When an object holds this symbol, the template prints its value instead of the object (table headers use it). */
export const TEMPLATE_TEXT: unique symbol = Symbol('janus.template.text');

type Fn = (...args: unknown[]) => unknown;

interface Pos { offset: number }

type Arg =
  | ({ kind: 'dot' } & Pos)
  | ({ kind: 'field'; chain: string[] } & Pos)
  | ({ kind: 'var'; name: string; chain: string[] } & Pos)
  | ({ kind: 'ident'; name: string } & Pos)
  | ({ kind: 'literal'; value: unknown } & Pos)
  | ({ kind: 'sub'; pipe: Pipe; chain: string[] } & Pos);

interface Cmd { args: Arg[]; offset: number }
interface Pipe { decl: string[]; assign: boolean; cmds: Cmd[]; offset: number }

interface Control { kind: 'if' | 'with' | 'range'; pipe: Pipe; list: Node[]; elseList: Node[] | undefined; offset: number }

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipe }
  | Control
  | { kind: 'break' | 'continue'; offset: number };

interface Token { type: 'field' | 'var' | 'ident' | 'string' | 'number' | 'char' | '(' | ')' | '|' | ':=' | '=' | ',' | 'dot' | 'end'; text: string; offset: number; value?: unknown }

class BreakSignal { }
class ContinueSignal { }

/** A parsed Go template. Parse once with `GoTemplate.parse`, execute many times. */
export class GoTemplate {
  readonly #source: string;
  readonly #root: Node[];
  readonly #funcs: Record<string, Fn>;

  private constructor(source: string, root: Node[], funcs: Record<string, Fn>) {
    this.#source = source;
    this.#root = root;
    this.#funcs = funcs;
  }

  /**
   * Parses `source`. Throws a UsageError (exit 125) naming the line and
   * column of the first problem, in Go's `template: :LINE:COL: …` shape.
   * `funcs` adds to (or replaces) the built-in functions.
   */
  static parse(source: string, options: { funcs?: Record<string, Fn> } = {}): GoTemplate {
    const funcs = { ...builtinFunctions(), ...options.funcs };
    const parser = new Parser(source, funcs);
    return new GoTemplate(source, parser.parseAll(), funcs);
  }

  /**
   * Executes the template with `data` as dot. Throws an InvalidArgument
   * JanusError naming the position and the action when a value cannot be
   * evaluated (a field of nothing, a wrong argument to a function).
   */
  execute(data: unknown): string {
    const state = new Exec(this.#source, this.#funcs, data);
    return state.run(this.#root, data);
  }
}

function lineCol(source: string, offset: number): string {
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  const col = offset - (before.lastIndexOf('\n') + 1) + 1;
  return `${line}:${col}`;
}

class Parser {
  readonly #src: string;
  readonly #funcs: Record<string, Fn>;
  #pos = 0;
  #tokens: Token[] = [];
  #ti = 0;
  #vars: string[][] = [['$']];

  constructor(src: string, funcs: Record<string, Fn>) {
    this.#src = src;
    this.#funcs = funcs;
  }

  #fail(offset: number, message: string): never {
    throw new UsageError(`template parsing error: template: :${lineCol(this.#src, offset)}: ${message}`);
  }

  parseAll(): Node[] {
    const { list, stop } = this.#parseList();
    if (stop) this.#fail(stop.offset, `unexpected {{${stop.word}}}`);
    return list;
  }

  /** Parses nodes until EOF or an `else`/`end` action, which it returns. */
  #parseList(): { list: Node[]; stop?: { word: 'else' | 'end'; offset: number; tokens: Token[] } } {
    const list: Node[] = [];
    for (;;) {
      const open = this.#src.indexOf('{{', this.#pos);
      if (open < 0) {
        if (this.#pos < this.#src.length) list.push({ kind: 'text', text: this.#src.slice(this.#pos) });
        this.#pos = this.#src.length;
        return { list };
      }
      let text = this.#src.slice(this.#pos, open);
      let inner = open + 2;
      if (this.#src.startsWith('- ', inner) || this.#src.startsWith('-\t', inner) || this.#src.startsWith('-\n', inner)) {
        text = text.replace(/[ \t\r\n]+$/, '');
        inner += 1;
      }
      if (text) list.push({ kind: 'text', text });
      // Comments may not contain "}}" before their "*/".
      const afterWs = skipSpace(this.#src, inner);
      if (this.#src.startsWith('/*', afterWs)) {
        const endComment = this.#src.indexOf('*/', afterWs + 2);
        if (endComment < 0) this.#fail(open, 'unclosed comment');
        let close = skipSpace(this.#src, endComment + 2);
        let trimAfter = false;
        if (this.#src.startsWith('-}}', close)) { trimAfter = true; close += 1; }
        if (!this.#src.startsWith('}}', close)) this.#fail(open, 'comment ends before closing delimiter');
        this.#pos = close + 2;
        if (trimAfter) this.#pos = skipSpace(this.#src, this.#pos);
        continue;
      }
      const { tokens, end, trimAfter } = this.#lexAction(inner, open);
      this.#pos = end;
      if (trimAfter) this.#pos = skipSpace(this.#src, this.#pos);
      this.#tokens = tokens;
      this.#ti = 0;
      const first = tokens[0];
      if (first.type === 'end') this.#fail(open, 'missing value for command');
      if (first.type === 'ident') {
        switch (first.text) {
          case 'end':
            this.#expectEnd(1, 'end');
            return { list, stop: { word: 'end', offset: open, tokens } };
          case 'else':
            return { list, stop: { word: 'else', offset: open, tokens } };
          case 'if': case 'with': case 'range':
            this.#ti = 1;
            list.push(this.#parseControl(first.text, open));
            continue;
          case 'break': case 'continue':
            this.#expectEnd(1, first.text);
            list.push({ kind: first.text, offset: open });
            continue;
          case 'define': case 'template': case 'block':
            this.#fail(open, `{{${first.text}}} is not supported`);
        }
      }
      list.push({ kind: 'action', pipe: this.#parsePipe(open, 'command') });
    }
  }

  #expectEnd(at: number, word: string): void {
    const t = this.#tokens[at];
    if (t.type !== 'end') this.#fail(t.offset, `unexpected ${describe(t)} in ${word}`);
  }

  #parseControl(word: 'if' | 'with' | 'range', offset: number): Node {
    this.#vars.push([]);
    const pipe = this.#parsePipe(offset, word);
    const body = this.#parseList();
    let elseList: Node[] | undefined;
    if (!body.stop) this.#fail(offset, `unexpected EOF: {{${word}}} has no {{end}}`);
    if (body.stop.word === 'else') {
      const toks = body.stop.tokens;
      if (toks[1].type === 'ident' && (toks[1].text === 'if' || toks[1].text === 'with') && word !== 'range') {
        // `{{else if x}}` is `{{else}}{{if x}}…{{end}}{{end}}` sharing one {{end}}.
        this.#tokens = toks;
        this.#ti = 2;
        elseList = [this.#parseControl(toks[1].text, body.stop.offset)];
      } else {
        if (toks[1].type !== 'end') this.#fail(toks[1].offset, `unexpected ${describe(toks[1])} in else`);
        const rest = this.#parseList();
        if (!rest.stop) this.#fail(offset, `unexpected EOF: {{${word}}} has no {{end}}`);
        if (rest.stop.word === 'else') this.#fail(rest.stop.offset, `expected end; found {{else}}`);
        elseList = rest.list;
      }
    }
    this.#vars.pop();
    return { kind: word, pipe, list: body.list, elseList, offset };
  }

  #peek(): Token { return this.#tokens[this.#ti]; }
  #next(): Token { return this.#tokens[this.#ti++]; }

  #parsePipe(offset: number, context: string, closer: 'end' | ')' = 'end'): Pipe {
    const decl: string[] = [];
    let assign = false;
    // Look ahead for `$x :=`, `$x =` or `$i, $e :=`.
    const t0 = this.#tokens[this.#ti];
    const t1 = this.#tokens[this.#ti + 1];
    if (t0?.type === 'var' && t1 && (t1.type === ':=' || t1.type === '=' || t1.type === ',')) {
      if (t1.type === ',') {
        const t2 = this.#tokens[this.#ti + 2];
        const t3 = this.#tokens[this.#ti + 3];
        if (context !== 'range' || t2?.type !== 'var' || (t3?.type !== ':=' && t3?.type !== '=')) this.#fail(t1.offset, `too many declarations in ${context}`);
        decl.push(t0.text, t2.text);
        assign = t3.type === '=';
        this.#ti += 4;
      } else {
        decl.push(t0.text);
        assign = t1.type === '=';
        this.#ti += 2;
      }
      for (const name of decl) {
        if (assign) { if (!this.#known(name)) this.#fail(t0.offset, `undefined variable "${name}"`); }
        else this.#vars[this.#vars.length - 1].push(name);
      }
    }
    const cmds: Cmd[] = [];
    for (;;) {
      const start = this.#peek();
      const args: Arg[] = [];
      while (this.#peek().type !== 'end' && this.#peek().type !== '|' && this.#peek().type !== ')') {
        args.push(this.#parseOperand());
      }
      if (args.length === 0) this.#fail(start.offset, `missing value for ${context}`);
      cmds.push({ args, offset: start.offset });
      const sep = this.#next();
      if (sep.type === '|') continue;
      if (sep.type !== closer) this.#fail(sep.offset, sep.type === ')' ? 'unexpected right paren' : 'unclosed left paren');
      break;
    }
    for (let i = 1; i < cmds.length; i++) {
      const a = cmds[i].args[0];
      if (a.kind === 'literal' || a.kind === 'dot') this.#fail(a.offset, `non executable command in pipeline stage ${i + 1}`);
    }
    return { decl, assign, cmds, offset };
  }

  #known(name: string): boolean {
    return this.#vars.some((scope) => scope.includes(name));
  }

  #parseOperand(): Arg {
    const t = this.#next();
    let arg: Arg;
    switch (t.type) {
      case 'dot': arg = { kind: 'dot', offset: t.offset }; break;
      case 'field': arg = { kind: 'field', chain: t.text.slice(1).split('.'), offset: t.offset }; return arg;
      case 'var': {
        const [name, ...chain] = t.text.split('.');
        if (!this.#known(name)) this.#fail(t.offset, `undefined variable "${name}"`);
        return { kind: 'var', name, chain, offset: t.offset };
      }
      case 'string': case 'number': case 'char': arg = { kind: 'literal', value: t.value, offset: t.offset }; break;
      case 'ident':
        if (t.text === 'true' || t.text === 'false') { arg = { kind: 'literal', value: t.text === 'true', offset: t.offset }; break; }
        if (t.text === 'nil') { arg = { kind: 'literal', value: null, offset: t.offset }; break; }
        if (!(t.text in this.#funcs)) this.#fail(t.offset, `function "${t.text}" not defined`);
        arg = { kind: 'ident', name: t.text, offset: t.offset };
        break;
      case '(': {
        const pipe = this.#parsePipe(t.offset, 'parenthesized pipeline', ')');
        arg = { kind: 'sub', pipe, chain: [], offset: t.offset };
        break;
      }
      default:
        this.#fail(t.offset, `unexpected ${describe(t)} in operand`);
    }
    // A field chain right after an operand: `(.A).B`, `$x.B`.
    const n = this.#peek();
    if (n.type === 'field' && n.offset === this.#tokenEnd(t)) {
      this.#next();
      if (arg.kind === 'sub') arg.chain = n.text.slice(1).split('.');
      else this.#fail(n.offset, `unexpected ${describe(n)} after ${describe(t)}`);
    }
    return arg;
  }

  #tokenEnd(t: Token): number {
    if (t.type === '(') {
      // The matching ')' is the previous token.
      return this.#tokens[this.#ti - 1].offset + 1;
    }
    return t.offset + t.text.length;
  }

  /** Lexes one action starting at `from` (just after `{{` and any `-`). */
  #lexAction(from: number, open: number): { tokens: Token[]; end: number; trimAfter: boolean } {
    const s = this.#src;
    const tokens: Token[] = [];
    let i = from;
    let depth = 0;
    for (;;) {
      if (i >= s.length) this.#fail(open, 'unclosed action');
      const c = s[i];
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
        const j = skipSpace(s, i);
        if (s.startsWith('-}}', j)) {
          if (depth > 0) this.#fail(open, 'unclosed left paren');
          tokens.push({ type: 'end', text: '', offset: j });
          return { tokens, end: j + 3, trimAfter: true };
        }
        i = j;
        continue;
      }
      if (s.startsWith('}}', i)) {
        if (depth > 0) this.#fail(open, 'unclosed left paren');
        tokens.push({ type: 'end', text: '', offset: i });
        return { tokens, end: i + 2, trimAfter: false };
      }
      const start = i;
      if (c === '(') { depth++; tokens.push({ type: '(', text: c, offset: i++ }); continue; }
      if (c === ')') {
        if (depth === 0) this.#fail(i, 'unexpected right paren');
        depth--; tokens.push({ type: ')', text: c, offset: i++ }); continue;
      }
      if (c === '|') { tokens.push({ type: '|', text: c, offset: i++ }); continue; }
      if (c === ',') { tokens.push({ type: ',', text: c, offset: i++ }); continue; }
      if (c === ':' && s[i + 1] === '=') { tokens.push({ type: ':=', text: ':=', offset: i }); i += 2; continue; }
      if (c === '=') { tokens.push({ type: '=', text: '=', offset: i++ }); continue; }
      if (c === '"') {
        let j = i + 1;
        let raw = '';
        while (j < s.length && s[j] !== '"') {
          if (s[j] === '\n') this.#fail(i, 'unterminated quoted string');
          if (s[j] === '\\') { raw += s[j] + (s[j + 1] ?? ''); j += 2; continue; }
          raw += s[j++];
        }
        if (j >= s.length) this.#fail(i, 'unterminated quoted string');
        tokens.push({ type: 'string', text: s.slice(i, j + 1), offset: i, value: this.#unquote(raw, i) });
        i = j + 1;
        continue;
      }
      if (c === '`') {
        const j = s.indexOf('`', i + 1);
        if (j < 0) this.#fail(i, 'unterminated raw quoted string');
        tokens.push({ type: 'string', text: s.slice(i, j + 1), offset: i, value: s.slice(i + 1, j) });
        i = j + 1;
        continue;
      }
      if (c === "'") {
        const m = /^'(\\.|[^'\\])'/.exec(s.slice(i));
        if (!m) this.#fail(i, 'malformed character constant');
        const ch = m[1].startsWith('\\') ? this.#unquote(m[1], i) : m[1];
        tokens.push({ type: 'char', text: m[0], offset: i, value: ch.codePointAt(0) });
        i += m[0].length;
        continue;
      }
      if (c === '.' || c === '$') {
        const m = (c === '.' ? /^(\.[A-Za-z_][A-Za-z0-9_]*)+/ : /^\$[A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/).exec(s.slice(i));
        if (m) {
          tokens.push({ type: c === '.' ? 'field' : 'var', text: m[0], offset: i });
          i += m[0].length;
          continue;
        }
        if (c === '.' && !/[0-9]/.test(s[i + 1] ?? '')) {
          tokens.push({ type: 'dot', text: '.', offset: i++ });
          continue;
        }
      }
      if (/[-+0-9.]/.test(c)) {
        const m = /^[-+]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(\d[\d_]*)?\.?\d*([eE][-+]?\d+)?)/.exec(s.slice(i));
        const text = m?.[0] ?? '';
        const n = Number(text.replace(/_/g, ''));
        if (!text || text === '-' || text === '+' || Number.isNaN(n)) this.#fail(i, `bad number syntax: "${s.slice(i, i + 10).split(/[\s}]/)[0]}"`);
        tokens.push({ type: 'number', text, offset: i, value: n });
        i += text.length;
        continue;
      }
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i));
      if (m) {
        tokens.push({ type: 'ident', text: m[0], offset: start });
        i += m[0].length;
        continue;
      }
      this.#fail(i, `unrecognized character in action: ${JSON.stringify(c)}`);
    }
  }

  #unquote(raw: string, offset: number): string {
    return raw.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (_all, e: string) => {
      switch (e[0]) {
        case 'n': return '\n';
        case 't': return '\t';
        case 'r': return '\r';
        case 'a': return '\x07';
        case 'b': return '\b';
        case 'f': return '\f';
        case 'v': return '\v';
        case '\\': return '\\';
        case '"': return '"';
        case "'": return "'";
        case 'x': case 'u': case 'U': return String.fromCodePoint(parseInt(e.slice(1), 16));
        default:
          if (/^[0-7]{3}$/.test(e)) return String.fromCharCode(parseInt(e, 8));
          return this.#fail(offset, `invalid syntax: unknown escape sequence \\${e}`);
      }
    });
  }
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\r' || s[i] === '\n')) i++;
  return i;
}

function describe(t: Token): string {
  if (t.type === 'end') return 'end of action';
  return `"${t.text}"`;
}

class Exec {
  readonly #src: string;
  readonly #funcs: Record<string, Fn>;
  readonly #vars: Array<Map<string, unknown>>;
  #out = '';

  constructor(src: string, funcs: Record<string, Fn>, root: unknown) {
    this.#src = src;
    this.#funcs = funcs;
    this.#vars = [new Map([['$', root]])];
  }

  run(nodes: Node[], dot: unknown): string {
    this.#walk(nodes, dot);
    return this.#out;
  }

  #fail(offset: number, message: string): never {
    const end = this.#src.indexOf('}}', offset);
    const action = this.#src.slice(offset, end < 0 ? undefined : end).replace(/^\{\{-?\s*/, '').trim();
    throw new JanusError('InvalidArgument', `template: :${lineCol(this.#src, offset)}: executing "" at <${action}>: ${message}`);
  }

  #walk(nodes: Node[], dot: unknown): void {
    for (const node of nodes) {
      switch (node.kind) {
        case 'text': this.#out += node.text; break;
        case 'action': {
          const v = this.#pipe(node.pipe, dot);
          if (node.pipe.decl.length === 0) this.#out += printValue(v);
          break;
        }
        case 'if': case 'with': {
          this.#vars.push(new Map());
          const v = this.#pipe(node.pipe, dot);
          if (truth(v)) this.#walk(node.list, node.kind === 'with' ? v : dot);
          else if (node.elseList) this.#walk(node.elseList, dot);
          this.#vars.pop();
          break;
        }
        case 'range': this.#range(node, dot); break;
        case 'break': throw new BreakSignal();
        case 'continue': throw new ContinueSignal();
      }
    }
  }

  #range(node: Control, dot: unknown): void {
    this.#vars.push(new Map());
    const pipe = { ...node.pipe, decl: [] };
    const v = this.#pipe(pipe, dot);
    let entries: Array<[unknown, unknown]>;
    if (v === null || v === undefined) entries = [];
    else if (Array.isArray(v)) entries = v.map((e, i) => [i, e]);
    else if (v instanceof Map) entries = [...v.entries()].sort((a, b) => compareKeys(a[0], b[0]));
    else if (typeof v === 'number' && Number.isInteger(v)) entries = Array.from({ length: Math.max(0, v) }, (_, i) => [i, i]);
    else if (typeof v === 'object') entries = Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]);
    else this.#fail(node.offset, `range can't iterate over ${printValue(v)}`);
    if (entries.length === 0) {
      if (node.elseList) this.#walk(node.elseList, dot);
      this.#vars.pop();
      return;
    }
    for (const [k, e] of entries) {
      if (node.pipe.decl.length === 1) this.#setVar(node.pipe.decl[0], e, node.pipe.assign);
      if (node.pipe.decl.length === 2) {
        this.#setVar(node.pipe.decl[0], k, node.pipe.assign);
        this.#setVar(node.pipe.decl[1], e, node.pipe.assign);
      }
      try {
        this.#walk(node.list, e);
      } catch (err) {
        if (err instanceof BreakSignal) break;
        if (err instanceof ContinueSignal) continue;
        throw err;
      }
    }
    this.#vars.pop();
  }

  #setVar(name: string, value: unknown, assign: boolean): void {
    if (assign) {
      for (let i = this.#vars.length - 1; i >= 0; i--) {
        if (this.#vars[i].has(name)) { this.#vars[i].set(name, value); return; }
      }
    }
    this.#vars[this.#vars.length - 1].set(name, value);
  }

  #getVar(name: string, offset: number): unknown {
    for (let i = this.#vars.length - 1; i >= 0; i--) {
      if (this.#vars[i].has(name)) return this.#vars[i].get(name);
    }
    return this.#fail(offset, `undefined variable: ${name}`);
  }

  #pipe(pipe: Pipe, dot: unknown): unknown {
    let value: unknown;
    let hasFinal = false;
    for (const cmd of pipe.cmds) {
      value = this.#cmd(cmd, dot, hasFinal, value);
      hasFinal = true;
    }
    if (pipe.decl.length === 1) this.#setVar(pipe.decl[0], value, pipe.assign);
    return value;
  }

  #cmd(cmd: Cmd, dot: unknown, hasFinal: boolean, final: unknown): unknown {
    const [head, ...rest] = cmd.args;
    if (head.kind === 'ident') {
      const fn = this.#funcs[head.name];
      if (head.name === 'and' || head.name === 'or') {
        // Go evaluates and/or lazily, left to right.
        const operands: Array<() => unknown> = rest.map((a) => () => this.#arg(a, dot));
        if (hasFinal) operands.push(() => final);
        if (operands.length === 0) this.#fail(cmd.offset, `wrong number of args for ${head.name}: want at least 1 got 0`);
        let v: unknown;
        for (const op of operands) {
          v = op();
          if (head.name === 'and' ? !truth(v) : truth(v)) return v;
        }
        return v;
      }
      const args = rest.map((a) => this.#arg(a, dot));
      if (hasFinal) args.push(final);
      try {
        return fn(...args);
      } catch (err) {
        if (err instanceof JanusError && err.message.startsWith('template:')) throw err;
        return this.#fail(head.offset, `error calling ${head.name}: ${(err as Error).message}`);
      }
    }
    const value = this.#arg(head, dot);
    // A function-valued field is a method, as in Go: `{{.Label "key"}}` calls it with the arguments.
    if (typeof value === 'function' && head.kind !== 'literal') {
      const args = rest.map((a) => this.#arg(a, dot));
      if (hasFinal) args.push(final);
      try {
        return (value as Fn)(...args);
      } catch (err) {
        return this.#fail(head.offset, `error calling ${this.#src.slice(head.offset, head.offset + 20).split(/[\s|)}]/)[0]}: ${(err as Error).message}`);
      }
    }
    if (rest.length > 0 || hasFinal) this.#fail(cmd.offset, `can't give argument to non-function ${this.#src.slice(head.offset, head.offset + 20).split(/[\s|)}]/)[0]}`);
    return value;
  }

  #arg(a: Arg, dot: unknown): unknown {
    switch (a.kind) {
      case 'dot': return dot;
      case 'literal': return a.value;
      case 'field': return this.#chain(dot, a.chain, a.offset);
      case 'var': return this.#chain(this.#getVar(a.name, a.offset), a.chain, a.offset);
      case 'sub': return this.#chain(this.#pipe(a.pipe, dot), a.chain, a.offset);
      case 'ident': {
        try {
          return this.#funcs[a.name]();
        } catch (err) {
          return this.#fail(a.offset, `error calling ${a.name}: ${(err as Error).message}`);
        }
      }
    }
  }

  #chain(value: unknown, chain: string[], offset: number): unknown {
    let v = value;
    for (const name of chain) {
      if (v === null || v === undefined) this.#fail(offset, `nil pointer evaluating interface {}.${name}`);
      if (v instanceof Map) { v = v.get(name); continue; }
      if (typeof v !== 'object' || Array.isArray(v)) this.#fail(offset, `can't evaluate field ${name} in type ${goType(v)}`);
      v = (v as Record<string, unknown>)[name];
    }
    return v;
  }
}

function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function goType(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  return 'interface {}';
}

/** Go's truth: false, 0, nil and empty strings, slices and maps are false. */
function truth(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (typeof v === 'object' && !(TEMPLATE_TEXT in v)) return Object.keys(v).length > 0;
  return true;
}

/** How Go's fmt prints a value with %v. */
function printValue(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map(printValue).join(' ')}]`;
  if (typeof v === 'object' && TEMPLATE_TEXT in v) return String((v as { [TEMPLATE_TEXT]: unknown })[TEMPLATE_TEXT]);
  if (v instanceof Map) return `map[${[...v.entries()].sort((a, b) => compareKeys(a[0], b[0])).map(([k, e]) => `${printValue(k)}:${printValue(e)}`).join(' ')}]`;
  if (typeof v === 'object') return `map[${Object.keys(v).sort().map((k) => `${k}:${printValue((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  return String(v);
}

function toJson(v: unknown): string {
  if (typeof v === 'object' && v !== null && TEMPLATE_TEXT in v) return JSON.stringify(String((v as { [TEMPLATE_TEXT]: unknown })[TEMPLATE_TEXT]));
  const replacer = (_k: string, x: unknown): unknown => (x instanceof Map ? Object.fromEntries(x) : x);
  return JSON.stringify(v === undefined ? null : v, replacer) ?? 'null';
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : printValue(v);
}

function lengthOf(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (v instanceof Map) return v.size;
  if (v !== null && typeof v === 'object') return Object.keys(v).length;
  throw new Error(`len of type ${goType(v)}`);
}

function indexOf(item: unknown, ...keys: unknown[]): unknown {
  let v = item;
  for (const k of keys) {
    if (v === null || v === undefined) throw new Error('index of untyped nil');
    if (Array.isArray(v) || typeof v === 'string') {
      if (typeof k !== 'number' || !Number.isInteger(k)) throw new Error(`cannot index slice/array with type ${goType(k)}`);
      if (k < 0 || k >= v.length) throw new Error(`index out of range: ${k}`);
      v = typeof v === 'string' ? v.charCodeAt(k) : v[k];
    } else if (v instanceof Map) {
      v = v.get(k);
    } else if (typeof v === 'object') {
      v = (v as Record<string, unknown>)[String(k)];
    } else {
      throw new Error(`can't index item of type ${goType(v)}`);
    }
  }
  return v;
}

function equal(a: unknown, b: unknown): boolean {
  return a === b || (a == null && b == null);
}

function compare(a: unknown, b: unknown): number {
  if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) throw new Error('incompatible types for comparison');
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

/** A subset of Go's fmt.Sprintf: %v %s %d %q %x %X %f %t %%, with flags `-`, `0`, width and precision. */
function sprintf(format: unknown, ...args: unknown[]): string {
  const f = String(format);
  let i = 0;
  return f.replace(/%([-+ 0#]*)(\d+)?(?:\.(\d+))?([vsdqxXftTe%])/g, (all, flags: string, width: string | undefined, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (i >= args.length) return `%!${verb}(MISSING)`;
    const a = args[i++];
    let s: string;
    switch (verb) {
      case 'd': s = typeof a === 'number' ? String(Math.trunc(a)) : `%!d(${goType(a)}=${printValue(a)})`; break;
      case 'f': case 'e': s = typeof a === 'number' ? (verb === 'f' ? a.toFixed(prec ? Number(prec) : 6) : a.toExponential(prec ? Number(prec) : 6)) : `%!${verb}(${goType(a)}=${printValue(a)})`; break;
      case 'q': s = JSON.stringify(text(a)); break;
      case 'x': case 'X': {
        s = typeof a === 'number' ? Math.trunc(a).toString(16) : Buffer.from(text(a)).toString('hex');
        if (verb === 'X') s = s.toUpperCase();
        break;
      }
      case 't': s = typeof a === 'boolean' ? String(a) : `%!t(${goType(a)}=${printValue(a)})`; break;
      case 'T': s = goType(a); break;
      default: s = text(a); if (prec !== undefined && verb === 's') s = s.slice(0, Number(prec));
    }
    void all;
    const w = width ? Number(width) : 0;
    if (s.length < w) {
      if (flags.includes('-')) s = s.padEnd(w);
      else s = s.padStart(w, flags.includes('0') && verb !== 's' && verb !== 'q' ? '0' : ' ');
    }
    return s;
  }) + (i < args.length ? `%!(EXTRA ${args.slice(i).map((a) => `${goType(a)}=${printValue(a)}`).join(', ')})` : '');
}

/** Go's fmt.Sprint: spaces between operands when neither side is a string. */
function sprint(...args: unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += text(a);
  });
  return out;
}

/** Go's builtins and docker's template functions (cli/templates). */
function builtinFunctions(): Record<string, Fn> {
  return {
    and: () => undefined, // evaluated lazily by Exec
    or: () => undefined,
    not: (a) => !truth(a),
    len: (a) => lengthOf(a),
    index: (item, ...keys) => indexOf(item, ...keys),
    slice: (item, from, to) => {
      if (typeof item === 'string' || Array.isArray(item)) return item.slice(Number(from ?? 0), to === undefined ? undefined : Number(to));
      throw new Error(`can't slice item of type ${goType(item)}`);
    },
    eq: (a, ...bs) => {
      if (bs.length === 0) throw new Error('missing argument for comparison');
      return bs.some((b) => equal(a, b));
    },
    ne: (a, b) => !equal(a, b),
    lt: (a, b) => compare(a, b) < 0,
    le: (a, b) => compare(a, b) <= 0,
    gt: (a, b) => compare(a, b) > 0,
    ge: (a, b) => compare(a, b) >= 0,
    print: (...a) => sprint(...a),
    println: (...a) => `${a.map(text).join(' ')}\n`,
    printf: (f, ...a) => sprintf(f, ...a),
    html: (...a) => sprint(...a).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c] as string),
    js: (...a) => JSON.stringify(sprint(...a)).slice(1, -1).replace(/[<>&'=]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`),
    urlquery: (...a) => encodeURIComponent(sprint(...a)),
    // docker's additions
    json: (v) => toJson(v),
    join: (list, sep) => {
      if (!Array.isArray(list)) throw new Error(`join of type ${goType(list)}`);
      return list.map(text).join(text(sep));
    },
    split: (s, sep) => {
      const str = text(s);
      const by = text(sep);
      return by === '' ? [...str] : str.split(by);
    },
    lower: (s) => text(s).toLowerCase(),
    upper: (s) => text(s).toUpperCase(),
    title: (s) => text(s).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, pre: string, ch: string) => pre + ch.toUpperCase()),
    pad: (s, left, right) => `${' '.repeat(Number(left))}${text(s)}${' '.repeat(Number(right))}`,
    truncate: (s, n) => [...text(s)].slice(0, Number(n)).join(''),
  };
}
