import type { ContainerUpdateBody } from '../../api/client/types.ts';
import { isJanusError } from '../../core/errors.ts';
import type { Command } from '../command.ts';
import { parseRestart } from '../container-config.ts';
import { forEachName } from '../each-name.ts';
import { parseRamSize } from '../ram-size.ts';
import { UsageError } from '../usage-error.ts';

const UNSUPPORTED: Readonly<Record<string, string>> = {
  'blkio-weight': 'block I/O limits are not offered',
  'cpu-rt-period': 'real-time scheduling is not offered',
  'cpu-rt-runtime': 'real-time scheduling is not offered',
  'cpuset-cpus': 'pinning to CPUs is not offered; limit CPU time with --cpus',
  'cpuset-mems': 'pinning to memory nodes is not offered',
  'memory-reservation': 'memory soft limits are not offered',
};

/**
 * The body of `POST /containers/{id}/update` from `update`'s flags, checked
 * as `run` checks them. UsageError naming the flag for a bad value, a flag
 * Janus does not offer, or no flag at all. Pure.
 */
export function updateBody(args: { string(name: string): string | undefined; changed(name: string): boolean }, command: string): ContainerUpdateBody {
  const usage = (m: string) => new UsageError(m, { command });
  for (const [flag, why] of Object.entries(UNSUPPORTED)) if (args.changed(flag)) throw usage(`--${flag} is not supported: ${why}`);
  const size = (flag: string, label: string): number | undefined => {
    const v = args.string(flag);
    if (v === undefined) return undefined;
    if (flag === 'memory-swap' && v === '-1') return -1;
    try {
      return parseRamSize(v);
    } catch (err) {
      if (!isJanusError(err)) throw err;
      throw usage(`invalid argument ${JSON.stringify(v)} for "${label}" flag: ${err.message}`);
    }
  };
  const int = (flag: string, label: string): number | undefined => {
    const v = args.string(flag);
    if (v === undefined) return undefined;
    if (!/^[-+]?\d+$/.test(v)) throw usage(`invalid argument ${JSON.stringify(v)} for "${label}" flag: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
    return Number(v);
  };
  const body: ContainerUpdateBody & { CpuPeriod?: number; CpuQuota?: number } = {};
  const memory = size('memory', '-m, --memory');
  if (memory !== undefined) body.Memory = memory;
  const swap = size('memory-swap', '--memory-swap');
  if (swap !== undefined) body.MemorySwap = swap;
  const cpus = args.string('cpus');
  if (cpus !== undefined) {
    if (!/^(\d+(\.\d*)?|\.\d+)$/.test(cpus)) throw usage(`invalid argument ${JSON.stringify(cpus)} for "--cpus" flag: failed to parse ${cpus} as a non-negative number`);
    body.NanoCpus = Math.round(Number(cpus) * 1e9);
  }
  const shares = int('cpu-shares', '-c, --cpu-shares');
  if (shares !== undefined) body.CpuShares = shares;
  const period = int('cpu-period', '--cpu-period');
  if (period !== undefined) body.CpuPeriod = period;
  const quota = int('cpu-quota', '--cpu-quota');
  if (quota !== undefined) body.CpuQuota = quota;
  const pids = int('pids-limit', '--pids-limit');
  if (pids !== undefined) body.PidsLimit = pids;
  const restart = args.string('restart');
  if (restart !== undefined) body.RestartPolicy = parseRestart(restart, usage);
  if (Object.keys(body).length === 0) throw usage('you must provide one or more flags when using this command');
  return body;
}

/** `janus update` / `container update`: new resource limits or restart policy for each container (live while it runs). */
export function updateCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS] CONTAINER [CONTAINER...]',
      description: 'Update configuration of one or more containers',
      aliases: ['container update', 'update'].filter((a) => a !== name),
      args: { min: 1 },
      flags: [
        { name: 'blkio-weight', type: 'string', valueName: 'uint16', description: 'Not supported: block I/O limits are not offered' },
        { name: 'cpu-period', type: 'string', valueName: 'int', description: 'Limit CPU CFS (Completely Fair Scheduler) period' },
        { name: 'cpu-quota', type: 'string', valueName: 'int', description: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
        { name: 'cpu-rt-period', type: 'string', valueName: 'int', description: 'Not supported: real-time scheduling is not offered' },
        { name: 'cpu-rt-runtime', type: 'string', valueName: 'int', description: 'Not supported: real-time scheduling is not offered' },
        { name: 'cpu-shares', short: 'c', type: 'string', valueName: 'int', description: 'CPU shares (relative weight)' },
        { name: 'cpus', type: 'string', valueName: 'decimal', description: 'Number of CPUs' },
        { name: 'cpuset-cpus', type: 'string', valueName: 'string', description: 'Not supported: pinning to CPUs is not offered' },
        { name: 'cpuset-mems', type: 'string', valueName: 'string', description: 'Not supported: pinning to memory nodes is not offered' },
        { name: 'memory', short: 'm', type: 'string', valueName: 'bytes', description: 'Memory limit' },
        { name: 'memory-reservation', type: 'string', valueName: 'bytes', description: 'Not supported: memory soft limits are not offered' },
        { name: 'memory-swap', type: 'string', valueName: 'bytes', description: 'Swap limit equal to memory plus swap: -1 to enable unlimited swap' },
        { name: 'pids-limit', type: 'string', valueName: 'int', description: 'Tune container pids limit (set -1 for unlimited)' },
        { name: 'restart', type: 'string', valueName: 'string', description: 'Restart policy to apply when a container exits' },
      ],
    },
    async run(ctx, args) {
      const body = updateBody(args, name);
      const warnings: string[] = [];
      await forEachName(args.positionals, async (c) => {
        const r = await ctx.client().containerUpdate(c, body, { signal: ctx.signal });
        warnings.push(...(r.Warnings ?? []));
        ctx.stdout.write(`${c}\n`);
      });
      for (const w of warnings) ctx.stderr.write(`${w}\n`);
    },
  };
}
