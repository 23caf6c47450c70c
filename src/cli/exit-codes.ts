import { isJanusError, type ErrorKind } from '../core/errors.ts';
import { StatusError } from './exit-status.ts';
import { UsageError } from './usage-error.ts';

/**
 * Exit status by error kind. Docker is consistent on two points and Janus
 * follows it: usage errors (unknown command or flag, wrong argument count, a
 * template that does not parse) exit 125, and every failure of the request
 * itself, whatever the daemon's status, exits 1 — scripts written for docker
 * test `$? -ne 0` or `= 1`, never a per-kind code. The table still lists each
 * kind so that a change is a one-line decision made here and nowhere else.
 *
 * | what                                   | exit |
 * |----------------------------------------|------|
 * | success                                |    0 |
 * | any JanusError kind (table below)      |    1 |
 * | usage error (UsageError)               |  125 |
 * | interrupted by SIGINT / SIGTERM        |  130 / 143 |
 * | a container's or exec's own exit code, |            |
 * | or run/create failures (StatusError)   | its status |
 * | a bug: a non-Janus exception           |    1 |
 */
export const EXIT_CODES: Readonly<Record<ErrorKind, number>> = {
  InvalidArgument: 1,
  NotFound: 1,
  Conflict: 1,
  Unauthorized: 1,
  Forbidden: 1,
  Unavailable: 1,
  NotImplemented: 1,
  DataLoss: 1,
  ResourceExhausted: 1,
  Canceled: 1,
  Internal: 1,
};

/** The exit status docker uses for usage errors. */
export const USAGE_EXIT_CODE = 125;

/** The exit status for `err`, by the table above. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof StatusError) return err.status;
  if (err instanceof UsageError) return USAGE_EXIT_CODE;
  if (isJanusError(err)) return EXIT_CODES[err.kind];
  return 1;
}
