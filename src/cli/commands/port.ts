import type { PortBindingWire } from '../../api/client/types.ts';
import { JanusError } from '../../core/errors.ts';
import type { Command } from '../command.ts';
import { UsageError } from '../usage-error.ts';

function hostAddress(b: PortBindingWire): string {
  const ip = b.HostIp === '' ? '0.0.0.0' : b.HostIp;
  return `${ip.includes(':') ? `[${ip}]` : ip}:${b.HostPort}`;
}

/**
 * The lines `port` prints for a container's published ports (inspect's
 * NetworkSettings.Ports): `80/tcp -> 0.0.0.0:8080` for all, or just the
 * host addresses of one port. Sorted by port and protocol, as docker. Pure.
 */
export function portLines(ports: Record<string, PortBindingWire[] | null> | null | undefined, only?: string): string[] {
  const keys = Object.keys(ports ?? {}).sort((a, b) => {
    const [pa, ta] = a.split('/');
    const [pb, tb] = b.split('/');
    return Number(pa) - Number(pb) || ta.localeCompare(tb);
  });
  const lines: string[] = [];
  for (const key of keys) {
    if (only !== undefined && key !== only) continue;
    for (const b of ports?.[key] ?? []) lines.push(only === undefined ? `${key} -> ${hostAddress(b)}` : hostAddress(b));
  }
  return lines;
}

/** `janus port` / `container port`: the public addresses of a container's published ports. */
export function portCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
      description: 'List port mappings or a specific mapping for the container',
      aliases: ['container port', 'port'].filter((a) => a !== name),
      args: { min: 1, max: 2 },
      flags: [],
    },
    async run(ctx, args) {
      const [container, port] = args.positionals;
      let only: string | undefined;
      if (port !== undefined) {
        const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/i.exec(port);
        if (!m || Number(m[1]) > 65535) throw new UsageError(`invalid port ${JSON.stringify(port)}: want PRIVATE_PORT[/tcp|udp|sctp]`, { command: name });
        only = `${m[1]}/${(m[2] ?? 'tcp').toLowerCase()}`;
      }
      const info = await ctx.client().containerInspect(container, { signal: ctx.signal });
      const lines = portLines(info.NetworkSettings?.Ports, only);
      if (only !== undefined && lines.length === 0) throw new JanusError('NotFound', `No public port '${only}' published for ${container}`);
      ctx.stdout.write(lines.map((l) => `${l}\n`).join(''));
    },
  };
}
