import { open, mkdir, readdir, readFile, realpath, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asJanusError, conflict, invalidArgument, notImplemented, unavailable } from '../../core/errors.ts';
import type { BridgeNetworkSpec, EndpointSpec, NetworkDriver, NetworkLeftovers, PortMapping } from '../../core/network-driver.ts';
import { ExecError, type Exec, type ExecResult } from '../../util/exec.ts';
import {
  BRIDGE_ALIAS_PREFIX, BRIDGE_NAME_PREFIX, ID_PREFIX_LENGTH, bridgeAlias, isValidIfName, isValidObjectId, vethName,
} from './host-names.ts';
import { bridgeBatch, createSandboxArgs, inSandboxArgs, sandboxBatch, vethBatch, type BridgeState } from './ip-commands.ts';
import { formatIpv4Net, maskOf, netContains, netsOverlap, parseIpv4, parseIpv4Net } from './ipv4.ts';
import { parseNftInventory, type NftChainRef, type NftInventory } from './nft-inventory.ts';
import { destroyNetworkScript, ensureNetworkScript, publishScript, removeChainsScript, unpublishScript } from './nft-script.ts';
import { hostPortKey, PortReservations, type HostPort } from './port-reservations.ts';

/** docker's ephemeral host port range. */
const EPHEMERAL_PORTS: readonly [number, number] = [49153, 60999];

/** Options of the bridge driver; every host fact has a default for the real host. */
export interface BridgeNetworkDriverOptions {
  exec: Exec;
  /**
   * Where sandbox files live (default `/run/janus/netns`). Not `/run/netns`:
   * `ip netns` there would list and could delete Janus's sandboxes, and
   * iproute2 cannot be pointed at another directory, so the driver makes
   * the files itself (see `createSandbox`).
   */
  netnsDir?: string;
  /** Name of the nftables tables (`inet <table>`, `bridge <table>`; default `janus`). */
  table?: string;
  /** Writes a sysctl given as path segments under /proc/sys (default: writes the file of the current network namespace). */
  writeSysctl?: (path: readonly string[], value: string) => Promise<void>;
  /** Reads a sysctl given as path segments under /proc/sys (default: reads the file). */
  readSysctl?: (path: readonly string[]) => Promise<string>;
  /** Reads /proc/self/mountinfo (default: the file). */
  readMountInfo?: () => Promise<string>;
}

/** A sysctl file of the network namespace the daemon runs in (/proc/sys/net is per namespace). */
function sysctlPath(path: readonly string[]): string {
  return join('/proc/sys', ...path);
}

/**
 * `NetworkDriver` on iproute2 and nftables, run through the injected Exec.
 *
 * Host objects, all named or tagged after their owner so start-up cleanup
 * can find them: a bridge per network (ifalias `janus:<network id>`); the
 * nftables chains `net-<id12>-*` and `ports-<id12>-*` in the tables
 * `inet janus` and `bridge janus` (layout in nft-script.ts); per container
 * a sandbox file `<netnsDir>/<container id>` and veths `jv<hash>` (host
 * end) named after container and interface.
 *
 * `leftovers` reports bridge device names (also of bridges already gone
 * whose rules remain) and sandbox names: container IDs with a sandbox file,
 * or the 12-character ID prefix of port rules no container owns;
 * `removeLeftovers` removes each with everything it owns.
 *
 * Calls on the same network, container or container's ports are
 * serialized; different ones run concurrently (nftables applies
 * transactions one at a time).
 */
export class BridgeNetworkDriver implements NetworkDriver {
  readonly #exec: Exec;
  readonly #netnsDir: string;
  readonly #table: string;
  readonly #writeSysctl: (path: readonly string[], value: string) => Promise<void>;
  readonly #readSysctl: (path: readonly string[]) => Promise<string>;
  readonly #readMountInfo: () => Promise<string>;
  readonly #ports = new PortReservations();
  readonly #locks = new Map<string, Promise<unknown>>();
  #netnsDirReady: Promise<void> | undefined;
  #portCursor = new Map<string, number>();

  constructor(options: BridgeNetworkDriverOptions) {
    this.#exec = options.exec;
    this.#netnsDir = options.netnsDir ?? '/run/janus/netns';
    this.#table = options.table ?? 'janus';
    this.#writeSysctl = options.writeSysctl ?? ((path, value) => writeFile(sysctlPath(path), value));
    this.#readSysctl = options.readSysctl ?? ((path) => readFile(sysctlPath(path), 'utf8'));
    this.#readMountInfo = options.readMountInfo ?? (() => readFile('/proc/self/mountinfo', 'utf8'));
  }

  /** The directory of sandbox files. */
  get netnsDir(): string {
    return this.#netnsDir;
  }

  async ensure(net: BridgeNetworkSpec, options: { signal?: AbortSignal } = {}): Promise<void> {
    const subnet = checkNetwork(net);
    return this.#locked(`net:${net.id}`, async () => {
      const signal = options.signal;
      const [link, routes] = await Promise.all([
        this.#run('ip', ['-j', '-d', 'addr', 'show', 'dev', net.bridge], { signal, check: false }),
        this.#run('ip', ['-j', '-4', 'route', 'show', 'table', 'main'], { signal }),
      ]);
      const state = bridgeStateOf(net, link);
      for (const r of JSON.parse(routes.stdout || '[]') as { dst?: string; dev?: string }[]) {
        if (!r.dst || r.dst === 'default' || r.dev === net.bridge) continue;
        let dst;
        try {
          dst = parseIpv4Net(r.dst, 'route');
        } catch {
          continue;
        }
        if (netsOverlap(dst, subnet)) {
          throw conflict(`subnet ${net.subnet} of bridge ${net.bridge} overlaps the host route ${r.dst}${r.dev ? ` dev ${r.dev}` : ''}`);
        }
      }
      await this.#run('ip', ['-batch', '-'], { signal, input: `${bridgeBatch(net, state).join('\n')}\n` });
      // Forwarding is per network namespace and off by default; without it
      // nothing leaves a bridge. route_localnet lets the host's 127.0.0.1
      // connections to published ports be routed out of the bridge (the
      // postrouting masquerade then gives them the gateway as source).
      if ((await this.#readSysctl(['net', 'ipv4', 'ip_forward'])).trim() !== '1') await this.#writeSysctl(['net', 'ipv4', 'ip_forward'], '1');
      await this.#writeSysctl(['net', 'ipv4', 'conf', net.bridge, 'route_localnet'], '1');
      await this.#nft(ensureNetworkScript(net, this.#table), signal);
    });
  }

  async destroy(net: BridgeNetworkSpec, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (!isValidIfName(net.bridge)) throw invalidArgument(`invalid bridge name ${JSON.stringify(net.bridge)}`);
    return this.#locked(`net:${net.id}`, async () => {
      const link = await this.#run('ip', ['-j', '-d', 'link', 'show', 'dev', net.bridge], { signal: options.signal, check: false });
      // Only a bridge that is this network's is deleted: a name reused by
      // someone else's device stays.
      if (link.code === 0 && isOurBridge(parseLinks(link.stdout)[0], net.id)) await this.#deleteLink(net.bridge, options.signal);
      await this.#nft(destroyNetworkScript(net.id, [net.bridge], this.#table), options.signal);
    });
  }

  /**
   * Creates `<netnsDir>/<containerId>` the way `ip netns add` does, in a
   * directory of Janus's own: the directory is bind-mounted onto itself and
   * made shared once (so a sandbox file's unmount reaches mount namespaces
   * copied after it was made, and the namespace is freed when Janus
   * deletes it), an empty file is created, and `unshare --net=FILE`
   * bind-mounts a new namespace onto it while it brings loopback up inside.
   * A file that already carries a namespace is reused; an empty one (a
   * crash between the two steps) is filled.
   */
  async createSandbox(containerId: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    checkObjectId(containerId, 'container ID');
    const path = join(this.#netnsDir, containerId);
    return this.#locked(`sandbox:${containerId}`, async () => {
      await this.#prepareNetnsDir();
      if (await this.#isMounted(path)) return path;
      await (await open(path, 'a', 0o444)).close();
      const { file, args } = createSandboxArgs(path);
      try {
        await this.#run(file, args, { signal: options.signal });
      } catch (err) {
        if (!(await this.#isMounted(path))) await rm(path, { force: true });
        throw err;
      }
      return path;
    });
  }

  async removeSandbox(containerId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    checkObjectId(containerId, 'container ID');
    const path = join(this.#netnsDir, containerId);
    return this.#locked(`sandbox:${containerId}`, () => this.#removeSandboxFile(path, options.signal));
  }

  async connect(net: BridgeNetworkSpec, sandbox: string, ep: EndpointSpec, options: { signal?: AbortSignal } = {}): Promise<void> {
    const subnet = checkNetwork(net);
    checkEndpoint(ep, subnet, net);
    const veth = vethName(ep.containerId, ep.ifName);
    const signal = options.signal;
    return this.#locked(`sandbox:${ep.containerId}`, async () => {
      const batch = `${vethBatch(net, sandbox, ep, veth).join('\n')}\n`;
      const first = await this.#run('ip', ['-batch', '-'], { signal, input: batch, check: false });
      if (first.code !== 0) {
        // A connect redone after a crash finds its veth (or the sandbox end)
        // already there: start over from nothing rather than patch it.
        if (!/File exists/.test(first.stderr)) throw execFailed('ip -batch -', first, batch);
        await this.#deleteLink(veth, signal);
        const inSandbox = inSandboxArgs(sandbox);
        await this.#run(inSandbox.file, inSandbox.args, { signal, input: `link del dev ${ep.ifName}\n`, check: false });
        await this.#run('ip', ['-batch', '-'], { signal, input: batch });
      }
      try {
        const { file, args } = inSandboxArgs(sandbox);
        await this.#run(file, args, { signal, input: `${sandboxBatch(net, ep).join('\n')}\n` });
      } catch (err) {
        await this.#deleteLink(veth).catch(() => {});
        throw err;
      }
    });
  }

  async disconnect(_net: BridgeNetworkSpec, _sandbox: string, ep: EndpointSpec, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (!isValidIfName(ep.ifName)) throw invalidArgument(`invalid interface name ${JSON.stringify(ep.ifName)}`);
    // Deleting one end of a veth deletes both; the host end is found by name.
    return this.#locked(`sandbox:${ep.containerId}`, () => this.#deleteLink(vethName(ep.containerId, ep.ifName), options.signal));
  }

  async publish(containerId: string, ports: PortMapping[], options: { signal?: AbortSignal } = {}): Promise<void> {
    checkObjectId(containerId, 'container ID');
    const wanted = checkPorts(ports);
    return this.#locked(`ports:${containerId}`, async () => {
      const held = this.#ports.ownedBy(containerId);
      await this.#ports.reserve(containerId, wanted);
      try {
        await this.#nft(publishScript(containerId, ports, this.#table), options.signal);
      } catch (err) {
        // Back to what was held before this call: the new ports are freed,
        // the old rules (the transaction failed as a whole) still stand.
        await this.#ports.release(containerId, held);
        throw err;
      }
      await this.#ports.release(containerId, wanted);
    });
  }

  async unpublish(containerId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    checkObjectId(containerId, 'container ID');
    return this.#locked(`ports:${containerId}`, async () => {
      await this.#nft(unpublishScript(containerId, this.#table), options.signal);
      await this.#ports.release(containerId);
    });
  }

  async freePort(protocol: 'tcp' | 'udp', hostIp: string): Promise<number> {
    if (protocol !== 'tcp' && protocol !== 'udp') throw invalidArgument(`invalid protocol ${JSON.stringify(protocol)}`);
    checkHostIp(hostIp);
    const [lo, hi] = await this.#ephemeralRange();
    const size = hi - lo + 1;
    // Sequential from where the last search stopped, like docker's
    // allocator: a port just handed out is not offered again at once even
    // before it is published.
    const start = this.#portCursor.get(protocol) ?? lo;
    for (let i = 0; i < size; i++) {
      const port = lo + ((start - lo + i) % size);
      if (await this.#ports.probe({ protocol, hostIp, hostPort: port })) {
        this.#portCursor.set(protocol, port + 1 > hi ? lo : port + 1);
        return port;
      }
    }
    throw conflict(`no free ${protocol} port on ${hostIp} in ${lo}-${hi}: every one is allocated`);
  }

  async leftovers(known: { networks: string[]; containers: string[] }): Promise<NetworkLeftovers> {
    const [links, inv, files] = await Promise.all([this.#bridgeLinks(), this.#inventory(), this.#sandboxFiles()]);
    const knownNet = (idOrPrefix: string) => known.networks.some((id) => id.startsWith(idOrPrefix));
    const knownBridges = new Set<string>();
    const bridges = new Set<string>();
    for (const l of links) {
      const owner = ownerOfBridge(l);
      if (owner === undefined) continue;
      if (knownNet(owner)) knownBridges.add(l.ifname);
      else bridges.add(l.ifname);
    }
    for (const [prefix, n] of inv.networks) {
      for (const b of n.bridges) (knownNet(prefix) ? knownBridges : bridges).add(b);
    }
    // Set elements of bridges nothing owns any more are leftovers too.
    const devices = new Set(links.map((l) => l.ifname));
    for (const b of inv.bridgeSet) if (!knownBridges.has(b) && !devices.has(b)) bridges.add(b);
    for (const b of knownBridges) bridges.delete(b);
    const sandboxes = new Set(files.filter((f) => !known.containers.includes(f)));
    for (const prefix of inv.ports.keys()) {
      if (known.containers.some((id) => id.startsWith(prefix))) continue;
      if (![...sandboxes].some((s) => s.startsWith(prefix))) sandboxes.add(prefix);
    }
    return { bridges: [...bridges].sort(), sandboxes: [...sandboxes].sort() };
  }

  async removeLeftovers(found: NetworkLeftovers): Promise<void> {
    const [links, inv] = await Promise.all([this.#bridgeLinks(), this.#inventory()]);
    const chains: NftChainRef[] = [];
    for (const name of found.bridges) {
      if (!isValidIfName(name)) continue;
      const link = links.find((l) => l.ifname === name);
      const owner = link ? ownerOfBridge(link) : undefined;
      if (link && owner !== undefined) await this.#deleteLink(name);
      for (const [prefix, n] of inv.networks) {
        if (n.bridges.has(name) || (owner !== undefined && owner.length >= ID_PREFIX_LENGTH && owner.startsWith(prefix))) chains.push(...n.chains);
      }
    }
    for (const s of found.sandboxes) {
      if (!isValidObjectId(s)) continue;
      await this.#locked(`sandbox:${s}`, () => this.#removeSandboxFile(join(this.#netnsDir, s)));
      chains.push(...(inv.ports.get(s.slice(0, ID_PREFIX_LENGTH)) ?? []));
    }
    const stale = found.bridges.filter((b) => inv.bridgeSet.includes(b));
    if (chains.length || stale.length) await this.#nft(removeChainsScript(chains, stale, this.#table));
  }

  /**
   * Frees every port reservation (rules stay: ports keep working while the
   * daemon is down). For daemon shutdown. When no sandbox is left, the
   * sandbox directory's own bind mount goes too, so a daemon that ends
   * with no containers leaves no mount behind.
   */
  async close(): Promise<void> {
    await this.#ports.close();
    const left = await readdir(this.#netnsDir).catch(() => undefined);
    if (left && left.length === 0) {
      await this.#run('umount', [this.#netnsDir], { check: false });
      await rmdir(this.#netnsDir).catch(() => {});
    }
  }

  // ---- host plumbing ----

  async #run(file: string, args: readonly string[], options: { signal?: AbortSignal; input?: string; check?: boolean } = {}): Promise<ExecResult> {
    try {
      return await this.#exec.run(file, args, { input: options.input, signal: options.signal, check: options.check });
    } catch (err) {
      if (err instanceof ExecError && err.result === undefined && (err.cause as NodeJS.ErrnoException)?.code === 'ENOENT') {
        throw unavailable(`${file} is not installed: bridge networks need iproute2, nftables and util-linux`, err);
      }
      if (err instanceof ExecError && err.result) throw execFailed([file, ...args].join(' '), err.result, options.input);
      throw asJanusError(err, file);
    }
  }

  async #nft(script: string, signal?: AbortSignal): Promise<void> {
    await this.#run('nft', ['-f', '-'], { signal, input: script });
  }

  /** Deletes a link; absent is fine. */
  async #deleteLink(name: string, signal?: AbortSignal): Promise<void> {
    const r = await this.#run('ip', ['link', 'del', 'dev', name], { signal, check: false });
    if (r.code !== 0 && !/Cannot find device|does not exist/.test(r.stderr)) throw execFailed(`ip link del dev ${name}`, r);
  }

  async #bridgeLinks(): Promise<LinkInfo[]> {
    const r = await this.#run('ip', ['-j', 'link', 'show', 'type', 'bridge']);
    return parseLinks(r.stdout);
  }

  async #inventory(): Promise<NftInventory> {
    const r = await this.#run('nft', ['-j', 'list', 'ruleset']);
    return parseNftInventory(r.stdout, this.#table);
  }

  async #sandboxFiles(): Promise<string[]> {
    try {
      return (await readdir(this.#netnsDir)).filter(isValidObjectId);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** Whether `path` is a mount point (an nsfs file bound there): its device differs from its directory's. */
  async #isMounted(path: string): Promise<boolean> {
    try {
      const [f, d] = await Promise.all([stat(path), stat(this.#netnsDir)]);
      return f.dev !== d.dev;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async #removeSandboxFile(path: string, signal?: AbortSignal): Promise<void> {
    // A file may carry more than one mount if two creators raced before
    // the lock existed (an older daemon): unmount until none is left.
    for (let i = 0; i < 8 && (await this.#isMounted(path)); i++) {
      await this.#run('umount', ['--lazy', path], { signal });
    }
    await rm(path, { force: true });
  }

  #prepareNetnsDir(): Promise<void> {
    this.#netnsDirReady ??= (async () => {
      await mkdir(this.#netnsDir, { recursive: true, mode: 0o755 });
      // mountinfo shows resolved paths: compare with the real one, or a
      // symlinked directory would be bound again at every start.
      const real = await realpath(this.#netnsDir);
      const lines = (await this.#readMountInfo()).split('\n').map((l) => l.split(' '));
      const self = lines.find((f) => f[4] === real && f.length > 6);
      if (!self) {
        await this.#run('mount', ['--make-shared', '--bind', this.#netnsDir, this.#netnsDir]);
      } else if (!self.slice(6, self.indexOf('-')).some((t) => t.startsWith('shared:'))) {
        await this.#run('mount', ['--make-shared', this.#netnsDir]);
      }
    })().catch((err: unknown) => {
      this.#netnsDirReady = undefined;
      throw err;
    });
    return this.#netnsDirReady;
  }

  async #ephemeralRange(): Promise<[number, number]> {
    let lo = EPHEMERAL_PORTS[0];
    let hi = EPHEMERAL_PORTS[1];
    try {
      const [a, b] = (await this.#readSysctl(['net', 'ipv4', 'ip_local_port_range'])).trim().split(/\s+/).map(Number);
      if (Number.isInteger(a) && Number.isInteger(b) && a! <= b!) {
        if (Math.max(lo, a!) <= Math.min(hi, b!)) {
          lo = Math.max(lo, a!);
          hi = Math.min(hi, b!);
        } else {
          [lo, hi] = [a!, b!];
        }
      }
    } catch {
      /* docker's range as it is */
    }
    return [lo, hi];
  }

  /** Runs `fn` after every earlier call with the same key has settled. */
  #locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.#locks.set(key, tail);
    void tail.then(() => {
      if (this.#locks.get(key) === tail) this.#locks.delete(key);
    });
    return next;
  }
}

// ---- validation and parsing (pure) ----

interface LinkInfo {
  ifname: string;
  ifalias?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

function parseLinks(json: string): LinkInfo[] {
  return json.trim() ? (JSON.parse(json) as LinkInfo[]) : [];
}

/** The network ID (or, for an untagged `jbr-` bridge, the ID prefix in its name) a bridge belongs to; undefined when it is not Janus's. */
function ownerOfBridge(l: LinkInfo): string | undefined {
  if (l.ifalias?.startsWith(BRIDGE_ALIAS_PREFIX)) return l.ifalias.slice(BRIDGE_ALIAS_PREFIX.length);
  if (!l.ifalias && l.ifname.startsWith(BRIDGE_NAME_PREFIX) && l.ifname.length > BRIDGE_NAME_PREFIX.length) return l.ifname.slice(BRIDGE_NAME_PREFIX.length);
  return undefined;
}

function isOurBridge(l: LinkInfo | undefined, networkId: string): boolean {
  if (!l) return false;
  if (l.ifalias) return l.ifalias === bridgeAlias(networkId);
  const owner = ownerOfBridge(l);
  return owner !== undefined && networkId.startsWith(owner);
}

/** What `ip -j -d addr show dev BR` says about the bridge; Conflict when the name is taken by something that is not this network's bridge. */
function bridgeStateOf(net: BridgeNetworkSpec, r: ExecResult): BridgeState {
  if (r.code !== 0) {
    if (/does not exist|Cannot find device/.test(r.stderr)) return { exists: false, addresses: [] };
    throw execFailed(`ip -j -d addr show dev ${net.bridge}`, r);
  }
  const l = parseLinks(r.stdout)[0];
  if (!l) return { exists: false, addresses: [] };
  if (l.linkinfo?.info_kind !== 'bridge') throw conflict(`cannot use ${net.bridge} as a bridge: a ${l.linkinfo?.info_kind ?? 'network'} device of that name exists`);
  if (!isOurBridge(l, net.id) && (l.ifalias || !l.ifname.startsWith(BRIDGE_NAME_PREFIX))) {
    throw conflict(`bridge ${net.bridge} exists and is not this network's${l.ifalias ? ` (alias ${l.ifalias})` : ''}`);
  }
  const addresses = (l.addr_info ?? []).filter((a) => a.family === 'inet' && a.local).map((a) => `${a.local}/${a.prefixlen}`);
  return { exists: true, addresses };
}

function execFailed(command: string, r: ExecResult, input?: string): Error {
  const detail = r.stderr.trim() || r.stdout.trim();
  return asJanusError(new ExecError(command, r, `${command}: exit status ${r.code}${detail ? `: ${detail}` : ''}${input ? ` (input: ${input.trim().replaceAll('\n', '; ')})` : ''}`));
}

function checkObjectId(id: string, what: string): void {
  if (!isValidObjectId(id)) throw invalidArgument(`invalid ${what} ${JSON.stringify(id)}`);
}

/** Checks a network spec; returns its subnet. */
function checkNetwork(net: BridgeNetworkSpec) {
  checkObjectId(net.id, 'network ID');
  if (!isValidIfName(net.bridge)) throw invalidArgument(`invalid bridge name ${JSON.stringify(net.bridge)}: at most 15 letters, digits, '_', '.' or '-'`);
  const subnet = parseIpv4Net(net.subnet, 'subnet', { strict: true });
  if (!net.subnet.includes('/') || subnet.prefix > 30 || subnet.prefix < 1) throw invalidArgument(`invalid subnet ${JSON.stringify(net.subnet)}: want a prefix length of 1 to 30`);
  const gw = parseIpv4(net.gateway);
  const broadcast = (subnet.base | ~maskOf(subnet.prefix)) >>> 0;
  if (gw === undefined || !netContains(subnet, gw) || gw === subnet.base || gw === broadcast) {
    throw invalidArgument(`invalid gateway ${JSON.stringify(net.gateway)}: not a host address of ${formatIpv4Net(subnet)}`);
  }
  if (!Number.isInteger(net.mtu) || net.mtu < 68 || net.mtu > 65535) throw invalidArgument(`invalid MTU ${net.mtu}: want 68 to 65535`);
  return subnet;
}

function checkEndpoint(ep: EndpointSpec, subnet: ReturnType<typeof parseIpv4Net>, net: BridgeNetworkSpec): void {
  checkObjectId(ep.containerId, 'container ID');
  if (!isValidIfName(ep.ifName)) throw invalidArgument(`invalid interface name ${JSON.stringify(ep.ifName)}`);
  const ip = parseIpv4(ep.ip);
  if (ip === undefined || !netContains(subnet, ip) || ep.ip === net.gateway) {
    throw invalidArgument(`invalid address ${JSON.stringify(ep.ip)} for network ${net.subnet}`);
  }
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(ep.mac) || (parseInt(ep.mac.slice(0, 2), 16) & 1) === 1) {
    throw invalidArgument(`invalid MAC address ${JSON.stringify(ep.mac)}: want a unicast address such as 02:42:ac:12:00:02`);
  }
}

function checkHostIp(hostIp: string): void {
  if (hostIp.includes(':')) throw notImplemented(`publishing on IPv6 address ${hostIp} is not supported: Janus networks are IPv4`);
  if (parseIpv4(hostIp) === undefined) throw invalidArgument(`invalid host IP ${JSON.stringify(hostIp)}`);
}

/** Checks mappings; returns the distinct host ports. Conflict for one host port mapped twice to different targets. */
function checkPorts(ports: readonly PortMapping[]): HostPort[] {
  const byKey = new Map<string, PortMapping>();
  for (const m of ports) {
    if (m.protocol !== 'tcp' && m.protocol !== 'udp') throw invalidArgument(`invalid protocol ${JSON.stringify(m.protocol)}: want tcp or udp`);
    checkHostIp(m.hostIp);
    if (parseIpv4(m.containerIp) === undefined) throw invalidArgument(`invalid container IP ${JSON.stringify(m.containerIp)}`);
    for (const [what, p] of [['host port', m.hostPort], ['container port', m.containerPort]] as const) {
      if (!Number.isInteger(p) || p < 1 || p > 65535) throw invalidArgument(`invalid ${what} ${p}: want 1 to 65535`);
    }
    const hp = { protocol: m.protocol, hostIp: m.hostIp, hostPort: m.hostPort };
    const key = hostPortKey(hp);
    const seen = byKey.get(key);
    if (seen && (seen.containerIp !== m.containerIp || seen.containerPort !== m.containerPort)) {
      throw conflict(`Bind for ${m.hostIp}:${m.hostPort} failed: port is already allocated`);
    }
    // 0.0.0.0 and a single address on the same port clash as sockets do.
    for (const other of byKey.values()) {
      if (other.protocol === m.protocol && other.hostPort === m.hostPort && other.hostIp !== m.hostIp && (other.hostIp === '0.0.0.0' || m.hostIp === '0.0.0.0')) {
        throw conflict(`Bind for ${m.hostIp}:${m.hostPort} failed: port is already allocated`);
      }
    }
    byKey.set(key, m);
  }
  return [...byKey.values()].map((m) => ({ protocol: m.protocol, hostIp: m.hostIp, hostPort: m.hostPort }));
}
