import { dockerfileError, parseDockerfile, splitWords, type DockerfileDirectives, type Heredoc, type RawInstruction } from './dockerfile-parser.ts';
import { unsignedGoDuration } from '../util/go-duration.ts';

/** An instruction's command: exec form (a JSON array) or shell form (run through the stage's SHELL). */
export type CommandForm = { form: 'exec'; args: string[] } | { form: 'shell'; text: string };

/** HEALTHCHECK's options, durations in nanoseconds (0: docker's default). */
export interface HealthcheckSpec {
  test: CommandForm;
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}

/** What every instruction carries: where it is and how it reads. */
export interface InstructionBase {
  line: number;
  endLine: number;
  /** The instruction on one line, as written (continuations joined): for progress and history. */
  text: string;
}

/** One instruction of a stage, in domain form; words keep their quotes and `$` until the builder expands them. */
export type Instruction = InstructionBase & (
  | { kind: 'RUN'; command: CommandForm; heredocs: Heredoc[]; network?: 'none' | 'host' | 'default' }
  | { kind: 'COPY' | 'ADD'; sources: string[]; dest: string; heredocs: Heredoc[]; from?: string; chown?: string; chmod?: string; link: boolean }
  | { kind: 'ENV' | 'LABEL'; pairs: Array<[string, string]> }
  | { kind: 'ARG'; args: Array<{ name: string; value?: string }> }
  | { kind: 'WORKDIR' | 'USER' | 'STOPSIGNAL'; value: string }
  | { kind: 'MAINTAINER'; value: string }
  | { kind: 'EXPOSE'; ports: string[] }
  | { kind: 'VOLUME'; paths: string[] }
  | { kind: 'CMD' | 'ENTRYPOINT'; command: CommandForm }
  | { kind: 'SHELL'; shell: string[] }
  | { kind: 'HEALTHCHECK'; healthcheck: HealthcheckSpec | 'NONE' }
  | { kind: 'ONBUILD'; trigger: string }
);

/** One `FROM` and what follows it up to the next. */
export interface Stage {
  /** 0-based position among the stages. */
  index: number;
  /** `AS name`, lower-cased as docker does. */
  name?: string;
  /** The base image as written (build args not yet expanded), or `scratch`. */
  base: string;
  /** `--platform`, as written. */
  platform?: string;
  /** The FROM line. */
  from: InstructionBase;
  instructions: Instruction[];
}

/** A whole Dockerfile in domain form. */
export interface Dockerfile {
  directives: DockerfileDirectives;
  /** ARGs before the first FROM: usable in FROM lines, and in a stage after a bare `ARG NAME`. */
  globalArgs: Array<{ name: string; value?: string; line: number }>;
  stages: Stage[];
  warnings: string[];
}

/** Per instruction, the flags it takes (and whether each needs a value). */
const FLAGS: Readonly<Record<string, Readonly<Record<string, 'value' | 'bool'>>>> = {
  FROM: { platform: 'value' },
  RUN: { network: 'value' },
  COPY: { from: 'value', chown: 'value', chmod: 'value', link: 'bool' },
  ADD: { chown: 'value', chmod: 'value', link: 'bool' },
  HEALTHCHECK: { interval: 'value', timeout: 'value', 'start-period': 'value', 'start-interval': 'value', retries: 'value' },
};
/** Flags that exist in docker (BuildKit) but that Janus's builder does not offer, and why. */
const REFUSED_FLAGS: Readonly<Record<string, string>> = {
  'RUN --mount': 'RUN --mount needs BuildKit, which Janus does not offer',
  'RUN --security': 'RUN --security needs BuildKit, which Janus does not offer',
  'COPY --parents': 'COPY --parents needs BuildKit, which Janus does not offer',
  'COPY --exclude': 'COPY --exclude needs BuildKit, which Janus does not offer',
  'ADD --checksum': 'ADD --checksum applies to remote URLs, which Janus cannot fetch (no network access for builds)',
  'ADD --keep-git-dir': 'ADD --keep-git-dir applies to git URLs, which Janus cannot fetch (no network access for builds)',
  'ADD --exclude': 'ADD --exclude needs BuildKit, which Janus does not offer',
};

/**
 * Parses Dockerfile text into stages of typed instructions (see
 * parseDockerfile for the syntax), checking what docker checks before a
 * build starts: the first instruction is FROM (after global ARGs), flags
 * belong to their instruction, argument counts and forms are right,
 * HEALTHCHECK durations and retries are valid, ONBUILD does not chain or
 * trigger FROM, stage names are unique and valid. InvalidArgument with the
 * line number otherwise. Pure.
 */
export function parseDockerfileStages(text: string): Dockerfile {
  const parsed = parseDockerfile(text);
  const escape = parsed.directives.escape;
  const globalArgs: Dockerfile['globalArgs'] = [];
  const stages: Stage[] = [];
  const names = new Set<string>();
  for (const raw of parsed.instructions) {
    const base: InstructionBase = { line: raw.line, endLine: raw.endLine, text: oneLine(raw) };
    const flags = checkFlags(raw);
    if (raw.keyword === 'FROM') {
      const words = splitWords(raw.args, escape);
      let name: string | undefined;
      if (words.length === 3 && words[1]!.toUpperCase() === 'AS') {
        name = words[2]!.toLowerCase();
        if (!/^[a-z][a-z0-9._-]*$/.test(name)) throw dockerfileError(raw.line, `invalid name for build stage: ${JSON.stringify(words[2])}, name can't start with a number or contain symbols`);
        if (names.has(name)) throw dockerfileError(raw.line, `duplicate name ${JSON.stringify(name)}`);
        names.add(name);
      } else if (words.length !== 1) {
        throw dockerfileError(raw.line, 'FROM requires either one or three arguments');
      }
      stages.push({ index: stages.length, ...(name ? { name } : {}), base: words[0]!, ...(flags.platform ? { platform: flags.platform } : {}), from: base, instructions: [] });
      continue;
    }
    const instruction = toInstruction(raw, base, flags, escape);
    const stage = stages[stages.length - 1];
    if (!stage) {
      if (instruction.kind !== 'ARG') throw dockerfileError(raw.line, `no build stage in current context: ${raw.keyword} must come after FROM (only ARG may come first)`);
      for (const a of instruction.args) globalArgs.push({ ...a, line: raw.line });
      continue;
    }
    stage.instructions.push(instruction);
  }
  if (stages.length === 0) throw invalidFile('the Dockerfile has no FROM instruction');
  return { directives: parsed.directives, globalArgs, stages, warnings: parsed.warnings };
}

function invalidFile(message: string) {
  return dockerfileError(1, message);
}

/** The instruction on one line: keyword as written, flags, arguments. */
function oneLine(raw: RawInstruction): string {
  const flags = raw.flags.map((f) => (f.value === undefined ? `--${f.name}` : `--${f.name}=${f.value}`));
  return [raw.keyword, ...flags, raw.args].filter((s) => s !== '').join(' ');
}

function checkFlags(raw: RawInstruction): Record<string, string> {
  const allowed = FLAGS[raw.keyword] ?? {};
  const out: Record<string, string> = {};
  for (const f of raw.flags) {
    const refused = REFUSED_FLAGS[`${raw.keyword} --${f.name}`];
    if (refused) throw dockerfileError(raw.line, refused);
    const kind = allowed[f.name];
    if (!kind) throw dockerfileError(raw.line, `unknown flag: --${f.name} (${raw.keyword} takes ${Object.keys(allowed).map((n) => `--${n}`).join(', ') || 'no flags'})`);
    if (f.name in out) throw dockerfileError(raw.line, `duplicate flag specified: --${f.name}`);
    if (kind === 'value' && (f.value === undefined || f.value === '')) throw dockerfileError(raw.line, `missing a value on flag: --${f.name}`);
    if (kind === 'bool' && f.value !== undefined && !['true', 'false'].includes(f.value.toLowerCase())) {
      throw dockerfileError(raw.line, `expecting boolean value for flag --${f.name}, not: ${f.value}`);
    }
    out[f.name] = kind === 'bool' ? String(f.value === undefined || f.value.toLowerCase() === 'true') : f.value!;
  }
  return out;
}

/** A JSON array of strings, or undefined when the text is not one (then it is shell form). */
export function jsonArray(text: string): string[] | undefined {
  if (!text.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  } catch {
    // not JSON: docker takes it as shell form
  }
  return undefined;
}

function commandOf(text: string): CommandForm {
  const json = jsonArray(text);
  return json ? { form: 'exec', args: json } : { form: 'shell', text };
}

function toInstruction(raw: RawInstruction, base: InstructionBase, flags: Record<string, string>, escape: string): Instruction {
  const fail = (message: string) => dockerfileError(raw.line, message);
  const args = raw.args;
  switch (raw.keyword) {
    case 'RUN': {
      const network = flags.network;
      if (network !== undefined && !['none', 'host', 'default'].includes(network)) throw fail(`RUN --network=${network}: want none, host or default`);
      return { ...base, kind: 'RUN', command: commandOf(args), heredocs: raw.heredocs, ...(network ? { network: network as 'none' | 'host' | 'default' } : {}) };
    }
    case 'COPY':
    case 'ADD': {
      const words = jsonArray(args) ?? splitWords(args, escape);
      if (words.length < 2) throw fail(`${raw.keyword} requires at least two arguments, but only one was provided. Destination could not be determined`);
      return {
        ...base,
        kind: raw.keyword,
        sources: words.slice(0, -1),
        dest: words[words.length - 1]!,
        heredocs: raw.heredocs,
        ...(flags.from ? { from: flags.from } : {}),
        ...(flags.chown ? { chown: flags.chown } : {}),
        ...(flags.chmod ? { chmod: flags.chmod } : {}),
        link: flags.link === 'true',
      };
    }
    case 'ENV':
    case 'LABEL':
      return { ...base, kind: raw.keyword, pairs: nameValues(raw, escape) };
    case 'ARG': {
      const out: Array<{ name: string; value?: string }> = [];
      for (const word of splitWords(args, escape)) {
        const eq = word.indexOf('=');
        const name = eq < 0 ? word : word.slice(0, eq);
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw fail(`invalid ARG name ${JSON.stringify(name)}`);
        out.push(eq < 0 ? { name } : { name, value: word.slice(eq + 1) });
      }
      return { ...base, kind: 'ARG', args: out };
    }
    case 'WORKDIR':
    case 'USER':
    case 'STOPSIGNAL':
    case 'MAINTAINER': {
      if (raw.keyword === 'MAINTAINER') return { ...base, kind: 'MAINTAINER', value: args };
      if (splitWords(args, escape).length !== 1) throw fail(`${raw.keyword} requires exactly one argument`);
      return { ...base, kind: raw.keyword, value: args };
    }
    case 'EXPOSE':
      return { ...base, kind: 'EXPOSE', ports: splitWords(args, escape) };
    case 'VOLUME': {
      const paths = jsonArray(args) ?? splitWords(args, escape);
      if (paths.length === 0 || paths.some((p) => p.trim() === '')) throw fail('VOLUME specified can not be an empty string');
      return { ...base, kind: 'VOLUME', paths };
    }
    case 'CMD':
    case 'ENTRYPOINT':
      return { ...base, kind: raw.keyword, command: commandOf(args) };
    case 'SHELL': {
      const shell = jsonArray(args);
      if (!shell || shell.length === 0) throw fail('SHELL requires the arguments to be in JSON form, e.g. SHELL ["/bin/sh", "-c"]');
      return { ...base, kind: 'SHELL', shell };
    }
    case 'HEALTHCHECK':
      return { ...base, kind: 'HEALTHCHECK', healthcheck: healthcheckOf(raw, flags, fail) };
    case 'ONBUILD': {
      const trigger = (/^\S+/.exec(args)?.[0] ?? '').toUpperCase();
      if (trigger === 'ONBUILD') throw fail('chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (trigger === 'FROM' || trigger === 'MAINTAINER') throw fail(`${trigger} isn't allowed as an ONBUILD trigger`);
      // The trigger must itself parse; it runs in the builds FROM this image.
      try {
        parseDockerfile(args);
      } catch (err) {
        throw fail(`ONBUILD trigger: ${(err as Error).message.replace(/^Dockerfile parse error on line \d+: /, '')}`);
      }
      return { ...base, kind: 'ONBUILD', trigger: args };
    }
    case 'FROM':
      throw fail('FROM is handled by the stage parser');
  }
}

/** ENV/LABEL: `a=b c="d e"`, or the legacy `a b c` (one name, the rest its value). Words keep their quotes. */
function nameValues(raw: RawInstruction, escape: string): Array<[string, string]> {
  const words = splitWords(raw.args, escape);
  const first = words[0]!;
  if (!first.includes('=')) {
    const value = raw.args.slice(raw.args.indexOf(first) + first.length).trim();
    if (value === '') throw dockerfileError(raw.line, `${raw.keyword} names can not be blank: ${raw.keyword} ${first} needs a value (${raw.keyword} name=value)`);
    return [[first, value]];
  }
  return words.map((word) => {
    const eq = word.indexOf('=');
    if (eq < 0) throw dockerfileError(raw.line, `${raw.keyword}: can't find = in ${JSON.stringify(word)}. Must be of the form: name=value`);
    if (eq === 0) throw dockerfileError(raw.line, `${raw.keyword} names can not be blank`);
    return [word.slice(0, eq), word.slice(eq + 1)];
  });
}

function healthcheckOf(raw: RawInstruction, flags: Record<string, string>, fail: (m: string) => Error): HealthcheckSpec | 'NONE' {
  const args = raw.args;
  const m = /^(\S+)\s*([\s\S]*)$/.exec(args);
  const type = (m?.[1] ?? '').toUpperCase();
  if (type === 'NONE') {
    if (m![2] !== '' || raw.flags.length > 0) throw fail('HEALTHCHECK NONE takes no arguments');
    return 'NONE';
  }
  if (type !== 'CMD') throw fail(`Unknown type ${JSON.stringify(m?.[1] ?? '')} in HEALTHCHECK (try CMD)`);
  const rest = m![2]!.trim();
  if (rest === '') throw fail('Missing command after HEALTHCHECK CMD');
  const duration = (name: string): number => {
    const text = flags[name];
    if (text === undefined) return 0;
    const ns = unsignedGoDuration(text);
    if (ns === undefined) throw fail(`invalid --${name} ${JSON.stringify(text)}: want a duration such as 30s or 1m30s`);
    if (ns !== 0 && ns < 1_000_000) throw fail(`Interval ${JSON.stringify(name)} cannot be less than 1ms`);
    return ns;
  };
  let retries = 0;
  if (flags.retries !== undefined) {
    if (!/^\d+$/.test(flags.retries)) throw fail(`invalid --retries ${JSON.stringify(flags.retries)}: want a whole number`);
    retries = Number(flags.retries);
    if (retries < 1) throw fail('--retries cannot be less than 1');
  }
  return {
    test: commandOf(rest),
    interval: duration('interval'),
    timeout: duration('timeout'),
    startPeriod: duration('start-period'),
    startInterval: duration('start-interval'),
    retries,
  };
}
