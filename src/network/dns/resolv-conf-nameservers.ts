import { isIP } from 'node:net';

/**
 * The `nameserver` addresses of a resolv.conf text, in order: what
 * EmbeddedNameServer takes as its upstreams. Comments (`#`, `;`) and lines
 * that are not an IP address are skipped. Pure.
 */
export function resolvConfNameservers(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const words = line.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (words[0] !== 'nameserver' || words[1] === undefined) continue;
    if (isIP(words[1].replace(/%.*$/, '')) !== 0) out.push(words[1]);
  }
  return out;
}
