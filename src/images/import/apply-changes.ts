import { posix } from 'node:path';
import { invalidArgument, isJanusError } from '../../core/errors.ts';
import type { ContainerDefaults } from '../../core/oci.ts';
import { processWord as dockerfileWord, processWords as dockerfileWords } from '../dockerfile-words.ts';
import { exposedPorts, isSignal } from '../dockerfile-values.ts';

/** The instructions `docker import --change` (and `docker commit --change`) accept. */
export const CHANGE_INSTRUCTIONS = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'] as const;

/** Every Dockerfile instruction, so that a known-but-unsupported one gets a message saying so. */
const DOCKERFILE_INSTRUCTIONS = new Set([
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER',
  'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);
const SUPPORTED = new Set<string>(CHANGE_INSTRUCTIONS);
const DEFAULT_SHELL = ['/bin/sh', '-c'];
/**
 * Applies Dockerfile instructions to image defaults, as `docker import
 * --change` / `docker commit --change` do, and returns the new defaults
 * (`config` is not modified). Each change may hold several lines (with `\`
 * continuations and `#` comments). Follows Dockerfile semantics: exec (JSON)
 * vs shell form for CMD/ENTRYPOINT (shell form runs through `Shell`, default
 * `/bin/sh -c`), ENTRYPOINT clears a CMD not set by an earlier change,
 * `ENV a=b c=d` and legacy `ENV a b c`, quotes and backslash escapes, `$VAR`
 * / `${VAR}` / `${VAR:-x}` / `${VAR:+x}` expansion from the image's Env in
 * ENV, LABEL, EXPOSE, USER, VOLUME, WORKDIR and STOPSIGNAL, relative WORKDIR
 * resolved against the previous one, EXPOSE port ranges. Pure. An unknown or
 * unsupported instruction, or a malformed argument, throws InvalidArgument
 * naming the instruction.
 */
export function applyChanges(config: ContainerDefaults, changes: string[]): ContainerDefaults {
  const out: ContainerDefaults = structuredClone(config);
  let cmdSet = false;
  for (const change of changes) {
    for (const line of instructionLines(change)) {
      const m = /^(\S+)\s*([\s\S]*)$/.exec(line);
      if (!m) continue;
      const keyword = m[1].toUpperCase();
      const rest = m[2].trim();
      const fail = (why: string) => invalidArgument(`invalid change ${JSON.stringify(line)}: ${why}`);
      if (!SUPPORTED.has(keyword)) {
        if (DOCKERFILE_INSTRUCTIONS.has(keyword)) {
          throw invalidArgument(`${keyword} is not supported in a --change (supported: ${CHANGE_INSTRUCTIONS.join(', ')})`);
        }
        throw invalidArgument(`unknown instruction ${JSON.stringify(m[1])} in --change (supported: ${CHANGE_INSTRUCTIONS.join(', ')})`);
      }
      if (rest === '') throw fail(`${keyword} requires at least one argument`);
      const env = envMap(out.Env);
      switch (keyword) {
        case 'CMD':
          out.Cmd = execOrShell(rest, out.Shell);
          cmdSet = true;
          break;
        case 'ENTRYPOINT':
          out.Entrypoint = execOrShell(rest, out.Shell);
          if (!cmdSet) out.Cmd = null;
          break;
        case 'ENV':
          for (const [key, value] of nameValues(rest, env, keyword, fail)) out.Env = setEnv(out.Env ?? [], key, value);
          break;
        case 'LABEL':
          for (const [key, value] of nameValues(rest, env, keyword, fail)) out.Labels = { ...out.Labels, [key]: value };
          break;
        case 'EXPOSE': {
          const ports = { ...out.ExposedPorts };
          for (const word of processWords(rest, env, fail)) for (const p of exposedPorts(word, fail)) ports[p] = {};
          out.ExposedPorts = ports;
          break;
        }
        case 'USER':
          out.User = processWord(rest, env, fail);
          if (out.User === '') throw fail('USER requires a user name');
          break;
        case 'VOLUME': {
          const json = jsonStrings(rest);
          const paths = json ?? processWords(rest, env, fail);
          const volumes = { ...out.Volumes };
          for (const p of paths) {
            if (p.trim() === '') throw fail('a VOLUME path can not be an empty string');
            volumes[p] = {};
          }
          out.Volumes = volumes;
          break;
        }
        case 'WORKDIR': {
          const dir = processWord(rest, env, fail);
          out.WorkingDir = dir.startsWith('/') ? posix.normalize(dir) : posix.join('/', out.WorkingDir ?? '/', dir);
          if (out.WorkingDir.length > 1 && out.WorkingDir.endsWith('/')) out.WorkingDir = out.WorkingDir.slice(0, -1);
          break;
        }
        case 'STOPSIGNAL': {
          const signal = processWord(rest, env, fail);
          if (!isSignal(signal)) throw fail(`invalid signal ${JSON.stringify(signal)}`);
          out.StopSignal = signal;
          break;
        }
        case 'ONBUILD': {
          const trigger = /^(\S+)/.exec(rest)![1].toUpperCase();
          if (trigger === 'ONBUILD') throw fail('chaining ONBUILD via `ONBUILD ONBUILD` is not allowed');
          if (trigger === 'FROM' || trigger === 'MAINTAINER') throw fail(`${trigger} is not allowed as an ONBUILD trigger`);
          if (!DOCKERFILE_INSTRUCTIONS.has(trigger)) throw fail(`unknown ONBUILD trigger instruction ${JSON.stringify(trigger)}`);
          out.OnBuild = [...(out.OnBuild ?? []), rest];
          break;
        }
      }
    }
  }
  return out;
}

/** The logical lines of one change: continuations joined, blank lines and comments dropped. */
function instructionLines(change: string): string[] {
  return change
    .replace(/\\[ \t]*\r?\n/g, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** A JSON array of strings, or undefined when `text` is not one (then it is shell form). */
function jsonStrings(text: string): string[] | undefined {
  if (!text.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  } catch {
    // not JSON: Dockerfile semantics say it is shell form
  }
  return undefined;
}

function execOrShell(text: string, shell: string[] | undefined): string[] {
  return jsonStrings(text) ?? [...(shell ?? DEFAULT_SHELL), text];
}

function envMap(env: string[] | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const e of env ?? []) {
    const i = e.indexOf('=');
    if (i > 0) map.set(e.slice(0, i), e.slice(i + 1));
    else if (i < 0) map.set(e, '');
  }
  return map;
}

function setEnv(env: string[], key: string, value: string): string[] {
  const entry = `${key}=${value}`;
  const i = env.findIndex((e) => e === key || e.startsWith(`${key}=`));
  if (i < 0) return [...env, entry];
  const copy = [...env];
  copy[i] = entry;
  return copy;
}

type Fail = (why: string) => Error;

/** `a=b c="d e"`, or the legacy `a b c` (one name, the rest its value). */
function nameValues(text: string, env: Map<string, string>, keyword: string, fail: Fail): Array<[string, string]> {
  const firstRaw = /^\S+/.exec(text)![0];
  if (!firstRaw.includes('=')) {
    const value = text.slice(firstRaw.length).trim();
    if (value === '') throw fail(`${keyword} needs a value: use ${keyword} name=value`);
    return [[processWord(firstRaw, env, fail), processWord(value, env, fail)]];
  }
  return processWords(text, env, fail).map((word) => {
    const i = word.indexOf('=');
    if (i < 0) throw fail(`can't find = in ${JSON.stringify(word)}: must be of the form name=value`);
    if (i === 0) throw fail(`${keyword} names can not be blank`);
    return [word.slice(0, i), word.slice(i + 1)];
  });
}

/** One word, as a Dockerfile processes it; its errors become `fail`'s, which name the change. */
function processWord(text: string, env: Map<string, string>, fail: Fail): string {
  return asChangeError(() => dockerfileWord(text, env), fail);
}

/** Words split on unquoted whitespace, each processed as `processWord` does. */
function processWords(text: string, env: Map<string, string>, fail: Fail): string[] {
  return asChangeError(() => dockerfileWords(text, env), fail);
}

function asChangeError<T>(fn: () => T, fail: Fail): T {
  try {
    return fn();
  } catch (err) {
    if (isJanusError(err, 'InvalidArgument')) throw fail(err.message);
    throw err;
  }
}
