import type { BenchResults } from '../core/bench-results.ts';
import { notFound } from '../core/errors.ts';
import type { StateStore } from '../core/state-store.ts';

const LATEST = 'latest';

/** Options of `BenchService`. */
export interface BenchServiceOptions {
  /** Where the latest results are kept (one record, replaced whole on each `record`). */
  store: StateStore<BenchResults>;
}

/**
 * The host's latest `janus bench` figures, kept by the daemon so that every
 * client (the CLI's advisor, the dashboard) reads the same ones. The CLI
 * measures (it drives the daemon like any client) and hands the results
 * back; the daemon only keeps them. Only the latest run is kept: older
 * figures describe a host that may have changed.
 */
export class BenchService {
  readonly #store: StateStore<BenchResults>;

  constructor(options: BenchServiceOptions) {
    this.#store = options.store;
  }

  /** The latest results; NotFound when no bench was recorded on this daemon's root. */
  async latest(): Promise<BenchResults> {
    const r = await this.#store.get(LATEST);
    if (!r) throw notFound('no bench results on this host: run janus bench (or janus bench --quick)');
    return r;
  }

  /** Replaces the latest results; durable and whole (never torn) when it resolves. The caller validated them. */
  async record(results: BenchResults): Promise<void> {
    await this.#store.put(LATEST, results);
  }
}
