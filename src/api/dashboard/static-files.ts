import { normalize, join, sep, extname } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/**
 * The file under `dir` that a URL path names, or undefined when the path
 * leaves `dir` (`..`, encoded or not) or is malformed. `/` is index.html.
 * Pure.
 */
export function assetPath(dir: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || !decoded.startsWith('/') || decoded.split(/[/\\]/).includes('..')) return undefined;
  const rel = normalize(decoded === '/' ? '/index.html' : decoded);
  const full = join(dir, rel);
  return full.startsWith(dir.endsWith(sep) ? dir : dir + sep) ? full : undefined;
}

/** The Content-Type of an asset by its extension. Pure. */
export function contentType(path: string): string {
  return TYPES[extname(path)] ?? 'application/octet-stream';
}
