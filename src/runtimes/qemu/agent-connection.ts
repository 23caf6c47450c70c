import { createConnection, type Socket } from 'node:net';
import { unavailable } from '../../core/errors.ts';
import { AGENT_PROTOCOL_VERSION, AgentProtocolError, FrameDecoder, Msg, decodeRecords, encodeFrame, encodeRecords, recordNumber, type Frame, type Records } from './agent-protocol.ts';

/**
 * One connection to a guest agent, through QEMU's unix socket for the
 * agent's virtio-serial port. `open` connects, says HELLO and waits for the
 * agent's answer — which only comes once the guest has booted, so the wait
 * is the boot watchdog. Frames after the HELLO go to the handler set with
 * `onFrame` (those that arrive before it is set are kept for it). A
 * protocol error or QEMU going away closes the connection; `closed`
 * resolves then.
 */
export class AgentConnection {
  readonly #socket: Socket;
  readonly #decoder = new FrameDecoder();
  #handler: ((f: Frame) => void) | undefined;
  readonly #queue: Frame[] = [];
  #helloResolve!: (r: Records) => void;
  readonly #hello = new Promise<Records>((r) => { this.#helloResolve = r; });
  #gotHello = false;
  readonly closed: Promise<Error | undefined>;

  private constructor(socket: Socket) {
    this.#socket = socket;
    let closeError: Error | undefined;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve(closeError)));
    socket.on('error', (err) => { closeError = err; });
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.#decoder.push(chunk);
      } catch (err) {
        closeError = err as Error;
        socket.destroy();
        return;
      }
      for (const f of frames) {
        if (!this.#gotHello) {
          if (f.type !== Msg.HELLO) continue; // left from a connection before ours
          this.#gotHello = true;
          try {
            this.#helloResolve(decodeRecords(f.payload));
          } catch (err) {
            closeError = err as Error;
            socket.destroy();
          }
          continue;
        }
        if (this.#handler) this.#handler(f);
        else this.#queue.push(f);
      }
    });
  }

  /**
   * Connects to `path` and completes the HELLO exchange within `timeoutMs`.
   * Fails with Unavailable when nothing answers in time (the guest did not
   * boot) and with AgentProtocolError when the agent speaks another version.
   */
  static async open(path: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<{ conn: AgentConnection; hello: Records }> {
    const socket = createConnection(path);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', (err) => reject(unavailable(`cannot reach the guest agent's socket ${path}: ${err.message}`)));
    });
    const conn = new AgentConnection(socket);
    conn.send(Msg.HELLO, 0, encodeRecords([['version', String(AGENT_PROTOCOL_VERSION)]]));
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => { socket.destroy(); };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const hello = await Promise.race([
        conn.#hello,
        new Promise<never>((_, reject) => { timer = setTimeout(() => reject(unavailable(`the guest agent did not answer within ${options.timeoutMs} ms`)), options.timeoutMs); }),
        conn.closed.then((err) => { throw unavailable(`the guest agent's connection closed before it answered${err ? `: ${err.message}` : ''}`); }),
      ]);
      const version = recordNumber(hello, 'version', 0);
      if (version !== AGENT_PROTOCOL_VERSION) {
        throw new AgentProtocolError(`the guest agent speaks protocol version ${version}; this daemon speaks ${AGENT_PROTOCOL_VERSION}`);
      }
      return { conn, hello };
    } catch (err) {
      socket.destroy();
      throw err;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * `open` for a guest just restored from saved state (a template or a
   * memory snapshot): a HELLO that does not come back within `attemptMs`
   * is sent again on a new connection, until `timeoutMs` in all. QEMU
   * restores the serial port's "guest has it open" flag a moment after the
   * guest runs again (virtio-serial's post-load timer); a host that
   * connected and wrote before that is never read from — QEMU stops
   * reading a socket the guest cannot take, and nothing wakes it when the
   * flag comes back. A new connection is read from. (About one restore in
   * twenty-five hung that way under TCG.)
   */
  static async openRestored(path: string, options: { timeoutMs: number; attemptMs: number; signal?: AbortSignal }): Promise<{ conn: AgentConnection; hello: Records; attempts: number }> {
    const until = Date.now() + options.timeoutMs;
    for (let attempt = 1; ; attempt++) {
      const left = until - Date.now();
      try {
        return { ...(await AgentConnection.open(path, { timeoutMs: Math.max(1, Math.min(options.attemptMs, left)), signal: options.signal })), attempts: attempt };
      } catch (err) {
        options.signal?.throwIfAborted();
        if (!/did not answer/.test((err as Error).message) || Date.now() >= until) {
          throw Date.now() >= until ? unavailable(`the guest agent did not answer within ${options.timeoutMs} ms (${attempt} connections)`) : err;
        }
      }
    }
  }

  /** Sets the receiver of every frame after HELLO; frames that came earlier are delivered first. */
  onFrame(handler: (f: Frame) => void): void {
    this.#handler = handler;
    for (const f of this.#queue.splice(0)) handler(f);
  }

  /** Sends one frame; false when the connection is gone. */
  send(type: number, channel: number, payload?: Uint8Array): boolean {
    if (this.#socket.destroyed) return false;
    this.#socket.write(encodeFrame(type, channel, payload));
    return true;
  }

  /** Sends records as the payload. */
  sendRecords(type: number, channel: number, records: Records): boolean {
    return this.send(type, channel, encodeRecords(records));
  }

  close(): void {
    this.#socket.destroy();
  }
}
