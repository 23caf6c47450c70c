import { posix } from 'node:path';
import { invalidArgument } from '../core/errors.ts';
import type { ContainerDefaults, HealthConfig } from '../core/oci.ts';
import type { CommandForm, Instruction } from './dockerfile.ts';
import { processWord, processWords, type Variables } from '../images/dockerfile-words.ts';
import { exposedPorts, isSignal } from '../images/dockerfile-values.ts';

/** The shell of shell-form commands unless SHELL says otherwise. */
export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];

/** What a stage remembers between instructions besides the image config. */
export interface StageFlags {
  /** A CMD was given in this stage (then ENTRYPOINT keeps it; otherwise ENTRYPOINT clears the inherited one). */
  cmdSet: boolean;
}

/** The instructions that change only the image config (no layer, no container). */
export type ConfigInstruction = Extract<Instruction, { kind: 'ENV' | 'LABEL' | 'WORKDIR' | 'USER' | 'EXPOSE' | 'VOLUME' | 'CMD' | 'ENTRYPOINT' | 'SHELL' | 'HEALTHCHECK' | 'STOPSIGNAL' | 'ONBUILD' }>;

/** True for an instruction `applyConfigInstruction` handles. */
export function isConfigInstruction(i: Instruction): i is ConfigInstruction {
  return ['ENV', 'LABEL', 'WORKDIR', 'USER', 'EXPOSE', 'VOLUME', 'CMD', 'ENTRYPOINT', 'SHELL', 'HEALTHCHECK', 'STOPSIGNAL', 'ONBUILD'].includes(i.kind);
}

/** The variables an instruction sees: ARGs in scope with a value, under the config's ENV (ENV wins). Pure. */
export function variablesOf(config: ContainerDefaults, args: ReadonlyMap<string, string | undefined>): Map<string, string> {
  const vars = new Map<string, string>();
  for (const [k, v] of args) if (v !== undefined) vars.set(k, v);
  for (const e of config.Env ?? []) {
    const eq = e.indexOf('=');
    if (eq > 0) vars.set(e.slice(0, eq), e.slice(eq + 1));
  }
  return vars;
}

/** `KEY=VALUE` set in an Env list, replacing an earlier KEY in place. Pure. */
export function setEnv(env: readonly string[] | undefined, key: string, value: string): string[] {
  const out = [...(env ?? [])];
  const i = out.findIndex((e) => e === key || e.startsWith(`${key}=`));
  if (i < 0) out.push(`${key}=${value}`);
  else out[i] = `${key}=${value}`;
  return out;
}

/** A command in the image's terms: exec form as given, shell form through `shell`. Pure. */
export function commandArgs(command: CommandForm, shell: readonly string[] | undefined): string[] {
  return command.form === 'exec' ? [...command.args] : [...(shell ?? DEFAULT_SHELL), command.text];
}

/**
 * Applies one config-only instruction to `config` as docker's builder
 * does, expanding words from `vars` (with the Dockerfile's escape
 * character) where docker expands them: ENV, LABEL, WORKDIR (relative to
 * the previous one), USER, EXPOSE (ranges, default tcp), VOLUME,
 * STOPSIGNAL; never in CMD, ENTRYPOINT, SHELL, HEALTHCHECK or ONBUILD.
 * ENTRYPOINT clears a CMD inherited from the base image. Returns the new
 * config; `config` and `flags` are not modified (the new flags are
 * returned too). InvalidArgument naming the line for a bad value.
 */
export function applyConfigInstruction(
  config: ContainerDefaults,
  i: ConfigInstruction,
  vars: Variables,
  escape: string,
  flags: StageFlags,
): { config: ContainerDefaults; flags: StageFlags } {
  const out: ContainerDefaults = structuredClone(config);
  const next: StageFlags = { ...flags };
  const fail = (why: string) => invalidArgument(`Dockerfile line ${i.line}: ${i.kind}: ${why}`);
  const word = (text: string) => {
    try {
      return processWord(text, vars, escape);
    } catch (err) {
      throw fail((err as Error).message);
    }
  };
  switch (i.kind) {
    case 'ENV': {
      // Each pair sees the ones before it on the same line, as in docker.
      const local = new Map(vars);
      for (const [k, v] of i.pairs) {
        const key = processWord(k, local, escape);
        const value = processWord(v, local, escape);
        if (key === '') throw fail('ENV names can not be blank');
        out.Env = setEnv(out.Env, key, value);
        local.set(key, value);
      }
      break;
    }
    case 'LABEL':
      for (const [k, v] of i.pairs) {
        const key = word(k);
        if (key === '') throw fail('LABEL names can not be blank');
        out.Labels = { ...out.Labels, [key]: word(v) };
      }
      break;
    case 'WORKDIR': {
      const dir = word(i.value);
      if (dir === '') throw fail('cannot normalize nothing');
      let path = dir.startsWith('/') ? posix.normalize(dir) : posix.join('/', out.WorkingDir || '/', dir);
      if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
      out.WorkingDir = path;
      break;
    }
    case 'USER': {
      const user = word(i.value);
      if (user === '') throw fail('USER requires a user name');
      out.User = user;
      break;
    }
    case 'EXPOSE': {
      const ports = { ...out.ExposedPorts };
      for (const raw of i.ports) for (const w of processWords(raw, vars, escape)) for (const p of exposedPorts(w, fail)) ports[p] = {};
      out.ExposedPorts = ports;
      break;
    }
    case 'VOLUME': {
      const volumes = { ...out.Volumes };
      for (const raw of i.paths) {
        const path = word(raw);
        if (path.trim() === '') throw fail('VOLUME specified can not be an empty string');
        volumes[path] = {};
      }
      out.Volumes = volumes;
      break;
    }
    case 'CMD':
      out.Cmd = commandArgs(i.command, out.Shell);
      next.cmdSet = true;
      break;
    case 'ENTRYPOINT':
      out.Entrypoint = commandArgs(i.command, out.Shell);
      if (!flags.cmdSet) out.Cmd = null;
      break;
    case 'SHELL':
      out.Shell = [...i.shell];
      break;
    case 'HEALTHCHECK': {
      if (i.healthcheck === 'NONE') {
        out.Healthcheck = { Test: ['NONE'] };
        break;
      }
      const h = i.healthcheck;
      const test = h.test.form === 'exec' ? ['CMD', ...h.test.args] : ['CMD-SHELL', h.test.text];
      const hc: HealthConfig = { Test: test };
      if (h.interval) hc.Interval = h.interval;
      if (h.timeout) hc.Timeout = h.timeout;
      if (h.startPeriod) hc.StartPeriod = h.startPeriod;
      if (h.startInterval) hc.StartInterval = h.startInterval;
      if (h.retries) hc.Retries = h.retries;
      out.Healthcheck = hc;
      break;
    }
    case 'STOPSIGNAL': {
      const signal = word(i.value);
      if (!isSignal(signal)) throw fail(`Invalid signal: ${signal}`);
      out.StopSignal = signal;
      break;
    }
    case 'ONBUILD':
      out.OnBuild = [...(out.OnBuild ?? []), i.trigger];
      break;
  }
  return { config: out, flags: next };
}

