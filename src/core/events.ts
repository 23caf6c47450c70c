/**
 * An event the engine publishes (Docker's `/events` shape in domain form).
 * `type` is the object kind, `action` what happened to it.
 */
export interface EngineEvent {
  type: 'image' | 'container' | 'volume' | 'network' | 'daemon';
  action: string; // pull, push, tag, untag, delete, import, load, save, prune, …
  id: string;
  attributes: Record<string, string>;
  /** Nanoseconds since the epoch. */
  timeNano: bigint;
}

/** Receives engine events. Must not throw. */
export interface EventSink {
  publish(event: Omit<EngineEvent, 'timeNano'>): void;
}
