/**
 * Normalises a tar entry name (or hard-link target) to a path relative to
 * the layer root, `''` for the root itself: leading `./` and `.` components
 * are dropped and `..` is applied lexically. Returns `{error}` instead when
 * the name is empty of meaning or would land outside the root — absolute,
 * `..` climbing above the root, or containing NUL — so callers can word the
 * refusal. Pure; symlinks on disk are the caller's to check.
 */
export function normalizeLayerPath(name: string): { path: string } | { error: string } {
  if (name.includes('\0')) return { error: 'name contains a NUL byte' };
  if (name.startsWith('/')) return { error: 'absolute path' };
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return { error: 'path escapes the layer root through ".."' };
      out.pop();
      continue;
    }
    out.push(part);
  }
  return { path: out.join('/') };
}
