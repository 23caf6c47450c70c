import { invalidArgument } from '../core/errors.ts';
import { parseRamSize as parse } from '../util/ram-size.ts';

/**
 * A memory size as docker's flags take it (see util/ram-size.ts), in bytes;
 * InvalidArgument with docker's words (`invalid size: 'lots'`) otherwise. Pure.
 */
export function parseRamSize(text: string): number {
  try {
    return parse(text);
  } catch (err) {
    throw invalidArgument((err as Error).message);
  }
}
