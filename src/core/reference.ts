import type { Digest } from './digest.ts';

/**
 * A parsed, normalised image reference, following docker's rules:
 * `busybox` → registry `docker.io`, repository `library/busybox`, tag `latest`.
 * Produced only by `parseReference` (registry/reference.ts), so every
 * instance is valid.
 */
export interface ImageReference {
  /** Registry host[:port], e.g. `docker.io`, `127.0.0.1:5000`. */
  readonly registry: string;
  /** Repository path within the registry, e.g. `library/busybox`. */
  readonly repository: string;
  /** The tag, if one was given (or defaulted to `latest` when no digest was given). */
  readonly tag?: string;
  /** The digest, if one was given. */
  readonly digest?: Digest;
}
