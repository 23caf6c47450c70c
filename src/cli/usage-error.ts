import { JanusError } from '../core/errors.ts';

/**
 * The user typed something the CLI cannot accept before any request is made:
 * an unknown command or flag, a missing argument, a template that does not
 * parse. Its kind is InvalidArgument; the CLI tells it apart from a daemon's
 * InvalidArgument by class (not by message) and exits 125, as docker does.
 * `command` names the command whose `--help` the message points to.
 */
export class UsageError extends JanusError {
  readonly command: string | undefined;

  constructor(message: string, options: { command?: string; cause?: unknown } = {}) {
    super('InvalidArgument', message, { cause: options.cause });
    this.name = 'UsageError';
    this.command = options.command;
  }
}
