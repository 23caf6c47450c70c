import type { Exec } from '../../util/exec.ts';

/** One NIC of a guest: it takes over an interface of the workload's network namespace through a tap. */
export interface GuestNic {
  /** The namespace's interface (and the guest's name for its NIC), e.g. eth0. */
  name: string;
  mac: string;
  /** IPv4 address with prefix, e.g. 172.18.0.2/16; empty when the interface has none. */
  address: string;
  mtu: number;
  /** The tap QEMU opens, in the same namespace. */
  tap: string;
}

/** A route the guest gets (IPv4): `0.0.0.0/0` for the default one. */
export interface GuestRoute {
  destination: string;
  gateway: string;
}

interface IpAddrJson {
  ifname: string;
  link_type?: string;
  address?: string;
  mtu?: number;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** The Ethernet interfaces of `ip -j addr show` output, each with the tap that will stand for it; pure. */
export function nicsOf(ipAddrJson: string): GuestNic[] {
  const links = JSON.parse(ipAddrJson) as IpAddrJson[];
  return links
    .filter((l) => l.link_type === 'ether' && !l.ifname.startsWith('jtap'))
    .map((l, i) => {
      const v4 = l.addr_info?.find((a) => a.family === 'inet');
      return { name: l.ifname, mac: l.address ?? '', address: v4 ? `${v4.local}/${v4.prefixlen}` : '', mtu: l.mtu ?? 1500, tap: `jtap${i}` };
    });
}

/** The IPv4 routes with a gateway from `ip -j route show` output; pure. */
export function routesOf(ipRouteJson: string): GuestRoute[] {
  const routes = JSON.parse(ipRouteJson) as { dst: string; gateway?: string }[];
  return routes.filter((r) => r.gateway).map((r) => ({ destination: r.dst === 'default' ? '0.0.0.0/0' : r.dst, gateway: r.gateway! }));
}

/**
 * The commands (run inside the namespace) that hand `nic` to the guest: a
 * tap, and tc rules that redirect every frame arriving on the interface to
 * the tap and back. The guest uses the interface's MAC and address, so the
 * bridge, published ports, DNS and isolation rules made for a container
 * apply unchanged; the namespace's own stack no longer sees the traffic.
 */
export function tapCommands(nic: GuestNic): string[][] {
  const redirect = (from: string, to: string): string[][] => [
    ['tc', 'qdisc', 'add', 'dev', from, 'ingress'],
    ['tc', 'filter', 'add', 'dev', from, 'parent', 'ffff:', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', to],
  ];
  return [
    ['ip', 'tuntap', 'add', 'dev', nic.tap, 'mode', 'tap'],
    ['ip', 'link', 'set', nic.tap, 'mtu', String(nic.mtu), 'up'],
    ...redirect(nic.name, nic.tap),
    ...redirect(nic.tap, nic.name),
  ];
}

/**
 * Reads the interfaces and routes of the network namespace at `netnsPath`
 * and wires a tap to each interface. Runs `ip`/`tc` through nsenter, which
 * keeps the host's /sys/fs/cgroup (unlike `ip netns exec`).
 */
export async function attachGuestNics(exec: Exec, netnsPath: string): Promise<{ nics: GuestNic[]; routes: GuestRoute[] }> {
  const inNs = (argv: string[]) => exec.run('nsenter', [`--net=${netnsPath}`, '--', ...argv]);
  const nics = nicsOf((await inNs(['ip', '-j', 'addr', 'show'])).stdout);
  const routes = routesOf((await inNs(['ip', '-j', '-4', 'route', 'show'])).stdout);
  for (const nic of nics) {
    await inNs(['ip', 'link', 'del', nic.tap]).catch(() => {});
    for (const cmd of tapCommands(nic)) await inNs(cmd);
  }
  return { nics, routes };
}
