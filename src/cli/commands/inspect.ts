import { DaemonError } from '../../api/client/daemon-error.ts';
import type { DockerClient } from '../../api/client/docker-client.ts';
import { JanusError, isJanusError, type ErrorKind } from '../../core/errors.ts';
import type { Command } from '../command.ts';
import { GoTemplate } from '../go-template.ts';
import { PartialFailure } from '../partial-failure.ts';
import { UsageError } from '../usage-error.ts';

type ObjectType = 'container' | 'image' | 'network' | 'volume';

/** docker's lookup order when no `--type` is given. */
const TYPES: readonly ObjectType[] = ['container', 'image', 'network', 'volume'];

function fetcher(client: DockerClient, type: ObjectType, size: boolean, signal: AbortSignal): (name: string) => Promise<unknown> {
  switch (type) {
    case 'container': return (n) => client.containerInspect(n, { size, signal });
    case 'image': return (n) => client.inspectImage(n, { signal });
    case 'network': return (n) => client.inspectNetwork(n, { signal });
    case 'volume': return (n) => client.inspectVolume(n, { signal });
  }
}

/**
 * `janus inspect` (any object: containers, then images, networks and
 * volumes, as docker looks them up, or only `--type`), `container inspect` and
 * `image inspect`: the objects as a JSON array indented like docker's, or
 * `--format` applied to each. Names not found are reported after the
 * others are printed (`No such object: x` when no type was given).
 */
export function inspectCommand(name: string): Command {
  const fixed: ObjectType | undefined = name === 'image inspect' ? 'image' : name === 'container inspect' ? 'container' : undefined;
  const topLevel = fixed === undefined;
  return {
    spec: {
      name,
      usage: topLevel ? '[OPTIONS] NAME|ID [NAME|ID...]' : `[OPTIONS] ${fixed!.toUpperCase()} [${fixed!.toUpperCase()}...]`,
      description: topLevel ? 'Return low-level information on Janus objects' : `Display detailed information on one or more ${fixed}s`,
      args: { min: 1 },
      flags: [
        { name: 'format', short: 'f', type: 'string', valueName: 'string', description: "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template" },
        ...(topLevel ? [{ name: 'type', type: 'string' as const, valueName: 'string', description: 'Only inspect objects of the given type (container, image, network, volume)' }] : []),
        ...(fixed !== 'image' ? [{ name: 'size', short: 's', type: 'bool' as const, description: 'Display total file sizes if the type is container' }] : []),
      ],
    },
    async run(ctx, args) {
      const typeText = args.string('type');
      if (typeText !== undefined && typeText !== '' && !(TYPES as readonly string[]).includes(typeText)) {
        throw new UsageError(`"${typeText}" is not a valid value for --type (want container, image, network or volume)`, { command: name });
      }
      const types: readonly ObjectType[] = fixed ? [fixed] : typeText ? [typeText as ObjectType] : TYPES;
      const size = args.bool('size');
      const format = args.string('format');
      const template = format && format !== 'json' ? GoTemplate.parse(format) : undefined;
      const client = ctx.client();
      const found: unknown[] = [];
      const failures: string[] = [];
      let kind: ErrorKind | undefined;
      for (const ref of args.positionals) {
        let lastMiss: JanusError | undefined;
        let got = false;
        for (const type of types) {
          try {
            found.push(await fetcher(client, type, size, ctx.signal)(ref));
            got = true;
            break;
          } catch (err) {
            // Guessing the type, a daemon without networks (NotImplemented) is one more place the name is not.
            if (!isJanusError(err, 'NotFound') && !(types.length > 1 && isJanusError(err, 'NotImplemented'))) throw err;
            if (isJanusError(err, 'NotFound') || lastMiss === undefined) lastMiss = err;
          }
        }
        if (got) continue;
        kind ??= 'NotFound';
        if (types.length > 1) failures.push(`Error: No such object: ${ref}`);
        else failures.push(lastMiss instanceof DaemonError ? `Error response from daemon: ${lastMiss.message}` : `Error: ${lastMiss?.message}`);
      }
      if (template) {
        for (const obj of found) ctx.stdout.write(`${template.execute(obj)}\n`);
      } else {
        ctx.stdout.write(`${JSON.stringify(found, null, 4)}\n`);
      }
      if (kind) throw new PartialFailure(kind, failures);
    },
  };
}
