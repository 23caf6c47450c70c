import type { IsolationLevel } from '../engine/container-service.ts';
import type { HostAdviceFacts, WorkloadFacts } from './workload-facts.ts';

/** What one rule saw in a workload: the evidence (quoted from the workload) and what it means. */
export interface Finding {
  evidence: string;
  detail: string;
}

/**
 * One rule of the decision framework: its id (stable, cited in advice and in
 * docs/advisor.md), the level it pushes toward (undefined: it informs only),
 * and a pure check returning one finding per piece of evidence (none: the
 * rule does not apply).
 */
export interface AdvisorRule {
  id: string;
  level?: IsolationLevel;
  /** One line for docs and `--help`: when the rule applies. */
  summary: string;
  check(w: WorkloadFacts, host: HostAdviceFacts): Finding[];
}

/** Capabilities that let a process reach past its namespaces into the shared kernel, and what each allows. */
export const DANGEROUS_CAPABILITIES: Readonly<Record<string, string>> = {
  ALL: 'every capability: the workload\'s root is close to the host\'s root',
  SYS_ADMIN: 'mount filesystems, use many privileged kernel interfaces: the most common container-escape path',
  SYS_MODULE: 'load kernel modules into the host kernel: arbitrary code in the kernel',
  SYS_PTRACE: 'trace and inject into other processes the workload can see',
  SYS_RAWIO: 'raw I/O ports and /dev/mem access',
  SYS_BOOT: 'reboot the host',
  SYS_TIME: 'set the host\'s clock',
  DAC_READ_SEARCH: 'open host files by handle (open_by_handle_at), the "shocker" escape',
  NET_ADMIN: 'reconfigure networking, load netfilter rules: a large kernel attack surface',
  BPF: 'load BPF programs into the host kernel',
  PERFMON: 'perf events on the host kernel',
  SYS_RESOURCE: 'override kernel resource limits',
  MAC_ADMIN: 'change the host\'s mandatory access control policy',
  MAC_OVERRIDE: 'bypass the host\'s mandatory access control',
  SYSLOG: 'read the kernel log (kernel addresses)',
  LINUX_IMMUTABLE: 'change immutable flags on files',
};

/** Host paths whose bind mount hands the workload the host (or a kernel interface of it), and why. */
export const SENSITIVE_HOST_PATHS: Readonly<Record<string, string>> = {
  '/': 'the host\'s whole filesystem',
  '/etc': 'the host\'s configuration (users, passwords, services)',
  '/var/run/docker.sock': 'a container engine\'s API: whoever holds it can start privileged containers, i.e. is root on the host',
  '/run/docker.sock': 'a container engine\'s API: whoever holds it can start privileged containers, i.e. is root on the host',
  '/run/janus': 'Janus\'s runtime state and sockets',
  '/var/lib/janus': 'Janus\'s state: every image and container',
  '/var/lib/docker': 'a container engine\'s state',
  '/proc': 'the host kernel\'s process and tuning interface',
  '/sys': 'the host kernel\'s device and tuning interface',
  '/dev': 'the host\'s device nodes (disks, memory)',
  '/boot': 'the host\'s kernels and boot loader',
  '/lib/modules': 'the host kernel\'s modules',
  '/root': 'root\'s home (keys, credentials)',
  '/var/log': 'the host\'s logs',
  '/run': 'the host\'s runtime sockets and state',
};

/** Entrypoints that are a full operating system's init (not a container's reaper like tini or catatonit). */
const FULL_INITS = new Set(['init', 'systemd', 'upstart', 'openrc-init', 'runit', 'runit-init', 's6-svscan', 'sysvinit']);

const TRUST_VALUES = new Set(['untrusted', 'third-party', 'multi-tenant']);

const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
const hostPathOf = (p: string): string => (p.length > 1 ? p.replace(/\/+$/, '') : p);

/**
 * The decision framework, one row per rule, strongest need first. The
 * advisor recommends the highest level any rule asks for (container <
 * sandbox < vm); `fast-density-default` speaks only when nothing asks for
 * more. docs/advisor.md documents each row; rules.test.ts exercises each
 * both ways.
 */
export const RULES: readonly AdvisorRule[] = [
  {
    id: 'foreign-platform',
    level: 'vm',
    summary: 'the image is built for another OS or CPU architecture than the host\'s kernel',
    check(w, host) {
      const out: Finding[] = [];
      const want = w.platform ?? (w.imageConfig ? `${w.imageConfig.os}/${w.imageConfig.architecture}` : undefined);
      if (!want) return out;
      const [os, arch] = want.split('/');
      if ((os && os !== host.os) || (arch && arch !== host.architecture)) {
        out.push({
          evidence: `${w.platform ? `--platform ${w.platform}` : `image ${w.image} is ${want}`}; the host is ${host.os}/${host.architecture}`,
          detail: `a shared kernel runs only ${host.os}/${host.architecture} programs; another OS or architecture needs its own kernel, i.e. a VM with that machine (Janus's VMs are ${host.os}/${host.architecture} guests, so this image cannot run on this host at any level)`,
        });
      }
      return out;
    },
  },
  {
    id: 'own-kernel',
    level: 'vm',
    summary: 'the workload needs a kernel of its own: a pinned kernel (--kernel), kernel modules (SYS_MODULE), or kernel tunables that are not namespaced',
    check(w) {
      const out: Finding[] = [];
      if (w.kernel) out.push({ evidence: `--kernel ${w.kernel}`, detail: 'a pinned kernel can only be booted by a VM; containers and sandboxes share the host\'s (or gVisor\'s) kernel' });
      if (w.capAdd.includes('SYS_MODULE')) out.push({ evidence: '--cap-add SYS_MODULE', detail: 'loading modules changes the kernel itself; in a VM that is the guest\'s kernel, in a container the host\'s' });
      for (const key of ['janus.kernel', 'janus.kernel-modules']) {
        const v = w.labels[key] ?? w.imageConfig?.labels[key];
        if (v) out.push({ evidence: `label ${key}=${v}`, detail: 'the workload declares kernel needs of its own, which only a VM\'s own kernel can meet' });
      }
      const global = w.sysctls.filter((k) => !k.startsWith('net.') && !k.startsWith('kernel.shm') && !k.startsWith('kernel.msg') && k !== 'kernel.sem' && !k.startsWith('fs.mqueue.'));
      for (const k of global) out.push({ evidence: `--sysctl ${k}`, detail: 'this kernel tunable is not namespaced: set in a container it would change the host\'s kernel; a VM has its own' });
      return out;
    },
  },
  {
    id: 'untrusted-code',
    level: 'vm',
    summary: 'the workload is marked untrusted, third-party or multi-tenant (janus.trust, x-janus trust)',
    check(w) {
      if (!w.trust || !TRUST_VALUES.has(w.trust.value.toLowerCase())) return [];
      return [{
        evidence: `${w.trust.source}=${w.trust.value}`,
        detail: 'code you do not trust should not share a kernel with your other workloads: one kernel bug is an escape; a VM puts a hypervisor and a guest kernel between them',
      }];
    },
  },
  {
    id: 'compliance',
    level: 'vm',
    summary: 'a compliance regime applies to the workload (janus.compliance, x-janus compliance)',
    check(w) {
      if (!w.compliance || w.compliance.value === '' || w.compliance.value.toLowerCase() === 'none') return [];
      return [{
        evidence: `${w.compliance.source}=${w.compliance.value}`,
        detail: 'compliance regimes usually require workload separation an auditor accepts: a hypervisor boundary is the one commonly accepted; shared-kernel isolation often is not',
      }];
    },
  },
  {
    id: 'full-os-init',
    level: 'vm',
    summary: 'a legacy workload expecting a full OS: an init system as entrypoint, or systemd in the image',
    check(w) {
      const out: Finding[] = [];
      const first = w.process[0];
      if (first && FULL_INITS.has(base(first))) {
        out.push({ evidence: `entrypoint ${first}`, detail: 'an init system expects to be PID 1 of a whole OS (cgroups, devices, services, shutdown): a VM gives it one; in a container it needs privileges to work' });
      }
      for (const f of w.initSystemFiles ?? []) {
        out.push({ evidence: `image ${w.image} contains ${f}`, detail: 'systemd in the image means the software was packaged for a full OS with services; it runs as intended in a VM' });
      }
      return out;
    },
  },
  {
    id: 'privileged',
    level: 'vm',
    summary: '--privileged: every capability, every host device, no seccomp',
    check(w) {
      if (!w.privileged) return [];
      return [{
        evidence: '--privileged',
        detail: 'root in a privileged container is root on the host kernel (all capabilities, all devices, no syscall filter); in a VM the same rights reach only the guest\'s kernel',
      }];
    },
  },
  {
    id: 'host-namespace',
    level: 'sandbox',
    summary: 'the workload shares a host namespace (network, PID, IPC, UTS)',
    check(w) {
      const out: Finding[] = [];
      const risks: Record<string, string> = {
        network: 'it sees every host interface, can bind host ports and reach services listening on the host\'s localhost',
        pid: 'it sees and can signal or trace the host\'s processes',
        ipc: 'it shares the host\'s System V IPC and POSIX message queues',
        uts: 'it can change the host\'s hostname',
      };
      const modes: [string, string | undefined][] = [['network', w.networkMode], ['pid', w.pidMode], ['ipc', w.ipcMode], ['uts', w.utsMode]];
      for (const [ns, mode] of modes) {
        if (mode !== 'host') continue;
        out.push({ evidence: `--${ns} host`, detail: `${risks[ns]}; a level above container puts its own kernel (gVisor's or a guest's) between it and the host` });
      }
      return out;
    },
  },
  {
    id: 'dangerous-capability',
    level: 'sandbox',
    summary: 'capabilities that reach past a container\'s namespaces into the shared kernel (SYS_ADMIN, NET_ADMIN, …)',
    check(w) {
      return w.capAdd.filter((c) => c !== 'SYS_MODULE' && DANGEROUS_CAPABILITIES[c]).map((c) => ({
        evidence: `--cap-add ${c}`,
        detail: `${DANGEROUS_CAPABILITIES[c]}; under gVisor or in a VM the capability applies to that kernel, not the host's`,
      }));
    },
  },
  {
    id: 'unconfined-security',
    level: 'sandbox',
    summary: 'seccomp or AppArmor turned off (--security-opt seccomp=unconfined, apparmor=unconfined)',
    check(w) {
      return w.securityOpt.filter((o) => /^(seccomp|apparmor)[=:]unconfined$/.test(o)).map((o) => ({
        evidence: `--security-opt ${o}`,
        detail: 'the whole syscall surface of the host kernel is open to the workload; gVisor answers syscalls in user space, a VM in its own kernel',
      }));
    },
  },
  {
    id: 'sensitive-bind',
    level: 'vm',
    summary: 'a bind mount of a sensitive host path (/, /etc, /proc, /sys, /dev, a container engine\'s socket, …)',
    check(w) {
      const out: Finding[] = [];
      for (const b of w.binds) {
        const src = hostPathOf(b.source);
        const why = SENSITIVE_HOST_PATHS[src] ?? (src.endsWith('/docker.sock') || src.endsWith('/janus.sock') ? SENSITIVE_HOST_PATHS['/var/run/docker.sock'] : undefined);
        if (!why) continue;
        out.push({
          evidence: `bind ${b.source}:${b.destination}${b.readOnly ? ':ro' : ''}`,
          detail: `it hands the workload ${why}. A VM sees it only through a file share (no host kernel interfaces behind it), but what the share exposes stays exposed at every level: drop the bind if you can`,
        });
      }
      return out;
    },
  },
  {
    id: 'special-hardware',
    summary: 'GPUs or host devices (--gpus, --device): says what Janus can and cannot do',
    check(w) {
      const out: Finding[] = [];
      if (w.gpus !== undefined) out.push({ evidence: `--gpus ${w.gpus}`, detail: 'Janus passes no GPU through at any level (no --gpus for containers, no VFIO for VMs, gVisor\'s GPU proxy is not set up): this workload cannot get its GPU from Janus yet' });
      for (const d of w.devices) out.push({ evidence: `--device ${d}`, detail: 'Janus passes no host device through at any level yet (no --device, no VFIO): the workload would run without it' });
      return out;
    },
  },
  {
    id: 'fast-density-default',
    level: 'container',
    summary: 'nothing asks for more: a service that gains most from fast starts and density',
    check(w) {
      const marks: string[] = [];
      if (w.trust) marks.push(`${w.trust.source}=${w.trust.value}`);
      if (w.ports.length > 0) marks.push(`serves ${w.ports.join(', ')}`);
      if (w.user && w.user !== 'root' && w.user !== '0') marks.push(`runs as ${w.user}`);
      return [{
        evidence: marks.length > 0 ? marks.join('; ') : 'no privileges, host namespaces, sensitive binds, trust or compliance marks, init system or foreign platform',
        detail: 'a container starts fastest and packs most instances per host; its shared kernel is an acceptable boundary for trusted code without extra privileges',
      }];
    },
  },
];
