import { invalidArgument } from '../core/errors.ts';

/** docker's default detach sequence, ctrl-p ctrl-q. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/**
 * Parses docker's `--detach-keys` syntax: comma-separated keys, each a single
 * character or `ctrl-X` with X one of a–z, `@`, `[`, `\`, `]`, `^`, `_`.
 * undefined or '' gives the default. InvalidArgument names a bad key.
 */
export function parseDetachKeys(spec: string | undefined): Buffer {
  const text = spec === undefined || spec === '' ? DEFAULT_DETACH_KEYS : spec;
  const out: number[] = [];
  for (const key of text.split(',')) {
    if (key.length === 1) {
      out.push(key.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/i.exec(key);
    if (!m) throw invalidArgument(`invalid detach keys ${JSON.stringify(text)}: unknown key ${JSON.stringify(key)}`);
    const c = m[1].toLowerCase();
    if (c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 96);
    else if ('@[\\]^_'.includes(c)) out.push('@[\\]^_'.indexOf(c) === 0 ? 0 : 27 + '[\\]^_'.indexOf(c));
    else throw invalidArgument(`invalid detach keys ${JSON.stringify(text)}: unknown key ${JSON.stringify(key)}`);
  }
  return Buffer.from(out);
}

/**
 * Watches a stdin byte stream for the detach sequence. `push` returns the
 * bytes to pass on; bytes that could start the sequence are held until the
 * next chunk decides. When the whole sequence arrives it is swallowed and
 * `onDetach` is called once.
 */
export class DetachKeyFilter {
  readonly #keys: Buffer;
  readonly #onDetach: () => void;
  #held = 0;
  #detached = false;

  constructor(keys: Buffer, onDetach: () => void) {
    this.#keys = keys;
    this.#onDetach = onDetach;
  }

  push(chunk: Buffer): Buffer {
    if (this.#detached || this.#keys.length === 0) return this.#detached ? Buffer.alloc(0) : chunk;
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.#keys[this.#held]) {
        this.#held++;
        if (this.#held === this.#keys.length) {
          this.#held = 0;
          this.#detached = true;
          this.#onDetach();
          return Buffer.from(out);
        }
        continue;
      }
      // A mismatch: the held bytes were ordinary input after all.
      out.push(...this.#keys.subarray(0, this.#held));
      this.#held = 0;
      if (b === this.#keys[0]) this.#held = 1;
      else out.push(b);
    }
    return Buffer.from(out);
  }

  /** The held bytes, at the end of input. */
  flush(): Buffer {
    const held = this.#keys.subarray(0, this.#held);
    this.#held = 0;
    return Buffer.from(held);
  }
}
