import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Command } from '../command.ts';

/** The first executable `name` on `path` (a PATH value), or undefined. */
async function which(name: string, path: string): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    if (await access(file, constants.X_OK).then(() => true, () => false)) return file;
  }
  return undefined;
}

/**
 * `janus dashboard`: prints the dashboard's link (its token included: the
 * link sets a cookie and the token leaves the address bar), then opens it
 * with xdg-open when there is a display to open it on; `--print-url` only
 * prints.
 */
export const dashboardCommand: Command = {
  spec: {
    name: 'dashboard',
    usage: '[OPTIONS]',
    description: "Print the web dashboard's link (with its token) and open it in a browser where there is one",
    args: { min: 0, max: 0 },
    flags: [
      { name: 'print-url', type: 'bool', description: 'Only print the link' },
    ],
  },
  async run(ctx, args) {
    const { URL: url } = await ctx.client().dashboard({ signal: ctx.signal });
    ctx.stdout.write(`${url}\n`);
    if (args.bool('print-url')) return;
    const hasDisplay = Boolean(ctx.env.DISPLAY || ctx.env.WAYLAND_DISPLAY);
    const opener = hasDisplay ? await which('xdg-open', ctx.env.PATH ?? '') : undefined;
    if (!opener) {
      ctx.stderr.write('no browser to open here (no display or no xdg-open): open the link above\n');
      return;
    }
    const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
    child.on('error', (err) => ctx.stderr.write(`cannot run ${opener}: ${err.message}\n`));
    child.unref();
  },
};
