/**
 * The values a Dockerfile instruction checks before it touches an image
 * config: EXPOSE's ports and STOPSIGNAL's signal. The builder and
 * `import/commit --change` both apply these instructions and must accept and
 * refuse exactly the same words, so both call these.
 */

const SIGNALS = new Set([
  'ABRT', 'ALRM', 'BUS', 'CHLD', 'CLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL', 'PIPE', 'POLL', 'PROF', 'PWR',
  'QUIT', 'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU', 'UNUSED', 'URG', 'USR1', 'USR2', 'VTALRM',
  'WINCH', 'XCPU', 'XFSZ',
]);

/**
 * The ExposedPorts keys ("80/tcp", …) of one EXPOSE word (PORT[-PORT][/PROTOCOL]);
 * throws `fail(why)` for anything else, so each caller names its own context.
 */
export function exposedPorts(word: string, fail: (why: string) => Error): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/([A-Za-z]+))?$/.exec(word);
  if (!m) throw fail(`invalid port ${JSON.stringify(word)}: want PORT[-PORT][/PROTOCOL]`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw fail(`invalid protocol ${JSON.stringify(m[3])} in ${JSON.stringify(word)}: want tcp, udp or sctp`);
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start < 1 || end > 65535 || end < start) throw fail(`invalid port range ${JSON.stringify(word)}: ports are 1-65535`);
  const out: string[] = [];
  for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  return out;
}

/** True for a signal STOPSIGNAL accepts: a number 1-64, a name with or without SIG, or RTMIN/RTMAX±N. */
export function isSignal(text: string): boolean {
  if (/^\d+$/.test(text)) return Number(text) >= 1 && Number(text) <= 64;
  const name = text.toUpperCase().replace(/^SIG/, '');
  return SIGNALS.has(name) || /^RT(MIN|MAX)([+-]\d+)?$/.test(name);
}
