import { Readable } from 'node:stream';
import { invalidArgument } from '../../core/errors.ts';
import { DaemonError } from '../../api/client/daemon-error.ts';
import { packContext } from '../build-context.ts';
import type { Command } from '../command.ts';
import { StatusError } from '../exit-status.ts';
import { UsageError } from '../usage-error.ts';

/**
 * `janus build [OPTIONS] PATH|-`: sends the context (a directory, with its
 * .dockerignore applied here; or a tar or a Dockerfile on stdin) to the
 * daemon's classic builder and prints its output as `docker build` does
 * without BuildKit; `-q` prints only the image ID. A failing RUN makes it
 * exit with the command's exit code, as docker does.
 */
export function buildCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS] PATH | -',
      description: 'Build an image from a Dockerfile',
      aliases: ['image build', 'build', 'builder build'].filter((a) => a !== name),
      args: { min: 1, max: 1 },
      flags: [
        { name: 'build-arg', type: 'list', valueName: 'list', description: 'Set build-time variables' },
        { name: 'file', short: 'f', type: 'string', valueName: 'string', description: "Name of the Dockerfile (Default is 'PATH/Dockerfile')" },
        { name: 'label', type: 'list', valueName: 'list', description: 'Set metadata for an image' },
        { name: 'network', type: 'string', valueName: 'string', description: 'Set the networking mode for the RUN instructions during build (none, host or a network; default none)' },
        { name: 'no-cache', type: 'bool', description: 'Do not use cache when building the image' },
        { name: 'platform', type: 'string', valueName: 'string', description: "Set platform if server is multi-platform capable (only the daemon's own)" },
        { name: 'pull', type: 'bool', description: 'Always attempt to pull a newer version of the image' },
        { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the build output and print image ID on success' },
        { name: 'tag', short: 't', type: 'list', valueName: 'list', description: "Name and optionally a tag in the 'name:tag' format" },
        { name: 'target', type: 'string', valueName: 'string', description: 'Set the target build stage to build.' },
      ],
    },
    async run(ctx, args) {
      const [source] = args.positionals;
      const buildArgs: Record<string, string | null> = {};
      for (const kv of args.list('build-arg')) {
        const eq = kv.indexOf('=');
        // docker: a bare NAME takes its value from the environment, when set there.
        if (eq < 0) buildArgs[kv] = ctx.env[kv] ?? null;
        else buildArgs[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
      const labels: Record<string, string> = {};
      for (const kv of args.list('label')) {
        const eq = kv.indexOf('=');
        labels[eq < 0 ? kv : kv.slice(0, eq)] = eq < 0 ? '' : kv.slice(eq + 1);
      }
      const file = args.string('file');
      let context: Readable;
      let dockerfile: string | undefined;
      if (source === '-') {
        if (file === '-') throw new UsageError('invalid argument: can\'t use stdin for both build context and dockerfile');
        if (ctx.stdin.isTTY) throw invalidArgument('the build context on stdin must be a tar archive or a Dockerfile, not a terminal');
        context = Readable.from(ctx.stdin as AsyncIterable<Buffer>);
        dockerfile = file;
      } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source!) || source!.startsWith('git@')) {
        throw invalidArgument(`remote build contexts (${source}) are not supported: builds have no network access here; clone or download it and build the directory`);
      } else {
        const text = file === '-' ? await readStdin(ctx.stdin) : undefined;
        const packed = await packContext(source!, { ...(file && file !== '-' ? { dockerfile: file } : {}), ...(text !== undefined ? { dockerfileText: text } : {}) });
        context = packed.tar;
        dockerfile = packed.dockerfile;
      }
      const quiet = args.bool('quiet');
      let id: string | undefined;
      try {
        const stream = ctx.client().buildImage(context, {
          tags: args.list('tag'),
          ...(dockerfile ? { dockerfile } : {}),
          buildArgs,
          target: args.string('target'),
          noCache: args.bool('no-cache'),
          pull: args.bool('pull'),
          labels,
          networkMode: args.string('network'),
          quiet,
          platform: args.string('platform'),
          signal: ctx.signal,
        });
        for await (const msg of stream) {
          if (typeof msg.aux?.ID === 'string') id = msg.aux.ID;
          if (quiet) continue;
          if (msg.stream !== undefined) ctx.stdout.write(msg.stream);
          else if (msg.status !== undefined && msg.progress === undefined) ctx.stdout.write(`${msg.id ? `${msg.id}: ` : ''}${msg.status}\n`);
        }
      } catch (err) {
        // docker build exits with a failing RUN's code (sent as the error's code).
        if (err instanceof DaemonError && err.inStream && err.status > 0 && err.status < 256) throw new StatusError(err.status, err);
        throw err;
      }
      if (quiet && id) ctx.stdout.write(`${id}\n`);
    },
  };
}

async function readStdin(stdin: NodeJS.ReadableStream & { isTTY?: boolean }): Promise<string> {
  if (stdin.isTTY) throw invalidArgument('-f - reads the Dockerfile from stdin, which is a terminal');
  const chunks: Buffer[] = [];
  for await (const c of stdin as AsyncIterable<Buffer>) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}
