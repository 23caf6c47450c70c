import { statSync } from 'node:fs';
import { mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { conflict, internal, invalidArgument, notFound, notImplemented } from '../../core/errors.ts';
import type { OciMount, OciProcess, OciResources, OciRuntimeSpec } from '../../core/oci-runtime-spec.ts';
import type { ExecProcess, Exit, Runtime, Task, TaskSpec, TaskStats, TaskStatus, VmDetails } from '../../core/runtime.ts';
import { VM_STACK_LABEL, VM_STACK_RUNTIME, VM_STACK_SHARE } from '../../core/vm-stack.ts';
import type { Exec } from '../../util/exec.ts';
import type { Logger } from '../../util/logger.ts';
import { mountAll, mountPointsIn } from '../oci/rootfs-mount.ts';
import { QemuTask, type VmChannelProcess } from './qemu-task.ts';

/** What the stack runtime needs to know of the stack VM's container. */
export interface StackHost {
  /** The live task of the stack VM's container. */
  task: Task;
  /** Its OCI mounts (the share at VM_STACK_SHARE among them). */
  mounts: readonly OciMount[];
}

/** Options of `QemuStackRuntime`. */
export interface QemuStackRuntimeOptions {
  /** `<root>/runtimes/qemu-stack`: one directory per service task (exec logs). */
  stateDir: string;
  exec: Exec;
  logger: Logger;
  /** The running container `ref` (name or id) and its task; undefined when it does not exist or is not running. Late-bound: the engine. */
  host: (ref: string) => StackHost | undefined;
}

/** Mount destinations the guest agent provides inside every workload's root. */
const AGENT_MOUNTS = new Set(['/proc', '/sys', '/sys/fs/cgroup', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue']);

/** One mount the host makes inside a service's root before the guest runs it. */
export interface StackMount {
  kind: 'bind' | 'tmpfs';
  /** Host path (bind) or `tmpfs`. */
  source: string;
  /** Absolute path inside the service's root. */
  destination: string;
  readOnly: boolean;
  /** tmpfs options (size, mode, …). */
  options: string[];
}

/**
 * The mounts of an OCI spec the host makes inside a service's root (binds:
 * volumes, /etc/hosts, resolv.conf, hostname; tmpfs), in order; those the
 * guest agent provides (/proc, /sys, /dev, …) are left out. Pure.
 */
export function stackMounts(spec: OciRuntimeSpec): StackMount[] {
  const out: StackMount[] = [];
  for (const m of spec.mounts ?? []) {
    if (AGENT_MOUNTS.has(m.destination)) continue;
    const options = m.options ?? [];
    const readOnly = options.includes('ro');
    if (m.type === 'bind' || options.includes('bind') || options.includes('rbind')) {
      if (!m.source) throw invalidArgument(`bind mount on ${m.destination} has no source`);
      out.push({ kind: 'bind', source: m.source, destination: m.destination, readOnly, options: [] });
    } else if (m.type === 'tmpfs') {
      out.push({ kind: 'tmpfs', source: 'tmpfs', destination: m.destination, readOnly, options: options.filter((o) => /^(size|mode|uid|gid|nr_inodes)=/.test(o)) });
    } else {
      throw notImplemented(`a ${m.type ?? 'typeless'} mount on ${m.destination} is not supported in a vm-stack`);
    }
  }
  return out;
}

/** `mount(8)` argument lists for one StackMount on `target` (the host path). Pure. */
export function stackMountArgs(m: StackMount, target: string): string[][] {
  if (m.kind === 'tmpfs') return [['-t', 'tmpfs', '-o', ['nosuid', 'nodev', ...(m.readOnly ? ['ro'] : []), ...m.options].join(','), 'tmpfs', target]];
  const bind = [['--rbind', m.source, target]];
  return m.readOnly ? [...bind, ['-o', 'remount,bind,ro', target]] : bind;
}

/**
 * The hybrid model's runtime (docs/vm-stack.md): a task is one service of a
 * stack VM — a further workload of the VM of another, running container
 * (named by the spec's `org.janus.vm-stack` annotation), not a VM of its
 * own. At create the host mounts the service's root (the snapshot's overlay)
 * and its binds and tmpfs under the stack VM's 9p share; at start the guest
 * agent runs the process there in its own mount, PID and UTS namespaces
 * (`START init=1 root=`). The services share the stack VM's network
 * namespace, kernel and memory. Logs, exec, signals and exits go through
 * the stack VM's agent connection, one channel per process.
 */
export class QemuStackRuntime implements Runtime {
  readonly name = VM_STACK_RUNTIME;
  readonly #o: QemuStackRuntimeOptions;

  constructor(options: QemuStackRuntimeOptions) {
    this.#o = { ...options, logger: options.logger.child({ runtime: VM_STACK_RUNTIME }) };
  }

  async create(id: string, spec: TaskSpec): Promise<Task> {
    const ref = spec.oci.annotations?.[VM_STACK_LABEL];
    if (!ref) throw invalidArgument(`a ${VM_STACK_RUNTIME} task needs the ${VM_STACK_LABEL} annotation naming its stack VM`);
    const host = this.#o.host(ref);
    if (!host) throw conflict(`the stack VM ${ref} is not running`);
    if (!(host.task instanceof QemuTask)) throw invalidArgument(`the stack VM ${ref} is not a VM (start it with --isolation vm)`);
    const share = host.mounts.find((m) => m.destination === VM_STACK_SHARE)?.source;
    if (!share) throw invalidArgument(`the stack VM ${ref} has no share mounted at ${VM_STACK_SHARE}`);
    if (!spec.oci.process?.args?.length) throw invalidArgument('no command specified');
    const mounts = stackMounts(spec.oci);
    const dir = join(this.#o.stateDir, id);
    try {
      await mkdir(dir, { recursive: false });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw conflict(`task ${id} already exists`);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        await mkdir(this.#o.stateDir, { recursive: true });
        await mkdir(dir);
      } else throw err;
    }
    const shareDir = join(share, id.slice(0, 12));
    const rootfs = join(shareDir, 'rootfs');
    try {
      await mkdir(rootfs, { recursive: true });
      await mountAll(this.#o.exec, spec.rootfs, rootfs);
      for (const m of mounts) {
        const target = await makeTarget(rootfs, m.destination, m.kind === 'bind' && !statSync(m.source).isDirectory());
        for (const args of stackMountArgs(m, target)) await this.#o.exec.run('mount', args);
      }
    } catch (err) {
      await unmountTree(this.#o.exec, shareDir).catch(() => {});
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    const state: StackTaskState = { id, host: ref, shareDir, guestRoot: `${VM_STACK_SHARE}/${id.slice(0, 12)}/rootfs`, process: spec.oci.process, hostname: spec.oci.hostname, io: spec.io };
    await writeFile(join(dir, 'task.json'), JSON.stringify(state));
    return new StackTask({ exec: this.#o.exec, dir, state, host: host.task });
  }

  /** A service outlives neither its stack VM's agent connection nor the daemon: after a restart it is gone (its mounts are undone). */
  async load(id: string): Promise<Task> {
    const dir = join(this.#o.stateDir, id);
    const text = await readFile(join(dir, 'task.json'), 'utf8').catch(() => undefined);
    if (text) {
      const state = JSON.parse(text) as StackTaskState;
      await unmountTree(this.#o.exec, state.shareDir).catch((err: unknown) => this.#o.logger.warn('cannot undo the mounts of a stack service', { id, error: err }));
    }
    await rm(dir, { recursive: true, force: true });
    throw notFound(`no ${VM_STACK_RUNTIME} task ${id}: services of a stack VM are not re-adopted after a daemon restart`);
  }

  async list(): Promise<string[]> {
    return [];
  }
}

/** What a stack service keeps on disk. */
interface StackTaskState {
  id: string;
  host: string;
  /** The service's directory in the share on the host (its root is `rootfs` in it). */
  shareDir: string;
  /** The same root as the guest agent sees it, in the stack VM's root. */
  guestRoot: string;
  process: OciProcess;
  hostname?: string;
  io: TaskSpec['io'];
}

/**
 * Creates `destination` (a directory, or an empty file) inside `root` and
 * returns its host path; a destination whose symlinks lead out of `root`
 * is refused (resolving them as the guest would is not implemented).
 */
async function makeTarget(root: string, destination: string, file: boolean): Promise<string> {
  const target = resolve(root, `.${resolve('/', destination)}`);
  if (file) {
    await mkdir(resolve(target, '..'), { recursive: true });
    await writeFile(target, '', { flag: 'a' });
  } else await mkdir(target, { recursive: true });
  const real = await realpath(target);
  const rootReal = await realpath(root);
  if (relative(rootReal, real).startsWith('..')) throw notImplemented(`the mount destination ${destination} leads out of the service's root through a symlink: not supported in a vm-stack`);
  return real;
}

/**
 * Unmounts everything under `dir` (deepest first) and removes it. Nothing is
 * removed while a mount is left under it: a volume's files must never be
 * deleted through its mount point.
 */
async function unmountTree(exec: Exec, dir: string): Promise<void> {
  const points = async (): Promise<string[]> => [...mountPointsIn(await readFile('/proc/self/mountinfo', 'utf8'))]
    .filter((p) => p === dir || p.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length);
  for (const p of await points()) {
    const r = await exec.run('umount', [p], { check: false });
    if (r.code !== 0) await exec.run('umount', ['-l', p], { check: false });
  }
  const left = await points();
  if (left.length) throw internal(`cannot unmount ${left.join(', ')}`);
  await rm(dir, { recursive: true, force: true });
}

/** One service of a stack VM: a rooted workload on its own agent channel. */
class StackTask implements Task {
  readonly id: string;
  readonly #exec: Exec;
  readonly #dir: string;
  readonly #state: StackTaskState;
  readonly #host: QemuTask;
  #proc: VmChannelProcess | undefined;
  #exit: Exit | undefined;
  readonly #exited = Promise.withResolvers<Exit>();

  constructor(o: { exec: Exec; dir: string; state: StackTaskState; host: QemuTask }) {
    this.id = o.state.id;
    this.#exec = o.exec;
    this.#dir = o.dir;
    this.#state = o.state;
    this.#host = o.host;
    // The stack VM going away ends every service in it.
    void o.host.wait().then((e) => this.#ended({ ...e, code: this.#proc ? 137 : e.code, signal: 'SIGKILL' }));
  }

  /** QEMU's pid: the services share its network namespace. */
  get pid(): number {
    return this.#host.pid;
  }

  get vm(): VmDetails | undefined {
    return this.#host.vm;
  }

  #ended(exit: Exit): void {
    if (this.#exit) return;
    this.#exit = exit;
    this.#exited.resolve(exit);
  }

  async start(): Promise<void> {
    if (this.#proc) throw conflict(`container ${this.id} was already started`);
    if (this.#exit) throw conflict(`container ${this.id} has stopped`);
    const io = this.#state.io;
    this.#proc = await this.#host.startChannel(this.id, this.#state.process, {
      tty: io.tty, stdin: io.stdin, logPath: io.logPath, ...(io.logMaxSize ? { logMaxSize: io.logMaxSize } : {}),
      root: this.#state.guestRoot, ...(this.#state.hostname ? { hostname: this.#state.hostname } : {}),
    });
    void this.#proc.wait().then((e) => this.#ended(e));
  }

  async status(): Promise<TaskStatus> {
    if (this.#exit) return 'stopped';
    if (!this.#proc) return 'created';
    return (await this.#host.status()) === 'stopped' ? 'stopped' : 'running';
  }

  async kill(signal: string, options: { all?: boolean } = {}): Promise<void> {
    if (!this.#proc || this.#exit) throw conflict(`container ${this.id} is not running`);
    await this.#proc.kill(signal, { all: !!options.all });
  }

  wait(): Promise<Exit> {
    return this.#exited.promise;
  }

  async exec(id: string, process: OciProcess, io: { tty: boolean; stdin: boolean }): Promise<ExecProcess> {
    if (!this.#proc || this.#exit) throw conflict(`container ${this.id} is not running`);
    return this.#host.startChannel(id, process, { ...io, logPath: join(this.#dir, `exec-${id}.log`), workload: this.#proc.channel });
  }

  async pause(): Promise<void> {
    throw notImplemented(`container ${this.id} is a service of the stack VM ${this.#state.host}, which runs every service: pause the stack VM's container instead`);
  }

  async resume(): Promise<void> {
    throw notImplemented(`container ${this.id} is a service of the stack VM ${this.#state.host}: it cannot be paused or resumed alone`);
  }

  async openStdin(): Promise<Writable> {
    if (!this.#proc || this.#exit) throw conflict(`container ${this.id} is not running`);
    return this.#proc.openStdin();
  }

  async update(_resources: OciResources): Promise<void> {
    throw notImplemented(`container ${this.id} is a service of the stack VM ${this.#state.host}, whose memory and CPUs every service shares: it has no limits of its own`);
  }

  async resize(size: { rows: number; cols: number }): Promise<void> {
    if (!this.#proc) throw conflict(`container ${this.id} is not running`);
    await this.#proc.resize(size);
  }

  /** The stack VM's figures: its services share one guest. */
  stats(): Promise<TaskStats> {
    return this.#host.stats();
  }

  async delete(options: { force?: boolean } = {}): Promise<void> {
    const status = await this.status();
    if (status === 'running') {
      if (!options.force) throw conflict(`container ${this.id} is running: stop it first or force the removal`);
      await this.#proc?.kill('SIGKILL', { all: true }).catch(() => {});
      await Promise.race([this.#exited.promise, new Promise((r) => setTimeout(r, 5000).unref())]);
    }
    await unmountTree(this.#exec, this.#state.shareDir);
    await rm(this.#dir, { recursive: true, force: true });
  }
}
