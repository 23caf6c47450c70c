const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/**
 * A byte count the way docker prints it (go-units HumanSizeWithPrecision):
 * base 1000, `precision` significant digits (3 in tables, 4 in progress
 * bars), Go's `%g` (so trailing zeros go: "4.2MB", "1kB", and a value that
 * rounds up to 1000 prints "1e+03kB" exactly as docker does).
 */
export function humanSize(bytes: number, precision = 3): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1000 && unit < UNITS.length - 1) {
    size /= 1000;
    unit++;
  }
  return `${formatG(size, precision)}${UNITS[unit]}`;
}

/** Go's `%.<precision>g`. */
function formatG(value: number, precision: number): string {
  if (value === 0) return '0';
  const exp = Number(value.toExponential(precision - 1).split('e')[1]);
  if (exp < -4 || exp >= precision) {
    const [mant, e] = value.toExponential(precision - 1).split('e');
    const sign = e.startsWith('-') ? '-' : '+';
    const digits = e.replace(/^[-+]/, '').padStart(2, '0');
    return `${stripZeros(mant)}e${sign}${digits}`;
  }
  return stripZeros(value.toFixed(Math.max(0, precision - 1 - exp)));
}

function stripZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}
