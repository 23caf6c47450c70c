/** docker's key for Docker Hub in config.json and in POST /auth. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

/** An image reference split the way docker's client splits it, without validating it (the daemon does). */
export interface SplitName {
  /** Registry host, `docker.io` when the name has none. */
  registry: string;
  /** The name without tag and digest, as typed: `busybox`, `127.0.0.1:5000/e2e/x`. */
  name: string;
  tag?: string;
  digest?: string;
}

/**
 * Splits `ref` into registry, name, tag and digest by docker's rules: the
 * first path component is a registry when it holds `.` or `:`, is
 * `localhost`, or has upper case; a tag is a `:` suffix after the last `/`.
 * Never throws: a malformed reference goes to the daemon, whose error names it.
 */
export function splitImageName(ref: string): SplitName {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  let registry = hasRegistry ? first : 'docker.io';
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = 'docker.io';
  const out: SplitName = { registry, name: rest };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

/** The fully qualified form docker prints after a pull: `docker.io/library/busybox:latest`. */
export function fullImageName(ref: string): string {
  const s = splitImageName(ref);
  let path = s.name;
  const slash = path.indexOf('/');
  const first = slash < 0 ? '' : path.slice(0, slash);
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  if (hasRegistry) path = path.slice(slash + 1);
  if (s.registry === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  const suffix = `${s.tag !== undefined ? `:${s.tag}` : s.digest === undefined ? ':latest' : ''}${s.digest !== undefined ? `@${s.digest}` : ''}`;
  return `${s.registry}/${path}${suffix}`;
}

/** The key credentials for `registry` are stored under, and the serveraddress sent to POST /auth. */
export function authKey(registry: string): string {
  return registry === 'docker.io' ? DOCKER_HUB_AUTH_KEY : registry;
}
