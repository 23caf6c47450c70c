import { JanusError, type ErrorKind } from '../../core/errors.ts';

/** HTTP status → error kind: the inverse of the daemon's kind → status mapping. */
export function kindForStatus(status: number): ErrorKind {
  switch (status) {
    case 400: return 'InvalidArgument';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 409: return 'Conflict';
    case 501: return 'NotImplemented';
    case 503: return 'Unavailable';
    default: return 'Internal';
  }
}

/**
 * The daemon refused or failed a request: either with an error status (its
 * `{"message"}` body becomes the message) or with an error message inside a
 * 200 JSON progress stream (`inStream`; docker prints those without the
 * "Error response from daemon" prefix). The kind follows the HTTP status, or
 * for stream errors the status in `errorDetail.code` when the daemon sent one.
 */
export class DaemonError extends JanusError {
  /** The HTTP status, or for stream errors `errorDetail.code` (0 when absent). */
  readonly status: number;
  readonly inStream: boolean;

  constructor(status: number, message: string, options: { inStream?: boolean } = {}) {
    super(status >= 400 ? kindForStatus(status) : 'Internal', message);
    this.name = 'DaemonError';
    this.status = status;
    this.inStream = options.inStream ?? false;
  }
}
