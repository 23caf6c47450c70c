/** Signals a foreground container gets from the CLI (docker's sig-proxy); SIGINT and SIGTERM among them. */
export const PROXIED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/**
 * The process's signals as commands see them. Normally SIGINT and SIGTERM
 * interrupt the CLI (its context's AbortSignal aborts); while a command
 * intercepts them (`run`/`attach` forwarding signals to a container), they
 * and the other PROXIED_SIGNALS go to its handler instead.
 */
export interface SignalSource {
  /** Routes PROXIED_SIGNALS to `handler` until the returned function is called. */
  intercept(handler: (signal: NodeJS.Signals) => void): () => void;
}

/**
 * The SignalSource of a real process: listens to SIGINT and SIGTERM for
 * good, calling `onInterrupt` when no command intercepts them, and to the
 * other proxied signals only while a command does (so they keep their
 * default effect otherwise).
 */
export class ProcessSignals implements SignalSource {
  readonly #proc: NodeJS.Process;
  readonly #handlers: Array<(signal: NodeJS.Signals) => void> = [];
  readonly #onExtra = (signal: NodeJS.Signals): void => this.#deliver(signal);

  constructor(proc: NodeJS.Process, onInterrupt: (signal: 'SIGINT' | 'SIGTERM') => void) {
    this.#proc = proc;
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      proc.on(sig, () => {
        if (this.#handlers.length > 0) this.#deliver(sig);
        else onInterrupt(sig);
      });
    }
  }

  intercept(handler: (signal: NodeJS.Signals) => void): () => void {
    if (this.#handlers.length === 0) for (const sig of PROXIED_SIGNALS) if (sig !== 'SIGINT' && sig !== 'SIGTERM') this.#proc.on(sig, this.#onExtra);
    this.#handlers.push(handler);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#handlers.splice(this.#handlers.indexOf(handler), 1);
      if (this.#handlers.length === 0) for (const sig of PROXIED_SIGNALS) if (sig !== 'SIGINT' && sig !== 'SIGTERM') this.#proc.off(sig, this.#onExtra);
    };
  }

  #deliver(signal: NodeJS.Signals): void {
    this.#handlers[this.#handlers.length - 1]?.(signal);
  }
}
