import { readFile } from 'node:fs/promises';
import { conflict, isJanusError } from '../core/errors.ts';
import { ScopedRoot } from './container-archive-root.ts';
import type { OverlayLayers } from './container-diff.ts';

/**
 * A running container's file system as its init process sees it:
 * `/proc/<pid>/root`, mounts included. Only the container's root file
 * system and `visibleMounts` (container paths of its volumes, binds, tmpfs
 * and /etc files) are entered, like docker's view. The process is checked
 * to be the container's — its root mount must be the container's overlay —
 * after its root was opened, so a pid reused by another process (the
 * container just stopped) is a Conflict, never a way into someone else's
 * files.
 */
export async function openLiveRoot(pid: number, layers: OverlayLayers, options: { visibleMounts: Iterable<string>; context: string }): Promise<ScopedRoot> {
  const gone = () => conflict(`${options.context} is not running any more`);
  let root: ScopedRoot;
  try {
    root = await ScopedRoot.open(`/proc/${pid}/root`, { visibleMounts: options.visibleMounts, context: options.context });
  } catch (err) {
    if (isJanusError(err)) throw gone();
    throw err;
  }
  try {
    const info = await readFile(`/proc/${pid}/mountinfo`, 'utf8').catch(() => '');
    if (!rootMountMatches(info, layers)) throw gone();
    return root;
  } catch (err) {
    await root.close();
    throw err;
  }
}

/**
 * Whether the mount at `/` in `mountinfo` (a /proc/<pid>/mountinfo) is the
 * container's root file system: an overlay whose upperdir is the
 * container's, or, for a container without image layers, a bind of its
 * directory. Pure.
 */
export function rootMountMatches(mountinfo: string, layers: OverlayLayers): boolean {
  let top: { fstype: string; root: string; superOptions: string } | undefined;
  for (const line of mountinfo.split('\n')) {
    const [left, right] = splitOnce(line, ' - ');
    if (right === undefined) continue;
    const fields = left.split(' ');
    if (fields.length < 5 || unescape(fields[4]!) !== '/') continue;
    const [fstype = '', , superOptions = ''] = right.split(' ');
    top = { fstype, root: unescape(fields[3]!), superOptions };
  }
  if (!top) return false;
  if (top.fstype === 'overlay') {
    return splitOptions(top.superOptions).some((o) => o === `upperdir=${layers.upperDir}`);
  }
  return layers.lowerDirs.length === 0 && top.root !== '/' && layers.upperDir.endsWith(top.root);
}

function splitOnce(text: string, sep: string): [string, string | undefined] {
  const i = text.indexOf(sep);
  return i < 0 ? [text, undefined] : [text.slice(0, i), text.slice(i + sep.length)];
}

/** Mount options split on commas that overlayfs did not escape (`\,` inside a path). */
function splitOptions(text: string): string[] {
  return text.split(/(?<!\\),/).map((o) => unescape(o.replace(/\\,/g, ',')));
}

/** mountinfo's octal escapes (`\040` for a space). */
function unescape(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}
