const FACTORS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * Parses a compose size (`512m`, `1g`, `1.5GB`, `100k`, `2048`, `64kib`)
 * into bytes, with binary units as docker does; undefined when `text` is not one.
 */
export function parseByteSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(text.trim());
  if (!m) return undefined;
  if (m[2] === '' && m[3] && m[3].toLowerCase() !== 'b') return undefined;
  return Math.floor(Number(m[1]) * FACTORS[m[2].toLowerCase()]);
}
