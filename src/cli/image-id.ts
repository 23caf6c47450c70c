/** docker's TruncateID: the first 12 hex digits of an ID, without its `sha256:`. */
export function shortId(id: string): string {
  const hex = id.includes(':') ? id.slice(id.indexOf(':') + 1) : id;
  return hex.slice(0, 12);
}
