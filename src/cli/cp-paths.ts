import { posix } from 'node:path';
import { JanusError, invalidArgument } from '../core/errors.ts';

/*
 * docker cp's path rules (its archive package's CopyInfo logic), as pure
 * functions: which side is the container, how a source and a destination
 * decide where an archive is extracted and how its top entry is renamed.
 */

/** What is known of one end of a copy. */
export interface CopyInfo {
  /** The path as resolved (symlinks of the destination followed). */
  path: string;
  exists: boolean;
  isDir: boolean;
  /** The name the archive's top entry must take instead of the path's base name (a followed symlink). */
  rebaseName?: string;
}

/** Where to extract an archive, and how to rename its top entry (`from` → `to`) first. */
export interface CopyPlan {
  dstDir: string;
  rebase?: { from: string; to: string };
}

/**
 * Splits a `cp` argument into container and path: `CONTAINER:PATH`, or a
 * local path when it is absolute, has no `:`, or starts with `.`
 * (`./file:with:colons`). Pure.
 */
export function splitCpArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/')) return { path: arg };
  const colon = arg.indexOf(':');
  if (colon < 0 || arg.slice(0, colon).startsWith('.')) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

/** True when `path` names the contents of a directory: it ends in `/.` (or is `.`). */
export function specifiesCurrentDir(path: string): boolean {
  return posix.basename(path) === '.' || path === '.' || path.endsWith('/.');
}

/** True when `path` must be a directory: a trailing `/` or `/.`. */
export function assertsDirectory(path: string): boolean {
  return path.endsWith('/') || specifiesCurrentDir(path);
}

/** docker's SplitPathDirEntry: the parent and the entry, keeping a `/.` entry as `.`. */
export function splitPathDirEntry(path: string): { dir: string; base: string } {
  let cleaned = posix.normalize(path);
  if (cleaned.length > 1) cleaned = cleaned.replace(/\/+$/, '');
  if (specifiesCurrentDir(path)) cleaned = cleaned === '/' ? '/.' : `${cleaned.replace(/\/\.$/, '')}/.`;
  return { dir: posix.dirname(cleaned), base: posix.basename(cleaned) };
}

/**
 * docker's GetRebaseName: when following a symlink changed the last path
 * component, the archive's top entry is renamed back to the name asked
 * for; a trailing `/` or `/.` on the request carries over to the resolved
 * path. Pure.
 */
export function getRebaseName(path: string, resolved: string): { resolved: string; rebaseName?: string } {
  let r = resolved;
  if (specifiesCurrentDir(path) && !specifiesCurrentDir(r)) r += '/.';
  if (path.endsWith('/') && !r.endsWith('/')) r += '/';
  const base = (p: string) => (specifiesCurrentDir(p) ? '.' : posix.basename(p));
  return base(path) !== base(r) ? { resolved: r, rebaseName: base(path) } : { resolved: r };
}

/**
 * docker's PrepareArchiveCopy: given the source (the archive's top entry is
 * its base name, or `.` for `/.`) and the destination, where to extract
 * and what to rename:
 * - an existing directory takes the archive as it is (so `dir` lands as
 *   `dst/dir`, and `dir/.` puts the contents into `dst`);
 * - a directory onto an existing file is refused ("cannot copy a directory
 *   to a file");
 * - otherwise the top entry takes the destination's name in its parent —
 *   unless the destination must be a directory (`dst/`) but does not
 *   exist and the source is a file ("no such directory").
 * Throws InvalidArgument/NotFound with docker's words. Pure.
 */
export function prepareArchiveCopy(src: CopyInfo, dst: CopyInfo, dstDisplay: string): CopyPlan {
  const { dir: dstDir, base: dstBase } = splitPathDirEntry(dst.path);
  const srcBase = src.rebaseName ?? splitPathDirEntry(src.path).base;
  if (dst.exists && dst.isDir) return { dstDir: dst.path };
  if (dst.exists && src.isDir) throw invalidArgument(`cannot copy a directory to a file: ${dstDisplay} is a file`);
  if (!dst.exists && !src.isDir && assertsDirectory(dst.path)) throw new JanusError('NotFound', `no such directory: ${dstDisplay} does not exist`);
  return { dstDir, rebase: { from: srcBase, to: dstBase } };
}

/**
 * An archive entry's name after renaming its top component `from` to `to`
 * (the entry itself and everything under it); a `from` of `.` renames the
 * archive's root. Other entries are left alone. Pure.
 */
export function rebaseEntry(name: string, from: string, to: string): string {
  const trailing = name.endsWith('/') ? '/' : '';
  const n = name.replace(/\/+$/, '').replace(/^\.\/(?=.)/, from === '.' ? './' : '');
  if (from === '.') {
    if (n === '.' || n === '') return `${to}${trailing}`;
    return `${to}/${n.replace(/^\.\//, '')}${trailing}`;
  }
  if (n === from) return `${to}${trailing}`;
  if (n.startsWith(`${from}/`)) return `${to}${n.slice(from.length)}${trailing}`;
  return name;
}
