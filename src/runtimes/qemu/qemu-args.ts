/** Everything one microVM's QEMU command line is made from. */
export interface VmLaunchSpec {
  /** Shown in `ps` and QEMU's own messages. */
  name: string;
  accel: 'kvm' | 'tcg';
  cpus: number;
  memoryMiB: number;
  kernel: string;
  initrd: string;
  /** The kernel command line. */
  cmdline: string;
  /** The VM's own qcow2 root disk (none for a probe). */
  rootDisk?: string;
  agentSocket: string;
  qmpSocket: string;
  /** Kernel and agent diagnostics (the guest's ttyS0). */
  consoleLog: string;
  pidFile: string;
  /** The tap in the workload's network namespace, and the MAC the guest's NIC gets. */
  nic?: { tap: string; mac: string };
  /** Host directories shared with virtio-9p, by tag. */
  shares: readonly { tag: string; path: string; readOnly: boolean }[];
  /** Start paused (a template is restored into it with `-incoming`). */
  incoming?: string;
  /**
   * Guest RAM backed by a file instead of anonymous memory: `shared` (a VM
   * booting into a template: its RAM is the template's RAM file) or
   * private (a VM restored from a template: the file is mapped
   * copy-on-write, so its pages are shared with every VM of the template
   * until the guest writes them, and the template is never modified).
   */
  memoryFile?: { path: string; shared: boolean };
  /** Guest RAM as an anonymous memory-backend object named like a file-backed one (a VM continuing from a checkpoint of a VM whose RAM was a file). */
  ramObject?: boolean;
}

/**
 * QEMU's arguments for a microVM; pure, so unit tests check them without
 * QEMU. The `microvm` machine: virtio over MMIO, no PCI, no firmware option
 * ROMs, no ACPI tables to parse — the shortest boot QEMU offers. QEMU
 * confines itself with its seccomp sandbox: no spawning, no privilege
 * changes, no obsolete system calls, no resource-control calls. It does not
 * `-daemonize` (that forks and calls setsid, which the sandbox forbids): the
 * runtime starts it detached in a session of its own, so it still outlives
 * the daemon, which re-adopts it through its sockets.
 */
export function buildQemuArgs(spec: VmLaunchSpec): string[] {
  const args = [
    '-name', `${spec.name},debug-threads=on`,
    '-machine', `microvm,x-option-roms=off,rtc=on,isa-serial=on${spec.memoryFile || spec.ramObject ? ',memory-backend=ram' : ''}`,
    // TCG's translation cache defaults to 1 GiB of address space; 64 MiB keeps an idle VM's host memory small.
    '-accel', spec.accel === 'tcg' ? 'tcg,tb-size=64' : 'kvm',
    '-cpu', spec.accel === 'kvm' ? 'host' : 'max',
    '-smp', String(spec.cpus),
    '-m', `${spec.memoryMiB}M`,
    ...(spec.memoryFile ? ['-object', `memory-backend-file,id=ram,size=${spec.memoryMiB}M,mem-path=${spec.memoryFile.path},share=${spec.memoryFile.shared ? 'on' : 'off'}`] : []),
    ...(!spec.memoryFile && spec.ramObject ? ['-object', `memory-backend-ram,id=ram,size=${spec.memoryMiB}M`] : []),
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-kernel', spec.kernel,
    '-initrd', spec.initrd,
    '-append', spec.cmdline,
    '-chardev', `file,id=console,path=${spec.consoleLog}`,
    '-serial', 'chardev:console',
    '-device', 'virtio-serial-device,max_ports=2',
    '-chardev', `socket,id=agent,path=${spec.agentSocket},server=on,wait=off`,
    '-device', 'virtserialport,chardev=agent,name=org.janus.agent.0',
    '-device', 'virtio-rng-device',
    '-qmp', `unix:${spec.qmpSocket},server=on,wait=off`,
  ];
  if (spec.rootDisk) {
    args.push('-drive', `id=root,file=${spec.rootDisk},format=qcow2,if=none,cache=writeback,discard=unmap`, '-device', 'virtio-blk-device,drive=root');
  }
  if (spec.nic) {
    args.push('-netdev', `tap,id=net0,ifname=${spec.nic.tap},script=no,downscript=no`, '-device', `virtio-net-device,netdev=net0,mac=${spec.nic.mac}`);
  }
  spec.shares.forEach((s, i) => {
    args.push(
      '-fsdev', `local,id=fs${i},path=${s.path},security_model=passthrough${s.readOnly ? ',readonly=on' : ''}`,
      '-device', `virtio-9p-device,fsdev=fs${i},mount_tag=${s.tag}`,
    );
  });
  if (spec.incoming) args.push('-incoming', spec.incoming);
  args.push(
    '-sandbox', 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny',
    '-pidfile', spec.pidFile,
  );
  return args;
}

/**
 * The guest kernel's command line. `reboot=t`: the agent ends the VM with a
 * reboot, which `-no-reboot` turns into QEMU exiting, and a triple fault is
 * the one reboot method that needs no emulated hardware. `panic=-1` makes a
 * guest panic end the VM at once.
 *
 * `tsc_early_khz`: the root cause of boots that hung. The microvm machine
 * has no HPET or ACPI PM timer, so the kernel calibrates the TSC against
 * the PIT, and under TCG on a busy host that calibration fails ("Unable to
 * calibrate against PIT", "No reference (HPET/PMTIMER) available"); the
 * kernel then marks the TSC unstable and hangs. Under TCG the guest's TSC
 * ticks at the host's rate, so telling the guest the host's TSC frequency
 * skips the calibration. `tsc=reliable` and `no_timer_check` stop the
 * clocksource watchdog and the timer check from second-guessing it later.
 *
 * `initcall_blacklist`: the two slowest built-in initcalls that nothing in
 * a microVM uses — kprobe trace events (it walks every kernel symbol) and
 * the SP800-108 KDF self-test; under TCG they cost 30–70 ms of a boot
 * (measured in the guest's uptime at the agent's HELLO).
 */
export function guestCmdline(options: { debug?: boolean; tscKhz?: number; extra?: readonly string[] } = {}): string {
  return [
    'console=ttyS0', 'reboot=t', 'panic=-1', 'rdinit=/init',
    ...(options.tscKhz ? [`tsc_early_khz=${options.tscKhz}`] : []),
    'tsc=reliable', 'no_timer_check', 'i8042.noaux', 'i8042.nomux', 'i8042.nopnp', 'i8042.dumbkbd',
    'random.trust_cpu=on', 'cryptomgr.notests', 'initcall_blacklist=init_kprobe_trace,crypto_kdf108_init',
    options.debug ? 'janus.debug=1' : 'quiet',
    ...(options.extra ?? []),
  ].join(' ');
}

/**
 * The host's TSC frequency in kHz: the kernel's own figure when it exports
 * one, else the `cpu MHz` of /proc/cpuinfo on a CPU whose TSC runs at a
 * constant, known rate. Undefined when neither says (the guest then
 * calibrates on its own).
 */
export function hostTscKhz(cpuinfo: string, sysfsKhz?: string): number | undefined {
  const fromSys = Number(sysfsKhz?.trim());
  if (Number.isInteger(fromSys) && fromSys > 0) return fromSys;
  const flags = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1].split(/\s+/) ?? [];
  if (!flags.includes('constant_tsc')) return undefined;
  const mhz = Number(/^cpu MHz\s*:\s*([\d.]+)/m.exec(cpuinfo)?.[1]);
  return Number.isFinite(mhz) && mhz > 0 ? Math.round(mhz * 1000) : undefined;
}
