import { invalidArgument } from '../core/errors.ts';

const UNIT_NS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/**
 * A duration in Go's syntax (time.ParseDuration), as docker's duration
 * flags take it: an optional sign, then one or more decimal numbers each
 * with a unit `ns`, `us`, `µs`, `ms`, `s`, `m`, `h` (`1h30m`, `1.5s`,
 * `-10m`), or a bare `0`. Returns nanoseconds (exact up to about 104 days,
 * plenty for what these flags take). InvalidArgument in Go's words
 * (`time: invalid duration "x"`) otherwise. Pure.
 */
export function parseGoDuration(text: string): number {
  const bad = () => invalidArgument(`time: invalid duration ${JSON.stringify(text)}`);
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s.startsWith('-') ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw bad();
  let total = 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let at = 0;
  while (at < s.length) {
    re.lastIndex = at;
    const m = re.exec(s);
    if (!m) {
      if (/^(\d+(?:\.\d*)?|\.\d+)$/.test(s.slice(at))) throw invalidArgument(`time: missing unit in duration ${JSON.stringify(text)}`);
      throw /^(\d+(?:\.\d*)?|\.\d+)[a-zµμ]+/.test(s.slice(at)) ? invalidArgument(`time: unknown unit ${JSON.stringify(s.slice(at).replace(/^[\d.]+/, '').replace(/[\d.].*$/, ''))} in duration ${JSON.stringify(text)}`) : bad();
    }
    total += Number(m[1]) * UNIT_NS[m[2]];
    at = re.lastIndex;
  }
  return sign * Math.round(total);
}
