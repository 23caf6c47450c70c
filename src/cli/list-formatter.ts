import { GoTemplate, TEMPLATE_TEXT } from './go-template.ts';
import { alignTable } from './table.ts';

/** Options of `formatList`. */
export interface ListFormatOptions {
  /** The user's `--format`: empty or `table` for the default table, `json`, `table TEMPLATE`, or a template. */
  format: string | undefined;
  /** The default table's template, without the `table ` prefix. */
  defaultTable: string;
  /** Column headers of known fields (docker's: `ID` → `IMAGE ID`); other fields get their name in upper case. */
  headers: Readonly<Record<string, string>>;
}

/**
 * Renders rows the way docker's list commands do. A `table` format prints a
 * header row (from the fields the template names) and aligns the columns
 * (the template's tabs separate cells); `json` prints each row as one JSON
 * line; any other template prints once per row, unaligned. As in docker, the
 * two-character sequences `\t` and `\n` typed in the format stand for a tab
 * and a newline. Throws a UsageError when the template does not parse.
 */
export function formatList(rows: readonly object[], options: ListFormatOptions): string {
  let format = options.format?.trim() ?? '';
  if (format === '' || format === 'table') format = `table ${options.defaultTable}`;
  if (format === 'json') return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  const table = format.startsWith('table ');
  const source = (table ? format.slice(6).trim() : format).replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const template = GoTemplate.parse(source);
  if (!table) return rows.map((r) => `${template.execute(r)}\n`).join('');
  let out = '';
  try {
    out += `${template.execute(headerContext(options.headers))}\n`;
  } catch {
    // A template that does more than name fields (a field of a field) has no header, as in docker.
  }
  for (const row of rows) out += `${template.execute(row)}\n`;
  return alignTable(out);
}

function headerContext(headers: Readonly<Record<string, string>>): object {
  return new Proxy({}, {
    get: (_target, prop) => (typeof prop === 'string' ? { [TEMPLATE_TEXT]: headers[prop] ?? prop.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toUpperCase() } : undefined),
    has: () => true,
    ownKeys: () => [],
  });
}
