import type { EngineEvent } from '../core/events.ts';
import type { EventBus } from '../api/docker/event-bus.ts';
import type { Logger } from '../util/logger.ts';
import { silentLogger } from '../util/logger.ts';

/** Options of a MemoryEventBus. */
export interface MemoryEventBusOptions {
  /** Events remembered for `/events?since=` (default 1024; docker keeps 256). */
  capacity?: number;
  /** Nanoseconds since the epoch (default: wall clock at start + a monotonic clock). */
  clock?: () => bigint;
  logger?: Logger;
}

/**
 * The daemon's event hub: the engine publishes into it, `/events` reads the
 * recent past from its ring buffer and follows new events. In memory only,
 * so history starts at daemon start. Listeners run synchronously inside
 * `publish`; one that throws is logged and does not disturb the others.
 */
export class MemoryEventBus implements EventBus {
  readonly #capacity: number;
  readonly #clock: () => bigint;
  readonly #log: Logger;
  readonly #ring: EngineEvent[] = [];
  readonly #listeners = new Set<(event: EngineEvent) => void>();
  #last = 0n;

  constructor(options: MemoryEventBusOptions = {}) {
    this.#capacity = options.capacity ?? 1024;
    this.#log = options.logger ?? silentLogger;
    if (options.clock) {
      this.#clock = options.clock;
    } else {
      // Date.now() has only millisecond resolution; anchor a monotonic clock to it once.
      const epoch = BigInt(Date.now()) * 1_000_000n;
      const start = process.hrtime.bigint();
      this.#clock = () => epoch + (process.hrtime.bigint() - start);
    }
  }

  publish(event: Omit<EngineEvent, 'timeNano'>): void {
    // Strictly increasing times keep `since=<an event's time>` unambiguous.
    let timeNano = this.#clock();
    if (timeNano <= this.#last) timeNano = this.#last + 1n;
    this.#last = timeNano;
    const full: EngineEvent = { ...event, attributes: { ...event.attributes }, timeNano };
    this.#ring.push(full);
    if (this.#ring.length > this.#capacity) this.#ring.shift();
    for (const listener of [...this.#listeners]) {
      try {
        listener(full);
      } catch (err) {
        this.#log.warn('event listener failed', { error: err });
      }
    }
  }

  subscribe(listener: (event: EngineEvent) => void): { backlog: EngineEvent[]; unsubscribe: () => void } {
    const wrapped = (e: EngineEvent) => listener(e);
    this.#listeners.add(wrapped);
    return { backlog: [...this.#ring], unsubscribe: () => { this.#listeners.delete(wrapped); } };
  }
}
