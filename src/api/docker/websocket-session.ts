import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { StreamSession } from '../../engine/container-service.ts';

/** RFC 6455's key suffix for the handshake. */
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

/** Frames from a client larger than this are refused (stdin comes in small pieces). */
const MAX_FRAME = 16 << 20;

/** The `Sec-WebSocket-Accept` answer to a client's `Sec-WebSocket-Key`. Pure. */
export function webSocketAccept(key: string): string {
  return createHash('sha1').update(key + WS_GUID).digest('base64');
}

/** One unmasked server frame (FIN set). Pure. */
export function webSocketFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.alloc(2) : n < 0x10000 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | opcode;
  if (n < 126) head[1] = n;
  else if (n < 0x10000) {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

/**
 * Reads client frames out of a byte stream: data frames (text, binary and
 * their continuations) are handed on unmasked, control frames reported.
 * A protocol error (an unmasked or oversized frame) is reported as `error`.
 */
interface FrameHandlers {
  data(b: Buffer): void;
  close(): void;
  ping(b: Buffer): void;
  error(why: string): void;
}

class FrameReader {
  #buf: Buffer = Buffer.alloc(0);
  readonly #on: FrameHandlers;

  constructor(on: FrameHandlers) {
    this.#on = on;
  }

  push(chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    for (;;) {
      const b = this.#buf;
      if (b.length < 2) return;
      const opcode = b[0] & 0x0f;
      const masked = (b[1] & 0x80) !== 0;
      let len = b[1] & 0x7f;
      let at = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        const big = b.readBigUInt64BE(2);
        if (big > BigInt(MAX_FRAME)) return this.#on.error('frame too large');
        len = Number(big);
        at = 10;
      }
      if (len > MAX_FRAME) return this.#on.error('frame too large');
      if (!masked) return this.#on.error('client frames must be masked');
      if (b.length < at + 4 + len) return;
      const mask = b.subarray(at, at + 4);
      const payload = Buffer.from(b.subarray(at + 4, at + 4 + len));
      for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
      this.#buf = b.subarray(at + 4 + len);
      if (opcode === OP_TEXT || opcode === OP_BINARY || opcode === OP_CONTINUATION) this.#on.data(payload);
      else if (opcode === OP_CLOSE) return this.#on.close();
      else if (opcode === OP_PING) this.#on.ping(payload);
      else if (opcode !== OP_PONG) return this.#on.error(`unknown opcode ${opcode}`);
    }
  }
}

/**
 * Carries a StreamSession over an accepted websocket (docker's
 * `attach/ws`): output as unmultiplexed binary frames (text frames for
 * clients before API 1.28, as docker), client data frames to the session's
 * stdin. A close frame or a lost connection closes the session — detaching,
 * never killing. Resolves when the output ends or the connection goes.
 */
export async function serveWebSocketSession(session: StreamSession, socket: Duplex, options: { binary: boolean }): Promise<void> {
  const opcode = options.binary ? OP_BINARY : OP_TEXT;
  let closing = false;
  const close = (): void => {
    if (closing) return;
    closing = true;
    session.close();
    if (!socket.destroyed && !socket.writableEnded) socket.end(webSocketFrame(OP_CLOSE, Buffer.from([0x03, 0xe8])));
  };
  socket.once('close', () => session.close());
  socket.on('error', () => session.close());
  const stdin = session.stdin;
  stdin?.on('error', () => {});
  const reader = new FrameReader({
    data: (b) => { if (stdin && !stdin.destroyed && !stdin.writableEnded) stdin.write(b); },
    close,
    ping: (b) => { if (!socket.destroyed) socket.write(webSocketFrame(OP_PONG, b)); },
    error: () => {
      session.close();
      socket.destroy();
    },
  });
  socket.on('data', (c: Buffer) => reader.push(c));
  socket.resume();
  try {
    for await (const chunk of session.output) {
      if (socket.destroyed || closing) break;
      if (!socket.write(webSocketFrame(opcode, chunk.data))) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            socket.off('drain', done);
            socket.off('close', done);
            resolve();
          };
          socket.once('drain', done);
          socket.once('close', done);
        });
      }
    }
  } catch {
    // The output failed midway: closing the websocket is all that is left.
  } finally {
    close();
  }
}
