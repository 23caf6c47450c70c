import type { EventMessage } from '../../api/client/types.ts';
import type { Command } from '../command.ts';
import { GoTemplate } from '../go-template.ts';
import { UsageError } from '../usage-error.ts';
import { parseFilters } from './images.ts';

/**
 * docker's plain event line: `<time> <type> <action> <actor id> (k=v, …)`,
 * the time in RFC 3339 with nanoseconds, attributes sorted by key.
 */
export function formatEvent(e: EventMessage): string {
  const nanos = BigInt(e.timeNano ?? e.time * 1e9);
  const seconds = nanos / 1_000_000_000n;
  const fraction = (nanos % 1_000_000_000n).toString().padStart(9, '0');
  const when = new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, `.${fraction}Z`);
  const attrs = Object.entries(e.Actor?.Attributes ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`);
  return `${when} ${e.Type} ${e.Action} ${e.Actor?.ID ?? ''}${attrs.length > 0 ? ` (${attrs.join(', ')})` : ''}`;
}

/**
 * An event as docker's `--format` templates see it: the Go struct
 * events.Message, so `.Status`, `.ID`, `.From`, `.Scope`, `.Time` and
 * `.TimeNano` work beside `.Type`, `.Action` and `.Actor` (the wire's
 * lower-case keys are what Go decodes into them); `{{json .}}` still prints
 * the wire object. Pure.
 */
export function templateEvent(e: EventMessage): Record<string, unknown> {
  const view: Record<string, unknown> = {
    Status: e.status ?? '', ID: e.id ?? '', From: e.from ?? '', Type: e.Type, Action: e.Action, Actor: e.Actor,
    Scope: e.scope ?? '', Time: e.time, TimeNano: e.timeNano,
  };
  Object.defineProperty(view, 'toJSON', { value: () => e, enumerable: false });
  return view;
}

/** `janus events` / `system events`. */
export function eventsCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS]',
      description: 'Get real time events from the server',
      aliases: ['system events', 'events'].filter((a) => a !== name),
      args: { min: 0, max: 0 },
      flags: [
        { name: 'filter', short: 'f', type: 'list', valueName: 'filter', description: 'Filter output based on conditions provided' },
        { name: 'format', type: 'string', valueName: 'string', description: "Format the output using the given Go template ('json' prints each event as JSON)" },
        { name: 'since', type: 'string', valueName: 'string', description: 'Show all events created since timestamp' },
        { name: 'until', type: 'string', valueName: 'string', description: 'Stream events until this timestamp' },
      ],
    },
    async run(ctx, args) {
      const format = args.string('format');
      let template: GoTemplate | undefined;
      if (format !== undefined && format !== 'json') {
        try {
          template = GoTemplate.parse(format);
        } catch (err) {
          throw new UsageError(`template parsing error: ${(err as Error).message}`, { command: name });
        }
      }
      const stream = ctx.client().events({
        since: args.string('since'), until: args.string('until'), filters: parseFilters(args.list('filter'), name), signal: ctx.signal,
      });
      for await (const e of stream) {
        const line = format === 'json' ? JSON.stringify(e) : template ? template.execute(templateEvent(e)) : formatEvent(e);
        ctx.stdout.write(`${line}\n`);
      }
    },
  };
}
