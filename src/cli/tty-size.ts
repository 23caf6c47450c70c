import type { CliIo } from './command.ts';

type Resize = (size: { height: number; width: number }) => Promise<void>;

/**
 * Keeps a container's or exec's TTY the size of the CLI's terminal, as
 * docker does: sends the size once now (retrying a few times, since a
 * process that has only just started may not take it yet) and again on
 * every terminal resize (SIGWINCH, which node reports as stdout's
 * `resize`). Does nothing when stdout is not a terminal. Resize failures
 * after the first are ignored (the process may have ended). Returns the
 * function that stops watching.
 */
export function monitorTtySize(io: CliIo, resize: Resize, options: { onError?: (err: unknown) => void } = {}): () => void {
  const out = io.stdout as CliIo['stdout'] & { rows?: number; on?: (e: string, l: () => void) => unknown; off?: (e: string, l: () => void) => unknown };
  if (out.isTTY !== true) return () => {};
  const size = () => ({ height: out.rows ?? 0, width: out.columns ?? 0 });
  let stopped = false;
  void (async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        const s = size();
        if (s.height > 0 && s.width > 0) await resize(s);
        return;
      } catch (err) {
        if (stopped) return;
        if (attempt >= 5) {
          options.onError?.(err);
          return;
        }
        await new Promise((r) => setTimeout(r, 10 * attempt));
      }
    }
  })();
  const onResize = (): void => { void resize(size()).catch(() => {}); };
  out.on?.('resize', onResize);
  return () => {
    stopped = true;
    out.off?.('resize', onResize);
  };
}
