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
    '-machine', 'microvm,x-option-roms=off,rtc=on,isa-serial=on',
    // TCG's translation cache defaults to 1 GiB of address space; 64 MiB keeps an idle VM's host memory small.
    '-accel', spec.accel === 'tcg' ? 'tcg,tb-size=64' : 'kvm',
    '-cpu', spec.accel === 'kvm' ? 'host' : 'max',
    '-smp', String(spec.cpus),
    '-m', `${spec.memoryMiB}M`,
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
 * guest panic end the VM at once. The TSC flags avoid calibrating the TSC
 * against the PIT, which under TCG sometimes never finished.
 */
export function guestCmdline(options: { debug?: boolean; extra?: readonly string[] } = {}): string {
  return [
    'console=ttyS0', 'reboot=t', 'panic=-1', 'rdinit=/init',
    'tsc=reliable', 'no_timer_check', 'i8042.noaux', 'i8042.nomux', 'i8042.nopnp', 'i8042.dumbkbd',
    'random.trust_cpu=on', 'cryptomgr.notests',
    options.debug ? 'janus.debug=1' : 'quiet',
    ...(options.extra ?? []),
  ].join(' ');
}
