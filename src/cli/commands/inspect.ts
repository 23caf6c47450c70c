import { DaemonError } from '../../api/client/daemon-error.ts';
import { isJanusError, notImplemented, type ErrorKind } from '../../core/errors.ts';
import type { Command } from '../command.ts';
import { GoTemplate } from '../go-template.ts';
import { PartialFailure } from '../partial-failure.ts';

/**
 * `janus image inspect` and `janus inspect` (images only, for now): the
 * objects as a JSON array indented like docker's, or `--format` applied to
 * each. Names that are not found are reported after the others are printed.
 */
export function inspectCommand(name: string): Command {
  const topLevel = name === 'inspect';
  return {
    spec: {
      name,
      usage: topLevel ? '[OPTIONS] NAME|ID [NAME|ID...]' : '[OPTIONS] IMAGE [IMAGE...]',
      description: topLevel ? 'Return low-level information on Janus objects' : 'Display detailed information on one or more images',
      args: { min: 1 },
      flags: [
        { name: 'format', short: 'f', type: 'string', valueName: 'string', description: "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template" },
        ...(topLevel ? [{ name: 'type', type: 'string' as const, valueName: 'string', description: 'Only inspect objects of the given type (image)' }] : []),
        { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes (images always show their size)' },
      ],
    },
    async run(ctx, args) {
      const type = args.string('type');
      if (type !== undefined && type !== 'image') throw notImplemented(`inspect --type ${type}: only images can be inspected so far`);
      const format = args.string('format');
      const template = format && format !== 'json' ? GoTemplate.parse(format) : undefined;
      const found: unknown[] = [];
      const failures: string[] = [];
      let kind: ErrorKind | undefined;
      for (const ref of args.positionals) {
        try {
          found.push(await ctx.client().inspectImage(ref, { signal: ctx.signal }));
        } catch (err) {
          if (!isJanusError(err) || err.kind !== 'NotFound') throw err;
          kind ??= err.kind;
          failures.push(err instanceof DaemonError ? `Error response from daemon: ${err.message}` : `Error: ${err.message}`);
        }
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
