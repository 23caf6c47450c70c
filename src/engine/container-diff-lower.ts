import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** True for an overlay whiteout: a character device 0:0. */
export function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/**
 * The image's root file system as overlayfs would merge it, read straight
 * from the layer directories (top first) without mounting: a name is looked
 * up in each layer in turn until one has it; a whiteout hides it below; a
 * non-directory ends the merge of that path; an opaque directory
 * (`trusted.overlay.opaque=y`, given per layer as relative paths) hides the
 * layers below it. Every component is checked to be a real directory in
 * the layers that contribute it, so a symlink in a layer is never followed.
 * Paths are relative, without a leading slash (`''` is the root). Layers
 * must not change while in use (committed image layers do not).
 */
export class LowerLayers {
  readonly #dirs: readonly string[];
  readonly #opaque: readonly ReadonlySet<string>[];
  /** Per directory path: the layers (indexes, top first) whose copy of it is merged. */
  readonly #contributors = new Map<string, Promise<number[]>>();

  constructor(dirs: readonly string[], opaque: readonly ReadonlySet<string>[]) {
    this.#dirs = dirs;
    this.#opaque = opaque;
  }

  /** lstat of `rel` in the merged view (of its top-most copy); undefined when absent. */
  async stat(rel: string): Promise<Stats | undefined> {
    return (await this.locate(rel))?.stat;
  }

  /** The host path of the top-most copy of `rel` and its lstat; undefined when absent in the merged view. */
  async locate(rel: string): Promise<{ path: string; stat: Stats } | undefined> {
    if (rel === '') return this.#dirs.length > 0 ? { path: this.#dirs[0]!, stat: await lstat(this.#dirs[0]!) } : undefined;
    const layers = await this.#dirLayers(parentOf(rel));
    for (const i of layers) {
      const path = join(this.#dirs[i]!, rel);
      const st = await lstatOrUndefined(path);
      if (!st) continue;
      return isWhiteout(st) ? undefined : { path, stat: st };
    }
    return undefined;
  }

  /** The names directory `rel` holds in the merged view, sorted; empty when it is not a directory. */
  async children(rel: string): Promise<string[]> {
    const layers = await this.#dirLayers(rel);
    const seen = new Set<string>();
    const visible: string[] = [];
    for (const i of layers) {
      const dir = join(this.#dirs[i]!, rel);
      for (const name of await readdir(dir)) {
        if (seen.has(name)) continue;
        seen.add(name);
        const st = await lstatOrUndefined(join(dir, name));
        if (st && !isWhiteout(st)) visible.push(name);
      }
    }
    return visible.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  #dirLayers(rel: string): Promise<number[]> {
    let known = this.#contributors.get(rel);
    if (!known) {
      known = this.#computeDirLayers(rel);
      this.#contributors.set(rel, known);
    }
    return known;
  }

  async #computeDirLayers(rel: string): Promise<number[]> {
    if (rel === '') {
      const all: number[] = [];
      for (let i = 0; i < this.#dirs.length; i++) {
        all.push(i);
        if (this.#opaque[i]?.has('')) break;
      }
      return all;
    }
    const out: number[] = [];
    for (const i of await this.#dirLayers(parentOf(rel))) {
      const st = await lstatOrUndefined(join(this.#dirs[i]!, rel));
      if (!st) continue;
      if (!st.isDirectory()) break; // a whiteout or a non-directory hides the layers below
      out.push(i);
      if (this.#opaque[i]?.has(rel)) break;
    }
    return out;
  }
}

function parentOf(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? '' : rel.slice(0, slash);
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}
