import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { capabilitiesOfStatus } from '../runtimes/oci/spec/capabilities.ts';
import type { Runtime } from '../core/runtime.ts';
import type { ContainerHostFacts, RuntimeSet } from '../engine/container-engine.ts';
import type { HostFacts } from '../host/host-probe.ts';
import { OciRuntime, probeOciRuntime } from '../runtimes/oci/oci-runtime.ts';
import type { AttachStdin } from '../runtimes/oci/oci-task.ts';
import { QemuRuntime, defaultGuestAgent } from '../runtimes/qemu/qemu-runtime.ts';
import { installedKernels } from '../runtimes/qemu/guest-kernel.ts';
import type { Exec } from '../util/exec.ts';
import type { Logger } from '../util/logger.ts';

/** What `probeRuntimes` found: the usable runtimes and what `info` should say about each. */
export interface RuntimeProbeReport {
  set: RuntimeSet;
  /** Runtime name → why it cannot be used here (absent: usable). */
  refused: Record<string, string>;
}

// runsc refuses to build its network stack in a new network namespace
// without a path ("cannot run with network enabled in root network
// namespace" — on kernel 6.x every namespace looks like the root one to
// runsc 20221219): a sandbox without networks runs with --network=none. One
// that joins networks runs in the namespace Janus made for it with
// --network=host: its sockets are host sockets in that namespace
// (docs/networking.md). These replace the global flags, not add to them.
const RUNTIME_ARGS: Readonly<Record<string, string[]>> = { runsc: ['--network=none'] };
const NETWORK_RUNTIME_ARGS: Readonly<Record<string, string[]>> = { runsc: ['--network=host'] };

/**
 * Probes each OCI runtime found on the host by running a trivial container
 * (a binary that exists may still refuse the host: crun 1.8 and the hybrid
 * cgroup layout) and builds the RuntimeSet: `container` is served by crun
 * where it works, else runc; `sandbox` by runsc.
 */
export async function probeRuntimes(facts: HostFacts, options: {
  root: string;
  conmon?: string;
  exec: Exec;
  logger: Logger;
  /** Connects to conmon's attach sockets; absent: container stdin is unavailable. */
  attach?: AttachStdin;
  /** The static guest agent of microVMs; default build/janus-agent. */
  guestAgent?: string;
  /** The guest kernel (`janus daemon --kernel`); default the newest installed one. */
  kernel?: string;
}): Promise<RuntimeProbeReport> {
  const byName = new Map<string, Runtime>();
  const refused: Record<string, string> = {};
  const conmon = facts.conmon?.path;
  for (const tool of facts.ociRuntimes) {
    const name = tool.name as 'runc' | 'crun' | 'runsc';
    if (!conmon) {
      refused[name] = 'conmon, the container supervisor, was not found';
      continue;
    }
    const runtimeArgs = RUNTIME_ARGS[name] ?? [];
    const probe = await probeOciRuntime(tool.path, options.exec, { runtimeArgs });
    if (!probe.ok) {
      refused[name] = probe.error ?? 'the probe container failed';
      options.logger.info('runtime does not work on this host', { runtime: name, error: probe.error });
      continue;
    }
    byName.set(name, new OciRuntime({
      name,
      binary: tool.path,
      conmon,
      stateDir: join(options.root, 'runtimes', name),
      exec: options.exec,
      logger: options.logger,
      runtimeArgs,
      ...(NETWORK_RUNTIME_ARGS[name] ? { networkRuntimeArgs: NETWORK_RUNTIME_ARGS[name] } : {}),
      attach: options.attach,
      pollMs: 1000,
    }));
  }
  const container = byName.has('crun') ? 'crun' : byName.has('runc') ? 'runc' : undefined;
  const levels: RuntimeSet['levels'] = {};
  const unavailable: RuntimeSet['unavailable'] = {};
  if (container) levels.container = container;
  else unavailable.container = Object.entries(refused).filter(([n]) => n !== 'runsc').map(([n, why]) => `${n}: ${why}`).join('; ') || 'neither crun nor runc was found';
  if (byName.has('runsc')) levels.sandbox = 'runsc';
  else unavailable.sandbox = refused.runsc ? `runsc: ${refused.runsc}` : 'runsc (gVisor) was not found';
  const vm = await vmRuntime(facts, options);
  if (typeof vm === 'string') unavailable.vm = vm;
  else {
    byName.set(vm.name, vm);
    levels.vm = vm.name;
  }
  return { set: { byName, levels, unavailable }, refused };
}

/** The QEMU runtime, or why the vm level cannot work here. */
async function vmRuntime(facts: HostFacts, options: { root: string; exec: Exec; logger: Logger; guestAgent?: string; kernel?: string }): Promise<QemuRuntime | string> {
  const qemu = facts.qemu.find((t) => t.name === 'qemu-system-x86_64');
  if (!qemu) return 'qemu-system-x86_64 was not found (Debian package qemu-system-x86)';
  if (!facts.qemu.some((t) => t.name === 'qemu-img')) return 'qemu-img was not found (Debian package qemu-utils)';
  const agent = options.guestAgent ?? defaultGuestAgent();
  if (!(await exists(agent))) return `the guest agent ${agent} is missing (scripts/setup builds it)`;
  if (!options.kernel && (await installedKernels()).length === 0) return 'no guest kernel is installed (Debian package linux-image-amd64)';
  const busybox = (await exists('/bin/busybox')) ? '/bin/busybox' : undefined;
  return new QemuRuntime({
    stateDir: join(options.root, 'runtimes', 'qemu'),
    exec: options.exec,
    logger: options.logger,
    qemu: qemu.path,
    agent,
    ...(busybox ? { busybox } : {}),
    ...(options.kernel ? { kernel: options.kernel } : {}),
  });
}

const GOARCH: Readonly<Record<string, string>> = { x86_64: 'amd64', aarch64: 'arm64', armv7l: 'arm', i686: '386', ppc64le: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** Hard rlimits of this process by `--ulimit` name, from /proc/self/limits (unlimited ones are left out). */
export function parseHardLimits(text: string): Record<string, number> {
  const names: Record<string, string> = {
    'Max cpu time': 'cpu', 'Max file size': 'fsize', 'Max data size': 'data', 'Max stack size': 'stack', 'Max core file size': 'core',
    'Max resident set': 'rss', 'Max processes': 'nproc', 'Max open files': 'nofile', 'Max locked memory': 'memlock',
    'Max file locks': 'locks', 'Max pending signals': 'sigpending', 'Max msgqueue size': 'msgqueue', 'Max nice priority': 'nice',
    'Max realtime priority': 'rtprio', 'Max realtime timeout': 'rttime',
  };
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    for (const [label, name] of Object.entries(names)) {
      if (!line.startsWith(label)) continue;
      const fields = line.slice(label.length).trim().split(/\s+/);
      const hard = fields[1];
      if (hard && hard !== 'unlimited' && /^\d+$/.test(hard)) out[name] = Number(hard);
    }
  }
  return out;
}

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

/** The host facts the container engine builds specs from. */
export async function containerHostFacts(facts: HostFacts): Promise<ContainerHostFacts> {
  const read = (p: string): Promise<string> => readFile(p, 'utf8').catch(() => '');
  let initBinary: string | undefined;
  for (const p of ['/usr/bin/catatonit', '/usr/libexec/podman/catatonit', '/usr/bin/tini-static', '/usr/bin/tini']) {
    if (await exists(p)) {
      initBinary = p;
      break;
    }
  }
  const v2 = facts.cgroupLayout === 'v2';
  return {
    rlimitHardLimits: parseHardLimits(await read('/proc/self/limits')),
    cgroupV2: v2,
    arch: GOARCH[facts.architecture] ?? facts.architecture,
    kernelRelease: facts.kernelVersion,
    cpuCount: facts.ncpu,
    hostname: facts.hostname,
    // On v1 the swap limit needs the kernel's swapaccount; its file says whether it is on.
    swapLimit: v2 || (await exists('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes')),
    initBinary,
    resolvConf: await read('/etc/resolv.conf'),
    hosts: await read('/etc/hosts'),
    // --privileged gets every capability the daemon may hand on: asking runc for more fails ("unable to apply caps").
    capabilities: capabilitiesOfStatus(await read('/proc/self/status')),
  };
}
