/**
 * Go's durations (time.ParseDuration / Duration.String), which docker's
 * flags, Dockerfile HEALTHCHECK options and compose files all use. One
 * parser for the three, so `1m30s` means the same wherever a user writes it.
 */

const UNIT_NS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/**
 * An optional sign, then one or more decimal numbers each with a unit `ns`,
 * `us`, `µs`, `ms`, `s`, `m`, `h` (`1h30m`, `1.5s`, `-10m`), or a bare `0`, in
 * nanoseconds (exact up to about 104 days). Throws a SyntaxError in Go's
 * words (`time: invalid duration "x"`, `time: missing unit …`, `time: unknown
 * unit …`) otherwise; callers give it their error kind. Pure.
 */
export function parseGoDuration(text: string): number {
  const bad = (why = `time: invalid duration ${JSON.stringify(text)}`) => new SyntaxError(why);
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
      const rest = s.slice(at);
      if (/^(\d+(?:\.\d*)?|\.\d+)$/.test(rest)) throw bad(`time: missing unit in duration ${JSON.stringify(text)}`);
      if (/^(\d+(?:\.\d*)?|\.\d+)[a-zµμ]+/.test(rest)) {
        throw bad(`time: unknown unit ${JSON.stringify(rest.replace(/^[\d.]+/, '').replace(/[\d.].*$/, ''))} in duration ${JSON.stringify(text)}`);
      }
      throw bad();
    }
    total += Number(m[1]) * UNIT_NS[m[2]!]!;
    at = re.lastIndex;
  }
  return sign * Math.round(total);
}

/** parseGoDuration without a sign (what Dockerfiles and compose files accept), or undefined when `text` is not one. Pure. */
export function unsignedGoDuration(text: string): number | undefined {
  if (/^[-+]/.test(text)) return undefined;
  try {
    return parseGoDuration(text);
  } catch {
    return undefined;
  }
}

/** Nanoseconds as Go's Duration.String writes them (`1m30s`, `500ms`, `1h0m0s`, `0s`); parseGoDuration reads it back exactly. Pure. */
export function formatGoDuration(ns: number): string {
  if (ns < 0) return `-${formatGoDuration(-ns)}`;
  if (ns === 0) return '0s';
  if (ns < 1e3) return `${ns}ns`;
  if (ns < 1e6) return `${trim(ns / 1e3)}µs`;
  if (ns < 1e9) return `${trim(ns / 1e6)}ms`;
  const h = Math.floor(ns / 3600e9);
  const m = Math.floor((ns % 3600e9) / 60e9);
  const s = (ns % 60e9) / 1e9;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${trim(s)}s`;
}

function trim(v: number): string {
  return String(Number(v.toFixed(9)));
}
