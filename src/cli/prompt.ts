import { JanusError } from '../core/errors.ts';
import type { CliIo } from './command.ts';

/**
 * Reads one line from `stdin` (without its line ending); undefined at end of
 * input. Stops reading after the line, so later reads see what follows.
 * With `hidden` on a terminal, typed characters are not echoed (passwords).
 */
export async function readLine(io: CliIo, options: { hidden?: boolean } = {}): Promise<string | undefined> {
  const stdin = io.stdin;
  const raw = options.hidden === true && stdin.isTTY === true && typeof stdin.setRawMode === 'function';
  if (raw) stdin.setRawMode?.(true);
  try {
    return await new Promise<string | undefined>((resolve, reject) => {
      let line = '';
      let got = false;
      const done = (value: string | undefined, err?: Error): void => {
        stdin.removeListener('data', onData);
        stdin.removeListener('end', onEnd);
        stdin.removeListener('error', onError);
        stdin.pause();
        if (err) reject(err);
        else resolve(value);
      };
      const onData = (chunk: Buffer | string): void => {
        got = true;
        for (const ch of String(chunk)) {
          if (ch === '\n' || (raw && ch === '\r')) {
            if (raw) io.stderr.write('\n');
            done(line.replace(/\r$/, ''));
            return;
          }
          if (raw && ch === '\u0003') {
            done(undefined, new JanusError('Canceled', 'interrupted'));
            return;
          }
          if (raw && (ch === '\u007f' || ch === '\b')) {
            line = line.slice(0, -1);
            continue;
          }
          line += ch;
        }
      };
      const onEnd = (): void => done(got || line ? line.replace(/\r$/, '') : undefined);
      const onError = (err: Error): void => done(undefined, err);
      stdin.on('data', onData);
      stdin.once('end', onEnd);
      stdin.once('error', onError);
      stdin.resume();
    });
  } finally {
    if (raw) stdin.setRawMode?.(false);
  }
}

/** Reads all of stdin as text. */
export async function readAll(io: CliIo): Promise<string> {
  let text = '';
  for await (const chunk of io.stdin as AsyncIterable<Buffer | string>) text += String(chunk);
  return text;
}

/** docker's PromptForConfirmation: prints `message` and `[y/N]`; true only for "y" or "Y". */
export async function confirm(io: CliIo, message: string): Promise<boolean> {
  io.stdout.write(`${message}\nAre you sure you want to continue? [y/N] `);
  const answer = (await readLine(io))?.trim();
  if (answer === undefined) io.stdout.write('\n');
  return answer === 'y' || answer === 'Y';
}
