import { isAbsolute, resolve } from 'node:path';
import { isIP } from 'node:net';
import { isJanusError } from '../core/errors.ts';
import type { ContainerCreateBody, HealthcheckWire, HostConfigWire, RestartPolicyWire } from '../api/client/types.ts';
import type { FlagSpec, ParsedArgs } from './args.ts';
import { NAMESPACE_FLAGS, UNSUPPORTED_CREATE_FLAGS, createFlagSpecs } from './create-flags.ts';
import { parseGoDuration } from './go-duration.ts';
import { parseKeyValueFile } from './key-value-file.ts';
import { parseMountSpec } from './mount-spec.ts';
import { networkingFromFlags, parseNetworkValue } from './network-flags.ts';
import { parseExpose, parsePublish, type ParsedPorts } from './port-specs.ts';
import { parseRamSize } from './ram-size.ts';
import { parseUlimit } from './ulimit-spec.ts';
import { UsageError } from './usage-error.ts';

/** What building a create body may read from the outside world, injected so tests need no files. */
export interface ContainerConfigHost {
  /** The CLI's environment (`-e KEY` and env files take values from it). */
  env: Record<string, string | undefined>;
  /** Relative bind sources (`-v ./dir:/x`) are made absolute against it. */
  cwd: string;
  /** Reads `--env-file`, `--label-file` and seccomp profiles. */
  readFile(path: string): Promise<Buffer>;
}

/** `--pull`. */
export type PullPolicy = 'missing' | 'always' | 'never';

/** A `run`/`create` command line as the create request and the client-side choices around it. */
export interface ContainerConfig {
  /** The image as typed. */
  image: string;
  body: ContainerCreateBody;
  /** `--name` (query parameter). */
  name?: string;
  /** `--platform` (query parameter). */
  platform?: string;
  pull: PullPolicy;
  /** `-q`: no pull output. */
  quiet: boolean;
  cidfile?: string;
}

const SYSCTL_NAMES = ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'];
const SYSCTL_PREFIXES = ['fs.mqueue.', 'net.'];
const DNS_SEARCH = /^\.$|^(?=.{1,255}$)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$/;
const RESTART_NAMES = ['no', 'always', 'unless-stopped', 'on-failure'];

/**
 * Turns the flags and arguments of `run` or `create` (`IMAGE [COMMAND]
 * [ARG...]` as positionals) into the body of `POST /containers/create`
 * the way docker's CLI builds it: attach settings from `-a`/`-i`/`-d`,
 * env files before `-e`, label files before `-l`, `-v` split into binds and
 * anonymous volumes (a relative `./src` made absolute), `-p`/`--expose`
 * into exposed ports and bindings, capabilities as `CAP_…`, seccomp
 * profiles inlined, human sizes and Go durations converted. Every value is
 * checked here: a bad one is a UsageError naming the flag and the value in
 * docker's words, and a flag Janus does not offer is a UsageError saying
 * so, before anything is sent.
 */
export async function buildContainerConfig(command: 'run' | 'create', args: ParsedArgs, host: ContainerConfigHost): Promise<ContainerConfig> {
  const specs = new Map(createFlagSpecs(command === 'run').map((f) => [f.name, f]));
  const usage = (message: string): UsageError => new UsageError(message, { command });
  /** Runs a value parser; its InvalidArgument becomes docker's `invalid argument "V" for "-x, --flag" flag: …`. */
  const value = <T>(flag: string, raw: string, parse: (raw: string) => T): T => {
    try {
      return parse(raw);
    } catch (err) {
      if (!isJanusError(err) || err instanceof UsageError) throw err;
      throw usage(`invalid argument ${JSON.stringify(raw)} for "${label(specs.get(flag))}" flag: ${err.message}`);
    }
  };
  const int = (flag: string): number | undefined => {
    const raw = args.string(flag);
    if (raw === undefined) return undefined;
    return value(flag, raw, (v) => {
      if (!/^[-+]?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw usage(`invalid argument ${JSON.stringify(v)} for "${label(specs.get(flag))}" flag: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
      return Number(v);
    });
  };

  for (const [name, u] of Object.entries(UNSUPPORTED_CREATE_FLAGS)) {
    if (args.changed(name)) throw usage(`--${name} is not supported: ${u.why}`);
  }
  if (!args.bool('disable-content-trust')) throw usage('--disable-content-trust=false is not supported: Janus does not verify image signatures');

  const [image, ...cmd] = args.positionals;
  const body: ContainerCreateBody = { Image: image };
  const hc: HostConfigWire = { NetworkMode: 'default' };
  const detach = command === 'run' && args.bool('detach');

  // Streams: -a picks them, -i adds stdin; with -d nothing is attached.
  const attach = args.list('attach').map((a) => {
    const s = a.toLowerCase();
    if (s !== 'stdin' && s !== 'stdout' && s !== 'stderr') throw usage(`invalid argument ${JSON.stringify(a)} for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`);
    return s;
  });
  if (detach && attach.length > 0) throw usage('conflicting options: cannot specify both --attach and --detach');
  if (!detach) {
    if (attach.includes('stdin') || args.bool('interactive')) body.AttachStdin = true;
    if (attach.length === 0 || attach.includes('stdout')) body.AttachStdout = true;
    if (attach.length === 0 || attach.includes('stderr')) body.AttachStderr = true;
  }
  if (args.bool('tty')) body.Tty = true;
  if (args.bool('interactive')) body.OpenStdin = true;
  if (body.OpenStdin && body.AttachStdin) body.StdinOnce = true;

  if (cmd.length > 0) body.Cmd = cmd;
  if (args.changed('entrypoint')) {
    const ep = args.string('entrypoint') ?? '';
    // An empty --entrypoint resets the image's entrypoint (and the daemon then drops its Cmd too).
    body.Entrypoint = [ep];
  }

  const env = await collectEnv(command, args, host);
  if (env.length > 0) body.Env = env;

  const labels: Record<string, string> = {};
  const addLabel = (kv: string): void => {
    const eq = kv.indexOf('=');
    if (eq === 0) throw usage(`invalid label ${JSON.stringify(kv)}: empty name`);
    labels[eq < 0 ? kv : kv.slice(0, eq)] = eq < 0 ? '' : kv.slice(eq + 1);
  };
  for (const file of args.list('label-file')) {
    const content = await readFlagFile(host, file, command);
    for (const kv of value('label-file', file, () => parseKeyValueFile(content, file))) addLabel(kv);
  }
  for (const kv of args.list('label')) addLabel(kv);
  if (Object.keys(labels).length > 0) body.Labels = labels;

  for (const [flag, field] of [['hostname', 'Hostname'], ['domainname', 'Domainname'], ['user', 'User'], ['workdir', 'WorkingDir'], ['stop-signal', 'StopSignal']] as const) {
    const v = args.string(flag);
    if (v) body[field] = v;
  }
  const stopTimeout = int('stop-timeout');
  if (stopTimeout !== undefined) body.StopTimeout = stopTimeout;

  // Mounts.
  const binds: string[] = [];
  const volumes: Record<string, Record<string, never>> = {};
  for (const spec of args.list('volume')) {
    const parts = spec.split(':');
    if (spec === '' || parts.some((p) => p === '')) throw usage(`invalid argument ${JSON.stringify(spec)} for "-v, --volume" flag: invalid spec: ${spec}: empty section between colons`);
    if (parts.length > 3) throw usage(`invalid argument ${JSON.stringify(spec)} for "-v, --volume" flag: invalid spec: ${spec}: too many colons`);
    if (parts.length === 1) {
      volumes[spec] = {};
      continue;
    }
    if (!isAbsolute(parts[0]) && parts[0].startsWith('.')) parts[0] = resolve(host.cwd, parts[0]);
    binds.push(parts.join(':'));
  }
  if (binds.length > 0) hc.Binds = binds;
  if (Object.keys(volumes).length > 0) body.Volumes = volumes;
  const mounts = args.list('mount').map((m) => value('mount', m, parseMountSpec));
  if (mounts.length > 0) hc.Mounts = mounts;
  const tmpfs: Record<string, string> = {};
  for (const t of args.list('tmpfs')) {
    const colon = t.indexOf(':');
    const path = colon < 0 ? t : t.slice(0, colon);
    if (!path.startsWith('/')) throw usage(`invalid argument ${JSON.stringify(t)} for "--tmpfs" flag: the mount path must be absolute`);
    tmpfs[path] = colon < 0 ? '' : t.slice(colon + 1);
  }
  if (Object.keys(tmpfs).length > 0) hc.Tmpfs = tmpfs;
  const volumeDriver = args.string('volume-driver');
  if (volumeDriver) hc.VolumeDriver = volumeDriver;

  // Resources.
  const memory = args.string('memory');
  if (memory !== undefined) {
    const bytes = value('memory', memory, parseRamSize);
    if (bytes > 0) hc.Memory = bytes;
  }
  const swap = args.string('memory-swap');
  if (swap !== undefined) hc.MemorySwap = swap === '-1' ? -1 : value('memory-swap', swap, parseRamSize);
  const swappiness = args.string('memory-swappiness');
  if (swappiness !== undefined && swappiness !== '-1') throw usage(`--memory-swappiness ${swappiness} is not supported: only -1 (the kernel's default) is`);
  const cpus = args.string('cpus');
  if (cpus !== undefined) {
    const nano = value('cpus', cpus, (v) => {
      if (!/^(\d+(\.\d*)?|\.\d+)$/.test(v)) throw usage(`invalid argument ${JSON.stringify(v)} for "--cpus" flag: failed to parse ${v} as a non-negative number`);
      return Math.round(Number(v) * 1e9);
    });
    if (nano > 0) hc.NanoCpus = nano;
  }
  const shares = int('cpu-shares');
  if (shares) hc.CpuShares = shares;
  const period = int('cpu-period');
  if (period) hc.CpuPeriod = period;
  const quota = int('cpu-quota');
  if (quota) hc.CpuQuota = quota;
  const pids = int('pids-limit');
  if (pids !== undefined && pids !== 0) hc.PidsLimit = pids;
  const ulimits = args.list('ulimit').map((u) => value('ulimit', u, parseUlimit));
  if (ulimits.length > 0) hc.Ulimits = ulimits;
  const shm = args.string('shm-size');
  if (shm !== undefined) {
    const bytes = value('shm-size', shm, parseRamSize);
    if (bytes > 0) hc.ShmSize = bytes;
  }

  // Security.
  if (args.bool('privileged')) hc.Privileged = true;
  if (args.bool('read-only')) hc.ReadonlyRootfs = true;
  if (args.changed('init')) hc.Init = args.bool('init');
  const capAdd = capabilities(args.list('cap-add'));
  if (capAdd.length > 0) hc.CapAdd = capAdd;
  const capDrop = capabilities(args.list('cap-drop'));
  if (capDrop.length > 0) hc.CapDrop = capDrop;
  const securityOpt: string[] = [];
  for (const opt of args.list('security-opt')) {
    const eq = opt.indexOf('=');
    let sep = eq;
    if (eq < 0 && opt !== 'no-new-privileges') sep = opt.indexOf(':');
    const key = sep < 0 ? opt : opt.slice(0, sep);
    const v = sep < 0 ? '' : opt.slice(sep + 1);
    if (key !== 'no-new-privileges' && (sep < 0 || v === '')) throw usage(`Invalid --security-opt: ${JSON.stringify(opt)}`);
    if (key === 'systempaths' && v === 'unconfined') {
      hc.MaskedPaths = [];
      hc.ReadonlyPaths = [];
      continue;
    }
    if (key === 'seccomp' && v !== 'unconfined' && v !== 'builtin') {
      let profile: Buffer;
      try {
        profile = await host.readFile(v);
      } catch (err) {
        throw usage(`opening seccomp profile (${v}) failed: ${(err as Error).message}`);
      }
      let compact: string;
      try {
        compact = JSON.stringify(JSON.parse(profile.toString('utf8')));
      } catch (err) {
        throw usage(`compacting json for seccomp profile (${v}) failed: ${(err as Error).message}`);
      }
      securityOpt.push(`seccomp=${compact}`);
      continue;
    }
    securityOpt.push(opt);
  }
  if (securityOpt.length > 0) hc.SecurityOpt = securityOpt;
  for (const [flag, ns] of Object.entries(NAMESPACE_FLAGS)) {
    const v = args.string(flag);
    if (v === undefined || v === '') continue;
    if (!ns.allowed.includes(v)) throw usage(`--${flag} ${v} is not supported: ${ns.why}`);
    hc[ns.field] = v;
  }

  // Lifecycle.
  const restart = parseRestart(args.string('restart') ?? 'no', usage);
  hc.RestartPolicy = restart;
  if (args.bool('rm')) {
    if (restart.Name !== 'no' && restart.Name !== '') throw usage('conflicting options: cannot specify both --restart and --rm');
    hc.AutoRemove = true;
  }
  const healthcheck = parseHealth(args, usage, value);
  if (healthcheck) body.Healthcheck = healthcheck;
  const logDriver = args.string('log-driver') ?? '';
  const logOpts: Record<string, string> = {};
  for (const o of args.list('log-opt')) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw usage(`invalid argument ${JSON.stringify(o)} for "--log-opt" flag: want key=value`);
    logOpts[o.slice(0, eq)] = o.slice(eq + 1);
  }
  if (logDriver === 'none' && Object.keys(logOpts).length > 0) throw usage('invalid logging opts for driver none');
  if (logDriver !== '' || Object.keys(logOpts).length > 0) hc.LogConfig = { Type: logDriver, Config: logOpts };
  const isolation = args.string('isolation');
  if (isolation !== undefined && isolation !== '') {
    if (!['default', 'container', 'sandbox', 'vm', 'auto'].includes(isolation.toLowerCase())) {
      throw usage(`invalid argument ${JSON.stringify(isolation)} for "--isolation" flag: want container, sandbox or vm (Janus's isolation levels), auto (the advisor chooses) or default`);
    }
    hc.Isolation = isolation.toLowerCase();
  }
  const runtime = args.string('runtime');
  if (runtime) hc.Runtime = runtime;
  const kernel = args.string('kernel');
  if (kernel) hc.JanusVmKernel = kernel;
  const fromSnapshot = args.string('from-snapshot');
  if (fromSnapshot !== undefined) {
    if (!/^[^:]+:[^:]+$/.test(fromSnapshot)) throw usage(`invalid argument ${JSON.stringify(fromSnapshot)} for "--from-snapshot" flag: want CONTAINER:SNAPSHOT`);
    hc.JanusFromSnapshot = fromSnapshot;
  }

  // Networking.
  const networks = [...args.list('network'), ...args.list('net')];
  for (const n of networks) value('network', n, parseNetworkValue);
  let networking: ReturnType<typeof networkingFromFlags>;
  try {
    networking = networkingFromFlags(networks, args.list('network-alias'), args.string('ip'));
  } catch (err) {
    if (isJanusError(err, 'InvalidArgument')) throw usage(err.message);
    throw err;
  }
  hc.NetworkMode = networking.networkMode;
  if (networking.endpoints) body.NetworkingConfig = { EndpointsConfig: networking.endpoints };
  const ports: ParsedPorts = { exposed: [], bindings: {} };
  for (const p of args.list('publish')) value('publish', p, (v) => parsePublish([v], ports));
  for (const p of args.list('expose')) value('expose', p, (v) => parseExpose([v], ports));
  if (ports.exposed.length > 0) body.ExposedPorts = Object.fromEntries(ports.exposed.map((k) => [k, {}]));
  if (Object.keys(ports.bindings).length > 0) hc.PortBindings = ports.bindings;
  if (args.bool('publish-all')) hc.PublishAllPorts = true;
  const extraHosts = args.list('add-host').map((h) => value('add-host', h, (v) => {
    const eq = v.indexOf('=');
    const sep = eq >= 0 ? eq : v.indexOf(':');
    const name = sep < 0 ? '' : v.slice(0, sep);
    const ip = sep < 0 ? '' : v.slice(sep + 1).replace(/^\[(.*)\]$/, '$1');
    if (name === '' || ip === '') throw usage(`invalid argument ${JSON.stringify(v)} for "--add-host" flag: bad format for add-host: ${JSON.stringify(v)}`);
    if (ip !== 'host-gateway' && isIP(ip) === 0) throw usage(`invalid argument ${JSON.stringify(v)} for "--add-host" flag: invalid IP address in add-host: ${JSON.stringify(ip)}`);
    return `${name}:${ip}`;
  }));
  if (extraHosts.length > 0) hc.ExtraHosts = extraHosts;
  const dns = args.list('dns');
  for (const d of dns) if (isIP(d) === 0) throw usage(`invalid argument ${JSON.stringify(d)} for "--dns" flag: IP address is not correctly formatted: ${d}`);
  if (dns.length > 0) hc.Dns = dns;
  const dnsSearch = args.list('dns-search');
  for (const d of dnsSearch) if (!DNS_SEARCH.test(d)) throw usage(`invalid argument ${JSON.stringify(d)} for "--dns-search" flag: ${d} is not a valid domain`);
  if (dnsSearch.length > 0) hc.DnsSearch = dnsSearch;
  const dnsOptions = args.list('dns-option');
  if (dnsOptions.length > 0) hc.DnsOptions = dnsOptions;
  const sysctls: Record<string, string> = {};
  for (const s of args.list('sysctl')) {
    const eq = s.indexOf('=');
    const key = eq < 0 ? s : s.slice(0, eq);
    if (eq <= 0 || !(SYSCTL_NAMES.includes(key) || SYSCTL_PREFIXES.some((p) => key.startsWith(p)))) {
      throw usage(`invalid argument ${JSON.stringify(s)} for "--sysctl" flag: sysctl '${s}' is not allowed`);
    }
    sysctls[key] = s.slice(eq + 1);
  }
  if (Object.keys(sysctls).length > 0) hc.Sysctls = sysctls;
  body.HostConfig = hc;

  const pull = args.string('pull') ?? 'missing';
  if (pull !== 'missing' && pull !== 'always' && pull !== 'never') throw usage(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  const config: ContainerConfig = { image, body, pull, quiet: args.bool('quiet') };
  const name = args.string('name');
  if (name) config.name = name;
  const platform = args.string('platform');
  if (platform) config.platform = platform;
  const cidfile = args.string('cidfile');
  if (cidfile) config.cidfile = cidfile;
  return config;
}

/**
 * The environment `--env-file` and `-e` give (`run`, `create`, `exec`):
 * the files' entries first, then each `-e`, a bare `KEY` taking its value
 * from the CLI's environment when it has one (else passed as `KEY`, as
 * docker does). UsageError naming the flag for an empty name or an
 * unreadable file.
 */
export async function collectEnv(command: string, args: ParsedArgs, host: ContainerConfigHost): Promise<string[]> {
  const env: string[] = [];
  for (const file of args.list('env-file')) {
    const content = await readFlagFile(host, file, command);
    try {
      env.push(...parseKeyValueFile(content, file, (k) => host.env[k]));
    } catch (err) {
      throw new UsageError(`invalid argument ${JSON.stringify(file)} for "--env-file" flag: ${(err as Error).message}`, { command });
    }
  }
  for (const v of args.list('env')) {
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    if (key === '') throw new UsageError(`invalid argument ${JSON.stringify(v)} for "-e, --env" flag: invalid environment variable: ${v}`, { command });
    const fromHost = eq < 0 ? host.env[key] : undefined;
    env.push(eq >= 0 || fromHost === undefined ? v : `${key}=${fromHost}`);
  }
  return env;
}

/** `-m, --memory` or `--cpus`, as docker names a flag in its errors. */
function label(f: FlagSpec | undefined): string {
  if (!f) return '';
  return f.short ? `-${f.short}, --${f.name}` : `--${f.name}`;
}

async function readFlagFile(host: ContainerConfigHost, path: string, command: string): Promise<Buffer> {
  try {
    return await host.readFile(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file or directory' : e.code === 'EACCES' ? 'permission denied' : e.message;
    throw new UsageError(`open ${path}: ${why}`, { command });
  }
}

/** docker's normalisation: upper case, a `CAP_` prefix, `ALL` first, no duplicates. */
function capabilities(list: readonly string[]): string[] {
  const out = new Set<string>();
  let all = false;
  for (const c of list) {
    const up = c.trim().toUpperCase();
    if (up === 'ALL') all = true;
    else if (up !== '') out.add(up.startsWith('CAP_') ? up : `CAP_${up}`);
  }
  return [...(all ? ['ALL'] : []), ...out];
}

/**
 * `--restart no|always|unless-stopped|on-failure[:N]` as the policy the
 * API takes, checked as the daemon would check it; `usage` makes the
 * error. Pure.
 */
export function parseRestart(text: string, usage: (m: string) => UsageError): RestartPolicyWire {
  const bad = (why: string) => usage(`invalid argument ${JSON.stringify(text)} for "--restart" flag: ${why}`);
  if (text === '') return { Name: 'no', MaximumRetryCount: 0 };
  const colon = text.indexOf(':');
  const name = colon < 0 ? text : text.slice(0, colon);
  if (name === '') throw bad('invalid restart policy format: no policy provided before colon');
  if (!RESTART_NAMES.includes(name)) throw bad(`unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  let count = 0;
  if (colon >= 0) {
    const n = text.slice(colon + 1);
    if (!/^-?\d+$/.test(n)) throw bad('invalid restart policy format: maximum retry count must be an integer');
    count = Number(n);
    if (count < 0) throw bad('maximum retry count cannot be negative');
    if (name !== 'on-failure') throw bad("maximum retry count can only be used with 'on-failure'");
  }
  return { Name: name as RestartPolicyWire['Name'], MaximumRetryCount: count };
}

function parseHealth(
  args: ParsedArgs,
  usage: (m: string) => UsageError,
  value: <T>(flag: string, raw: string, parse: (raw: string) => T) => T,
): HealthcheckWire | undefined {
  const durations = [['health-interval', 'Interval'], ['health-timeout', 'Timeout'], ['health-start-period', 'StartPeriod'], ['health-start-interval', 'StartInterval']] as const;
  const healthFlags = ['health-cmd', 'health-retries', ...durations.map(([f]) => f)];
  const anyHealth = healthFlags.some((f) => args.changed(f));
  if (args.bool('no-healthcheck')) {
    if (anyHealth) throw usage('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!anyHealth) return undefined;
  const health: HealthcheckWire = {};
  const cmd = args.string('health-cmd');
  if (cmd) health.Test = ['CMD-SHELL', cmd];
  for (const [flag, field] of durations) {
    const raw = args.string(flag);
    if (raw === undefined) continue;
    const ns = value(flag, raw, parseGoDuration);
    if (ns < 0) throw usage(`--${flag} cannot be negative`);
    if (ns > 0) health[field] = ns;
  }
  const retries = args.string('health-retries');
  if (retries !== undefined) {
    if (!/^[-+]?\d+$/.test(retries)) throw usage(`invalid argument ${JSON.stringify(retries)} for "--health-retries" flag: strconv.ParseInt: parsing ${JSON.stringify(retries)}: invalid syntax`);
    const n = Number(retries);
    if (n < 0) throw usage('--health-retries cannot be negative');
    if (n > 0) health.Retries = n;
  }
  return health;
}
