import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { httpRequest } from './http-request.ts';
import type { Socket } from 'node:net';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { demultiplex, rawChunks } from './stdcopy.ts';
import type { StreamChunk } from './types.ts';

/** The media types docker announces for attach, exec start and logs streams. */
export const RAW_STREAM = 'application/vnd.docker.raw-stream';
export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';

/** Where and what to send: node's request options for the daemon's socket or TCP address. */
export interface HijackRequest {
  endpoint: { socketPath: string } | { host: string; port: number };
  method: string;
  /** The full path with version prefix and query. */
  path: string;
  headers: OutgoingHttpHeaders;
  body?: string;
  signal?: AbortSignal;
}

/** The daemon's answer to a hijack request. */
export type HijackAnswer =
  | { kind: 'upgraded'; socket: Socket; head: Buffer; headers: IncomingMessage['headers'] }
  | { kind: 'response'; response: IncomingMessage };

/**
 * Sends a request asking to take the connection over (docker's hijack:
 * `Connection: Upgrade`, `Upgrade: tcp`) and resolves with either the
 * upgraded socket (a `101` answer; `head` holds bytes that arrived with the
 * response head) or an ordinary response (a daemon that streams the body
 * instead, or an error status the caller reads). The connection is never
 * pooled. Rejects with node's error when the connection fails.
 */
export function sendHijackRequest(r: HijackRequest): Promise<HijackAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      ...r.endpoint,
      method: r.method,
      path: r.path,
      agent: false,
      signal: r.signal,
      headers: { ...r.headers, Connection: 'Upgrade', Upgrade: 'tcp', ...(r.body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    });
    req.once('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
      resolve({ kind: 'upgraded', socket, head, headers: res.headers });
    });
    req.once('response', (response) => resolve({ kind: 'response', response }));
    req.once('error', reject);
    req.end(r.body);
  });
}

/**
 * A live connection to a container's or exec's standard streams (attach,
 * exec start). `output` yields stdout and stderr chunks (demultiplexed, or
 * one raw stream with a TTY) and ends when the daemon ends the stream.
 * `stdin` exists only when the daemon upgraded the connection: what is
 * written goes to the process, and ending it half-closes the connection,
 * which tells the daemon to close the process's stdin while output keeps
 * flowing.
 */
export interface ContainerStream {
  /** Whether output is one raw stream (the process has a TTY). */
  readonly tty: boolean;
  readonly output: AsyncIterable<StreamChunk>;
  readonly stdin: Writable | undefined;
  /** Drops the connection (detaches; the process is left alone). Idempotent. */
  close(): void;
}

/**
 * Wraps a hijack answer (not an error status) as a ContainerStream. The
 * framing follows the announced media type when the daemon is modern
 * enough for it to be reliable (API 1.42 and later), else `tty`.
 */
export function containerStream(answer: HijackAnswer, options: { tty: boolean; contentTypeReliable: boolean }): ContainerStream {
  const headers = answer.kind === 'upgraded' ? answer.headers : answer.response.headers;
  const multiplexed = isMultiplexed(headers['content-type'], options);
  if (answer.kind === 'response') {
    const res = answer.response;
    return {
      tty: !multiplexed,
      output: multiplexed ? demultiplex(res as AsyncIterable<Buffer>) : rawChunks(res as AsyncIterable<Buffer>),
      stdin: undefined,
      close: () => res.destroy(),
    };
  }
  const { socket, head } = answer;
  socket.setNoDelay(true);
  // Bytes that came with the 101 head belong before the rest of the stream.
  const bytes = new PassThrough();
  if (head.length > 0) bytes.write(head);
  socket.pipe(bytes);
  socket.once('error', (err) => bytes.destroy(err));
  return {
    tty: !multiplexed,
    output: multiplexed ? demultiplex(bytes as Readable) : rawChunks(bytes as Readable),
    stdin: socket,
    close: () => {
      socket.destroy();
      bytes.end();
    },
  };
}

/** Whether a stream of this media type (and TTY setting) is framed. */
export function isMultiplexed(contentType: string | undefined, options: { tty: boolean; contentTypeReliable: boolean }): boolean {
  const type = contentType?.split(';')[0].trim();
  if (type === MULTIPLEXED_STREAM) return true;
  if (type === RAW_STREAM && options.contentTypeReliable) return false;
  return !options.tty;
}
