/** True for a dotted-quad IPv4 address. */
export function isIpv4(s: string): boolean {
  return /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s) && s.split('.').every((o) => Number(o) <= 255);
}

/** True for an IPv4 subnet in CIDR notation (`172.28.0.0/16`). */
export function isCidr(s: string): boolean {
  const [ip, bits, extra] = s.split('/');
  return extra === undefined && bits !== undefined && isIpv4(ip) && /^\d{1,2}$/.test(bits) && Number(bits) <= 32;
}
