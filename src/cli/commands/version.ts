import type { VersionResponse } from '../../api/client/types.ts';
import { CLIENT_API_VERSION } from '../../api/client/docker-client.ts';
import type { Command } from '../command.ts';
import { GoTemplate } from '../go-template.ts';
import { readVersion } from '../read-version.ts';

/** `janus version`: the client's versions, then the daemon's; the client part prints even when no daemon answers. */
export const versionCommand: Command = {
  spec: {
    name: 'version',
    usage: '[OPTIONS]',
    description: 'Show the Janus version information',
    args: { min: 0, max: 0 },
    flags: [
      { name: 'format', short: 'f', type: 'string', valueName: 'string', description: "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template" },
    ],
  },
  async run(ctx, args) {
    const client = {
      Version: await readVersion(),
      ApiVersion: CLIENT_API_VERSION,
      DefaultAPIVersion: CLIENT_API_VERSION,
      NodeVersion: process.version,
      Os: process.platform,
      Arch: process.arch === 'x64' ? 'amd64' : process.arch,
    };
    const format = args.string('format');
    if (format !== undefined) {
      const template = format === 'json' ? undefined : GoTemplate.parse(format);
      let server: VersionResponse | undefined;
      let failure: unknown;
      try { server = await ctx.client().version({ signal: ctx.signal }); } catch (err) { failure = err; }
      const data = { Client: client, Server: server ?? null };
      ctx.stdout.write(`${template ? template.execute(data) : JSON.stringify(data)}\n`);
      if (failure) throw failure;
      return;
    }
    ctx.stdout.write([
      'Client:',
      ` Version:           ${client.Version}`,
      ` API version:       ${client.ApiVersion}`,
      ` Node.js version:   ${client.NodeVersion}`,
      ` OS/Arch:           ${client.Os}/${client.Arch}`,
      '',
    ].join('\n'));
    const server = await ctx.client().version({ signal: ctx.signal });
    const negotiated = await ctx.client().apiVersion();
    if (negotiated && negotiated !== CLIENT_API_VERSION) {
      ctx.stdout.write(` (API downgraded to ${negotiated} to match the daemon)\n`);
    }
    const lines = [
      '',
      `Server: ${server.Platform?.Name ?? ''}`.trimEnd(),
      ' Engine:',
      `  Version:          ${server.Version}`,
      `  API version:      ${server.ApiVersion}${server.MinAPIVersion ? ` (minimum version ${server.MinAPIVersion})` : ''}`,
    ];
    if (server.GoVersion) lines.push(`  Go version:       ${server.GoVersion}`);
    if (server.GitCommit) lines.push(`  Git commit:       ${server.GitCommit}`);
    if (server.BuildTime) lines.push(`  Built:            ${server.BuildTime}`);
    lines.push(`  OS/Arch:          ${server.Os}/${server.Arch}`);
    if (server.KernelVersion) lines.push(`  Kernel version:   ${server.KernelVersion}`);
    for (const c of server.Components ?? []) {
      if (c.Name === 'Engine') continue;
      lines.push(` ${c.Name}:`, `  Version:          ${c.Version}`);
      for (const [k, v] of Object.entries(c.Details ?? {})) lines.push(`  ${`${k}:`.padEnd(18)}${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
    }
    ctx.stdout.write(`${lines.join('\n')}\n`);
  },
};
