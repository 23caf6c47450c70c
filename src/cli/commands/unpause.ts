import type { Command } from '../command.ts';
import { pauseCommand } from './pause.ts';

/** `janus unpause` / `container unpause`. */
export function unpauseCommand(name: string): Command {
  return pauseCommand(name, 'unpause');
}
