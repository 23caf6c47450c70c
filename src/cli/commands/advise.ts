import { readFile } from 'node:fs/promises';
import type { AdviseWorkloadWire } from '../../api/client/types.ts';
import type { DockerClient } from '../../api/client/docker-client.ts';
import type { BenchResults } from '../../core/bench-results.ts';
import { isJanusError } from '../../core/errors.ts';
import { loadProject } from '../../compose/load-project.ts';
import { serviceCreateBody } from '../../compose/service-create-body.ts';
import { formatAdviceText, tradeoffOf, type AdviceReport } from '../advice-report.ts';
import { ParsedArgs, parseArgs, type CommandSpec } from '../args.ts';
import { readBenchCache } from '../bench-cache.ts';
import type { Command } from '../command.ts';
import { buildContainerConfig } from '../container-config.ts';
import { createFlagSpecs } from '../create-flags.ts';
import { StatusError } from '../exit-status.ts';
import { UsageError } from '../usage-error.ts';

const RUN_SPEC: CommandSpec = {
  name: 'advise -- run',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'The run command line to advise on',
  args: { min: 1 },
  interspersed: false,
  flags: createFlagSpecs(true),
};

/** Run flags Janus refuses at every level but the advisor explains: they are taken out before the create body is built. */
const UNOFFERED = ['device', 'gpus', 'device-cgroup-rule'];
const HOST_NAMESPACES = ['pid', 'ipc', 'uts'];

/** The parsed run flags without the ones the advisor reports on itself. */
class AdvisableArgs extends ParsedArgs {
  readonly #inner: ParsedArgs;
  readonly #hidden: Set<string>;

  constructor(inner: ParsedArgs, hidden: Set<string>) {
    super(new Map(), new Set(), inner.positionals, inner.help);
    this.#inner = inner;
    this.#hidden = hidden;
  }

  override bool(name: string): boolean { return this.#hidden.has(name) ? false : this.#inner.bool(name); }
  override string(name: string): string | undefined { return this.#hidden.has(name) ? undefined : this.#inner.string(name); }
  override list(name: string): string[] { return this.#hidden.has(name) ? [] : this.#inner.list(name); }
  override changed(name: string): boolean { return this.#hidden.has(name) ? false : this.#inner.changed(name); }
}

/**
 * `janus advise`: which isolation level fits each workload and why, with
 * the trade-off in numbers measured on this host (`janus bench`). Three
 * inputs: `-f compose.yaml` (every service), `-- run [FLAGS] IMAGE [CMD]`
 * (a run command line, parsed by run's own flag parser; --device, --gpus and
 * --pid/--ipc/--uts host, which Janus refuses, are explained instead), or
 * container names. The daemon's advisor decides (POST /janus/advise); this
 * command adds the bench figures the daemon keeps for its host (GET
 * /janus/bench, or --bench-file) and prints. A
 * compose file that does not load is reported as not evaluated (exit 1).
 */
export const adviseCommand: Command = {
  spec: {
    name: 'advise',
    usage: '[OPTIONS] [CONTAINER...] | -f COMPOSE_FILE | -- run [RUN OPTIONS] IMAGE [COMMAND]',
    description: 'Recommend an isolation level for each workload, with reasons and measured trade-offs',
    args: { min: 0 },
    interspersed: false,
    flags: [
      { name: 'file', short: 'f', type: 'list', valueName: 'file', description: 'Compose file(s) whose services to advise on' },
      { name: 'format', type: 'string', valueName: 'string', description: "Output format: 'table' (default) or 'json'" },
      { name: 'bench-file', type: 'string', valueName: 'file', description: 'Bench results to use from a file (default: the daemon\'s, which janus bench records)' },
    ],
  },
  async run(ctx, args) {
    const format = args.string('format') ?? 'table';
    if (format !== 'table' && format !== 'json') throw new UsageError(`--format ${format} is not supported: want table or json`, { command: 'advise' });
    const files = args.list('file');
    const positionals = args.positionals;
    const isRun = positionals[0] === 'run';
    if (files.length > 0 && positionals.length > 0) throw new UsageError('advise takes either -f COMPOSE_FILE, a run command line, or containers, not several', { command: 'advise' });
    if (files.length === 0 && positionals.length === 0) throw new UsageError('advise needs -f COMPOSE_FILE, -- run [OPTIONS] IMAGE [COMMAND], or container names', { command: 'advise' });

    const workloads: AdviseWorkloadWire[] = [];
    const containers: string[] = [];
    const unevaluated: string[] = [];
    if (files.length > 0) {
      try {
        const project = await loadProject({ files, environment: ctx.env });
        for (const service of Object.values(project.services)) {
          const name = `${project.name}-${service.name}-1`;
          const body = serviceCreateBody(project, service, {
            name, number: 1, configHash: '', version: '', serviceContainer: (s) => `${project.name}-${s}-1`,
          });
          workloads.push({
            Name: service.name,
            Config: body,
            Annotations: { ...(service.janus.trust ? { Trust: service.janus.trust } : {}), ...(service.janus.compliance ? { Compliance: service.janus.compliance } : {}) },
          });
        }
      } catch (err) {
        if (!isJanusError(err) || err.kind !== 'InvalidArgument') throw err;
        unevaluated.push(`compose project ${files.join(', ')}: ${err.message}`);
      }
    } else if (isRun) {
      const runArgs = parseArgs(RUN_SPEC, positionals.slice(1));
      const hidden = new Set(UNOFFERED.filter((f) => runArgs.changed(f)));
      const modes: Record<string, string> = {};
      for (const ns of HOST_NAMESPACES) {
        const v = runArgs.string(ns);
        if (v === 'host') { modes[ns] = v; hidden.add(ns); }
      }
      const config = await buildContainerConfig('run', new AdvisableArgs(runArgs, hidden), { env: ctx.env, cwd: process.cwd(), readFile: (p) => readFile(p) });
      const devices = [...runArgs.list('device'), ...runArgs.list('device-cgroup-rule').map((r) => `cgroup rule ${r}`)];
      const gpus = runArgs.string('gpus');
      workloads.push({
        Name: config.name ?? config.image,
        Config: config.body,
        ...(config.platform ? { Platform: config.platform } : {}),
        Unoffered: {
          ...(devices.length > 0 ? { Devices: devices } : {}),
          ...(gpus ? { Gpus: gpus } : {}),
          ...(modes.pid ? { PidMode: modes.pid } : {}),
          ...(modes.ipc ? { IpcMode: modes.ipc } : {}),
          ...(modes.uts ? { UtsMode: modes.uts } : {}),
        },
      });
    } else {
      containers.push(...positionals);
    }

    const client = ctx.client();
    const answer = workloads.length + containers.length > 0
      ? await client.advise({ Workloads: workloads, Containers: containers }, { signal: ctx.signal })
      : { Workloads: [], Host: { levels: {} } };
    const info = await client.info({ signal: ctx.signal });
    const benchFile = args.string('bench-file');
    const bench = benchFile !== undefined ? { ...(await readBenchCache(benchFile)), path: benchFile } : await daemonBench(client, ctx.signal);
    const tradeoff = tradeoffOf(answer.Host, String(info.Name ?? ''), bench);
    const reports: AdviceReport[] = answer.Workloads.map((w) => ({ ...w, tradeoff }));
    if (format === 'json') {
      ctx.stdout.write(`${JSON.stringify({ workloads: reports, ...(unevaluated.length > 0 ? { unevaluated } : {}) }, null, 2)}\n`);
    } else {
      ctx.stdout.write(formatAdviceText(reports));
      for (const u of unevaluated) ctx.stdout.write(`could not evaluate: ${u}\n`);
    }
    if (unevaluated.length > 0) throw new StatusError(1);
  },
};

/** The daemon's bench figures (GET /janus/bench), or why there are none: never measured, or a daemon without that endpoint. */
async function daemonBench(client: DockerClient, signal: AbortSignal): Promise<{ results?: BenchResults; problem?: string; path: string }> {
  const path = 'the daemon (GET /janus/bench)';
  try {
    return { results: await client.bench({ signal }), path };
  } catch (err) {
    if (isJanusError(err, 'NotFound')) return { problem: 'the daemon has no bench results for this host (run janus bench --quick)', path };
    throw err;
  }
}
