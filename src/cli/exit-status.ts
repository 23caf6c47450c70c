import { JanusError, isJanusError } from '../core/errors.ts';

/**
 * A command ends with a chosen exit status rather than the one its error's
 * kind maps to: `run`, `start -a`, `exec` and `wait`-like commands exit
 * with the container's or process's own code, and `run`/`create` wrap
 * their failures in docker's 125 (or 126/127 when the program could not be
 * run). `cause`, when present, is printed as any error would be; without
 * one nothing is printed (the container already said what it had to say).
 */
export class StatusError extends JanusError {
  readonly status: number;

  constructor(status: number, cause?: unknown) {
    super(isJanusError(cause) ? cause.kind : 'Internal', cause instanceof Error ? cause.message : `exit status ${status}`, { cause });
    this.name = 'StatusError';
    this.status = status;
  }
}
