import { invalidArgument } from '../core/errors.ts';
import { parseGoDuration as parse } from '../util/go-duration.ts';

/**
 * A duration in Go's syntax, as docker's duration flags take it (see
 * util/go-duration.ts), in nanoseconds; InvalidArgument in Go's words
 * (`time: invalid duration "x"`) otherwise. Pure.
 */
export function parseGoDuration(text: string): number {
  try {
    return parse(text);
  } catch (err) {
    throw invalidArgument((err as Error).message);
  }
}
