import { invalidArgument } from '../core/errors.ts';

/** docker's default detach sequence. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/**
 * A detach key sequence in docker's syntax (moby/term ToBytes): comma
 * separated keys, each a single character or `ctrl-X` with X a letter or
 * one of `@ [ \ ] ^ _`. InvalidArgument naming the key otherwise. Pure.
 */
export function parseDetachKeys(text: string): Buffer {
  const out: number[] = [];
  for (const key of text.split(',')) {
    const k = key.trim();
    if (k.length > 1 && k.toLowerCase().startsWith('ctrl-')) {
      const c = k.slice(5);
      if (c.length !== 1) throw invalidArgument(`invalid detach keys ${JSON.stringify(text)}: unknown character ${JSON.stringify(k)}`);
      const code = c.toLowerCase().charCodeAt(0);
      if (code >= 0x61 && code <= 0x7a) out.push(code - 0x60);
      else if ('@[\\]^_'.includes(c)) out.push(c.charCodeAt(0) - 0x40);
      else throw invalidArgument(`invalid detach keys ${JSON.stringify(text)}: unknown character ${JSON.stringify(k)}`);
    } else if (k.length === 1 && k.charCodeAt(0) < 0x80) {
      out.push(k.charCodeAt(0));
    } else {
      throw invalidArgument(`invalid detach keys ${JSON.stringify(text)}: unknown character ${JSON.stringify(k)}`);
    }
  }
  return Buffer.from(out);
}

/**
 * Watches typed input for the detach sequence (docker's escape proxy):
 * bytes that could be the start of the sequence are held back until the
 * sequence completes (then `detached` is true and they are dropped) or
 * breaks (then they are passed on with what followed). One filter per
 * input stream.
 */
export class DetachKeyFilter {
  readonly #keys: Buffer;
  #matched = 0;

  constructor(keys: Buffer) {
    this.#keys = keys;
  }

  /** What of `chunk` (plus held-back bytes) to send on, and whether the sequence was typed. */
  push(chunk: Buffer): { data: Buffer; detached: boolean } {
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.#keys[this.#matched]) {
        this.#matched++;
        if (this.#matched === this.#keys.length) return { data: Buffer.from(out), detached: true };
        continue;
      }
      // A broken sequence: what was held back is ordinary input after all.
      if (this.#matched > 0) out.push(...this.#keys.subarray(0, this.#matched));
      this.#matched = byte === this.#keys[0] ? 1 : 0;
      if (this.#matched === 0) out.push(byte);
    }
    return { data: Buffer.from(out), detached: false };
  }
}
