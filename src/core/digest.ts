import { invalidArgument } from './errors.ts';

/** A content digest, `algorithm:hex`, e.g. `sha256:9f86d0…`. Validated by `parseDigest`. */
export type Digest = string;

const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** True for a well-formed sha256 or sha512 digest in canonical (lower-case hex) form. */
export function isDigest(value: string): boolean {
  return DIGEST_RE.test(value);
}

/**
 * Validates `value` as a digest. Throws InvalidArgument naming the value and
 * `what` (e.g. "layer digest") otherwise.
 */
export function parseDigest(value: string, what = 'digest'): Digest {
  if (!isDigest(value)) throw invalidArgument(`invalid ${what} ${JSON.stringify(value)}: want sha256:<64 hex> or sha512:<128 hex>`);
  return value;
}

/** The algorithm part of a valid digest (`sha256`). */
export function digestAlgorithm(d: Digest): 'sha256' | 'sha512' {
  return d.slice(0, d.indexOf(':')) as 'sha256' | 'sha512';
}

/** The hex part of a valid digest. */
export function digestHex(d: Digest): string {
  return d.slice(d.indexOf(':') + 1);
}

/** Docker's short image ID: the first 12 hex characters of a digest. */
export function shortId(d: Digest): string {
  return digestHex(d).slice(0, 12);
}
