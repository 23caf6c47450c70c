import { isIP } from 'node:net';
import { invalidArgument } from '../core/errors.ts';
import type { PortBindingWire } from '../api/client/types.ts';

/** What `-p`/`--expose` add to a create body. */
export interface ParsedPorts {
  /** `Config.ExposedPorts` keys: `80/tcp`. */
  exposed: string[];
  /** `HostConfig.PortBindings`. */
  bindings: Record<string, PortBindingWire[]>;
}

const PROTOCOLS = ['tcp', 'udp', 'sctp'];

function portRange(text: string): [number, number] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start > 65535 || end > 65535 || end < start) return undefined;
  return [start, end];
}

/**
 * `-p`/`--publish` values in docker's syntax
 * (`[IP:[HOST_PORT]:]CONTAINER_PORT[/PROTOCOL]`, ranges as `8000-8010`,
 * IPv6 addresses in brackets), merged into exposed ports and bindings the
 * way docker's CLI builds them. A host range with one container port binds
 * the range as the daemon's choice among them. InvalidArgument with
 * docker's words (`invalid containerPort: x`) otherwise. Pure.
 */
export function parsePublish(specs: readonly string[], into: ParsedPorts = { exposed: [], bindings: {} }): ParsedPorts {
  for (const spec of specs) {
    const parts = spec.split(':');
    const n = parts.length;
    let ip = '';
    let hostPort = '';
    const last = parts[n - 1];
    if (n === 2) hostPort = parts[0];
    else if (n >= 3) {
      ip = parts.slice(0, n - 2).join(':');
      hostPort = parts[n - 2];
    }
    const slash = last.indexOf('/');
    const containerPort = slash < 0 ? last : last.slice(0, slash);
    const proto = slash < 0 ? 'tcp' : last.slice(slash + 1).toLowerCase();
    if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
    if (ip !== '' && isIP(ip) === 0) throw invalidArgument(`invalid IP address: ${ip}`);
    if (containerPort === '') throw invalidArgument(`no port specified: ${spec}<empty>`);
    const inside = portRange(containerPort);
    if (!inside) throw invalidArgument(`invalid containerPort: ${containerPort}`);
    const outside = hostPort === '' ? undefined : portRange(hostPort);
    if (hostPort !== '' && !outside) throw invalidArgument(`invalid hostPort: ${hostPort}`);
    if (!PROTOCOLS.includes(proto)) throw invalidArgument(`invalid proto: ${proto}`);
    const count = inside[1] - inside[0];
    const hostRangeForOne = outside !== undefined && count === 0 && outside[1] > outside[0];
    if (outside && !hostRangeForOne && outside[1] - outside[0] !== count) {
      throw invalidArgument(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
    }
    for (let i = 0; i <= count; i++) {
      const key = `${inside[0] + i}/${proto}`;
      if (!into.exposed.includes(key)) into.exposed.push(key);
      const host = outside === undefined ? '' : hostRangeForOne ? hostPort : String(outside[0] + i);
      (into.bindings[key] ??= []).push({ HostIp: ip, HostPort: host });
    }
  }
  return into;
}

/** `--expose` values (`80`, `8000-8010/udp`) added to `into.exposed`. InvalidArgument with docker's words otherwise. Pure. */
export function parseExpose(specs: readonly string[], into: ParsedPorts = { exposed: [], bindings: {} }): ParsedPorts {
  for (const spec of specs) {
    const slash = spec.indexOf('/');
    const ports = slash < 0 ? spec : spec.slice(0, slash);
    const proto = slash < 0 ? 'tcp' : spec.slice(slash + 1).toLowerCase();
    if (ports.includes(':')) throw invalidArgument(`invalid port format for --expose: ${spec}`);
    const range = portRange(ports);
    if (!range) throw invalidArgument(`invalid range format for --expose: ${spec}`);
    if (!PROTOCOLS.includes(proto)) throw invalidArgument(`invalid proto: ${proto}`);
    for (let p = range[0]; p <= range[1]; p++) {
      const key = `${p}/${proto}`;
      if (!into.exposed.includes(key)) into.exposed.push(key);
    }
  }
  return into;
}
