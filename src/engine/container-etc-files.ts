import { invalidArgument } from '../core/errors.ts';

/** `/etc/hosts` of a container: docker's loopback lines, then the container's own name and `--add-host` entries. */
export function containerHostsFile(options: { hostname?: string; ip?: string; extraHosts?: string[]; hostGateway?: string }): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const entry of options.extraHosts ?? []) {
    // docker accepts `name:ip` and `name=ip`; an IPv6 address has colons of its own.
    const sep = entry.includes('=') ? entry.indexOf('=') : entry.indexOf(':');
    const name = entry.slice(0, sep);
    let ip = entry.slice(sep + 1).replace(/^\[(.*)\]$/, '$1');
    if (ip === 'host-gateway') {
      if (!options.hostGateway) throw invalidArgument(`--add-host ${JSON.stringify(entry)}: host-gateway has no address here (no default bridge network)`);
      ip = options.hostGateway;
    }
    if (sep <= 0 || !/^[A-Za-z0-9._-]+$/.test(name) || !/^[0-9A-Fa-f.:]+$/.test(ip)) {
      throw invalidArgument(`invalid --add-host ${JSON.stringify(entry)}: want HOST:IP`);
    }
    lines.push(`${ip}\t${name}`);
  }
  if (options.ip && options.hostname) lines.push(`${options.ip}\t${options.hostname}`);
  return `${lines.join('\n')}\n`;
}

/**
 * `/etc/resolv.conf` of a container: the host's, with `--dns`,
 * `--dns-search` and `--dns-option` replacing its nameserver, search and
 * options lines, as docker does.
 */
export function containerResolvConf(host: string, options: { dns?: string[]; dnsSearch?: string[]; dnsOptions?: string[] }): string {
  for (const ip of options.dns ?? []) {
    if (!/^[0-9A-Fa-f.:]+$/.test(ip)) throw invalidArgument(`invalid --dns ${JSON.stringify(ip)}: not an IP address`);
  }
  const keep = host.split('\n').filter((l) => {
    const word = l.trim().split(/\s+/)[0];
    if (word === 'nameserver') return !(options.dns && options.dns.length > 0);
    if (word === 'search' || word === 'domain') return !(options.dnsSearch && options.dnsSearch.length > 0);
    if (word === 'options') return !(options.dnsOptions && options.dnsOptions.length > 0);
    return l.trim() !== '';
  });
  for (const ip of options.dns ?? []) keep.push(`nameserver ${ip}`);
  if (options.dnsSearch && options.dnsSearch.length > 0) keep.push(`search ${options.dnsSearch.join(' ')}`);
  if (options.dnsOptions && options.dnsOptions.length > 0) keep.push(`options ${options.dnsOptions.join(' ')}`);
  return keep.length > 0 ? `${keep.join('\n')}\n` : '';
}
