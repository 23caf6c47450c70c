import type { StreamChunk } from '../api/client/types.ts';

// docker compose's palette: the six basic colours, then their bright forms.
const COLOURS = ['36', '33', '32', '35', '34', '31', '36;1', '33;1', '32;1', '35;1', '34;1', '31;1'];

/** Options of `LogPrinter`. */
export interface LogPrinterOptions {
  /** Colour the prefixes (false for --no-color or when the output is no terminal). */
  colour: boolean;
  /** Every name that may print, so the prefixes line up. */
  names: readonly string[];
}

/**
 * Writes several containers' output line by line, each line after its
 * container's name padded to a common width and ` | `, coloured per
 * container as docker compose does. Partial lines are held until their
 * end arrives (or `flush`), so lines of different containers never mix.
 */
export class LogPrinter {
  readonly #out: NodeJS.WritableStream;
  readonly #width: number;
  readonly #colour: boolean;
  readonly #colours = new Map<string, string>();
  readonly #partial = new Map<string, string>();

  constructor(out: NodeJS.WritableStream, options: LogPrinterOptions) {
    this.#out = out;
    this.#colour = options.colour;
    this.#width = Math.max(0, ...options.names.map((n) => n.length));
    options.names.forEach((n, i) => this.#colours.set(n, COLOURS[i % COLOURS.length]!));
  }

  /** The prefix of `name`'s lines (coloured when asked). */
  prefix(name: string): string {
    const text = `${name.padEnd(this.#width)}  | `;
    return this.#colour ? `\x1b[${this.#colours.get(name) ?? COLOURS[0]}m${text}\x1b[0m` : text;
  }

  /** Writes a chunk of `name`'s output. */
  write(name: string, chunk: StreamChunk | Buffer | string): void {
    const text = (this.#partial.get(name) ?? '') + (typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : chunk.data.toString('utf8'));
    const lines = text.split('\n');
    this.#partial.set(name, lines.pop()!);
    for (const l of lines) this.#out.write(`${this.prefix(name)}${l.replace(/\r$/, '')}\n`);
  }

  /** Writes what is left of `name`'s last line. */
  flush(name: string): void {
    const rest = this.#partial.get(name);
    if (rest) this.#out.write(`${this.prefix(name)}${rest}\n`);
    this.#partial.delete(name);
  }
}
