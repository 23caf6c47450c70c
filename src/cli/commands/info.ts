import type { InfoResponse } from '../../api/client/types.ts';
import type { Command } from '../command.ts';
import { GoTemplate } from '../go-template.ts';
import { readVersion } from '../read-version.ts';

/** docker's labels for the /info fields it shows, in its order; other fields follow under their own names. */
const LABELS: ReadonlyArray<readonly [string, string]> = [
  ['Containers', 'Containers'], ['Images', 'Images'], ['ServerVersion', 'Server Version'], ['Driver', 'Storage Driver'],
  ['DriverStatus', ''], ['LoggingDriver', 'Logging Driver'], ['CgroupDriver', 'Cgroup Driver'], ['CgroupVersion', 'Cgroup Version'],
  ['Runtimes', 'Runtimes'], ['DefaultRuntime', 'Default Runtime'], ['InitBinary', 'Init Binary'],
  ['SecurityOptions', 'Security Options'], ['KernelVersion', 'Kernel Version'], ['OperatingSystem', 'Operating System'],
  ['OSVersion', 'OSVersion'], ['OSType', 'OSType'], ['Architecture', 'Architecture'], ['NCPU', 'CPUs'], ['MemTotal', 'Total Memory'],
  ['Name', 'Name'], ['ID', 'ID'], ['DockerRootDir', 'Docker Root Dir'], ['Debug', 'Debug Mode'], ['HttpProxy', 'HTTP Proxy'],
  ['HttpsProxy', 'HTTPS Proxy'], ['NoProxy', 'No Proxy'], ['Labels', 'Labels'], ['ExperimentalBuild', 'Experimental'],
  ['RegistryConfig', ''], ['LiveRestoreEnabled', 'Live Restore Enabled'],
];
/** Fields docker folds into others or does not print. */
const HIDDEN = new Set(['ContainersRunning', 'ContainersPaused', 'ContainersStopped', 'Warnings', 'SystemTime', 'NEventsListener', 'NFd', 'NGoroutines', 'IndexServerAddress', 'Plugins', 'Swarm', 'ClientInfo',
  'MemoryLimit', 'SwapLimit', 'KernelMemory', 'KernelMemoryTCP', 'CpuCfsPeriod', 'CpuCfsQuota', 'CPUShares', 'CPUSet', 'PidsLimit',
  'IPv4Forwarding', 'OomKillDisable', 'BridgeNfIptables', 'BridgeNfIp6tables', 'ContainerdCommit', 'RuncCommit', 'InitCommit',
  'GenericResources', 'CDISpecDirs', 'DefaultAddressPools', 'FirewallBackend']);

/** go-units BytesSize: base 1024, 4 significant digits ("1.944GiB"). */
function bytesSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

function label(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2');
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return true;
  if (Array.isArray(v)) return v.every(isEmpty);
  if (typeof v === 'object') return Object.values(v).every(isEmpty);
  return false;
}

/** An object on one line: `Name: k=v k=v` when it has a Name, else `k=v …`; lists join with commas. */
function oneLine(obj: Record<string, unknown>): string {
  const parts = Object.entries(obj)
    .filter(([k, v]) => k !== 'Name' && !isEmpty(v))
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.map(scalar).join(',') : scalar(v)}`);
  return typeof obj.Name === 'string' ? `${obj.Name}${parts.length ? `: ${parts.join(' ')}` : ''}` : parts.join(' ');
}

/** Lines for one value at `indent`: scalars inline, lists one item per line, maps as nested `Key: value`. */
function render(name: string, value: unknown, indent: string, out: string[]): void {
  if (isEmpty(value)) return;
  if (Array.isArray(value)) {
    out.push(`${indent}${name}:`);
    for (const item of value) {
      if (Array.isArray(item) && item.length === 2) out.push(`${indent}  ${scalar(item[0])}: ${scalar(item[1])}`);
      else if (item !== null && typeof item === 'object') out.push(`${indent}  ${oneLine(item as Record<string, unknown>)}`);
      else out.push(`${indent}  ${scalar(item)}`);
    }
    return;
  }
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (Object.values(obj).every((x) => x === null || typeof x !== 'object' || (Array.isArray(x) && x.every((y) => typeof y !== 'object')))) {
      out.push(`${indent}${name}: ${oneLine(obj)}`);
      return;
    }
    out.push(`${indent}${name}:`);
    for (const [k, v] of Object.entries(obj)) render(k, v, `${indent}  `, out);
    return;
  }
  out.push(`${indent}${name}: ${scalar(value)}`);
}

/** The `Server:` section of `info`, laid out like docker's. */
export function formatInfo(info: InfoResponse): string {
  const out: string[] = ['Server:'];
  const done = new Set<string>(HIDDEN);
  for (const [key, name] of LABELS) {
    done.add(key);
    const v = info[key];
    if (v === undefined || v === null) continue;
    switch (key) {
      case 'Containers':
        out.push(` Containers: ${scalar(v)}`, `  Running: ${scalar(info.ContainersRunning ?? 0)}`, `  Paused: ${scalar(info.ContainersPaused ?? 0)}`, `  Stopped: ${scalar(info.ContainersStopped ?? 0)}`);
        break;
      case 'DriverStatus':
        for (const pair of (v as unknown[][]) ?? []) if (Array.isArray(pair)) out.push(`  ${scalar(pair[0])}: ${scalar(pair[1])}`);
        break;
      case 'Runtimes':
        if (typeof v === 'object') out.push(` Runtimes: ${Object.keys(v).join(' ')}`);
        break;
      case 'MemTotal':
        out.push(` Total Memory: ${typeof v === 'number' ? bytesSize(v) : scalar(v)}`);
        break;
      case 'RegistryConfig': {
        const rc = v as { InsecureRegistryCIDRs?: string[]; IndexConfigs?: Record<string, { Secure?: boolean }>; Mirrors?: string[] };
        const insecure = [...(rc.InsecureRegistryCIDRs ?? []), ...Object.entries(rc.IndexConfigs ?? {}).filter(([, c]) => c.Secure === false).map(([k]) => k)];
        render('Insecure Registries', insecure, ' ', out);
        render('Registry Mirrors', rc.Mirrors ?? [], ' ', out);
        break;
      }
      default:
        render(name, v, ' ', out);
    }
  }
  for (const [key, v] of Object.entries(info)) if (!done.has(key)) render(label(key), v, ' ', out);
  return `${out.join('\n')}\n`;
}

/** `janus info`: what the daemon reports, like `docker info`; `--format` applies to the /info object. */
export const infoCommand: Command = {
  spec: {
    name: 'info',
    usage: '[OPTIONS]',
    description: 'Display system-wide information',
    args: { min: 0, max: 0 },
    flags: [
      { name: 'format', short: 'f', type: 'string', valueName: 'string', description: "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template" },
    ],
  },
  async run(ctx, args) {
    const format = args.string('format');
    const version = await readVersion();
    if (format !== undefined) {
      const template = format === 'json' ? undefined : GoTemplate.parse(format);
      const info = await ctx.client().info({ signal: ctx.signal });
      const data = { ...info, ClientInfo: { Version: version, Context: 'default', Debug: false } };
      ctx.stdout.write(`${template ? template.execute(data) : JSON.stringify(data)}\n`);
      return;
    }
    ctx.stdout.write(`Client:\n Version:    ${version}\n Context:    default\n Debug Mode: false\n\n`);
    const info = await ctx.client().info({ signal: ctx.signal });
    ctx.stdout.write(formatInfo(info));
    for (const w of (info.Warnings as string[] | undefined) ?? []) ctx.stderr.write(`${w}\n`);
  },
};
