import type { ImageFilters } from './image-service.ts';

/** What a filter needs to know of one image. */
export interface FilterableImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  created: number;
  labels: Record<string, string>;
}

/**
 * Applies docker's image filters. `before`/`since` must already be resolved
 * to the reference image's creation time (seconds) by the caller.
 */
export function matchesImageFilters(
  image: FilterableImage,
  filters: ImageFilters,
  resolved: { beforeCreated?: number; sinceCreated?: number } = {},
): boolean {
  const dangling = image.repoTags.length === 0;
  if (filters.dangling !== undefined && filters.dangling !== dangling) return false;
  for (const want of filters.label ?? []) {
    const eq = want.indexOf('=');
    if (eq < 0) {
      if (!(want in image.labels)) return false;
    } else if (image.labels[want.slice(0, eq)] !== want.slice(eq + 1)) {
      return false;
    }
  }
  if (filters.reference && filters.reference.length > 0) {
    const names = [...image.repoTags, ...image.repoDigests];
    const hit = filters.reference.some((pattern) => names.some((name) => referenceMatches(pattern, name)));
    if (!hit) return false;
  }
  if (resolved.beforeCreated !== undefined && !(image.created < resolved.beforeCreated)) return false;
  if (resolved.sinceCreated !== undefined && !(image.created > resolved.sinceCreated)) return false;
  if (filters.until !== undefined && !(image.created < filters.until)) return false;
  return true;
}

/**
 * docker's `reference` filter: a glob (`*`, `?`, `[...]` as in path.Match,
 * where `*` does not cross `/`) matched against the familiar name with its
 * tag, and — when the pattern has no tag — against the repository alone.
 */
export function referenceMatches(pattern: string, familiarName: string): boolean {
  const re = globToRegExp(pattern);
  if (re.test(familiarName)) return true;
  const repo = stripTagOrDigest(familiarName);
  return re.test(repo);
}

function stripTagOrDigest(name: string): string {
  const at = name.indexOf('@');
  if (at >= 0) return name.slice(0, at);
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? name.slice(0, colon) : name;
}

function globToRegExp(glob: string): RegExp {
  let out = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        let cls = glob.slice(i + 1, end);
        if (cls.startsWith('^')) cls = `\\^${cls.slice(1)}`;
        out += `[${cls.replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`${out}$`);
}

/**
 * Parses docker's `until` filter value: a Unix timestamp (seconds, optional
 * fraction), an RFC 3339 date, or a Go duration relative to `now` (`24h`,
 * `90m`, `1h30m`). Returns seconds since the epoch, or undefined if malformed.
 */
export function parseUntil(value: string, now: number = Date.now() / 1000): number | undefined {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const dur = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(value);
  if (dur && value !== '') {
    const secs = Number(dur[1] ?? 0) * 3600 + Number(dur[2] ?? 0) * 60 + Number(dur[3] ?? 0);
    return now - secs;
  }
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t / 1000;
}
