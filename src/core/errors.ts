/**
 * The kinds of failure the engine reports. Every layer above maps a kind once:
 * to an HTTP status in `api/docker/errors.ts`, to an exit code in `cli/`.
 * Code never branches on an error's message text, only on its kind.
 */
export type ErrorKind =
  | 'InvalidArgument' // the caller sent something malformed or out of range
  | 'NotFound' // the named object does not exist
  | 'Conflict' // the object exists, is in use, or is in the wrong state
  | 'Unauthorized' // credentials are missing or were rejected
  | 'Forbidden' // credentials are fine but the action is not allowed
  | 'Unavailable' // a backend, registry or host tool cannot be reached right now
  | 'NotImplemented' // a Docker feature Janus deliberately does not offer
  | 'DataLoss' // stored or downloaded data failed verification (digest, size)
  | 'ResourceExhausted' // disk full, limits reached
  | 'Canceled' // the caller aborted
  | 'Internal'; // a bug or an unexpected host failure

/**
 * An error with a kind. Safe to throw from any layer; `message` is written for
 * the user and names the object at fault.
 */
export class JanusError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JanusError';
    this.kind = kind;
  }
}

/** True when `err` is a JanusError, optionally of the given kind. */
export function isJanusError(err: unknown, kind?: ErrorKind): err is JanusError {
  return err instanceof JanusError && (kind === undefined || err.kind === kind);
}

export const invalidArgument = (message: string, cause?: unknown): JanusError =>
  new JanusError('InvalidArgument', message, { cause });
export const notFound = (message: string, cause?: unknown): JanusError =>
  new JanusError('NotFound', message, { cause });
export const conflict = (message: string, cause?: unknown): JanusError =>
  new JanusError('Conflict', message, { cause });
export const unavailable = (message: string, cause?: unknown): JanusError =>
  new JanusError('Unavailable', message, { cause });
export const dataLoss = (message: string, cause?: unknown): JanusError =>
  new JanusError('DataLoss', message, { cause });
export const notImplemented = (message: string, cause?: unknown): JanusError =>
  new JanusError('NotImplemented', message, { cause });
export const unauthorized = (message: string, cause?: unknown): JanusError =>
  new JanusError('Unauthorized', message, { cause });
export const internal = (message: string, cause?: unknown): JanusError =>
  new JanusError('Internal', message, { cause });

/**
 * Turns any thrown value into a JanusError: JanusErrors pass through, an
 * ENOSPC/EDQUOT becomes ResourceExhausted, an AbortError becomes Canceled,
 * anything else Internal with `context` prefixed to its message.
 */
export function asJanusError(err: unknown, context?: string): JanusError {
  if (err instanceof JanusError) return err;
  const e = err as NodeJS.ErrnoException;
  const prefix = context ? `${context}: ` : '';
  const msg = e?.message ?? String(err);
  if (e?.code === 'ENOSPC' || e?.code === 'EDQUOT') {
    return new JanusError('ResourceExhausted', `${prefix}no space left on device`, { cause: err });
  }
  if (e?.name === 'AbortError' || e?.code === 'ABORT_ERR') {
    return new JanusError('Canceled', `${prefix}canceled`, { cause: err });
  }
  return new JanusError('Internal', `${prefix}${msg}`, { cause: err });
}
