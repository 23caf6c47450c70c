import { DaemonError } from '../api/client/daemon-error.ts';
import { isJanusError, type ErrorKind } from '../core/errors.ts';
import { PartialFailure } from './partial-failure.ts';

/**
 * Runs `fn` for each name in order, as docker's multi-container commands
 * do (`stop a b c`): a failure does not stop the others; the failures are
 * reported together at the end, one line each (`Error response from
 * daemon: No such container: b`), followed by `summary(failedNames)` when
 * given. A lost connection or an interruption stops at once. Throws a
 * PartialFailure of the first failure's kind when any failed.
 */
export async function forEachName(names: readonly string[], fn: (name: string) => Promise<void>, options: { summary?: (failed: string[]) => string } = {}): Promise<void> {
  const lines: string[] = [];
  const failed: string[] = [];
  let kind: ErrorKind | undefined;
  for (const name of names) {
    try {
      await fn(name);
    } catch (err) {
      if (!isJanusError(err) || err.kind === 'Unavailable' || err.kind === 'Canceled') throw err;
      kind ??= err.kind;
      failed.push(name);
      lines.push(err instanceof DaemonError ? `Error response from daemon: ${err.message}` : `Error: ${err.message}`);
    }
  }
  if (kind) throw new PartialFailure(kind, options.summary ? [...lines, options.summary(failed)] : lines);
}
