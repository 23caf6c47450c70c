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

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:\[[0-9a-fA-F:]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]+)?$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

/**
 * Why `ref` is not a valid image reference by docker's grammar
 * (distribution/reference), or undefined when it is. The docker client
 * checks a few references itself (the target of `tag`) before asking the
 * daemon; this is that check.
 */
export function referenceProblem(ref: string): string | undefined {
  const s = splitImageName(ref);
  if (s.digest !== undefined && !DIGEST.test(s.digest)) return 'invalid digest format';
  if (s.tag !== undefined && !TAG.test(s.tag)) return 'invalid tag format';
  const parts = s.name.split('/');
  const slash = s.name.indexOf('/');
  const first = slash < 0 ? '' : s.name.slice(0, slash);
  const hasDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  if (hasDomain && !DOMAIN.test(parts.shift() as string)) return 'invalid reference format';
  if (parts.length === 0 || parts.some((p) => p === '')) return 'invalid reference format';
  for (const p of parts) {
    if (!PATH_COMPONENT.test(p)) return p.toLowerCase() !== p && PATH_COMPONENT.test(p.toLowerCase()) ? 'invalid reference format: repository name must be lowercase' : 'invalid reference format';
  }
  if (s.name.length > 255) return 'invalid reference format: repository name must not be more than 255 characters';
  return undefined;
}
