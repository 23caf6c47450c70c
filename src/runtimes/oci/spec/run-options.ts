import { invalidArgument } from '../../../core/errors.ts';
import { normalizeCapabilities } from './capabilities.ts';
import { parseSeccompProfile } from './parse-seccomp-profile.ts';
import { parseSecurityOpts } from './security-opts.ts';
import { mergeTmpfsOptions } from './tmpfs-options.ts';

export type { MountPropagation, RunMount, RunOptions, Ulimit } from '../../../core/run-options.ts';
import type { RunOptions } from '../../../core/run-options.ts';

/** Docker's smallest memory limit (6 MiB). */
export const MIN_MEMORY = 6 * 1024 * 1024;

/** The `--ulimit` names Docker accepts. */
export const ULIMIT_NAMES: readonly string[] = [
  'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio',
  'rttime', 'sigpending', 'stack',
];

const SIGNALS = new Set([
  'HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'IOT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE', 'ALRM',
  'TERM', 'STKFLT', 'CHLD', 'CLD', 'CONT', 'STOP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'XCPU', 'XFSZ', 'VTALRM', 'PROF',
  'WINCH', 'IO', 'POLL', 'PWR', 'SYS', 'UNUSED',
]);

/** True when `signal` names a Linux signal the way Docker accepts it (`SIGTERM`, `TERM`, `15`, `SIGRTMIN+3`). */
export function isValidSignal(signal: string): boolean {
  if (/^\d+$/.test(signal)) return Number(signal) >= 1 && Number(signal) <= 64;
  const name = signal.toUpperCase().replace(/^SIG/, '');
  if (SIGNALS.has(name)) return true;
  const rt = /^RTM(IN|AX)([+-](\d+))?$/.exec(name);
  return rt !== null && (rt[3] === undefined || Number(rt[3]) <= 15);
}

// Sysctls that are per network/IPC namespace, the only ones a container may
// set (runc refuses the others).
const NAMESPACED_SYSCTLS = new Set([
  'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax',
  'kernel.shmmni', 'kernel.shm_rmid_forced',
]);

const isInt = (n: number): boolean => Number.isSafeInteger(n);
const isAbs = (p: string): boolean => p.startsWith('/');

/**
 * Checks RunOptions the way `docker run` does before anything is created:
 * InvalidArgument whose message names the flag (`--memory`, `--cap-add`,
 * `--ulimit`, …) and the value at fault; NotImplemented for
 * `--security-opt` values Janus deliberately does not offer. Pure; does
 * not look at the image or the host (buildOciSpec checks what depends on
 * them: the user's existence, host limits).
 */
export function validateRunOptions(run: RunOptions): void {
  for (const [flag, list] of [['command', run.cmd], ['--entrypoint', run.entrypoint]] as const) {
    if (list !== undefined && (!Array.isArray(list) || list.some((a) => typeof a !== 'string'))) {
      throw invalidArgument(`invalid ${flag}: must be a list of strings`);
    }
  }
  for (const e of run.env ?? []) {
    if (typeof e !== 'string' || e === '' || e.startsWith('=') || e.includes('\0')) {
      throw invalidArgument(`invalid --env: invalid environment variable: ${JSON.stringify(e)}`);
    }
  }
  if (run.workingDir !== undefined && run.workingDir !== '' && !isAbs(run.workingDir)) {
    throw invalidArgument(`invalid --workdir: the working directory '${run.workingDir}' is invalid, it needs to be an absolute path`);
  }
  if (run.user !== undefined && run.user !== '') {
    const [u, g] = run.user.split(':');
    if (u === '' || run.user.split(':').length > 2 || g === '' || /\s/.test(run.user)) {
      throw invalidArgument(`invalid --user: ${JSON.stringify(run.user)}: expected uid, uid:gid, name or name:group`);
    }
    for (const part of [u, g]) {
      if (part !== undefined && /^\d+$/.test(part) && Number(part) > 2147483647) {
        throw invalidArgument(`invalid --user: ${JSON.stringify(run.user)}: id ${part} out of range`);
      }
    }
  }
  if (run.hostname !== undefined && (run.hostname.length > 64 || !/^[A-Za-z0-9._-]*$/.test(run.hostname))) {
    throw invalidArgument(`invalid --hostname: ${JSON.stringify(run.hostname)}`);
  }
  if (run.domainname !== undefined && (run.domainname.length > 64 || !/^[A-Za-z0-9._-]*$/.test(run.domainname))) {
    throw invalidArgument(`invalid --domainname: ${JSON.stringify(run.domainname)}`);
  }
  normalizeCapabilities(run.capAdd ?? [], '--cap-add');
  normalizeCapabilities(run.capDrop ?? [], '--cap-drop');
  const security = parseSecurityOpts(run.securityOpt ?? []);
  if (security.seccomp.mode === 'profile') {
    parseSeccompProfile(security.seccomp.json, '(--security-opt seccomp)', { capabilities: [], arch: 'amd64' });
  }
  validateResources(run);
  if (run.stopSignal !== undefined && run.stopSignal !== '' && !isValidSignal(run.stopSignal)) {
    throw invalidArgument(`invalid --stop-signal: invalid signal: ${run.stopSignal}`);
  }
  if (run.stopTimeout !== undefined && !isInt(run.stopTimeout)) {
    throw invalidArgument(`invalid --stop-timeout: ${run.stopTimeout} is not a whole number of seconds`);
  }
  validateMounts(run);
  for (const [key, value] of Object.entries(run.sysctls ?? {})) {
    if (!(NAMESPACED_SYSCTLS.has(key) || key.startsWith('fs.mqueue.') || key.startsWith('net.'))) {
      throw invalidArgument(`invalid --sysctl: ${key} is not a namespaced sysctl and cannot be set in a container`);
    }
    if (typeof value !== 'string') throw invalidArgument(`invalid --sysctl: ${key} needs a string value`);
  }
}

function validateResources(run: RunOptions): void {
  const { memory, memorySwap } = run;
  if (memory !== undefined && memory !== 0) {
    if (!isInt(memory) || memory < 0) throw invalidArgument(`invalid --memory: ${memory}`);
    if (memory < MIN_MEMORY) throw invalidArgument('invalid --memory: minimum memory limit allowed is 6MB');
  }
  if (memorySwap !== undefined && memorySwap !== 0) {
    if (!isInt(memorySwap) || memorySwap < -1) throw invalidArgument(`invalid --memory-swap: ${memorySwap}`);
    if (memorySwap > 0 && !memory) {
      throw invalidArgument('invalid --memory-swap: you should always set the memory limit when using memory-swap');
    }
    if (memorySwap > 0 && memory && memorySwap < memory) {
      throw invalidArgument('invalid --memory-swap: minimum memory-swap limit should be larger than the memory limit (--memory-swap is memory plus swap)');
    }
  }
  if (run.cpus !== undefined && run.cpus !== 0 && (!Number.isFinite(run.cpus) || run.cpus < 0.01)) {
    throw invalidArgument(`invalid --cpus: ${run.cpus}: the smallest value is 0.01`);
  }
  if (run.cpuShares !== undefined && (!isInt(run.cpuShares) || run.cpuShares < 0)) {
    throw invalidArgument(`invalid --cpu-shares: ${run.cpuShares}: value must be a positive integer`);
  }
  if (run.pidsLimit !== undefined && !isInt(run.pidsLimit)) throw invalidArgument(`invalid --pids-limit: ${run.pidsLimit}`);
  if (run.shmSize !== undefined && (!isInt(run.shmSize) || run.shmSize < 0)) throw invalidArgument(`invalid --shm-size: ${run.shmSize}`);
  for (const u of run.ulimits ?? []) {
    if (!ULIMIT_NAMES.includes(u.name)) throw invalidArgument(`invalid --ulimit: invalid ulimit type: ${u.name}`);
    if (!isInt(u.soft) || !isInt(u.hard) || u.soft < -1 || u.hard < -1) {
      throw invalidArgument(`invalid --ulimit ${u.name}: limits must be whole numbers (-1 for unlimited)`);
    }
    const soft = u.soft === -1 ? Infinity : u.soft;
    const hard = u.hard === -1 ? Infinity : u.hard;
    if (soft > hard) throw invalidArgument(`invalid --ulimit ${u.name}: soft limit ${u.soft} is larger than hard limit ${u.hard}`);
  }
}

function validateMounts(run: RunOptions): void {
  const seen = new Set<string>();
  const claim = (destination: string, flag: string): void => {
    if (typeof destination !== 'string' || !isAbs(destination)) {
      throw invalidArgument(`invalid ${flag}: mount destination ${JSON.stringify(destination)} is not an absolute path`);
    }
    const d = destination.replace(/\/+$/, '') || '/';
    if (d === '/') throw invalidArgument(`invalid ${flag}: destination can't be '/'`);
    if (seen.has(d)) throw invalidArgument(`invalid ${flag}: duplicate mount point: ${d}`);
    seen.add(d);
  };
  for (const m of run.mounts ?? []) {
    const flag = m.type === 'tmpfs' ? '--mount type=tmpfs' : '--mount';
    claim(m.destination, flag);
    if (m.type === 'tmpfs') {
      mergeTmpfsOptions(m.tmpfsOptions ?? [], flag);
    } else if (m.type === 'bind' || m.type === 'volume') {
      if (!isAbs(m.source)) throw invalidArgument(`invalid ${flag}: source ${JSON.stringify(m.source)} of ${m.destination} is not an absolute host path`);
    } else {
      throw invalidArgument(`invalid --mount: unsupported mount type ${JSON.stringify((m as { type: unknown }).type)}`);
    }
  }
  for (const [path, options] of Object.entries(run.tmpfs ?? {})) {
    claim(path, '--tmpfs');
    mergeTmpfsOptions(options === '' ? [] : options.split(','), '--tmpfs');
  }
}
