import { JanusError } from '../../core/errors.ts';

/**
 * The runtime could not start the workload's program: Docker's exit codes
 * 127 (not found) and 126 (found but not executable). Thrown by `create`
 * (runc and crun resolve the program while creating) or `exec`; the engine
 * records `exitCode` as the container's exit code, as docker does.
 */
export class ProcessStartError extends JanusError {
  readonly exitCode: 126 | 127;

  constructor(exitCode: 126 | 127, message: string, options?: { cause?: unknown }) {
    super('InvalidArgument', message, options);
    this.name = 'ProcessStartError';
    this.exitCode = exitCode;
  }
}

/**
 * Classifies a runtime's error output (runc, crun, runsc word it differently;
 * their stderr is the only signal they give) into docker's 126/127, or
 * undefined for any other failure.
 */
export function startFailureCode(runtimeStderr: string): 126 | 127 | undefined {
  const s = runtimeStderr.toLowerCase();
  // Only errors about the exec itself: a missing mount source also says "no such file".
  if (s.includes('executable file not found') || s.includes('not found in $path')) return 127;
  // runsc says "failed to load /path: …" for the program it cannot open.
  if (!s.includes('exec') && !s.includes('failed to load')) return undefined;
  if (s.includes('no such file or directory')) return 127;
  if (s.includes('permission denied') || s.includes('exec format error') || s.includes('is a directory')) return 126;
  return undefined;
}

/**
 * What a runtime's error output says, for people: runc logs through logrus
 * (`time="…" level=error msg="…"`), whose msg value (unquoted) is the
 * sentence; other lines come back as they are, trimmed. Pure.
 */
export function runtimeErrorText(output: string): string {
  return output.trim().split('\n').map((line) => {
    const m = /\blevel=\w+\s+msg="((?:[^"\\]|\\.)*)"/.exec(line);
    if (!m) return line;
    try {
      return JSON.parse(`"${m[1]}"`) as string;
    } catch {
      // Go's quoting has escapes JSON lacks (\x..): the raw value is still readable.
      return m[1]!;
    }
  }).join('\n').trim();
}
