import type { Command } from '../command.ts';
import { stopCommand } from './stop.ts';

/** `janus restart` / `container restart`: stop (signal, then SIGKILL after the timeout) and start again. */
export function restartCommand(name: string): Command {
  return stopCommand(name, 'restart');
}
