/**
 * Aligns tab-separated lines the way docker's tabwriter (minimum cell width
 * 10, padding 3, space-filled) does: every cell but the last of a line is
 * padded to its column's widest cell plus 3, and to at least 10; the last
 * cell is never padded, so lines carry no trailing spaces. Widths count code
 * points, as Go counts runes. Accepts lines with or without a final newline.
 */
export function alignTable(text: string): string {
  const endsWithNewline = text.endsWith('\n');
  const lines = (endsWithNewline ? text.slice(0, -1) : text).split('\n').map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const cells of lines) {
    for (let c = 0; c < cells.length - 1; c++) {
      widths[c] = Math.max(widths[c] ?? 0, runeLength(cells[c]));
    }
  }
  const out = lines.map((cells) => cells.map((cell, c) => {
    if (c === cells.length - 1) return cell;
    const width = Math.max(10, widths[c] + 3);
    return cell + ' '.repeat(width - runeLength(cell));
  }).join(''));
  return out.join('\n') + (endsWithNewline ? '\n' : '');
}

function runeLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
