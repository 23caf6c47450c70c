import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIP, type Server, type Socket } from 'node:net';
import { unavailable } from '../../core/errors.ts';
import type { NameServer } from '../../core/name-server.ts';
import type { Logger } from '../../util/logger.ts';
import { DnsForwarder, parseUpstream } from './dns-forwarder.ts';
import {
  buildProblemResponse, buildResponse, DNS_CLASS_IN, DNS_TYPE, isQuery, parseQuery, RCODE, reverseIpv4, type DnsAnswer, type DnsQuery,
} from './dns-message.ts';

/** Options of EmbeddedNameServer. */
export interface EmbeddedNameServerOptions {
  /**
   * The resolvers unknown names go to: the host's `nameserver` lines
   * (`IP`, or `IP:PORT` / `[IPv6]:PORT`), in order. Loopback resolvers
   * (127.0.0.53) work, since the server runs in the daemon's namespace.
   * Empty: every unknown name is SERVFAIL.
   */
  upstreams: readonly string[];
  /** The port to listen on (default 53; tests use a high port). */
  port?: number;
  /** How long one upstream may take before the next is tried (default 2000 ms). */
  upstreamTimeoutMs?: number;
  /** TTL of the records the server answers itself (default 600 s, docker's). */
  ttl?: number;
  /** Queries being forwarded at once, across networks; more are refused with SERVFAIL (default 512). */
  maxForwarding?: number;
  /** A TCP connection idle this long is closed (default 10 s). */
  tcpIdleMs?: number;
  logger?: Logger;
}

interface Listener {
  address: string;
  udp: UdpSocket;
  tcp: Server;
  connections: Set<Socket>;
}

interface Names {
  forward: ReadonlyMap<string, readonly string[]>;
  reverse: ReadonlyMap<string, string>;
}

const EMPTY_NAMES: Names = { forward: new Map(), reverse: new Map() };

/**
 * The NameServer of Janus's bridge networks, written on node's dgram and
 * net: per network one UDP socket and one TCP server on the gateway
 * address. Names the network knows answer A (AAAA and other types answer
 * NOERROR without records, so clients fall back to A); PTR of their
 * addresses answer the first name; everything else goes to the upstream
 * resolvers (UDP, TCP when the answer was truncated) and comes back byte
 * for byte with the client's ID, or as SERVFAIL when no upstream answers.
 * Names are matched case-insensitively and exactly (a trailing dot aside):
 * no search-domain guessing.
 */
export class EmbeddedNameServer implements NameServer {
  readonly #port: number;
  readonly #ttl: number;
  readonly #maxForwarding: number;
  readonly #tcpIdleMs: number;
  readonly #logger: Logger | undefined;
  readonly #forwarder: DnsForwarder;
  readonly #listeners = new Map<string, Listener>();
  readonly #names = new Map<string, Names>();
  /** Per network: client address → other networks whose names it sees. */
  readonly #peers = new Map<string, ReadonlyMap<string, readonly string[]>>();
  /** The serve/stop in progress per network, so calls for one network run one after another. */
  readonly #busy = new Map<string, Promise<void>>();
  /** Aborted by close(): forwards in flight give up. */
  readonly #closing = new AbortController();
  #forwarding = 0;

  /** Throws RangeError when an upstream is not an address. */
  constructor(options: EmbeddedNameServerOptions) {
    this.#port = options.port ?? 53;
    this.#ttl = options.ttl ?? 600;
    this.#maxForwarding = options.maxForwarding ?? 512;
    this.#tcpIdleMs = options.tcpIdleMs ?? 10_000;
    this.#logger = options.logger;
    this.#forwarder = new DnsForwarder({ upstreams: options.upstreams.map(parseUpstream), timeoutMs: options.upstreamTimeoutMs });
  }

  serve(networkId: string, address: string): Promise<void> {
    return this.#serially(networkId, async () => {
      const current = this.#listeners.get(networkId);
      if (current?.address === address) return;
      if (current) await this.#close(networkId, current);
      this.#listeners.set(networkId, await this.#listen(networkId, address));
    });
  }

  setNames(networkId: string, names: ReadonlyMap<string, readonly string[]>): void {
    const forward = new Map<string, readonly string[]>();
    const reverse = new Map<string, string>();
    for (const [name, ips] of names) {
      const key = name.toLowerCase().replace(/\.$/, '');
      forward.set(key, [...(forward.get(key) ?? []), ...ips.filter((ip) => isIP(ip) === 4)]);
      for (const ip of ips) if (!reverse.has(ip)) reverse.set(ip, key);
    }
    this.#names.set(networkId, { forward, reverse });
  }

  setPeers(networkId: string, peers: ReadonlyMap<string, readonly string[]>): void {
    this.#peers.set(networkId, peers);
  }

  stop(networkId: string): Promise<void> {
    return this.#serially(networkId, async () => {
      const current = this.#listeners.get(networkId);
      if (current) await this.#close(networkId, current);
    });
  }

  /** Final: forwards still in flight give up, and later forwards fail at once (SERVFAIL). */
  async close(): Promise<void> {
    this.#closing.abort();
    await Promise.all([...this.#listeners.keys()].map((id) => this.stop(id)));
    this.#names.clear();
  }

  /** Runs `fn` after whatever serve/stop of `networkId` is under way. */
  #serially(networkId: string, fn: () => Promise<void>): Promise<void> {
    const before = this.#busy.get(networkId) ?? Promise.resolve();
    const run = before.catch(() => {}).then(fn);
    const tail = run.catch(() => {});
    this.#busy.set(networkId, tail);
    void tail.then(() => { if (this.#busy.get(networkId) === tail) this.#busy.delete(networkId); });
    return run;
  }

  async #listen(networkId: string, address: string): Promise<Listener> {
    const udp = createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4' });
    const tcp = createServer();
    const connections = new Set<Socket>();
    const listener: Listener = { address, udp, tcp, connections };
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind({ address, port: this.#port, exclusive: true }, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ host: address, port: this.#port, exclusive: true }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      await closeQuietly(listener);
      const e = err as NodeJS.ErrnoException;
      throw unavailable(`cannot serve DNS for network ${networkId.slice(0, 12)} on ${address}:${this.#port}: ${e.code ?? e.message}`, err);
    }
    udp.on('error', (err) => this.#logger?.warn('DNS UDP socket failed', { network: networkId, address, error: err }));
    udp.on('message', (msg, rinfo) => {
      void this.#answer(networkId, msg, 'udp', rinfo.address).then((reply) => {
        if (reply && this.#listeners.get(networkId) === listener) udp.send(reply, rinfo.port, rinfo.address);
      });
    });
    tcp.on('error', (err) => this.#logger?.warn('DNS TCP server failed', { network: networkId, address, error: err }));
    tcp.on('connection', (socket) => this.#serveTcp(networkId, socket, connections));
    this.#logger?.debug('DNS serving', { network: networkId, address, port: this.#port });
    return listener;
  }

  async #close(networkId: string, l: Listener): Promise<void> {
    this.#listeners.delete(networkId);
    await closeQuietly(l);
    this.#logger?.debug('DNS stopped', { network: networkId, address: l.address });
  }

  /** One TCP client: messages behind 2-byte lengths, answered in order of arrival of their answers (ID-matched, as RFC 7766 allows). */
  #serveTcp(networkId: string, socket: Socket, connections: Set<Socket>): void {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(this.#tcpIdleMs, () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const length = buffered.readUInt16BE(0);
        const msg = Buffer.from(buffered.subarray(2, 2 + length));
        buffered = buffered.subarray(2 + length);
        void this.#answer(networkId, msg, 'tcp', socket.remoteAddress ?? '').then((reply) => {
          if (!reply || socket.destroyed) return;
          const framed = Buffer.alloc(2 + reply.length);
          framed.writeUInt16BE(reply.length, 0);
          reply.copy(framed, 2);
          socket.write(framed);
        });
      }
    });
  }

  /** The reply to one message, or undefined to stay silent (responses, runts). Never rejects. */
  async #answer(networkId: string, msg: Buffer, transport: 'udp' | 'tcp', client: string): Promise<Buffer | undefined> {
    try {
      const q = parseQuery(msg);
      if (!isQuery(q)) return q.drop ? undefined : buildProblemResponse(q);
      const maxSize = transport === 'udp' ? q.maxUdpSize : undefined;
      for (const net of [networkId, ...(this.#peers.get(networkId)?.get(client.replace(/^::ffff:/, '')) ?? [])]) {
        const local = this.#local(net, q, maxSize);
        if (local) return local;
      }
      if (this.#forwarding >= this.#maxForwarding) return buildResponse(q, { rcode: RCODE.SERVFAIL, maxSize });
      this.#forwarding++;
      try {
        const relayed = await this.#forwarder.forward(msg, { transport, maxUdpSize: q.maxUdpSize, signal: this.#closing.signal });
        if (relayed) return relayed;
        this.#logger?.debug('DNS: no upstream answered', { network: networkId, name: q.question.name, type: q.question.type });
        return buildResponse(q, { rcode: RCODE.SERVFAIL, maxSize });
      } finally {
        this.#forwarding--;
      }
    } catch (err) {
      this.#logger?.warn('DNS query failed', { network: networkId, error: err });
      return undefined;
    }
  }

  /** The answer from the network's own names, or undefined when the name is not one of them. */
  #local(networkId: string, q: DnsQuery, maxSize: number | undefined): Buffer | undefined {
    if (q.question.class !== DNS_CLASS_IN) return undefined;
    const names = this.#names.get(networkId) ?? EMPTY_NAMES;
    const { name, type } = q.question;
    const ips = names.forward.get(name);
    if (ips) {
      const answers: DnsAnswer[] = type === DNS_TYPE.A || type === DNS_TYPE.ANY ? ips.map((ip) => ({ type: 'A', ip })) : [];
      return buildResponse(q, { rcode: RCODE.NOERROR, answers, ttl: this.#ttl, maxSize });
    }
    if (type === DNS_TYPE.PTR) {
      const ip = reverseIpv4(name);
      const target = ip === undefined ? undefined : names.reverse.get(ip);
      if (target !== undefined) return buildResponse(q, { rcode: RCODE.NOERROR, answers: [{ type: 'PTR', name: target }], ttl: this.#ttl, maxSize });
    }
    return undefined;
  }
}

/** Closes a listener's sockets, whatever state they are in. */
async function closeQuietly(l: Listener): Promise<void> {
  for (const c of l.connections) c.destroy();
  await Promise.all([
    new Promise<void>((resolve) => {
      try {
        l.udp.close(() => resolve());
      } catch {
        resolve(); // never bound, or already closed
      }
    }),
    new Promise<void>((resolve) => {
      if (!l.tcp.listening) return resolve();
      l.tcp.close(() => resolve());
    }),
  ]);
}
