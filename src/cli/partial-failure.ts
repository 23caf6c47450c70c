import { JanusError, type ErrorKind } from '../core/errors.ts';

/**
 * Some items of a multi-item command (`rmi a b c`) failed after the others
 * succeeded. The message is the failures' lines, already written the way the
 * user should see them; the kind is the first failure's, for the exit code.
 */
export class PartialFailure extends JanusError {
  constructor(kind: ErrorKind, lines: string[]) {
    super(kind, lines.join('\n'));
    this.name = 'PartialFailure';
  }
}
