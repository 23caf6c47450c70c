import { invalidArgument } from '../core/errors.ts';

/**
 * The entries of an `--env-file` or `--label-file` (docker's
 * parseKeyValueFile): one `KEY=VALUE` per line, values kept exactly
 * (spaces and quotes included), blank lines and `#` comments skipped,
 * leading whitespace and a UTF-8 BOM ignored. A line with a bare `KEY`
 * takes its value from `lookup` (the CLI's environment, for env files) and
 * is dropped when `lookup` has none; without `lookup` it is kept as `KEY`.
 * InvalidArgument naming the file and line for a key with whitespace, an
 * empty key, or bytes that are not UTF-8. Pure.
 */
export function parseKeyValueFile(content: Buffer, fileName: string, lookup?: (key: string) => string | undefined): string[] {
  const text = content.toString('utf8');
  if (Buffer.compare(Buffer.from(text, 'utf8'), content) !== 0) throw invalidArgument(`env file ${fileName} contains invalid utf8 bytes`);
  const out: string[] = [];
  text.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    if (/\s/.test(key)) throw invalidArgument(`${fileName}:${i + 1}: variable '${key}' contains whitespaces`);
    if (key === '') throw invalidArgument(`${fileName}:${i + 1}: no variable name on line '${line}'`);
    if (eq >= 0) out.push(line);
    else if (!lookup) out.push(key);
    else {
      const value = lookup(key);
      if (value !== undefined) out.push(`${key}=${value}`);
    }
  });
  return out;
}
