import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { conflict, internal, invalidArgument, type JanusError } from '../../core/errors.ts';

/** One host port as a reservation names it. */
export interface HostPort {
  protocol: 'tcp' | 'udp';
  /** `0.0.0.0` or one IPv4 address. */
  hostIp: string;
  hostPort: number;
}

interface Held extends HostPort {
  owner: string;
  socket: Server | UdpSocket;
}

/** The key of a host port. */
export function hostPortKey(p: HostPort): string {
  return `${p.protocol}/${p.hostIp}/${p.hostPort}`;
}

/** docker's message for a host port someone else holds. */
function allocatedError(p: HostPort, cause?: unknown): JanusError {
  return conflict(`Bind for ${p.hostIp}:${p.hostPort} failed: port is already allocated`, cause);
}

/**
 * Host ports held by the daemon for published ports, one bound socket each
 * (a listening TCP server, a bound UDP socket), like docker's proxy: while
 * Janus holds the port no other program can take it, and a program holding
 * it first makes the reservation fail. Traffic never reaches these sockets
 * (the DNAT rules redirect it first); a stray TCP connection is closed.
 * Reservations live in the daemon's memory: they end with the process and
 * are taken again when the engine re-publishes after a restart.
 */
export class PortReservations {
  readonly #held = new Map<string, Held>();

  /** The ports `owner` holds. */
  ownedBy(owner: string): HostPort[] {
    return [...this.#held.values()].filter((h) => h.owner === owner).map(({ protocol, hostIp, hostPort }) => ({ protocol, hostIp, hostPort }));
  }

  /**
   * Whether a port of `protocol` is held on `hostIp` by any owner: a hold on
   * `0.0.0.0` covers every address, and a hold on any address blocks
   * `0.0.0.0`.
   */
  isHeld(protocol: 'tcp' | 'udp', hostIp: string, hostPort: number): boolean {
    for (const h of this.#held.values()) {
      if (h.protocol !== protocol || h.hostPort !== hostPort) continue;
      if (h.hostIp === hostIp || h.hostIp === '0.0.0.0' || hostIp === '0.0.0.0') return true;
    }
    return false;
  }

  /**
   * Binds every port of `ports` for `owner`, all or none: Conflict ("Bind
   * for 0.0.0.0:8080 failed: port is already allocated") when one is taken,
   * by another program or another owner; InvalidArgument when the address
   * is not the host's. Ports `owner` already holds are kept as they are.
   */
  async reserve(owner: string, ports: readonly HostPort[]): Promise<void> {
    const fresh: Held[] = [];
    try {
      for (const p of ports) {
        const key = hostPortKey(p);
        const cur = this.#held.get(key);
        if (cur?.owner === owner) continue;
        if (cur) throw allocatedError(p);
        const socket = await bindPort(p);
        const held: Held = { ...p, owner, socket };
        fresh.push(held);
        this.#held.set(key, held);
      }
    } catch (err) {
      for (const h of fresh) {
        this.#held.delete(hostPortKey(h));
        await closeSocket(h.socket);
      }
      throw err;
    }
  }

  /** Frees `owner`'s ports, or only those of them not in `keep`. */
  async release(owner: string, keep: readonly HostPort[] = []): Promise<void> {
    const kept = new Set(keep.map(hostPortKey));
    for (const [key, h] of [...this.#held]) {
      if (h.owner !== owner || kept.has(key)) continue;
      this.#held.delete(key);
      await closeSocket(h.socket);
    }
  }

  /**
   * Whether `p` could be bound now (bound and closed at once). For choosing
   * ephemeral ports; the answer may be stale by the time it is used.
   */
  async probe(p: HostPort): Promise<boolean> {
    if (this.isHeld(p.protocol, p.hostIp, p.hostPort)) return false;
    try {
      await closeSocket(await bindPort(p));
      return true;
    } catch {
      return false;
    }
  }

  /** Frees everything; for daemon shutdown and tests. */
  async close(): Promise<void> {
    for (const h of [...this.#held.values()]) {
      this.#held.delete(hostPortKey(h));
      await closeSocket(h.socket);
    }
  }
}

function bindError(p: HostPort, err: unknown): JanusError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE' || code === 'EACCES') return allocatedError(p, err);
  if (code === 'EADDRNOTAVAIL') return invalidArgument(`Bind for ${p.hostIp}:${p.hostPort} failed: ${p.hostIp} is not an address of this host`, err);
  return internal(`Bind for ${p.hostIp}:${p.hostPort}/${p.protocol} failed: ${(err as Error).message}`, err);
}

/** A bound socket on `p` that does not keep the process alive. */
function bindPort(p: HostPort): Promise<Server | UdpSocket> {
  return new Promise((resolve, reject) => {
    if (p.protocol === 'tcp') {
      // A stray connection (one that slipped in before the DNAT rule) is
      // refused rather than left hanging in the backlog.
      const server = createServer((s) => s.destroy());
      server.once('error', (err) => reject(bindError(p, err)));
      server.listen({ host: p.hostIp, port: p.hostPort, exclusive: true, backlog: 1 }, () => {
        server.removeAllListeners('error');
        server.on('error', () => {});
        server.unref();
        resolve(server);
      });
    } else {
      const socket = createSocket({ type: 'udp4', reuseAddr: false });
      socket.once('error', (err) => {
        socket.close();
        reject(bindError(p, err));
      });
      socket.bind({ address: p.hostIp, port: p.hostPort, exclusive: true }, () => {
        socket.removeAllListeners('error');
        socket.on('error', () => {});
        // Datagrams that slipped in before the DNAT rule are read and dropped.
        socket.on('message', () => {});
        socket.unref();
        resolve(socket);
      });
    }
  });
}

function closeSocket(s: Server | UdpSocket): Promise<void> {
  return new Promise((resolve) => {
    try {
      s.close(() => resolve());
    } catch {
      resolve();
    }
  });
}
