import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { QmpClient } from './qmp-client.ts';
import type { VmLaunchSpec } from './qemu-args.ts';
import { loadVmState, saveVmState } from './vm-state-stream.ts';

/**
 * What makes two VMs restorable from one template: the same machine (QEMU,
 * accelerator, vCPUs, RAM), the same guest (kernel, initramfs, command line,
 * root disk's base) and the same device set (a NIC or not, as many 9p
 * shares). Paths of a VM's own files (its qcow2, sockets, shares) may
 * differ: they come from the restoring command line.
 */
export function templateKey(launch: VmLaunchSpec, parts: { baseDisk: string; qemuVersion: string }): string {
  const shape = {
    accel: launch.accel, cpus: launch.cpus, memoryMiB: launch.memoryMiB, kernel: launch.kernel, initrd: launch.initrd, cmdline: launch.cmdline,
    baseDisk: parts.baseDisk, qemu: parts.qemuVersion, nic: !!launch.nic, shares: launch.shares.length, disk: !!launch.rootDisk,
    // 2: RAM in a file of its own beside the devices' state.
    format: 2,
  };
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 32);
}

/** A saved template: the devices' state (migration stream) and the guest's RAM (a file the size of guest RAM). */
export interface VmTemplate {
  state: string;
  ram: string;
}

/** Writes a file's dirty pages to disk (a template must survive a host crash whole or not at all). */
async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try { await fh.sync(); } finally { await fh.close(); }
}

/**
 * Memory templates of booted guests. The first VM of a kind boots with its
 * RAM in a file mapped shared (`ramPath`); once its agent answers (before
 * any CONFIG, so nothing of a workload is in it), `save` stops it and
 * migrates only its devices' state (`x-ignore-shared`: the RAM file already
 * is the RAM), in milliseconds instead of streaming guest RAM. That VM is
 * then ended — it must not write to the template's RAM — and VMs of the
 * key, the first one included, start from the template: QEMU with
 * `-incoming defer`, the RAM file mapped private (copy-on-write: restoring
 * copies no RAM, and pages the guest has not written stay shared with every
 * VM of the template), the state streamed back. Migration goes over unix
 * sockets because QEMU's seccomp sandbox forbids the `exec:` transport, and
 * QEMU 7.2 has no `file:` one.
 */
export class VmTemplates {
  readonly #dir: string;
  /** Keys whose template a VM is booting into or saving; resolved when it is kept (or not). */
  readonly #saving = new Map<string, { done: Promise<void>; resolve: () => void }>();

  constructor(options: { dir: string }) {
    this.#dir = options.dir;
  }

  /**
   * The template of `key` when one is saved (its state file appears last).
   * While another VM is making it, waits for that VM's outcome: restoring
   * soon beats booting cold beside it on the same CPUs.
   */
  async find(key: string): Promise<VmTemplate | undefined> {
    await this.#saving.get(key)?.done;
    const t = { state: join(this.#dir, `${key}.vmstate`), ram: join(this.#dir, `${key}.ram`) };
    const both = await Promise.all([t.state, t.ram].map((p) => stat(p).then((s) => s.isFile(), () => false)));
    return both.every(Boolean) ? t : undefined;
  }

  /**
   * Claims the saving of `key`'s template: the path of the RAM file the
   * booting VM is to map shared, or undefined when a template exists or
   * another VM is saving it (that VM then boots with ordinary RAM). Call
   * `save`, or `abandon` with the path.
   */
  async claim(key: string): Promise<string | undefined> {
    if (this.#saving.has(key)) return undefined;
    // Claimed before anything is awaited: two VMs of a new kind starting together must not both save.
    let resolve!: () => void;
    this.#saving.set(key, { done: new Promise<void>((r) => { resolve = r; }), resolve });
    try {
      const t = { state: join(this.#dir, `${key}.vmstate`), ram: join(this.#dir, `${key}.ram`) };
      const saved = await Promise.all([t.state, t.ram].map((p) => stat(p).then((st) => st.isFile(), () => false)));
      if (saved.every(Boolean)) {
        this.#release(key);
        return undefined;
      }
      await mkdir(this.#dir, { recursive: true });
    } catch (err) {
      this.#release(key);
      throw err;
    }
    return join(this.#dir, `${key}.ram.tmp.${process.pid}.${Date.now()}`);
  }

  /** Gives up a claim: the RAM file goes (a VM still running on it keeps its mapping). */
  async abandon(key: string, ram: string): Promise<void> {
    await rm(ram, { force: true });
    this.#release(key);
  }

  #release(key: string): void {
    this.#saving.get(key)?.resolve();
    this.#saving.delete(key);
  }

  /**
   * Stops the guest behind `qmp` (booted with its RAM shared in `ram`, from
   * `claim`) and saves its devices' state beside it. The guest stays
   * stopped: its QEMU must be ended before the template is used, then
   * `commit` makes it the template of `key`. Throws (and abandons the
   * claim) when the migration fails.
   */
  async save(qmp: QmpClient, key: string, ram: string, socketPath: string): Promise<VmTemplate> {
    const state = ram.replace('.ram.tmp.', '.vmstate.tmp.');
    try {
      await qmp.execute('stop');
      // The RAM file already is the RAM: only the devices' state is streamed.
      await saveVmState(qmp, state, socketPath, { ignoreShared: true });
      return { state, ram };
    } catch (err) {
      await rm(state, { force: true });
      await this.abandon(key, ram);
      throw err;
    }
  }

  /**
   * Makes a saved template (from `save`, its QEMU ended) the template of
   * `key`: both files reach the disk, then take their names, the state
   * last (`find` looks for both).
   */
  async commit(key: string, saved: VmTemplate): Promise<VmTemplate> {
    try {
      await fsyncFile(saved.ram);
      await fsyncFile(saved.state);
      const t = { state: join(this.#dir, `${key}.vmstate`), ram: join(this.#dir, `${key}.ram`) };
      await rename(saved.ram, t.ram);
      await rename(saved.state, t.state);
      return t;
    } catch (err) {
      await rm(saved.state, { force: true });
      await rm(saved.ram, { force: true });
      throw err;
    } finally {
      this.#release(key);
    }
  }

  /** Drops a saved template that could not be restored, and the claim. */
  async discard(key: string, saved: VmTemplate): Promise<void> {
    await rm(saved.state, { force: true });
    await this.abandon(key, saved.ram);
  }

  /**
   * Loads `template` into a QEMU started with `-incoming defer` and its RAM
   * mapped private from `template.ram`: asks it to listen on `socketPath`,
   * streams the state in, and waits until the guest runs again.
   */
  async restore(qmp: QmpClient, template: VmTemplate, socketPath: string): Promise<void> {
    await loadVmState(qmp, template.state, socketPath, { ignoreShared: true });
  }
}
