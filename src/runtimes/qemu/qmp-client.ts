import { createConnection, type Socket } from 'node:net';
import { unavailable } from '../../core/errors.ts';

/** A QMP command failed; `class` is QEMU's error class (`GenericError`, …). */
export class QmpError extends Error {
  readonly errorClass: string;
  constructor(errorClass: string, desc: string) {
    super(desc);
    this.name = 'QmpError';
    this.errorClass = errorClass;
  }
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/**
 * A client of QEMU's machine protocol over its unix socket: the greeting,
 * capabilities negotiation, then commands answered in order by id. Events
 * go to `onEvent`. When QEMU exits, pending commands fail and `closed`
 * resolves — which is how a runtime learns that a VM's QEMU ended.
 */
export class QmpClient {
  readonly #socket: Socket;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #buf = '';
  readonly closed: Promise<void>;
  onEvent: (event: string, data: unknown) => void = () => {};

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', () => {
      // QEMU can die between accepting and greeting (a KVM probe that aborts): the wait for the greeting ends too.
      this.#greetingReject(unavailable('QEMU closed its QMP socket before greeting (the VM ended)'));
      for (const p of this.#pending.values()) p.reject(unavailable('QEMU closed its QMP socket (the VM ended)'));
      this.#pending.clear();
      resolve();
    }));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#onData(chunk));
    socket.on('error', () => {});
  }

  /** Connects to `path`, waits for QEMU's greeting and enables commands. Fails with Unavailable when nothing listens. */
  static async connect(path: string, options: { signal?: AbortSignal } = {}): Promise<QmpClient> {
    const socket = createConnection(path);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', (err) => reject(unavailable(`cannot reach QEMU's QMP socket ${path}: ${err.message}`)));
      options.signal?.addEventListener('abort', () => socket.destroy(), { once: true });
    });
    const client = new QmpClient(socket);
    client.#greeting.catch(() => {});
    await client.#greeting;
    await client.execute('qmp_capabilities');
    return client;
  }

  #greetingResolve!: () => void;
  #greetingReject!: (err: Error) => void;
  readonly #greeting = new Promise<void>((resolve, reject) => { this.#greetingResolve = resolve; this.#greetingReject = reject; });

  #onData(chunk: string): void {
    this.#buf += chunk;
    let nl: number;
    while ((nl = this.#buf.indexOf('\n')) >= 0) {
      const line = this.#buf.slice(0, nl).trim();
      this.#buf = this.#buf.slice(nl + 1);
      if (!line) continue;
      let msg: { QMP?: unknown; id?: number; return?: unknown; error?: { class: string; desc: string }; event?: string; data?: unknown };
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      if (msg.QMP) this.#greetingResolve();
      else if (msg.event) this.onEvent(msg.event, msg.data);
      else if (typeof msg.id === 'number') {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (!p) continue;
        if (msg.error) p.reject(new QmpError(msg.error.class, msg.error.desc));
        else p.resolve(msg.return);
      }
    }
  }

  /** Runs one command and resolves with its `return` value. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.#socket.destroyed) return reject(unavailable('the QMP connection is closed'));
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`);
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}
