import { UsageError } from './usage-error.ts';

/** One flag of a command, the way docker (cobra/pflag) declares them. */
export interface FlagSpec {
  /** Long name without dashes: `all` for `--all`. */
  name: string;
  /** One-letter shorthand: `a` for `-a`. */
  short?: string;
  /** `bool` takes no value (`--all`, `--all=false`); `string` one value; `list` repeats (`-c A -c B`). */
  type: 'bool' | 'string' | 'list';
  /** The value's name in help (`string`, `file`). */
  valueName?: string;
  description: string;
  /** A string default; for bool flags, `"true"` makes the flag default to true. */
  default?: string;
}

/** What a command accepts: its name, usage line, flags and how many arguments. */
export interface CommandSpec {
  /** The full command path: `images`, `image ls`. */
  name: string;
  /** The argument part of the usage line: `[OPTIONS] IMAGE [IMAGE...]`. */
  usage: string;
  description: string;
  /** Other full names that run the same command (`image ls`, `image list`). */
  aliases?: string[];
  flags: FlagSpec[];
  /** Number of positional arguments allowed. */
  args: { min: number; max?: number };
  /**
   * false: flags end at the first argument, so the words after it are
   * arguments even when they look like flags (`run IMAGE ls -l`, as
   * docker's commands that take a command line parse). Default true.
   */
  interspersed?: boolean;
}

/** The result of parsing one command line. */
export class ParsedArgs {
  readonly positionals: string[];
  /** True when `-h`/`--help` was given: print help, run nothing. */
  readonly help: boolean;
  readonly #values: Map<string, boolean | string | string[]>;
  readonly #set: Set<string>;

  constructor(values: Map<string, boolean | string | string[]>, set: Set<string>, positionals: string[], help: boolean) {
    this.#values = values;
    this.#set = set;
    this.positionals = positionals;
    this.help = help;
  }

  /** The value of a bool flag (its default when not given). */
  bool(name: string): boolean {
    return this.#values.get(name) === true;
  }

  /** The value of a string flag, or its default, or undefined. */
  string(name: string): string | undefined {
    const v = this.#values.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  /** Every value of a repeatable flag, in order. */
  list(name: string): string[] {
    const v = this.#values.get(name);
    return Array.isArray(v) ? v : [];
  }

  /** True when the flag was given on the command line (not just defaulted). */
  changed(name: string): boolean {
    return this.#set.has(name);
  }
}

const HELP_FLAG: FlagSpec = { name: 'help', short: 'h', type: 'bool', description: 'Print usage' };

/**
 * Parses `argv` (the words after the command name) by docker's rules: flags
 * and arguments may mix; `--` ends the flags; `-` is an argument; shorthands
 * combine (`-aq`), and a value may follow a shorthand directly (`-ofile`) or
 * as the next word; long flags take `--name=value` or `--name value`; bool
 * flags take `--name=false`. Unknown flags, missing values and a wrong number
 * of arguments throw a UsageError naming them (exit 125). With `-h` or
 * `--help` the arguments are not counted, so help always works.
 */
export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const flags = [...spec.flags, helpFlag(spec)];
  const byLong = new Map(flags.map((f) => [f.name, f]));
  const byShort = new Map(flags.filter((f) => f.short).map((f) => [f.short as string, f]));
  const values = new Map<string, boolean | string | string[]>();
  const set = new Set<string>();
  for (const f of flags) {
    if (f.type === 'bool') values.set(f.name, f.default === 'true');
    else if (f.type === 'string' && f.default !== undefined) values.set(f.name, f.default);
    else if (f.type === 'list') values.set(f.name, []);
  }
  const fail = (message: string): never => { throw new UsageError(message, { command: spec.name }); };
  const assign = (f: FlagSpec, value: string | undefined, shown: string): void => {
    set.add(f.name);
    if (f.type === 'bool') {
      if (value === undefined || value === 'true' || value === '1') values.set(f.name, true);
      else if (value === 'false' || value === '0') values.set(f.name, false);
      else fail(`invalid argument "${value}" for "${shown}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`);
      return;
    }
    if (value === undefined) fail(`flag needs an argument: ${shown}`);
    if (f.type === 'string') values.set(f.name, value as string);
    else (values.get(f.name) as string[]).push(value as string);
  };

  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = word.slice(2, eq < 0 ? undefined : eq);
      const f = byLong.get(name);
      if (!f) fail(`unknown flag: --${name}`);
      const flag = f as FlagSpec;
      let value: string | undefined = eq < 0 ? undefined : word.slice(eq + 1);
      if (value === undefined && flag.type !== 'bool') {
        if (i + 1 >= argv.length) fail(`flag needs an argument: --${name}`);
        value = argv[++i];
      }
      assign(flag, value, `--${name}`);
      continue;
    }
    if (word.startsWith('-') && word.length > 1) {
      for (let j = 1; j < word.length; j++) {
        const c = word[j];
        const f = byShort.get(c);
        if (!f) fail(`unknown shorthand flag: '${c}' in ${word}`);
        const flag = f as FlagSpec;
        if (flag.type === 'bool') {
          if (word[j + 1] === '=') {
            assign(flag, word.slice(j + 2), `-${c}, --${flag.name}`);
            break;
          }
          assign(flag, undefined, `-${c}`);
          continue;
        }
        let value = word.slice(j + 1);
        if (value.startsWith('=')) value = value.slice(1);
        else if (value === '') {
          if (i + 1 >= argv.length) fail(`flag needs an argument: '${c}' in -${c}`);
          value = argv[++i];
        }
        assign(flag, value, `-${c}`);
        break;
      }
      continue;
    }
    positionals.push(word);
    if (spec.interspersed === false) {
      positionals.push(...argv.slice(i + 1));
      break;
    }
  }

  const help = values.get('help') === true;
  if (!help) {
    const { min, max } = spec.args;
    const n = positionals.length;
    if (n < min || (max !== undefined && n > max)) {
      let need: string;
      if (max === min) need = `exactly ${min} argument${min === 1 ? '' : 's'}`;
      else if (n < min) need = `at least ${min} argument${min === 1 ? '' : 's'}`;
      else if (max === 0) need = 'no arguments';
      else need = `at most ${max} argument${max === 1 ? '' : 's'}`;
      fail(`"janus ${spec.name}" requires ${need}.`);
    }
  }
  return new ParsedArgs(values, set, positionals, help);
}

/** `-h, --help`, or only `--help` when the command uses `-h` itself (docker's `run -h HOSTNAME`). */
function helpFlag(spec: CommandSpec): FlagSpec {
  return spec.flags.some((f) => f.short === 'h') ? { ...HELP_FLAG, short: undefined } : HELP_FLAG;
}

/** Help text for a command, laid out like docker's. */
export function formatHelp(spec: CommandSpec): string {
  const lines = [`Usage:  janus ${spec.name} ${spec.usage}`.trimEnd(), '', spec.description, ''];
  if (spec.aliases?.length) {
    lines.push('Aliases:', `  ${[spec.name, ...spec.aliases].map((a) => `janus ${a}`).join(', ')}`, '');
  }
  const flags = [...spec.flags, helpFlag(spec)];
  const heads = flags.map((f) => {
    const short = f.short ? `-${f.short}, ` : '    ';
    const value = f.type === 'bool' ? '' : ` ${f.valueName ?? (f.type === 'list' ? 'list' : 'string')}`;
    return `  ${short}--${f.name}${value}`;
  });
  const width = Math.max(...heads.map((h) => h.length)) + 3;
  lines.push('Options:');
  flags.forEach((f, i) => {
    const def = f.default !== undefined && f.type !== 'bool' ? ` (default "${f.default}")` : '';
    lines.push(`${heads[i].padEnd(width)}${`${f.description}${def}`.replace(/\n/g, `\n${' '.repeat(width)}`)}`);
  });
  return `${lines.join('\n')}\n`;
}
