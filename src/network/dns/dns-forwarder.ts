import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, isIP } from 'node:net';
import { answers, isTruncated, messageId, RCODE, responseCode, withId } from './dns-message.ts';

/** One upstream resolver. */
export interface DnsUpstream {
  host: string;
  port: number;
}

/**
 * `10.0.0.1`, `10.0.0.1:5353`, `::1`, `[::1]:5353` → an upstream (port 53
 * by default). Throws RangeError for anything that is not an IP address
 * with an optional port. Pure.
 */
export function parseUpstream(text: string): DnsUpstream {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  let host = text;
  let port = '53';
  if (bracketed) {
    host = bracketed[1];
    port = bracketed[2] ?? '53';
  } else if (isIP(text) === 0 && text.includes(':') && text.indexOf(':') === text.lastIndexOf(':')) {
    host = text.slice(0, text.indexOf(':'));
    port = text.slice(text.indexOf(':') + 1);
  }
  // An IPv6 nameserver with a zone (`fe80::1%eth0`) is reachable only on that link; keep the zone for the socket.
  const bare = host.replace(/%.*$/, '');
  if (isIP(bare) === 0 || !/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new RangeError(`not a resolver address: ${JSON.stringify(text)} (want IP or IP:PORT)`);
  }
  return { host, port: Number(port) };
}

/** Options of DnsForwarder. */
export interface DnsForwarderOptions {
  upstreams: readonly DnsUpstream[];
  /** How long one exchange with one upstream may take before the next is tried (default 2000 ms). */
  timeoutMs?: number;
}

/**
 * Sends queries on to upstream resolvers and hands their answers back
 * byte for byte (only the ID is changed, to the client's). Each exchange
 * uses its own socket and a fresh random ID, so answers cannot be mixed
 * up or easily spoofed. Stateless between calls; safe to share.
 */
export class DnsForwarder {
  readonly #upstreams: readonly DnsUpstream[];
  readonly #timeoutMs: number;

  constructor(options: DnsForwarderOptions) {
    this.#upstreams = options.upstreams;
    this.#timeoutMs = options.timeoutMs ?? 2000;
  }

  /**
   * The upstreams' answer to `query` (a client's message, its ID kept in
   * the answer), or undefined when none answered in time. Upstreams are
   * asked in order; one answering SERVFAIL or REFUSED passes the question
   * to the next (its answer is kept in case no other does better). Over
   * UDP (`transport`), a truncated answer is asked again over TCP and
   * that answer used when it fits `maxUdpSize`; otherwise the truncated
   * one is relayed, so the client retries over TCP itself.
   */
  async forward(query: Buffer, options: { transport: 'udp' | 'tcp'; maxUdpSize: number; signal?: AbortSignal }): Promise<Buffer | undefined> {
    const clientId = messageId(query);
    let fallback: Buffer | undefined;
    for (const upstream of this.#upstreams) {
      if (options.signal?.aborted) break;
      const outgoing = withId(query, randomInt(0x10000));
      let answer: Buffer | undefined;
      if (options.transport === 'tcp') {
        answer = await this.#tcp(upstream, outgoing, options.signal);
      } else {
        answer = await this.#udp(upstream, outgoing, options.signal);
        if (answer && isTruncated(answer)) {
          const full = await this.#tcp(upstream, outgoing, options.signal);
          if (full && full.length <= options.maxUdpSize) answer = full;
        }
      }
      if (!answer) continue;
      const rcode = responseCode(answer);
      if (rcode === RCODE.SERVFAIL || rcode === RCODE.REFUSED) {
        fallback = answer;
        continue;
      }
      return withId(answer, clientId);
    }
    return fallback && withId(fallback, clientId);
  }

  /** One UDP exchange; undefined on timeout or a socket error. Datagrams from elsewhere or not answering `query` are ignored. */
  #udp(upstream: DnsUpstream, query: Buffer, signal?: AbortSignal): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const family = isIP(upstream.host.replace(/%.*$/, ''));
      const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
      let done = false;
      const finish = (answer: Buffer | undefined): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        socket.close();
        resolve(answer);
      };
      const onAbort = (): void => finish(undefined);
      const timer = setTimeout(() => finish(undefined), this.#timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.on('error', () => finish(undefined));
      socket.on('message', (msg, rinfo) => {
        if (rinfo.port !== upstream.port || !sameHost(rinfo.address, upstream.host)) return;
        if (answers(query, msg)) finish(msg);
      });
      socket.send(query, upstream.port, upstream.host, (err) => { if (err) finish(undefined); });
    });
  }

  /** One TCP exchange (RFC 1035 §4.2.2: each message behind a 2-byte length); undefined on timeout, error or a mismatched answer. */
  #tcp(upstream: DnsUpstream, query: Buffer, signal?: AbortSignal): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const socket = connect({ host: upstream.host, port: upstream.port });
      let done = false;
      let received = Buffer.alloc(0);
      const finish = (answer: Buffer | undefined): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve(answer);
      };
      const onAbort = (): void => finish(undefined);
      const timer = setTimeout(() => finish(undefined), this.#timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.on('error', () => finish(undefined));
      socket.on('close', () => finish(undefined));
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (received.length < 2) return;
        const length = received.readUInt16BE(0);
        if (received.length < 2 + length) return;
        const msg = received.subarray(2, 2 + length);
        finish(answers(query, msg) ? Buffer.from(msg) : undefined);
      });
      const framed = Buffer.alloc(2 + query.length);
      framed.writeUInt16BE(query.length, 0);
      query.copy(framed, 2);
      socket.write(framed);
    });
  }
}

/** Whether a datagram's source is the upstream (IPv4-mapped IPv6 and zones aside). */
function sameHost(address: string, host: string): boolean {
  const norm = (a: string) => a.replace(/^::ffff:/i, '').replace(/%.*$/, '').toLowerCase();
  return norm(address) === norm(host);
}
