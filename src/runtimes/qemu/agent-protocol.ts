/*
 * The host side of the guest agent protocol (docs/agent-protocol.md):
 * frames and records, as pure functions, so the codec is tested (and its
 * decoder fuzzed) without a VM.
 */

/** The protocol version this host speaks (the `version` record of HELLO). */
export const AGENT_PROTOCOL_VERSION = 1;

/** The virtio-serial port name the agent looks for. */
export const AGENT_PORT_NAME = 'org.janus.agent.0';

/** Message types (docs/agent-protocol.md, "Message types"). */
export const Msg = {
  HELLO: 1,
  CONFIG: 2,
  START: 3,
  STDIN: 4,
  SIGNAL: 5,
  RESIZE: 6,
  STATS: 7,
  ACK: 8,
  SHUTDOWN: 9,
  SYNC: 10,
  STDOUT: 11,
  STDERR: 12,
  STARTED: 13,
  EXIT: 14,
  ERROR: 15,
  LOG: 16,
  QUIESCE: 17,
  THAW: 18,
} as const;

const KNOWN_TYPES = new Set<number>(Object.values(Msg));

/** The largest payload either side sends or accepts. */
export const MAX_PAYLOAD = 1024 * 1024;
const HEADER = 9;

/** One message: its type, the process channel (0: the agent) and the payload. */
export interface Frame {
  type: number;
  channel: number;
  payload: Buffer;
}

/** Ordered `key=value` pairs; keys may repeat. */
export type Records = readonly (readonly [string, string])[];

/** The peer broke the protocol; the connection must be dropped. */
export class AgentProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentProtocolError';
  }
}

/** One frame on the wire. Throws on a payload above MAX_PAYLOAD or a channel outside 32 bits. */
export function encodeFrame(type: number, channel: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  if (payload.length > MAX_PAYLOAD) throw new AgentProtocolError(`payload of ${payload.length} bytes is above the protocol's ${MAX_PAYLOAD}`);
  if (!Number.isInteger(channel) || channel < 0 || channel > 0xffffffff) throw new AgentProtocolError(`invalid channel ${channel}`);
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  out.writeUInt32BE(5 + payload.length, 0);
  out.writeUInt8(type, 4);
  out.writeUInt32BE(channel, 5);
  out.set(payload, HEADER);
  return out;
}

/**
 * Splits a byte stream into frames. Feed it chunks as they arrive; it keeps
 * an incomplete frame until the rest comes. Throws AgentProtocolError on a
 * length out of bounds or an unknown type; the decoder is then unusable
 * (the stream has lost its framing).
 */
export class FrameDecoder {
  #buf: Buffer = Buffer.alloc(0);
  #broken = false;

  /** The frames completed by `chunk`, in order. */
  push(chunk: Uint8Array): Frame[] {
    if (this.#broken) throw new AgentProtocolError('the stream lost its framing earlier');
    this.#buf = this.#buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buf, chunk]);
    const frames: Frame[] = [];
    while (this.#buf.length >= 4) {
      const length = this.#buf.readUInt32BE(0);
      if (length < 5 || length > MAX_PAYLOAD + 5) {
        this.#broken = true;
        throw new AgentProtocolError(`frame length ${length} is out of bounds (5 to ${MAX_PAYLOAD + 5})`);
      }
      if (this.#buf.length < 4 + length) break;
      const type = this.#buf.readUInt8(4);
      if (!KNOWN_TYPES.has(type)) {
        this.#broken = true;
        throw new AgentProtocolError(`unknown message type ${type}`);
      }
      frames.push({ type, channel: this.#buf.readUInt32BE(5), payload: Buffer.from(this.#buf.subarray(HEADER, 4 + length)) });
      this.#buf = this.#buf.subarray(4 + length);
    }
    return frames;
  }

  /** Bytes of an incomplete frame held back. */
  get pending(): number {
    return this.#buf.length;
  }
}

const KEY = /^[a-z][a-z0-9_]*$/;

/** Encodes records as `key=value\0…`. Throws on a key that is not lowercase ASCII or a value containing NUL. */
export function encodeRecords(records: Records): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of records) {
    if (!KEY.test(k)) throw new AgentProtocolError(`invalid record key ${JSON.stringify(k)}`);
    if (v.includes('\0')) throw new AgentProtocolError(`the value of ${k} contains a NUL byte`);
    parts.push(Buffer.from(`${k}=${v}\0`, 'utf8'));
  }
  return Buffer.concat(parts);
}

/** Decodes `key=value\0…`. Throws AgentProtocolError on a record without `=`, an invalid key or a missing final NUL. */
export function decodeRecords(payload: Uint8Array): [string, string][] {
  const out: [string, string][] = [];
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  let start = 0;
  while (start < buf.length) {
    const end = buf.indexOf(0, start);
    if (end < 0) throw new AgentProtocolError('a record lacks its terminating NUL');
    const text = buf.toString('utf8', start, end);
    const eq = text.indexOf('=');
    if (eq <= 0) throw new AgentProtocolError(`record ${JSON.stringify(text.slice(0, 40))} has no key=value form`);
    const key = text.slice(0, eq);
    if (!KEY.test(key)) throw new AgentProtocolError(`invalid record key ${JSON.stringify(key.slice(0, 40))}`);
    out.push([key, text.slice(eq + 1)]);
    start = end + 1;
  }
  return out;
}

/** The first value of `key`, if any. */
export function recordValue(records: Records, key: string): string | undefined {
  for (const [k, v] of records) if (k === key) return v;
  return undefined;
}

/** Every value of `key`, in order. */
export function recordValues(records: Records, key: string): string[] {
  return records.filter(([k]) => k === key).map(([, v]) => v);
}

/** A decimal record as a number, or `fallback` when absent or not a number. */
export function recordNumber(records: Records, key: string, fallback: number): number {
  const v = recordValue(records, key);
  if (v === undefined || !/^-?\d+$/.test(v)) return fallback;
  return Number(v);
}
