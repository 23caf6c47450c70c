import { constants as fsc, type Stats } from 'node:fs';
import type { PathStat } from './container-service.ts';

// Go's os.FileMode type bits (docker sends PathStat.mode in this form).
const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;
const MODE_DEVICE = 2 ** 26;
const MODE_NAMED_PIPE = 2 ** 25;
const MODE_SOCKET = 2 ** 24;
const MODE_SETUID = 2 ** 23;
const MODE_SETGID = 2 ** 22;
const MODE_CHAR_DEVICE = 2 ** 21;
const MODE_STICKY = 2 ** 20;

/**
 * Go's os.FileMode of a Unix `st_mode`: permission bits plus Go's own type
 * and special bits (which are not Unix's). Arithmetic, not bitwise: ModeDir
 * is bit 31, which would turn a JavaScript int32 negative. Pure.
 */
export function goFileMode(stMode: number): number {
  let mode = stMode & 0o777;
  switch (stMode & fsc.S_IFMT) {
    case fsc.S_IFDIR: mode += MODE_DIR; break;
    case fsc.S_IFLNK: mode += MODE_SYMLINK; break;
    case fsc.S_IFBLK: mode += MODE_DEVICE; break;
    case fsc.S_IFCHR: mode += MODE_DEVICE + MODE_CHAR_DEVICE; break;
    case fsc.S_IFIFO: mode += MODE_NAMED_PIPE; break;
    case fsc.S_IFSOCK: mode += MODE_SOCKET; break;
  }
  if (stMode & 0o4000) mode += MODE_SETUID;
  if (stMode & 0o2000) mode += MODE_SETGID;
  if (stMode & 0o1000) mode += MODE_STICKY;
  return mode;
}

/** docker's ContainerPathStat of an lstat result, under the name the caller asked for. Pure. */
export function pathStatOf(name: string, st: Stats, linkTarget: string): PathStat {
  return { name, size: st.size, mode: goFileMode(st.mode), mtime: st.mtime, linkTarget };
}

/** Linux's major and minor numbers of a `st_rdev` (glibc's encoding). Pure. */
export function deviceNumbers(rdev: number): { major: number; minor: number } {
  const lo = rdev % 2 ** 32;
  const hi = Math.floor(rdev / 2 ** 32);
  const major = ((lo >>> 8) & 0xfff) + ((hi & 0xfffff000) >>> 0);
  const minor = (lo & 0xff) + ((lo >>> 12) & 0xfff00) + (hi & 0xfff) * 2 ** 20;
  return { major, minor };
}
