import { open, rename, type FileHandle } from 'node:fs/promises';

/**
 * Appends a process's output to a log in conmon's k8s-file format
 * (`<RFC3339Nano> stdout|stderr F|P <text>`), which the engine reads for
 * `logs` and attach — so a VM's output is read exactly like a container's.
 * Each chunk is written at once: complete lines as `F` records, a trailing
 * piece without newline as a `P` record (a shell prompt shows before its
 * line ends). Writes are serialised; timestamps strictly increase. With
 * `maxSize` the log rotates as conmon's does: a fresh file is renamed over
 * the full one (the engine's ContainerLogKeeper keeps the old ones).
 */
export class K8sLogWriter {
  readonly #path: string;
  #fh: Promise<FileHandle> | undefined;
  #chain: Promise<void> = Promise.resolve();
  #lastNs = 0n;
  #size = 0;
  readonly #maxSize: number;

  constructor(path: string, options: { maxSize?: number } = {}) {
    this.#path = path;
    this.#maxSize = options.maxSize ?? 0;
  }

  /** Queues `data` from `stream`. */
  write(stream: 'stdout' | 'stderr', data: Uint8Array): void {
    const text = Buffer.from(data).toString('utf8');
    if (text === '') return;
    const records: string[] = [];
    const parts = text.split('\n');
    const last = parts.pop()!;
    for (const p of parts) records.push(`${this.#stamp()} ${stream} F ${p}\n`);
    if (last !== '') records.push(`${this.#stamp()} ${stream} P ${last}\n`);
    const chunk = Buffer.from(records.join(''));
    this.#chain = this.#chain.then(async () => {
      if (!this.#fh) {
        this.#fh = open(this.#path, 'a', 0o600);
        this.#size = (await (await this.#fh).stat()).size;
      }
      if (this.#maxSize > 0 && this.#size > 0 && this.#size + chunk.length > this.#maxSize) {
        const fresh = await open(`${this.#path}.tmp`, 'w', 0o600);
        await rename(`${this.#path}.tmp`, this.#path);
        await (await this.#fh).close();
        this.#fh = Promise.resolve(fresh);
        this.#size = 0;
      }
      await (await this.#fh).write(chunk);
      this.#size += chunk.length;
    });
  }

  /** Resolves once everything queued so far is in the file. */
  flush(): Promise<void> {
    return this.#chain;
  }

  async close(): Promise<void> {
    await this.#chain.catch(() => {});
    if (this.#fh) await (await this.#fh).close().catch(() => {});
    this.#fh = undefined;
  }

  #stamp(): string {
    let ns = BigInt(Date.now()) * 1_000_000n;
    if (ns <= this.#lastNs) ns = this.#lastNs + 1n;
    this.#lastNs = ns;
    const seconds = Number(ns / 1_000_000_000n);
    const iso = new Date(seconds * 1000).toISOString().slice(0, 19);
    return `${iso}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`;
  }
}
