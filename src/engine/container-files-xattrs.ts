import { unavailable } from '../core/errors.ts';
import { ExecError, type Exec } from '../util/exec.ts';

/** Extended attributes by file: path relative to the walked root (`''` for the root) → attribute name → raw value. */
export type XattrMap = Map<string, Map<string, Buffer>>;

/**
 * Reads the extended attributes whose names match the regular expression
 * `pattern` of `path` and everything under it, in one `getfattr -R` run
 * (Node has no xattr API). Symlinks are neither followed nor descended
 * through. Files that vanish during the walk (a running container) are
 * skipped. Unavailable when getfattr (Debian's `attr`) is missing.
 */
export async function readXattrsUnder(exec: Exec, path: string, pattern: string, signal?: AbortSignal): Promise<XattrMap> {
  let out;
  try {
    out = await exec.run('getfattr', ['-R', '-P', '-h', '--absolute-names', '-d', '-e', 'hex', '-m', pattern, '--', path], { check: false, signal });
  } catch (err) {
    if (err instanceof ExecError && err.result === undefined) throw unavailable(`getfattr is needed to read extended attributes (install the attr package): ${err.message}`, err);
    throw err;
  }
  // 1: some file could not be read (vanished mid-walk); what was read is still right.
  if (out.code !== 0 && out.code !== 1) throw unavailable(`getfattr ${path}: exit status ${out.code}: ${out.stderr.trim()}`);
  return parseGetfattr(out.stdout, path);
}

/**
 * Parses `getfattr --absolute-names -d -e hex` output, making names
 * relative to `base`. getfattr writes special bytes of file names as `\ooo`
 * octal escapes (a backslash as `\134`). Pure.
 */
export function parseGetfattr(output: string, base: string): XattrMap {
  const result: XattrMap = new Map();
  const prefix = base.replace(/\/+$/, '');
  let current: Map<string, Buffer> | undefined;
  for (const line of output.split('\n')) {
    if (line.startsWith('# file: ')) {
      const name = unescapeName(line.slice('# file: '.length)).replace(/\/{2,}/g, '/');
      let rel = name === prefix ? '' : name.startsWith(`${prefix}/`) ? name.slice(prefix.length + 1) : name;
      rel = rel.replace(/\/+$/, '');
      current = new Map();
      result.set(rel, current);
      continue;
    }
    if (!current || line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const attr = eq < 0 ? line : line.slice(0, eq);
    current.set(attr, eq < 0 ? Buffer.alloc(0) : decodeValue(line.slice(eq + 1)));
  }
  return result;
}

function unescapeName(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x5c && i + 3 < bytes.length && isOctal(bytes[i + 1]) && isOctal(bytes[i + 2]) && isOctal(bytes[i + 3])) {
      out.push(((bytes[i + 1]! - 0x30) << 6) | ((bytes[i + 2]! - 0x30) << 3) | (bytes[i + 3]! - 0x30));
      i += 3;
    } else {
      out.push(b);
    }
  }
  return Buffer.from(out).toString('utf8');
}

function isOctal(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x37;
}

function decodeValue(text: string): Buffer {
  if (text.startsWith('0x')) return Buffer.from(text.slice(2), 'hex');
  if (text.startsWith('0s')) return Buffer.from(text.slice(2), 'base64');
  if (text.startsWith('"') && text.endsWith('"') && text.length >= 2) return Buffer.from(unescapeName(text.slice(1, -1)), 'utf8');
  return Buffer.from(text, 'utf8');
}
