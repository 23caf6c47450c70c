import { readFile } from 'node:fs/promises';
import type { ExecCreateBody } from '../../api/client/types.ts';
import { JanusError } from '../../core/errors.ts';
import type { Command } from '../command.ts';
import { collectEnv } from '../container-config.ts';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../detach-keys.ts';
import { StatusError } from '../exit-status.ts';
import { holdStreams } from '../stream-io.ts';
import { monitorTtySize } from '../tty-size.ts';
import { UsageError } from '../usage-error.ts';

/**
 * `janus exec` / `container exec`: runs a command in a running container
 * and exits with its exit code (126/127 when it could not be executed or
 * found, as the daemon records them); `-d` starts it and returns.
 */
export function execCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
      description: 'Execute a command in a running container',
      aliases: ['container exec', 'exec'].filter((a) => a !== name),
      args: { min: 2 },
      interspersed: false,
      flags: [
        { name: 'detach', short: 'd', type: 'bool', description: 'Detached mode: run command in the background' },
        { name: 'detach-keys', type: 'string', valueName: 'string', description: 'Override the key sequence for detaching a container' },
        { name: 'env', short: 'e', type: 'list', valueName: 'list', description: 'Set environment variables' },
        { name: 'env-file', type: 'list', valueName: 'list', description: 'Read in a file of environment variables' },
        { name: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open even if not attached' },
        { name: 'privileged', type: 'bool', description: 'Give extended privileges to the command' },
        { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
        { name: 'user', short: 'u', type: 'string', valueName: 'string', description: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
        { name: 'workdir', short: 'w', type: 'string', valueName: 'string', description: 'Working directory inside the container' },
      ],
    },
    async run(ctx, args) {
      const [container, ...cmd] = args.positionals;
      const detach = args.bool('detach');
      const tty = args.bool('tty');
      const interactive = args.bool('interactive');
      const keysText = args.string('detach-keys');
      let keys: Buffer;
      try {
        keys = parseDetachKeys(keysText ?? DEFAULT_DETACH_KEYS);
      } catch (err) {
        throw new UsageError(`invalid argument ${JSON.stringify(keysText)} for "--detach-keys" flag: ${(err as Error).message}`, { command: name });
      }
      const env = await collectEnv(name, args, { env: ctx.env, cwd: process.cwd(), readFile: (p) => readFile(p) });
      if (!detach && interactive && tty && ctx.stdin.isTTY !== true) throw new JanusError('InvalidArgument', 'the input device is not a TTY');
      const out = ctx.stdout as typeof ctx.stdout & { rows?: number };
      const consoleSize: [number, number] | undefined = tty && out.isTTY === true && out.rows && out.columns ? [out.rows, out.columns] : undefined;
      const body: ExecCreateBody = {
        Cmd: cmd,
        AttachStdin: interactive && !detach,
        AttachStdout: !detach,
        AttachStderr: !detach,
        Tty: tty,
        ...(env.length > 0 ? { Env: env } : {}),
        ...(args.string('workdir') ? { WorkingDir: args.string('workdir') } : {}),
        ...(args.string('user') ? { User: args.string('user') } : {}),
        ...(args.bool('privileged') ? { Privileged: true } : {}),
        ...(keysText !== undefined ? { DetachKeys: keysText } : {}),
        ...(consoleSize ? { ConsoleSize: consoleSize } : {}),
      };
      const client = ctx.client();
      const { Id: execId } = await client.execCreate(container, body, { signal: ctx.signal });
      if (detach) {
        await client.execStartDetached(execId, { tty, signal: ctx.signal });
        return;
      }
      const stream = await client.execStart(execId, { tty, ...(consoleSize ? { consoleSize } : {}), signal: ctx.signal });
      const stopResize = tty ? monitorTtySize(ctx, (size) => client.execResize(execId, size)) : () => {};
      try {
        const outcome = await holdStreams(ctx, stream, { tty, sendStdin: interactive, detachKeys: keys, signal: ctx.signal });
        if (outcome === 'detached') return;
      } finally {
        stopResize();
      }
      // The output ends as the process does; its exit code may be recorded a moment later.
      let info = await client.execInspect(execId, { signal: ctx.signal });
      for (let i = 0; info.Running && i < 50; i++) {
        await new Promise((r) => setTimeout(r, 20 * Math.min(i + 1, 5)));
        info = await client.execInspect(execId, { signal: ctx.signal });
      }
      const code = info.ExitCode ?? 0;
      if (code !== 0) throw new StatusError(code);
    },
  };
}
