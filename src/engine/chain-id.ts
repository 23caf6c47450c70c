import { createHash } from 'node:crypto';
import type { Digest } from '../core/digest.ts';

/**
 * The OCI chain IDs of a layer stack, bottom first:
 * ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
 * A chain ID names an unpacked layer together with everything below it, so
 * two images sharing a base share its snapshots.
 */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const diffId of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? diffId : `sha256:${createHash('sha256').update(`${prev} ${diffId}`).digest('hex')}`);
  }
  return out;
}
