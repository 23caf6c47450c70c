import { invalidArgument } from '../../core/errors.ts';

/**
 * Parses docker's `filters` query parameter: JSON mapping each filter name
 * to its values, either as `{"name": {"value": true}}` (what current clients
 * send) or `{"name": ["value"]}` (older ones). Names outside `allowed` are
 * InvalidArgument with docker's wording (`invalid filter 'x'`). Absent or
 * empty → an empty map. Pure.
 */
export function parseFilters(text: string | undefined, allowed: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (text === undefined || text.trim() === '') return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`invalid value for query parameter filters: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidArgument('invalid value for query parameter filters: want a JSON object of filter names to values');
  }
  for (const [name, raw] of Object.entries(parsed)) {
    if (!allowed.includes(name)) throw invalidArgument(`invalid filter '${name}'`);
    let values: string[];
    if (Array.isArray(raw) && raw.every((v) => typeof v === 'string')) {
      values = raw;
    } else if (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && Object.values(raw).every((v) => typeof v === 'boolean')) {
      values = Object.entries(raw).filter(([, on]) => on).map(([v]) => v);
    } else {
      throw invalidArgument(`invalid value for filter '${name}': want a list of strings or an object of string to true`);
    }
    out.set(name, values);
  }
  return out;
}
