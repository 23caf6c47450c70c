import { invalidArgument } from '../../../core/errors.ts';

// Flag options, each keyed by the mount flag it sets or clears: a later
// option for the same flag wins (`noexec` then `exec` leaves `exec`).
const FLAG_KEY: Readonly<Record<string, string>> = {
  ro: 'rdonly', rw: 'rdonly', suid: 'nosuid', nosuid: 'nosuid', dev: 'nodev', nodev: 'nodev', exec: 'noexec',
  noexec: 'noexec', sync: 'sync', async: 'sync', dirsync: 'dirsync', mand: 'mand', nomand: 'mand', atime: 'noatime',
  noatime: 'noatime', diratime: 'nodiratime', nodiratime: 'nodiratime', relatime: 'relatime', norelatime: 'relatime',
  strictatime: 'strictatime', nostrictatime: 'strictatime',
  // propagation: one of them
  private: 'propagation', rprivate: 'propagation', shared: 'propagation', rshared: 'propagation',
  slave: 'propagation', rslave: 'propagation', unbindable: 'propagation', runbindable: 'propagation',
};

const DATA_KEYS = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol']);

/**
 * Docker's rule for tmpfs options: later options override earlier ones for
 * the same flag or data key, `defaults` is dropped, and only the options
 * tmpfs understands are accepted (InvalidArgument naming `flag` otherwise).
 * Returns the merged list in the order the survivors were given.
 */
export function mergeTmpfsOptions(options: readonly string[], flag: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = options.length - 1; i >= 0; i--) {
    const option = options[i].trim();
    if (option === 'defaults' || option === '') continue;
    let key = FLAG_KEY[option];
    if (key === undefined) {
      const eq = option.indexOf('=');
      const name = eq < 0 ? option : option.slice(0, eq);
      if (eq < 0 || !DATA_KEYS.has(name)) throw invalidArgument(`invalid ${flag}: invalid tmpfs option ${JSON.stringify(name)}`);
      key = `data:${name}`;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    out.unshift(option);
  }
  return out;
}
