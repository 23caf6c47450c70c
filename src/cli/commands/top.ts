import type { Command } from '../command.ts';

/** Lines of tab-separated cells aligned as docker's top does (Go tabwriter: minimum width 20, padding 3). */
export function alignTop(rows: readonly string[][]): string {
  const widths: number[] = [];
  for (const cells of rows) for (let c = 0; c < cells.length - 1; c++) widths[c] = Math.max(widths[c] ?? 0, [...cells[c]].length);
  return rows.map((cells) => cells.map((cell, c) => (c === cells.length - 1 ? cell : cell + ' '.repeat(Math.max(20, widths[c] + 3) - [...cell].length))).join('')).map((l) => `${l}\n`).join('');
}

/** `janus top` / `container top`: the processes in a container, as `ps` inside it shows them (ps options after the name). */
export function topCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: 'CONTAINER [ps OPTIONS]',
      description: 'Display the running processes of a container',
      aliases: ['container top', 'top'].filter((a) => a !== name),
      args: { min: 1 },
      interspersed: false,
      flags: [],
    },
    async run(ctx, args) {
      const [container, ...psArgs] = args.positionals;
      const top = await ctx.client().containerTop(container, { psArgs: psArgs.join(' '), signal: ctx.signal });
      ctx.stdout.write(alignTop([top.Titles ?? [], ...(top.Processes ?? [])]));
    },
  };
}
