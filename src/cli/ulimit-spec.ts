import { invalidArgument } from '../core/errors.ts';
import type { UlimitWire } from '../api/client/types.ts';

const NAMES = ['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'];

function limitValue(text: string): number {
  if (text === 'unlimited' || text === '-1') return -1;
  if (!/^[-+]?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw invalidArgument(`strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`);
  return Number(text);
}

/**
 * One `--ulimit NAME=SOFT[:HARD]` value (go-units ParseUlimit): a known
 * rlimit name, values as integers or `unlimited`/-1, the hard limit
 * defaulting to the soft one and never below it. InvalidArgument with
 * docker's words otherwise. Pure.
 */
export function parseUlimit(text: string): UlimitWire {
  const eq = text.indexOf('=');
  if (eq < 0) throw invalidArgument(`invalid ulimit argument: ${text}`);
  const name = text.slice(0, eq);
  if (!NAMES.includes(name)) throw invalidArgument(`invalid ulimit type: ${name}`);
  const values = text.slice(eq + 1).split(':');
  if (values.length > 2) throw invalidArgument(`too many limit value arguments - ${text.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const soft = limitValue(values[0]);
  const hard = values.length === 2 ? limitValue(values[1]) : soft;
  if (hard !== -1 && soft > hard) throw invalidArgument(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Soft: soft, Hard: hard };
}
