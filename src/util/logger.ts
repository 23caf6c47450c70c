/** Severity of a log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * Structured logging: one JSON object per line (`time`, `level`, `msg`, then
 * fields). Injected everywhere it is needed; `child` adds fixed fields.
 */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** Writes JSON lines to a stream (stderr by default) at or above `level`. */
export class JsonLogger implements Logger {
  readonly #level: LogLevel;
  readonly #fields: Record<string, unknown>;
  readonly #out: NodeJS.WritableStream;

  constructor(options: { level?: LogLevel; fields?: Record<string, unknown>; out?: NodeJS.WritableStream } = {}) {
    this.#level = options.level ?? 'info';
    this.#fields = options.fields ?? {};
    this.#out = options.out ?? process.stderr;
  }

  #write(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (ORDER[level] < ORDER[this.#level]) return;
    const line = { time: new Date().toISOString(), level, msg, ...this.#fields, ...fields };
    this.#out.write(`${JSON.stringify(line, replacer)}\n`);
  }

  debug(msg: string, fields?: Record<string, unknown>): void { this.#write('debug', msg, fields); }
  info(msg: string, fields?: Record<string, unknown>): void { this.#write('info', msg, fields); }
  warn(msg: string, fields?: Record<string, unknown>): void { this.#write('warn', msg, fields); }
  error(msg: string, fields?: Record<string, unknown>): void { this.#write('error', msg, fields); }

  child(fields: Record<string, unknown>): Logger {
    return new JsonLogger({ level: this.#level, fields: { ...this.#fields, ...fields }, out: this.#out });
  }
}

/** A logger that drops everything; for tests. */
export const silentLogger: Logger = {
  debug() {}, info() {}, warn() {}, error() {},
  child() { return silentLogger; },
};

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { message: value.message, ...(value as { kind?: string }).kind ? { kind: (value as { kind?: string }).kind } : {} };
  if (typeof value === 'bigint') return value.toString();
  return value;
}
