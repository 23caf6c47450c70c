import { invalidArgument, isJanusError } from '../core/errors.ts';
import { parseGoDuration } from './go-duration.ts';

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|z|[+-]\d{2}:\d{2})?$/;

/**
 * A `--since`/`--until` value as the daemon takes it (docker's
 * GetTimestamp): a Go duration means that long before `now` (Unix
 * seconds); an RFC 3339 date or date-time (local time when it has no zone)
 * becomes `seconds.nanoseconds`; Unix seconds (with a fraction) pass as
 * they are. InvalidArgument in docker's words, naming the flag, otherwise.
 * Pure apart from `now` and the local time zone.
 */
export function parseTimeFlag(value: string, flag: string, now: number = Date.now()): string {
  const bad = (why: string) => invalidArgument(`invalid value for ${JSON.stringify(flag)}: ${why}`);
  if (value !== '0') {
    try {
      const ns = parseGoDuration(value);
      return String(Math.floor((now - ns / 1e6) / 1000));
    } catch (err) {
      if (!isJanusError(err)) throw err;
    }
  }
  const m = DATE.exec(value);
  if (m) {
    const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
    const month = Number(mo);
    const day = Number(d);
    if (month < 1 || month > 12) throw bad(`parsing time ${JSON.stringify(value)}: month out of range`);
    const days = new Date(Date.UTC(Number(y), month, 0)).getUTCDate();
    if (day < 1 || day > days) throw bad(`parsing time ${JSON.stringify(value)}: day out of range`);
    if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) throw bad(`parsing time ${JSON.stringify(value)}: hour, minute or second out of range`);
    let ms: number;
    if (zone === undefined) {
      ms = new Date(Number(y), month - 1, day, Number(h), Number(mi), Number(s)).getTime();
    } else {
      ms = Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(s));
      if (zone !== 'Z' && zone !== 'z') {
        const sign = zone.startsWith('-') ? -1 : 1;
        ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
      }
    }
    return `${Math.floor(ms / 1000)}.${frac.padEnd(9, '0')}`;
  }
  if (value.includes('-')) throw bad(`parsing time ${JSON.stringify(value)}: not an RFC 3339 date or date-time`);
  if (!/^\d+(\.\d{1,9})?$/.test(value)) throw bad(`failed to parse value as time or duration: ${JSON.stringify(value)}`);
  return value;
}
