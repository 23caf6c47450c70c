import type { EngineEvent, EventSink } from '../../core/events.ts';

/**
 * An EventSink that also remembers recent events and lets readers follow
 * new ones: what `/events` needs. Implemented by the daemon's MemoryEventBus.
 */
export interface EventBus extends EventSink {
  /**
   * The remembered events (oldest first) and a subscription to every event
   * published after them, taken atomically so none is lost or doubled.
   * Call the returned `unsubscribe` when done; it is idempotent.
   */
  subscribe(listener: (event: EngineEvent) => void): { backlog: EngineEvent[]; unsubscribe: () => void };
}
