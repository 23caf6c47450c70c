import type { ContainerSummary } from '../../api/client/types.ts';
import { COMPOSE_LABELS } from '../../compose/labels.ts';
import { notFound } from '../../core/errors.ts';
import type { CommandSpec, ParsedArgs } from '../args.ts';
import type { CliContext } from '../command.ts';
import { humanSize } from '../human-size.ts';
import { formatList } from '../list-formatter.ts';
import { UsageError } from '../usage-error.ts';

const ACTIONS = ['create', 'ls', 'restore', 'rm'] as const;

/**
 * `janus compose snapshot create|ls|restore|rm [NAME]`: snapshots of a whole
 * project — every service container and every volume they mount, taken
 * together with the services paused (the daemon's `/janus/projects/…`).
 * `restore` stops the running services, restores them all (or none), and
 * starts again those that ran. A `ComposeVerb` (compose-verbs.ts lists it).
 */
export const composeSnapshotVerb = {
  spec: {
    name: 'compose snapshot',
    usage: 'create|ls|restore|rm [OPTIONS] [NAME]',
    description: "Snapshot a project's services and volumes together, list, restore or remove such snapshots",
    flags: [
      { name: 'memory', type: 'bool', description: "create: also save the services' memory (refused where the host cannot: the daemon says why)" },
      { name: 'timeout', short: 't', type: 'string', valueName: 'int', description: 'restore: seconds to wait for running services to stop' },
    ],
    args: { min: 1, max: 2 },
    interspersed: true,
  } satisfies CommandSpec,
  needsFiles: false,
  async run(ctx: CliContext, args: ParsedArgs, session: { projectName(): Promise<string> }): Promise<void> {
    const [action, name] = args.positionals as [string, string | undefined];
    if (!(ACTIONS as readonly string[]).includes(action)) throw new UsageError(`unknown snapshot action ${JSON.stringify(action)}: want ${ACTIONS.join(', ')}`, { command: 'compose snapshot' });
    if (action !== 'ls' && !name) throw new UsageError(`compose snapshot ${action} needs a snapshot NAME`, { command: 'compose snapshot' });
    const timeout = args.string('timeout');
    if (timeout !== undefined && !/^\d+$/.test(timeout)) throw new UsageError(`invalid --timeout ${JSON.stringify(timeout)}: want whole seconds`, { command: 'compose snapshot' });
    const project = await session.projectName();
    const client = ctx.client();
    if (action === 'create') {
      const made = await client.projectSnapshotCreate(project, name!, { memory: args.bool('memory'), signal: ctx.signal });
      for (const s of made) ctx.stderr.write(` Container ${s.ContainerName}  Snapshotted\n`);
      ctx.stdout.write(`${name}\n`);
    } else if (action === 'rm') {
      await client.projectSnapshotRemove(project, name!, { signal: ctx.signal });
      ctx.stdout.write(`${name}\n`);
    } else if (action === 'ls') {
      const list = await client.projectSnapshotList(project, { signal: ctx.signal });
      const byName = new Map<string, { Name: string; Created: string; Services: string[]; Bytes: number }>();
      for (const s of list) {
        const row = byName.get(s.Name) ?? { Name: s.Name, Created: s.Created, Services: [], Bytes: 0 };
        row.Services.push(s.ContainerName);
        row.Bytes += s.Size;
        byName.set(s.Name, row);
      }
      const rows = [...byName.values()].map((r) => ({ Name: r.Name, Created: r.Created, Containers: r.Services.sort().join(','), Size: humanSize(r.Bytes) }));
      if (name) rows.splice(0, rows.length, ...rows.filter((r) => r.Name === name));
      ctx.stdout.write(formatList(rows, { format: undefined, defaultTable: '{{.Name}}\t{{.Created}}\t{{.Size}}\t{{.Containers}}', headers: { Name: 'SNAPSHOT', Created: 'CREATED', Size: 'SIZE', Containers: 'CONTAINERS' } }));
    } else {
      // A name that is no snapshot of the project is refused before any service is stopped and started again.
      const known = await client.projectSnapshotList(project, { signal: ctx.signal });
      if (!known.some((s) => s.Name === name)) throw notFound(`No such snapshot: ${name} of project ${project}`);
      const running = (await client.containerList({ filters: { label: [`${COMPOSE_LABELS.project}=${project}`] }, signal: ctx.signal }))
        .filter((c: ContainerSummary) => c.State === 'running' || c.State === 'paused');
      for (const c of running) await client.containerStop(c.Id, { ...(timeout !== undefined ? { timeout: Number(timeout) } : {}), signal: ctx.signal });
      try {
        await client.projectSnapshotRestore(project, name!, { signal: ctx.signal });
      } finally {
        // Restored or not (a refused restore changed nothing), the services that ran run again.
        for (const c of running) await client.containerStart(c.Id, { signal: ctx.signal });
      }
      ctx.stdout.write(`${name}\n`);
    }
  },
};
