import type { Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { invalidArgument } from '../core/errors.ts';
import type { LowerLayers } from '../engine/container-diff-lower.ts';
import type { DockerIgnore } from '../util/dockerignore.ts';

/**
 * A read-only file tree COPY and ADD take files from: the build context or
 * another image's root file system. Paths are relative, `/`-separated,
 * without a leading slash (`''` is the root), and never pass through a
 * symlink (callers resolve them with `resolveInTree`).
 */
export interface SourceTree {
  /** For messages: `build context` or `image X`. */
  readonly what: string;
  /** lstat of `rel`; undefined when absent (or excluded by .dockerignore). */
  lstat(rel: string): Promise<Stats | undefined>;
  /** The names in directory `rel` (excluded ones left out), sorted. */
  children(rel: string): Promise<string[]>;
  /** The host path holding `rel`'s bytes (to read a file or a symlink's target). */
  hostPath(rel: string): Promise<string>;
}

/** The build context, a directory on the host, with its .dockerignore applied. */
export class ContextTree implements SourceTree {
  readonly what = 'build context';
  readonly #root: string;
  readonly #ignore: DockerIgnore;

  constructor(root: string, ignore: DockerIgnore) {
    this.#root = root;
    this.#ignore = ignore;
  }

  async lstat(rel: string): Promise<Stats | undefined> {
    let st: Stats;
    try {
      st = await lstat(join(this.#root, rel));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw err;
    }
    // An excluded directory stays visible while an exception (`!dir/keep`) may bring back something inside it.
    if (rel !== '' && this.#ignore.excludes(rel) && !(st.isDirectory() && !this.#ignore.canSkipDir(rel))) return undefined;
    return st;
  }

  async children(rel: string): Promise<string[]> {
    const names = await readdir(join(this.#root, rel)).catch(() => [] as string[]);
    const visible: string[] = [];
    for (const n of names) if (await this.lstat(rel === '' ? n : `${rel}/${n}`)) visible.push(n);
    return visible.sort(byteOrder);
  }

  async hostPath(rel: string): Promise<string> {
    return join(this.#root, rel);
  }
}

/** An image's root file system, read from its layer directories without mounting. */
export class ImageTree implements SourceTree {
  readonly what: string;
  readonly #layers: LowerLayers;

  constructor(what: string, layers: LowerLayers) {
    this.what = what;
    this.#layers = layers;
  }

  lstat(rel: string): Promise<Stats | undefined> {
    return this.#layers.stat(rel);
  }

  children(rel: string): Promise<string[]> {
    return this.#layers.children(rel).catch(() => []);
  }

  async hostPath(rel: string): Promise<string> {
    const loc = await this.#layers.locate(rel);
    if (!loc) throw invalidArgument(`${this.what}: ${rel} vanished`);
    return loc.path;
  }
}

/** An empty tree (a stage on `scratch` with no layer yet). */
export const EMPTY_TREE: SourceTree = {
  what: 'empty image',
  lstat: async () => undefined,
  children: async () => [],
  hostPath: async (rel) => { throw invalidArgument(`empty image: no ${rel}`); },
};

const MAX_LINKS = 40;

/**
 * `path` resolved in `tree` as if the tree were `/`: `.` and `..` applied
 * (never above the root), symlinks in the middle followed within the tree
 * (absolute targets from the tree's root), and the last one followed when
 * `followLast`. Returns the symlink-free relative path and its lstat
 * (undefined when it does not exist). InvalidArgument after 40 links.
 */
export async function resolveInTree(tree: SourceTree, path: string, followLast: boolean): Promise<{ rel: string; stat: Stats | undefined }> {
  let pending = splitPath(path);
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === '..') {
      done.pop();
      continue;
    }
    const rel = [...done, name].join('/');
    const st = await tree.lstat(rel);
    if (st?.isSymbolicLink() && (pending.length > 0 || followLast)) {
      if (++links > MAX_LINKS) throw invalidArgument(`${tree.what}: too many levels of symbolic links at ${path}`);
      const target = await readlink(await tree.hostPath(rel));
      if (target.startsWith('/')) done.length = 0;
      pending = [...splitPath(target), ...pending];
      continue;
    }
    if (!st && pending.length > 0) return { rel: [...done, name, ...pending.filter((p) => p !== '..')].join('/'), stat: undefined };
    done.push(name);
  }
  const rel = done.join('/');
  return { rel, stat: rel === '' ? await tree.lstat('') : await tree.lstat(rel) };
}

function splitPath(path: string): string[] {
  return path.split('/').filter((p) => p !== '' && p !== '.');
}

/** Sorts names by their bytes, as Go sorts strings. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** True when `text` holds a wildcard of Go's filepath.Match (`*`, `?`, `[`). */
export function hasWildcard(text: string): boolean {
  return /[*?[]/.test(text);
}

/** Go's filepath.Match for one path element, as a regular expression. Pure. */
export function elementPattern(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]!);
    else if (ch === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) throw invalidArgument(`syntax error in pattern ${JSON.stringify(pattern)}`);
      let cls = pattern.slice(i + 1, close);
      if (cls.startsWith('^')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else re += escapeRe(ch);
  }
  return new RegExp(`${re}$`, 's');
}

function escapeRe(ch: string): string {
  return /[.+^${}()|[\]\\/*?]/.test(ch) ? `\\${ch}` : ch;
}

/**
 * The paths of `tree` matching `pattern` (relative, cleaned; wildcards in
 * any element), sorted; directories named by a wildcard are not entered
 * through symlinks. Pure over the tree.
 */
export async function globTree(tree: SourceTree, pattern: string): Promise<string[]> {
  const parts = splitPath(posix.normalize(pattern));
  let current: string[] = [''];
  for (const part of parts) {
    const next: string[] = [];
    for (const base of current) {
      if (!hasWildcard(part)) {
        const rel = base === '' ? part : `${base}/${part}`;
        if (await tree.lstat(rel)) next.push(rel);
        continue;
      }
      const st = base === '' ? await tree.lstat('') : await tree.lstat(base);
      if (base !== '' && !st?.isDirectory()) continue;
      const re = elementPattern(part);
      for (const name of await tree.children(base)) {
        if (re.test(name)) next.push(base === '' ? name : `${base}/${name}`);
      }
    }
    current = next;
  }
  return current.filter((p) => p !== '').sort(byteOrder);
}
