import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdir, open, readFile, readdir, rm, stat } from 'node:fs/promises';
import { cpus as hostCpus } from 'node:os';
import { join, resolve } from 'node:path';
import { conflict, internal, invalidArgument, isJanusError, notFound, unavailable } from '../../core/errors.ts';
import type { Exit, Runtime, Task, TaskSpec } from '../../core/runtime.ts';
import { writeFileAtomic } from '../../util/atomic-file.ts';
import type { Exec } from '../../util/exec.ts';
import type { Logger } from '../../util/logger.ts';
import { AgentConnection } from './agent-connection.ts';
import { Msg } from './agent-protocol.ts';
import { installedKernels, kernelAt, type GuestKernel } from './guest-kernel.ts';
import { configRecords, guestMounts } from './guest-spec.ts';
import { buildInitramfs } from './initramfs.ts';
import { buildQemuArgs, guestCmdline, hostTscKhz, type VmLaunchSpec } from './qemu-args.ts';
import { QmpClient } from './qmp-client.ts';
import { QemuTask, isQemuOf, removeVmTask, type VmTaskContext, type VmTaskPaths, type VmTaskState } from './qemu-task.ts';
import { RootDisks, lowerDirsOf } from './root-disks.ts';
import { CHECKPOINT_SHAPE, CHECKPOINT_STATE, checkpointMismatch, type VmCheckpointShape } from './vm-checkpoint.ts';
import { loadVmState } from './vm-state-stream.ts';
import { VmTemplates, templateKey, type VmTemplate } from './vm-templates.ts';
import { confineVm } from './vm-cgroup.ts';
import { extractVmlinux } from './vmlinux.ts';
import { attachGuestNics, type GuestNic, type GuestRoute } from './vm-network.ts';

/** The smallest guest RAM a VM gets: below it Debian's kernel and the agent do not come up reliably. */
export const MIN_VM_MEMORY_MIB = 128;
/** Guest RAM when the workload sets no memory limit. */
export const DEFAULT_VM_MEMORY_MIB = 512;

/** Options of `QemuRuntime`. */
export interface QemuRuntimeOptions {
  /** `<root>/runtimes/qemu`: one directory per task, plus the disk and initramfs caches. */
  stateDir: string;
  exec: Exec;
  logger: Logger;
  /** qemu-system-x86_64. */
  qemu: string;
  /** The static guest agent (build/janus-agent). */
  agent: string;
  /** busybox-static, copied into the initramfs for debugging. */
  busybox?: string;
  /** The guest kernel; default the newest installed one (`/boot/vmlinuz-*` with modules). */
  kernel?: string;
  /** The KVM device; default /dev/kvm. The accelerator is decided by booting a probe guest with it. */
  kvmDevice?: string;
  /** How long one boot may take until the agent answers (the boot watchdog). Default 45 s under TCG (a loaded 2-core host has taken 15 s), 5 s with KVM. */
  bootTimeoutMs?: number;
  /** Boots tried before giving up. Default 3. */
  bootAttempts?: number;
  /** Where sockets go (paths must stay under 108 bytes); default `<stateDir>/.s`. */
  socketDir?: string;
  /** Starts QEMU (detached); default node:child_process spawn. */
  spawn?: (file: string, args: readonly string[], options: SpawnOptions) => ChildProcess;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Where scripts/setup builds the guest agent. */
export function defaultGuestAgent(): string {
  return resolve(import.meta.dirname, '../../../build/janus-agent');
}

/**
 * The `vm` isolation level: each task is a QEMU microVM with its own Linux
 * kernel, whose guest agent runs the OCI process as the container inside
 * the VM. It takes the same TaskSpec as the OCI runtimes: the overlay root's
 * image layers become a cached ext4 disk with a qcow2 per VM, bind mounts
 * become virtio-9p shares, and the VM joins the workload's network
 * namespace by taking over its interfaces through taps. QEMU outlives the
 * daemon; `load` re-adopts a VM through its QMP and agent sockets.
 */
export class QemuRuntime implements Runtime {
  readonly name = 'qemu';
  readonly #o: QemuRuntimeOptions;
  readonly #ctx: VmTaskContext;
  readonly #stateDir: string;
  readonly #socketDir: string;
  readonly #disks: RootDisks;
  #kernel: Promise<GuestKernel> | undefined;
  readonly #templates: VmTemplates;
  readonly #spawn: NonNullable<QemuRuntimeOptions['spawn']>;
  #accel: Promise<{ accel: 'kvm' | 'tcg'; reason: string }> | undefined;

  constructor(options: QemuRuntimeOptions) {
    this.#o = options;
    this.#stateDir = resolve(options.stateDir);
    this.#socketDir = options.socketDir ?? join(this.#stateDir, '.s');
    this.#ctx = { exec: options.exec, logger: options.logger.child({ runtime: 'qemu' }), killGraceMs: 5000 };
    this.#spawn = options.spawn ?? nodeSpawn;
    this.#templates = new VmTemplates({ dir: join(this.#stateDir, '.templates') });
    this.#disks = new RootDisks({ dir: join(this.#stateDir, '.disks'), exec: options.exec });
  }

  /** The guest kernel VMs boot. Unavailable when none is installed. */
  kernel(): Promise<GuestKernel> {
    this.#kernel ??= (async () => {
      const all = await installedKernels();
      if (this.#o.kernel) {
        const found = all.find((k) => k.path === this.#o.kernel);
        if (found) return found;
        return kernelAt(this.#o.kernel);
      }
      if (!all[0]) throw unavailable('no guest kernel: install one (Debian package linux-image-amd64; scripts/setup does)');
      return all[0];
    })();
    this.#kernel.catch(() => { this.#kernel = undefined; });
    return this.#kernel;
  }

  /** The kernels VMs could boot (installed ones, and the configured one), the default marked. */
  async kernels(): Promise<{ release: string; path: string; modules: boolean; isDefault: boolean }[]> {
    const current = await this.kernel().catch(() => undefined);
    const all = await installedKernels();
    if (current && !all.some((k) => k.path === current.path)) all.unshift(current);
    return all.map((k) => ({ release: k.release, path: k.path, modules: !!k.modulesDir, isDefault: k.path === current?.path }));
  }

  /** KVM when a probe guest boots with it, else TCG; probed once per runtime. */
  accelerator(): Promise<{ accel: 'kvm' | 'tcg'; reason: string }> {
    this.#accel ??= probeAccelerator(() => this.#probeKvm(), this.#o.kvmDevice);
    return this.#accel;
  }

  async #probeKvm(): Promise<boolean> {
    const kernel = await this.kernel();
    const initrd = await this.#initramfs(kernel);
    const id = `probe${randomBytes(4).toString('hex')}`;
    const paths = this.#paths(id);
    await mkdir(paths.dir, { recursive: true });
    await mkdir(this.#socketDir, { recursive: true });
    const state = { id, pid: 0 } as VmTaskState;
    try {
      const { conn, qmp } = await this.#boot({
        name: `janus-${id}`, accel: 'kvm', cpus: 1, memoryMiB: MIN_VM_MEMORY_MIB, kernel: await this.#bootImage(kernel), initrd, cmdline: guestCmdline({ tscKhz: await this.#tscKhz() }),
        agentSocket: paths.agentSocket, qmpSocket: paths.qmpSocket, consoleLog: paths.consoleLog, pidFile: paths.pidFile, shares: [],
      }, state, undefined, undefined, { attempts: 1, timeoutMs: 5000 });
      conn.send(Msg.SHUTDOWN, 0);
      conn.close();
      qmp.close();
      return true;
    } catch (err) {
      this.#ctx.logger.info('KVM cannot run a guest here: using TCG', { error: (err as Error).message });
      return false;
    } finally {
      if (state.pid && (await isQemuOf(state.pid, id))) {
        try { process.kill(state.pid, 'SIGKILL'); } catch { /* gone */ }
      }
      await removeVmTask(this.#ctx, paths, state);
    }
  }

  #tsc: Promise<number | undefined> | undefined;

  /** The host's TSC rate, read once (it does not change while the host runs). */
  #tscKhz(): Promise<number | undefined> {
    return this.#tsc ??= Promise.all([readFile('/proc/cpuinfo', 'utf8').catch(() => ''), readFile('/sys/devices/system/cpu/cpu0/tsc_freq_khz', 'utf8').catch(() => undefined)])
      .then(([cpuinfo, sysfs]) => hostTscKhz(cpuinfo, sysfs));
  }

  readonly #bootImages = new Map<string, Promise<string>>();

  /**
   * What QEMU's `-kernel` gets for `kernel`: its uncompressed vmlinux
   * (extracted once, cached in `.kernels`), booted through the PVH entry,
   * which spares every cold boot the bzImage's own decompression (about
   * 4 s under TCG); the bzImage itself when it has no PVH entry or the
   * extraction fails (logged).
   */
  #bootImage(kernel: GuestKernel): Promise<string> {
    let image = this.#bootImages.get(kernel.path);
    if (!image) {
      image = extractVmlinux(kernel.path, { cacheDir: join(this.#stateDir, '.kernels'), exec: this.#o.exec })
        .then((vmlinux) => {
          if (!vmlinux) this.#ctx.logger.info('the kernel has no PVH entry or no payload the host can decompress: booting its bzImage', { kernel: kernel.path });
          return vmlinux ?? kernel.path;
        }, (err: unknown) => {
          this.#ctx.logger.warn('cannot extract the uncompressed kernel: booting its bzImage', { kernel: kernel.path, error: err });
          this.#bootImages.delete(kernel.path);
          return kernel.path;
        });
      this.#bootImages.set(kernel.path, image);
    }
    return image;
  }

  #initramfs(kernel: GuestKernel): Promise<string> {
    return buildInitramfs({ kernel, agent: this.#o.agent, busybox: this.#o.busybox, cacheDir: join(this.#stateDir, '.initramfs') }, this.#o.exec);
  }

  #paths(id: string): VmTaskPaths {
    const dir = join(this.#stateDir, id);
    return {
      dir,
      state: join(dir, 'task.json'),
      exit: join(dir, 'exit.json'),
      agentSocket: join(this.#socketDir, `${id.slice(0, 12)}.agent`),
      migSocket: join(this.#socketDir, `${id.slice(0, 12)}.mig`),
      qmpSocket: join(this.#socketDir, `${id.slice(0, 12)}.qmp`),
      consoleLog: join(dir, 'console.log'),
      pidFile: join(dir, 'qemu.pid'),
      rootDisk: join(dir, 'root.qcow2'),
    };
  }

  async create(id: string, spec: TaskSpec, options: { signal?: AbortSignal; restoreFrom?: string } = {}): Promise<Task> {
    if (!ID.test(id)) throw invalidArgument(`invalid task id: ${id}`);
    const oci = spec.oci;
    const netns = oci.linux?.namespaces?.find((n) => n.type === 'network');
    if (!netns) throw invalidArgument('the vm level cannot share the host\'s network namespace (--network host): a VM has its own kernel and network stack');
    const memLimit = oci.linux?.resources?.memory?.limit;
    const memoryMiB = memLimit && memLimit > 0 ? Math.floor(memLimit / (1024 * 1024)) : DEFAULT_VM_MEMORY_MIB;
    if (memoryMiB < MIN_VM_MEMORY_MIB) throw invalidArgument(`Minimum memory limit allowed for a VM is ${MIN_VM_MEMORY_MIB}MB (asked for ${memoryMiB}MB): its own kernel needs it`);
    const cpu = oci.linux?.resources?.cpu;
    const wantCpus = cpu?.quota && cpu.quota > 0 && cpu.period ? Math.ceil(cpu.quota / cpu.period) : 1;
    const cpus = Math.max(1, Math.min(wantCpus, hostCpus().length));
    if (!oci.process?.args?.length) throw invalidArgument('no command specified');

    const paths = this.#paths(id);
    await mkdir(this.#stateDir, { recursive: true });
    await mkdir(this.#socketDir, { recursive: true });
    try {
      await mkdir(paths.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw conflict(`task ${id} already exists`);
      throw err;
    }
    const state: VmTaskState = {
      id, accel: 'tcg', kernelRelease: '', memoryMiB, cpus, pid: 0, tty: spec.io.tty, stdin: spec.io.stdin, logPath: spec.io.logPath, ...(spec.io.logMaxSize ? { logMaxSize: spec.io.logMaxSize } : {}),
      process: oci.process, started: false, ...(netns.path ? { netnsPath: netns.path } : {}), nics: [],
      ...(oci.process.consoleSize ? { consoleSize: { rows: oci.process.consoleSize.height, cols: oci.process.consoleSize.width } } : {}),
    };
    const t0 = performance.now();
    try {
      const chosen = oci.annotations?.['org.janus.vm.kernel'];
      const kernel = chosen ? await kernelAt(chosen) : await this.kernel();
      const { accel } = await this.accelerator();
      state.accel = accel;
      state.kernelRelease = kernel.release;
      const initrd = await this.#initramfs(kernel);
      const base = await this.#disks.base(lowerDirsOf(spec.rootfs));
      // The engine may own the disk (it outlives the task, like a container's writable layer): made on first use, kept after.
      const ownDisk = oci.annotations?.['org.janus.vm.disk'];
      const rootDisk = ownDisk ?? paths.rootDisk;
      if (!ownDisk || !(await stat(ownDisk).then(() => true, () => false))) await this.#disks.overlay(base, rootDisk);
      options.signal?.throwIfAborted();
      let net: { nics: GuestNic[]; routes: GuestRoute[] } = { nics: [], routes: [] };
      if (netns.path) {
        net = await attachGuestNics(this.#o.exec, netns.path);
        state.nics = net.nics.map((n) => ({ name: n.name, tap: n.tap }));
      }
      const { shares, records: mountRecords } = guestMounts(oci, (p) => statSync(p).isDirectory());
      for (const s of shares) await stat(s.path).catch(() => { throw invalidArgument(`bind source path does not exist: ${s.path}`); });
      const launch: VmLaunchSpec = {
        name: `janus-${id.slice(0, 12)}`, accel, cpus, memoryMiB, kernel: await this.#bootImage(kernel), initrd,
        cmdline: guestCmdline({ debug: process.env.JANUS_VM_DEBUG === '1', tscKhz: await this.#tscKhz() }),
        rootDisk, agentSocket: paths.agentSocket, qmpSocket: paths.qmpSocket, consoleLog: paths.consoleLog, pidFile: paths.pidFile,
        ...(net.nics.length ? { nic: { tap: net.nics[0].tap, mac: net.nics[0].mac } } : {}),
        shares,
      };
      if (net.nics.length > 1) throw invalidArgument('a VM joins one network for now: connect it to one network only');
      const tBoot = performance.now();
      const key = templateKey(launch, { baseDisk: base, qemuVersion: await this.#qemuVersion() });
      const migSocket = paths.migSocket;
      if (options.restoreFrom) {
        const booted = await this.#fromCheckpoint(options.restoreFrom, launch, state, netns.path, options.signal);
        return await this.#continued(booted, paths, state, t0, tBoot);
      }
      const template = await this.#templates.find(key);
      // A second restore before a cold boot: a restore that hangs does so at random, not for its template.
      let booted = template
        ? (await this.#fromTemplate(template, launch, state, netns.path, migSocket, options.signal)) ??
          (await this.#fromTemplate(template, launch, state, netns.path, migSocket, options.signal))
        : undefined;
      let restored = !!booted;
      state.boot = booted ? 'template' : 'cold';
      state.ramObject = restored;
      let saveMs: number | undefined;
      if (!booted) {
        // The first VM of its kind boots with its RAM in the template's file, and is saved as soon as its agent answers
        // (before CONFIG: nothing of the workload is in it). Its RAM is the template's from then on, so it ends, and the
        // workload continues in a VM restored from the template, like every later one of the kind.
        const ram = await this.#templates.claim(key);
        booted = await this.#boot(ram ? { ...launch, memoryFile: { path: ram, shared: true } } : launch, state, netns.path, options.signal)
          .catch(async (err: unknown) => { if (ram) await this.#templates.abandon(key, ram); throw err; });
        if (ram) {
          const tSave = performance.now();
          const saved = await this.#templates.save(booted.qmp, key, ram, migSocket)
            .catch((err: unknown) => { this.#ctx.logger.warn('cannot save a VM template', { id, error: err }); return undefined; });
          if (saved) {
            await this.#end(booted, state);
            const fromSaved = await this.#fromTemplate(saved, launch, state, netns.path, migSocket, options.signal);
            if (fromSaved) {
              booted = fromSaved;
              restored = true;
              state.ramObject = true;
              // The files reach the disk before they take the template's name; the workload need not wait for that.
              this.#templates.commit(key, saved).catch((err: unknown) => this.#ctx.logger.warn('cannot keep a VM template', { id, error: err }));
            } else {
              await this.#templates.discard(key, saved);
              booted = await this.#boot(launch, state, netns.path, options.signal);
            }
          } else {
            // The VM runs on from where the save failed, on its own RAM file (already unlinked): its RAM is the
            // memory-backend object, which a memory snapshot of it must name again.
            state.ramObject = true;
            await booted.qmp.execute('cont').catch(() => {});
          }
          saveMs = Math.round(performance.now() - tSave);
        }
      }
      const { conn, qmp } = booted;
      const tConfig = performance.now();
      await writeFileAtomic(paths.state, JSON.stringify(state));
      const task = new QemuTask({ ctx: this.#ctx, paths, state, conn, qmp });
      try {
        if (restored) {
          // A restored guest's clock and entropy pool are the template's: set the one, reseed the other.
          conn.sendRecords(Msg.SYNC, 0, [['now', String(BigInt(Date.now()) * 1_000_000n)], ['seed', randomBytes(64).toString('hex')]]);
        }
        await task.configure(configRecords(oci, net, mountRecords, new Date()));
      } catch (err) {
        await task.delete({ force: true }).catch(() => {});
        throw err;
      }
      const ms = (a: number, b: number): number => Math.round(b - a);
      this.#ctx.logger.info('VM ready', { id, accel, boot: state.boot, prepareMs: ms(t0, tBoot), bootMs: ms(tBoot, tConfig), ...(saveMs !== undefined ? { saveMs } : {}), configureMs: ms(tConfig, performance.now()) });
      return task;
    } catch (err) {
      if (state.pid && (await isQemuOf(state.pid, id))) {
        try { process.kill(state.pid, 'SIGKILL'); } catch { /* gone */ }
      }
      await removeVmTask(this.#ctx, paths, state);
      throw err;
    }
  }

  /**
   * Starts a VM from a memory checkpoint (`TaskCheckpoint.save`'s
   * directory): QEMU waits with a machine of the checkpoint's shape, the
   * whole state is streamed in, and the agent, whose workload runs on, is
   * greeted. Conflict when the machine differs (memory, CPUs, accelerator,
   * kernel, NICs): QEMU could not load the state.
   */
  async #fromCheckpoint(dir: string, launch: VmLaunchSpec, state: VmTaskState, netnsPath: string | undefined, signal?: AbortSignal): Promise<{ conn: AgentConnection; qmp: QmpClient }> {
    const shape = JSON.parse(await readFile(join(dir, CHECKPOINT_SHAPE), 'utf8')) as VmCheckpointShape;
    const differs = checkpointMismatch(shape, { accel: launch.accel, cpus: launch.cpus, memoryMiB: launch.memoryMiB, kernelRelease: state.kernelRelease, nics: launch.nic ? 1 : 0 });
    if (differs) throw conflict(`the VM's memory snapshot cannot be loaded: ${differs}`);
    state.ramObject = shape.ramObject;
    let qmp: QmpClient | undefined;
    try {
      await rm(launch.agentSocket, { force: true });
      await rm(launch.qmpSocket, { force: true });
      const argv = [this.#o.qemu, ...buildQemuArgs({ ...launch, incoming: 'defer', ...(shape.ramObject ? { ramObject: true } : {}) })];
      state.pid = await this.#launch(netnsPath ? ['nsenter', `--net=${netnsPath}`, '--', ...argv] : argv, launch, state);
      qmp = await QmpClient.connect(launch.qmpSocket, { signal });
      await loadVmState(qmp, join(dir, CHECKPOINT_STATE), this.#paths(state.id).migSocket, { ignoreShared: false, timeoutMs: 120_000 });
      const { conn, attempts } = await AgentConnection.openRestored(launch.agentSocket, { timeoutMs: launch.accel === 'kvm' ? 10_000 : 30_000, attemptMs: launch.accel === 'kvm' ? 1000 : 2000, signal });
      if (attempts > 1) this.#ctx.logger.info('a VM continued from its memory snapshot answered on a new connection', { name: launch.name, attempts });
      return { conn, qmp };
    } catch (err) {
      if (qmp) this.#ctx.logger.warn('a VM did not continue from its memory snapshot', { name: launch.name, error: err, ...(await this.#guestReport(qmp, state.pid)) });
      qmp?.close();
      await this.#killQemu(state);
      throw err;
    }
  }

  /** The task of a VM continued from a checkpoint: its clock and entropy are set anew and its 9p shares mounted again. */
  async #continued(booted: { conn: AgentConnection; qmp: QmpClient }, paths: VmTaskPaths, state: VmTaskState, t0: number, tBoot: number): Promise<Task> {
    state.boot = 'checkpoint';
    state.started = true;
    await writeFileAtomic(paths.state, JSON.stringify(state));
    const task = new QemuTask({ ctx: this.#ctx, paths, state, conn: booted.conn, qmp: booted.qmp });
    try {
      booted.conn.sendRecords(Msg.SYNC, 0, [['now', String(BigInt(Date.now()) * 1_000_000n)], ['seed', randomBytes(64).toString('hex')]]);
      await task.checkpoint.finish();
    } catch (err) {
      await task.delete({ force: true }).catch(() => {});
      throw err;
    }
    this.#ctx.logger.info('VM continued from a memory snapshot', { id: state.id, accel: state.accel, prepareMs: Math.round(tBoot - t0), loadMs: Math.round(performance.now() - tBoot) });
    return task;
  }

  /**
   * Starts a VM from `template`: QEMU waits with the template's RAM file
   * mapped private, the devices' state is streamed in, then the agent is
   * greeted. Undefined (and nothing left running) when it could not be
   * restored — the caller then boots cold.
   */
  async #fromTemplate(template: VmTemplate, launch: VmLaunchSpec, state: VmTaskState, netnsPath: string | undefined, migSocket: string, signal?: AbortSignal): Promise<{ conn: AgentConnection; qmp: QmpClient } | undefined> {
    let qmp: QmpClient | undefined;
    try {
      await rm(launch.agentSocket, { force: true });
      await rm(launch.qmpSocket, { force: true });
      const argv = [this.#o.qemu, ...buildQemuArgs({ ...launch, incoming: 'defer', memoryFile: { path: template.ram, shared: false } })];
      state.pid = await this.#launch(netnsPath ? ['nsenter', `--net=${netnsPath}`, '--', ...argv] : argv, launch, state);
      qmp = await QmpClient.connect(launch.qmpSocket, { signal });
      await this.#templates.restore(qmp, template, migSocket);
      // A restored guest answers in well under a second even on a loaded TCG host. One whose HELLO went unread (QEMU's
      // post-load race, see openRestored) answers on a new connection; one that still has not within this time is
      // restored again or booted cold.
      const { conn, attempts } = await AgentConnection.openRestored(launch.agentSocket, { timeoutMs: launch.accel === 'kvm' ? 5000 : 15000, attemptMs: launch.accel === 'kvm' ? 1000 : 2000, signal });
      if (attempts > 1) this.#ctx.logger.info('a VM restored from its template answered on a new connection', { name: launch.name, attempts });
      return { conn, qmp };
    } catch (err) {
      this.#ctx.logger.warn('cannot start a VM from its template', { name: launch.name, error: err, ...(qmp ? await this.#guestReport(qmp, state.pid) : {}) });
      qmp?.close();
      await this.#killQemu(state);
      return undefined;
    }
  }

  /**
   * What a restored guest that does not answer is doing, for the log: its
   * run state, where its vCPU is (HMP `info registers`: RIP and the flags
   * say idle loop, spinning or halted) and how much CPU QEMU burns.
   */
  async #guestReport(qmp: QmpClient, pid: number): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    const cpu = async (): Promise<number> => {
      const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      return Number(f[11] ?? 0) + Number(f[12] ?? 0);
    };
    try {
      const before = await cpu();
      out.status = (await qmp.execute<{ status: string }>('query-status')).status;
      const regs = await qmp.execute<string>('human-monitor-command', { 'command-line': 'info registers' });
      out.registers = String(regs).split('\n').slice(0, 3).join(' | ');
      await new Promise((r) => setTimeout(r, 1000));
      out.qemuCpuPercent = (await cpu()) - before;
      const again = await qmp.execute<string>('human-monitor-command', { 'command-line': 'info registers' });
      out.rip = String(again).split('\n')[0];
    } catch (err) {
      out.reportError = (err as Error).message;
    }
    return out;
  }

  /**
   * Ends a VM's QEMU (SIGKILL) and waits until it has exited. Not until
   * its command line is gone: an exiting process loses that (with its
   * memory) before it closes its files, and the next QEMU of the task then
   * finds the pid file still locked.
   */
  async #killQemu(state: VmTaskState): Promise<void> {
    if (state.pid && (await isQemuOf(state.pid, state.id))) {
      try { process.kill(state.pid, 'SIGKILL'); } catch { /* gone */ }
      for (let i = 0; i < 300; i++) {
        const stat = await readFile(`/proc/${state.pid}/stat`, 'utf8').catch(() => '');
        const s = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        if (!stat || s === 'Z' || s === 'X') break;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    state.pid = 0;
  }

  /** Ends a booted VM whose RAM became a template: nothing may write to that RAM any more. */
  async #end(booted: { conn: AgentConnection; qmp: QmpClient }, state: VmTaskState): Promise<void> {
    booted.conn.close();
    booted.qmp.close();
    await this.#killQemu(state);
  }

  /** Identifies the QEMU binary for template keys (a new QEMU cannot load an old one's state). */
  async #qemuVersion(): Promise<string> {
    const s = await stat(this.#o.qemu);
    return `${this.#o.qemu}:${s.size}:${s.mtimeMs}`;
  }

  /**
   * Starts QEMU and waits for the agent's HELLO — the boot watchdog. A boot
   * that does not answer in time is killed and tried again; after the last
   * attempt the error carries the end of the guest's console.
   */
  async #boot(launch: VmLaunchSpec, state: VmTaskState, netnsPath: string | undefined, signal?: AbortSignal, limits: { attempts?: number; timeoutMs?: number } = {}): Promise<{ conn: AgentConnection; qmp: QmpClient }> {
    const attempts = limits.attempts ?? this.#o.bootAttempts ?? 3;
    const timeoutMs = limits.timeoutMs ?? this.#o.bootTimeoutMs ?? (launch.accel === 'kvm' ? 5000 : 45000);
    let last: Error | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      await rm(launch.agentSocket, { force: true });
      await rm(launch.qmpSocket, { force: true });
      await rm(launch.consoleLog, { force: true });
      const argv = [this.#o.qemu, ...buildQemuArgs(launch)];
      state.pid = await this.#launch(netnsPath ? ['nsenter', `--net=${netnsPath}`, '--', ...argv] : argv, launch, state);
      try {
        const qmp = await QmpClient.connect(launch.qmpSocket, { signal });
        const { conn } = await AgentConnection.open(launch.agentSocket, { timeoutMs, signal });
        if (attempt > 1) this.#ctx.logger.info('VM booted after a retry', { name: launch.name, attempt });
        return { conn, qmp };
      } catch (err) {
        last = err as Error;
        const console = await readFile(launch.consoleLog, 'utf8').catch(() => '');
        this.#ctx.logger.warn('VM boot failed', { name: launch.name, attempt, error: last.message, console: console.split('\n').slice(-5).join(' | ') });
        await this.#killQemu(state);
        signal?.throwIfAborted();
        if (attempt === attempts) {
          const tail = console.trim().split('\n').slice(-5).join(' | ');
          throw unavailable(`the VM did not boot after ${attempts} attempts: ${last.message}${tail ? ` (console: ${tail})` : ''}`);
        }
      }
    }
    throw last ?? internal('unreachable');
  }

  /**
   * Starts QEMU detached (its own session, no stdio but a stderr file) and
   * waits until its QMP socket exists, which QEMU creates once the machine
   * is built. Resolves with QEMU's pid (nsenter execs it, so the pids are
   * one); throws with QEMU's own message when it exits first.
   */
  async #launch(argv: string[], launch: VmLaunchSpec, state?: VmTaskState): Promise<number> {
    const errPath = `${launch.consoleLog}.qemu-stderr`;
    const err = await open(errPath, 'w');
    let exited: string | undefined;
    try {
      const child = this.#spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', 'ignore', err.fd] });
      child.on('error', (e) => { exited = e.message; });
      child.on('exit', (code, sig) => { exited = `exit status ${code ?? sig}`; });
      child.unref();
      if (state && child.pid) state.cgroups = await confineVm(child.pid, state.id, { memoryBytes: launch.memoryMiB * 1024 * 1024 });
      for (let i = 0; i < 500; i++) {
        if (exited !== undefined) break;
        if (await stat(launch.qmpSocket).then(() => true, () => false)) return child.pid!;
        await new Promise((r) => setTimeout(r, 10));
      }
      const stderr = (await readFile(errPath, 'utf8').catch(() => '')).trim();
      if (exited === undefined) {
        try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ }
        throw internal(`QEMU did not create its QMP socket within 5 s${stderr ? `: ${stderr}` : ''}`);
      }
      throw internal(`QEMU did not start: ${stderr || exited}`);
    } finally {
      await err.close();
    }
  }

  async load(id: string): Promise<Task> {
    const paths = this.#paths(id);
    let state: VmTaskState;
    try {
      state = JSON.parse(await readFile(paths.state, 'utf8')) as VmTaskState;
    } catch {
      throw notFound(`no VM task ${id}`);
    }
    const exitText = await readFile(paths.exit, 'utf8').catch(() => undefined);
    const exit: Exit | undefined = exitText ? { ...JSON.parse(exitText), exitedAt: new Date(JSON.parse(exitText).exitedAt) } : undefined;
    if (!(await isQemuOf(state.pid, id))) return new QemuTask({ ctx: this.#ctx, paths, state, exit: exit ?? { code: 137, signal: 'SIGKILL', exitedAt: new Date(), oomKilled: false } });
    try {
      const qmp = await QmpClient.connect(paths.qmpSocket);
      const { conn } = await AgentConnection.open(paths.agentSocket, { timeoutMs: 10_000 });
      const task = new QemuTask({ ctx: this.#ctx, paths, state, conn, qmp, ...(exit ? { exit } : {}) });
      await this.#afterInterruptedCheckpoint(task, qmp);
      return task;
    } catch (err) {
      if (isJanusError(err, 'Unavailable')) this.#ctx.logger.warn('cannot re-adopt a VM', { id, error: err });
      throw err;
    }
  }

  /**
   * A daemon that ended during a memory snapshot left the VM stopped after
   * its state was saved (`postmigrate`: run it again), or its guest without
   * its 9p shares (`THAW` mounts them back; a guest that was not quiesced
   * ignores it).
   */
  async #afterInterruptedCheckpoint(task: QemuTask, qmp: QmpClient): Promise<void> {
    try {
      const { status } = await qmp.execute<{ status: string }>('query-status');
      if (status === 'postmigrate') await qmp.execute('cont');
      if (status === 'postmigrate' || status === 'running') await task.checkpoint.finish();
    } catch (err) {
      this.#ctx.logger.warn('cannot finish a memory snapshot an earlier daemon began', { id: task.id, error: err });
    }
  }

  async list(): Promise<string[]> {
    const names = await readdir(this.#stateDir).catch(() => [] as string[]);
    return names.filter((n) => ID.test(n));
  }
}

/**
 * Decides the accelerator by booting, not by the existence of /dev/kvm: a
 * host can have the device and still fail to run a guest (nested or
 * restricted KVM). `tryBoot` boots a guest with KVM and resolves true when
 * its agent answered.
 */
export async function probeAccelerator(tryBoot: () => Promise<boolean>, kvmDevice = '/dev/kvm'): Promise<{ accel: 'kvm' | 'tcg'; reason: string }> {
  const present = await stat(kvmDevice).then(() => true, () => false);
  if (!present) return { accel: 'tcg', reason: `${kvmDevice} does not exist` };
  const ok = await tryBoot().catch(() => false);
  return ok ? { accel: 'kvm', reason: 'a guest booted with KVM' } : { accel: 'tcg', reason: `${kvmDevice} exists but a guest did not boot with KVM` };
}
