import { asJanusError, type ErrorKind, type JanusError } from '../../core/errors.ts';

/**
 * The one map from error kind to HTTP status.
 *
 * Choices that differ from a plain reading of docker:
 * - ResourceExhausted → 507 Insufficient Storage. Docker answers 500 for a
 *   full disk; every Docker client treats an unknown 5xx like 500, so 507
 *   costs no compatibility and lets scripts tell "disk full" from a bug
 *   without reading the message.
 * - Canceled → 499 (the de-facto "client closed request"). When the client
 *   went away nobody reads it; when the daemon's shutdown canceled the
 *   operation the client sees a status no other failure uses.
 */
const STATUS: Readonly<Record<ErrorKind, number>> = {
  InvalidArgument: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  Canceled: 499,
  NotImplemented: 501,
  Unavailable: 503,
  ResourceExhausted: 507,
  DataLoss: 500,
  Internal: 500,
};

/** The HTTP status for an error kind. Total: every kind has one. */
export function httpStatusOf(kind: ErrorKind): number {
  return STATUS[kind];
}

/** A thrown value as a JanusError plus the status and docker's `{"message"}` body to answer with. */
export function errorResponse(err: unknown): { error: JanusError; status: number; body: { message: string } } {
  const error = asJanusError(err);
  return { error, status: httpStatusOf(error.kind), body: { message: error.message } };
}

/**
 * Docker's error line inside a JSON message stream (pull, push, load, …),
 * for failures after the 200 status was already sent.
 */
export function streamErrorMessage(err: unknown): { errorDetail: { code: number; message: string }; error: string } {
  const error = asJanusError(err);
  // docker's jsonmessage carries an optional numeric code; the HTTP status lets clients recover the kind.
  return { errorDetail: { code: httpStatusOf(error.kind), message: error.message }, error: error.message };
}
