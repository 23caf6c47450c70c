import { createHash } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { conflict, internal, invalidArgument, notImplemented } from '../../core/errors.ts';
import type { BridgeNetworkSpec, EndpointSpec, NetworkDriver, NetworkLeftovers, PortMapping } from '../../core/network-driver.ts';
import type { Exec } from '../../util/exec.ts';
import type { Logger } from '../../util/logger.ts';
import { buildRuleset, NFT_TABLE } from './nft-ruleset.ts';

/** Options of `LinuxBridgeDriver`. */
export interface LinuxBridgeDriverOptions {
  /** Runs ip, nft, nsenter, unshare, umount. */
  exec: Exec;
  /** Where sandboxes are kept as bind-mounted nsfs files, one per container (private to this daemon). */
  sandboxDir: string;
  /** Reads and writes /proc/sys (injectable for tests). */
  sysctl?: { read(path: string): Promise<string>; write(path: string, value: string): Promise<void> };
  logger: Logger;
}

/** A reserved host port: the bound socket that keeps others off it. */
type Reservation = { close(): void };

const EPHEMERAL: [number, number] = [49153, 60999];
const DEFAULT_BRIDGE_PREFIX = 'jbr-';

/**
 * Janus's NetworkDriver on the host's own tools: bridges and veths with
 * iproute2, network namespaces as nsfs files bind-mounted by `unshare`,
 * and one nftables table (`ip janus`) rebuilt atomically from the driver's
 * state on every change (see buildRuleset). Published host ports are
 * reserved by sockets the daemon holds, as docker does, so another process
 * cannot take them and a taken one is refused up front.
 *
 * The table is rebuilt from what this process was told since it started:
 * after a daemon restart the rules of a network come back when it is
 * ensured again (the engine does so when it re-adopts running containers);
 * until then traffic of established connections keeps flowing through
 * conntrack. One daemon per network namespace: two would fight over the
 * table.
 */
export class LinuxBridgeDriver implements NetworkDriver {
  readonly #exec: Exec;
  readonly #dir: string;
  readonly #log: Logger;
  readonly #sysctl: NonNullable<LinuxBridgeDriverOptions['sysctl']>;
  readonly #networks = new Map<string, BridgeNetworkSpec>();
  readonly #ports = new Map<string, PortMapping[]>();
  readonly #reservations = new Map<string, Reservation[]>();
  #forwarding = false;
  #rules: Promise<void> = Promise.resolve();

  constructor(options: LinuxBridgeDriverOptions) {
    this.#exec = options.exec;
    this.#dir = options.sandboxDir;
    this.#log = options.logger;
    this.#sysctl = options.sysctl ?? {
      read: (p) => readFile(p, 'utf8'),
      write: (p, v) => writeFile(p, v),
    };
  }

  async ensure(net: BridgeNetworkSpec, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(net.bridge)) throw invalidArgument(`invalid bridge name ${JSON.stringify(net.bridge)}`);
    if (!net.icc) {
      // Traffic between two ports of one bridge never reaches the ip family's hooks without br_netfilter.
      throw notImplemented('enable_icc=false is not supported: Janus does not filter traffic inside one bridge');
    }
    const prefix = net.subnet.split('/')[1];
    const signal = options.signal;
    await this.#enableForwarding();
    const exists = (await this.#exec.run('ip', ['-o', 'link', 'show', 'dev', net.bridge], { check: false, signal })).code === 0;
    if (!exists) await this.#exec.run('ip', ['link', 'add', net.bridge, 'type', 'bridge'], { signal });
    await this.#exec.run('ip', ['-batch', '-'], {
      signal,
      input: [
        `addr replace ${net.gateway}/${prefix} dev ${net.bridge}`,
        `link set dev ${net.bridge} mtu ${net.mtu} up`,
      ].join('\n') + '\n',
    });
    // 127.0.0.1 traffic DNATed to a container leaves through the bridge: the kernel drops it as martian unless told.
    await this.#sysctl.write(`/proc/sys/net/ipv4/conf/${net.bridge}/route_localnet`, '1');
    this.#networks.set(net.id, net);
    await this.#applyRules(signal);
  }

  async destroy(net: BridgeNetworkSpec, options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#networks.delete(net.id);
    await this.#applyRules(options.signal);
    await this.#exec.run('ip', ['link', 'del', 'dev', net.bridge], { check: false, signal: options.signal });
  }

  async createSandbox(containerId: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    const path = this.#sandboxPath(containerId);
    if (await this.#isNetns(path)) return path;
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    await writeFile(path, '', { mode: 0o444 });
    try {
      await this.#exec.run('unshare', [`--net=${path}`, 'true'], { signal: options.signal });
      await this.#exec.run('nsenter', [`--net=${path}`, 'ip', 'link', 'set', 'lo', 'up'], { signal: options.signal });
    } catch (err) {
      await this.removeSandbox(containerId).catch(() => {});
      throw err;
    }
    return path;
  }

  async removeSandbox(containerId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const path = this.#sandboxPath(containerId);
    await this.#exec.run('umount', ['--lazy', path], { check: false, signal: options.signal });
    await rm(path, { force: true });
  }

  async connect(net: BridgeNetworkSpec, sandbox: string, ep: EndpointSpec, options: { signal?: AbortSignal } = {}): Promise<void> {
    const host = vethName(ep.containerId, ep.ifName);
    const signal = options.signal;
    const present = (await this.#exec.run('ip', ['-o', 'link', 'show', 'dev', host], { check: false, signal })).code === 0;
    if (present) return; // plugged in by an earlier run of this daemon; the container kept it
    const prefix = net.subnet.split('/')[1];
    await this.#exec.run('ip', ['link', 'add', host, 'mtu', String(net.mtu), 'type', 'veth', 'peer', 'name', ep.ifName, 'address', ep.mac, 'mtu', String(net.mtu), 'netns', sandbox], { signal });
    try {
      await this.#exec.run('ip', ['link', 'set', 'dev', host, 'master', net.bridge, 'up'], { signal });
      const inside = [`addr add ${ep.ip}/${prefix} dev ${ep.ifName}`, `link set dev ${ep.ifName} up`];
      if (ep.defaultRoute) inside.push(`route replace default via ${net.gateway} dev ${ep.ifName}`);
      await this.#exec.run('nsenter', [`--net=${sandbox}`, 'ip', '-batch', '-'], { signal, input: `${inside.join('\n')}\n` });
    } catch (err) {
      await this.#exec.run('ip', ['link', 'del', 'dev', host], { check: false });
      throw err;
    }
  }

  async disconnect(_net: BridgeNetworkSpec, _sandbox: string, ep: EndpointSpec, options: { signal?: AbortSignal } = {}): Promise<void> {
    // Deleting one end of a veth deletes both.
    await this.#exec.run('ip', ['link', 'del', 'dev', vethName(ep.containerId, ep.ifName)], { check: false, signal: options.signal });
  }

  async publish(containerId: string, ports: PortMapping[], options: { signal?: AbortSignal } = {}): Promise<void> {
    const previous = this.#reservations.get(containerId) ?? [];
    for (const r of previous) r.close();
    this.#reservations.delete(containerId);
    const taken: Reservation[] = [];
    try {
      for (const p of ports) taken.push(await reserve(p));
    } catch (err) {
      for (const r of taken) r.close();
      this.#ports.delete(containerId);
      await this.#applyRules(options.signal);
      throw err;
    }
    this.#reservations.set(containerId, taken);
    if (ports.length > 0) this.#ports.set(containerId, ports);
    else this.#ports.delete(containerId);
    await this.#applyRules(options.signal);
  }

  async unpublish(containerId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    for (const r of this.#reservations.get(containerId) ?? []) r.close();
    this.#reservations.delete(containerId);
    if (this.#ports.delete(containerId)) await this.#applyRules(options.signal);
  }

  async freePort(protocol: 'tcp' | 'udp', hostIp: string): Promise<number> {
    const [lo, hi] = await this.#ephemeralRange();
    const used = new Set([...this.#ports.values()].flat().filter((p) => p.protocol === protocol).map((p) => p.hostPort));
    const span = hi - lo + 1;
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const port = lo + ((start + i) % span);
      if (used.has(port)) continue;
      try {
        (await reserve({ protocol, hostIp, hostPort: port })).close();
        return port;
      } catch {
        /* taken: try the next one */
      }
    }
    throw conflict(`no free host port in ${lo}-${hi} for ${protocol} on ${hostIp}`);
  }

  async leftovers(known: { networks: string[]; containers: string[] }): Promise<NetworkLeftovers> {
    const containers = new Set(known.containers);
    const sandboxes = (await readdir(this.#dir).catch(() => [] as string[])).filter((f) => !containers.has(f));
    const out = await this.#exec.run('ip', ['-o', 'link', 'show', 'type', 'bridge'], { check: false });
    const bridges: string[] = [];
    for (const line of out.stdout.split('\n')) {
      const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
      if (!name?.startsWith(DEFAULT_BRIDGE_PREFIX)) continue;
      const idPrefix = name.slice(DEFAULT_BRIDGE_PREFIX.length);
      if (!known.networks.some((id) => id.startsWith(idPrefix))) bridges.push(name);
    }
    return { bridges, sandboxes };
  }

  async removeLeftovers(found: NetworkLeftovers): Promise<void> {
    for (const b of found.bridges) await this.#exec.run('ip', ['link', 'del', 'dev', b], { check: false });
    for (const s of found.sandboxes) await this.removeSandbox(s);
  }

  /** Releases every port reservation (daemon shutdown); rules and interfaces stay for the running containers. */
  close(): void {
    for (const list of this.#reservations.values()) for (const r of list) r.close();
    this.#reservations.clear();
  }

  #sandboxPath(containerId: string): string {
    if (!/^[0-9a-f]{12,64}$/.test(containerId)) throw invalidArgument(`invalid container ID ${JSON.stringify(containerId)}`);
    return join(this.#dir, containerId);
  }

  async #isNetns(path: string): Promise<boolean> {
    const mounts = await readFile('/proc/self/mountinfo', 'utf8');
    return mounts.split('\n').some((l) => l.split(' ')[4] === path);
  }

  async #enableForwarding(): Promise<void> {
    if (this.#forwarding) return;
    const path = '/proc/sys/net/ipv4/ip_forward';
    if ((await this.#sysctl.read(path)).trim() !== '1') {
      await this.#sysctl.write(path, '1');
      this.#log.info('enabled IPv4 forwarding for bridge networks', { sysctl: 'net.ipv4.ip_forward' });
    }
    this.#forwarding = true;
  }

  async #ephemeralRange(): Promise<[number, number]> {
    const text = await this.#sysctl.read('/proc/sys/net/ipv4/ip_local_port_range').catch(() => '');
    const [a, b] = text.trim().split(/\s+/).map(Number);
    if (!a || !b) return EPHEMERAL;
    // docker's range, narrowed to what the host lets local ports use.
    const lo = Math.max(EPHEMERAL[0], a);
    const hi = Math.min(EPHEMERAL[1], b);
    return lo <= hi ? [lo, hi] : EPHEMERAL;
  }

  /** Rebuilds the table; changes are serialised so two rebuilds never interleave. */
  #applyRules(signal?: AbortSignal): Promise<void> {
    const next = this.#rules.then(async () => {
      const script = buildRuleset({ networks: [...this.#networks.values()], ports: this.#ports });
      try {
        await this.#exec.run('nft', ['-f', '-'], { input: script, signal });
      } catch (err) {
        throw internal(`cannot apply the nftables rules of table ip ${NFT_TABLE}: ${(err as Error).message}`, err);
      }
    });
    this.#rules = next.catch(() => {});
    return next;
  }
}

/** The host end of a container's veth: `jv` + 11 hex of its container and interface (15 bytes at most). */
export function vethName(containerId: string, ifName: string): string {
  return `jv${createHash('sha256').update(`${containerId}/${ifName}`).digest('hex').slice(0, 11)}`;
}

/** Binds the host port of `p`; Conflict in docker's words when it is taken. */
function reserve(p: Pick<PortMapping, 'protocol' | 'hostIp' | 'hostPort'>): Promise<Reservation> {
  const taken = (err: NodeJS.ErrnoException) =>
    err.code === 'EADDRINUSE' || err.code === 'EACCES'
      ? conflict(`Bind for ${p.hostIp}:${p.hostPort} failed: port is already allocated`)
      : invalidArgument(`cannot publish on ${p.hostIp}:${p.hostPort}/${p.protocol}: ${err.message}`);
  return new Promise((resolve, reject) => {
    if (p.protocol === 'tcp') {
      const server: Server = createServer((sock) => sock.destroy());
      server.once('error', (err) => reject(taken(err)));
      server.listen({ host: p.hostIp, port: p.hostPort, exclusive: true }, () => {
        server.unref();
        resolve({ close: () => server.close() });
      });
    } else {
      const sock: UdpSocket = createSocket({ type: 'udp4' });
      sock.once('error', (err) => reject(taken(err)));
      sock.bind({ address: p.hostIp, port: p.hostPort, exclusive: true }, () => {
        sock.unref();
        resolve({ close: () => sock.close() });
      });
    }
  });
}
