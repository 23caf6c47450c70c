import type { ContainerFilters, ContainerView } from './container-service.ts';

/**
 * Whether a container passes `ps`/`prune` filters, with docker's meanings:
 * values of one filter are alternatives (any may match), different filters
 * must all match; `label` values must all match. `before`/`since` are
 * resolved by the caller into `created` bounds. Pure.
 */
export function matchesContainerFilters(
  c: ContainerView,
  f: ContainerFilters,
  resolved: { before?: Date; since?: Date; ancestorIds?: Set<string> } = {},
): boolean {
  const any = <T>(list: T[] | undefined, test: (v: T) => boolean): boolean => !list || list.length === 0 || list.some(test);
  if (!any(f.id, (p) => c.id.startsWith(p))) return false;
  if (!any(f.name, (n) => nameMatches(n, c.name))) return false;
  if (!any(f.status, (s) => s === c.state.status)) return false;
  if (!any(f.exited, (code) => c.state.status === 'exited' && c.state.exitCode === code)) return false;
  if (!any(f.isolation, (i) => i === c.isolation)) return false;
  if (!any(f.health, (h) => (c.state.health?.status ?? 'none') === h)) return false;
  if (!any(f.volume, (v) => c.mounts.some((m) => m.name === v || m.destination === v || m.source === v))) return false;
  if (f.ancestor && f.ancestor.length > 0 && !(resolved.ancestorIds?.has(c.imageId) || f.ancestor.includes(c.image))) return false;
  for (const want of f.label ?? []) {
    const eq = want.indexOf('=');
    const labels = c.config.labels;
    if (eq < 0 ? !(want in labels) : labels[want.slice(0, eq)] !== want.slice(eq + 1)) return false;
  }
  if (resolved.before && !(c.created < resolved.before)) return false;
  if (resolved.since && !(c.created > resolved.since)) return false;
  if (f.until !== undefined && !(c.created.getTime() / 1000 < f.until)) return false;
  return true;
}

/**
 * docker's name filter (filters.Args.Match on the name with and without its
 * leading `/`): equal, or a regular expression found in it — so `web`
 * matches `web2` and `^web$` only `web`. A pattern that is not a valid
 * expression matches only by equality, as in docker.
 */
function nameMatches(pattern: string, name: string): boolean {
  if (pattern === name || pattern === `/${name}`) return true;
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch {
    return false;
  }
  return re.test(`/${name}`) || re.test(name);
}
