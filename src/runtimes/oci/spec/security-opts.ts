import { invalidArgument, notImplemented } from '../../../core/errors.ts';

/** How seccomp is set up for a container. */
export type SeccompChoice =
  | { mode: 'default' }
  | { mode: 'unconfined' }
  /** A profile in Docker's JSON format (the Docker CLI sends the file's content). */
  | { mode: 'profile'; json: string };

/** What `--security-opt` values mean for Janus. */
export interface SecurityOptions {
  seccomp: SeccompChoice;
  noNewPrivileges: boolean;
}

/**
 * Reads Docker's `--security-opt` values: `seccomp=unconfined|builtin|<JSON>`,
 * `no-new-privileges[=|:true|false]`. `apparmor=unconfined` and
 * `label=disable` are accepted because Janus applies neither AppArmor nor
 * SELinux; any other `apparmor`/`label` value is NotImplemented rather than
 * silently ignored. Anything else is InvalidArgument naming the value. The
 * JSON of a profile is checked later, by parseSeccompProfile.
 */
export function parseSecurityOpts(opts: readonly string[]): SecurityOptions {
  const out: SecurityOptions = { seccomp: { mode: 'default' }, noNewPrivileges: false };
  for (const opt of opts) {
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    if (opt === 'disable') continue; // the old spelling of label=disable
    const sep = opt.includes('=') ? '=' : opt.includes(':') ? ':' : undefined;
    if (sep === undefined) throw invalidArgument(`invalid --security-opt: ${JSON.stringify(opt)}`);
    const at = opt.indexOf(sep);
    const key = opt.slice(0, at);
    const value = opt.slice(at + 1);
    switch (key) {
      case 'seccomp':
        if (value === 'unconfined') out.seccomp = { mode: 'unconfined' };
        else if (value === 'builtin' || value === 'default') out.seccomp = { mode: 'default' };
        else if (value.trim() === '') throw invalidArgument('invalid --security-opt: seccomp needs a value (unconfined or a profile)');
        else out.seccomp = { mode: 'profile', json: value };
        break;
      case 'no-new-privileges':
        if (value === 'true' || value === '1') out.noNewPrivileges = true;
        else if (value === 'false' || value === '0') out.noNewPrivileges = false;
        else throw invalidArgument(`invalid --security-opt: ${JSON.stringify(opt)}: no-new-privileges takes true or false`);
        break;
      case 'apparmor':
        if (value !== 'unconfined') throw notImplemented(`--security-opt ${opt}: Janus does not apply AppArmor profiles`);
        break;
      case 'label':
        if (value !== 'disable') throw notImplemented(`--security-opt ${opt}: Janus does not apply SELinux labels`);
        break;
      default:
        throw invalidArgument(`invalid --security-opt: ${JSON.stringify(opt)}`);
    }
  }
  return out;
}
