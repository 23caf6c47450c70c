import { invalidArgument } from '../../core/errors.ts';

/**
 * The canonical form of a tar entry name (`./a//b/` → `a/b`), for comparing
 * names and resolving links inside an archive. Pure. Refuses, with
 * InvalidArgument naming the entry and `context` (e.g. "image archive"),
 * absolute names and any `..` component, so nothing derived from the name
 * can point outside the archive or a layer root.
 */
export function normalizeEntryName(name: string, context: string): string {
  if (name.startsWith('/')) throw invalidArgument(`${context}: entry ${JSON.stringify(name)} has an absolute name`);
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '..') throw invalidArgument(`${context}: entry ${JSON.stringify(name)} contains ".." (path traversal)`);
    if (part === '' || part === '.') continue;
    parts.push(part);
  }
  return parts.join('/');
}
