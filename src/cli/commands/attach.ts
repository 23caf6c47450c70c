import { JanusError } from '../../core/errors.ts';
import type { Command } from '../command.ts';
import { attachSession } from '../attach-session.ts';

/** `janus attach` / `container attach`: the CLI's streams to a running container's main process; exits with its exit code. */
export function attachCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS] CONTAINER',
      description: "Attach local standard input, output, and error streams to a running container",
      aliases: ['container attach', 'attach'].filter((a) => a !== name),
      args: { min: 1, max: 1 },
      flags: [
        { name: 'detach-keys', type: 'string', valueName: 'string', description: 'Override the key sequence for detaching a container' },
        { name: 'no-stdin', type: 'bool', description: 'Do not attach STDIN' },
        { name: 'sig-proxy', type: 'bool', default: 'true', description: 'Proxy all received signals to the process' },
      ],
    },
    async run(ctx, args) {
      const info = await ctx.client().containerInspect(args.positionals[0], { signal: ctx.signal });
      if (!info.State.Running) throw new JanusError('Conflict', 'You cannot attach to a stopped container, start it first');
      if (info.State.Paused) throw new JanusError('Conflict', 'You cannot attach to a paused container, unpause it first');
      if (info.State.Restarting) throw new JanusError('Conflict', 'You cannot attach to a restarting container, wait until it is running');
      await attachSession(ctx, info, {
        stdin: !args.bool('no-stdin') && info.Config.OpenStdin === true,
        detachKeys: args.string('detach-keys'),
        sigProxy: args.bool('sig-proxy'),
        start: false,
        command: name,
      });
    },
  };
}
