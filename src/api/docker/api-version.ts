import { invalidArgument } from '../../core/errors.ts';

/** The Docker Engine API version Janus speaks (docker 28's). */
export const API_VERSION = '1.50';
/** The oldest API version a client may ask for, like dockerd's default minimum. */
export const MIN_API_VERSION = '1.24';

/** Compares two `major.minor` versions: negative, zero or positive like a sort comparator. Pure. */
export function compareApiVersions(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am !== bm ? am - bm : an - bn;
}

/**
 * Checks a version asked for in a `/vX.Y/` path prefix. Throws
 * InvalidArgument with docker's own wording when it is out of range (docker
 * clients show that text to users, and some match on it to negotiate).
 */
export function checkApiVersion(version: string): string {
  if (compareApiVersions(version, API_VERSION) > 0) {
    throw invalidArgument(`client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
  }
  if (compareApiVersions(version, MIN_API_VERSION) < 0) {
    throw invalidArgument(`client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
  return version;
}
