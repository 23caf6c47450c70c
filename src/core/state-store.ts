/**
 * Durable records keyed by id (containers, exec sessions, networks…): the
 * engine's own state, as opposed to images and snapshots. Every `put` and
 * `delete` is durable when it resolves, and a crash at any moment leaves each
 * record either as it was or as it was put, never torn. Records are plain
 * JSON values; the engine owns their shape.
 */
export interface StateStore<T> {
  /** undefined when absent. */
  get(id: string): Promise<T | undefined>;
  /** Every record. Unreadable records are reported through `onCorrupt` by the implementation and skipped. */
  list(): Promise<T[]>;
  /** Creates or replaces the record of `id`. */
  put(id: string, value: T): Promise<void>;
  /** Removes the record of `id`; absent is fine. */
  delete(id: string): Promise<void>;
}
