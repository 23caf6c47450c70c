/**
 * In-process mutual exclusion by key: `run(key, fn)` runs `fn` after every
 * earlier `run` of the same key has settled. Keys are independent. Not
 * re-entrant: a `fn` must not `run` its own key again.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    const result = prev.then(fn, fn);
    const tail = result.then(() => {}, () => {});
    this.#tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
