import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { internal } from '../../core/errors.ts';
import type { QmpClient } from './qmp-client.ts';
import type { VmLaunchSpec } from './qemu-args.ts';

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
  };
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 32);
}

/** Polls `query-migrate` until the migration ended; throws unless it completed. */
async function migrationDone(qmp: QmpClient, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await qmp.execute<{ status?: string; 'error-desc'?: string }>('query-migrate');
    if (r.status === 'completed') return;
    if (r.status === 'failed' || r.status === 'cancelled') throw internal(`the VM's migration ${r.status}${r['error-desc'] ? `: ${r['error-desc']}` : ''}`);
    if (Date.now() > until) throw internal(`the VM's migration did not finish within ${timeoutMs} ms (status ${r.status ?? 'none'})`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

/**
 * Memory templates of booted guests: a VM that booted cold and whose agent
 * answered (before any CONFIG, so nothing of a workload is in it) is saved
 * with QEMU's migration to a file; later VMs of the same key start from it
 * (`-incoming defer`, then the file is streamed back) instead of booting.
 * Migration goes over unix sockets because QEMU's seccomp sandbox forbids
 * the `exec:` transport, and QEMU 7.2 has no `file:` one.
 */
export class VmTemplates {
  readonly #dir: string;
  readonly #saving = new Set<string>();

  constructor(options: { dir: string }) {
    this.#dir = options.dir;
  }

  /** The template file of `key` when one is saved. */
  async find(key: string): Promise<string | undefined> {
    const path = join(this.#dir, `${key}.vmstate`);
    return (await stat(path).then((s) => s.isFile(), () => false)) ? path : undefined;
  }

  /**
   * Saves the running guest behind `qmp` as the template of `key` (unless
   * one exists or is being saved), then lets the guest run on. The file
   * appears only once complete.
   */
  async save(qmp: QmpClient, key: string, socketPath: string): Promise<boolean> {
    const path = join(this.#dir, `${key}.vmstate`);
    if (this.#saving.has(key) || (await this.find(key))) return false;
    this.#saving.add(key);
    await mkdir(this.#dir, { recursive: true });
    const tmp = `${path}.tmp.${process.pid}.${Date.now()}`;
    const server = createServer();
    try {
      await rm(socketPath, { force: true });
      const received = new Promise<void>((resolve, reject) => {
        server.once('connection', (sock) => { pipeline(sock, createWriteStream(tmp)).then(resolve, reject); });
        server.once('error', reject);
      });
      await new Promise<void>((resolve, reject) => server.listen(socketPath, resolve).once('error', reject));
      await qmp.execute('stop');
      try {
        await qmp.execute('migrate', { uri: `unix:${socketPath}` });
        await migrationDone(qmp, 60_000);
        await received;
      } finally {
        await qmp.execute('cont');
      }
      await rename(tmp, path);
      return true;
    } finally {
      server.close();
      this.#saving.delete(key);
      await rm(tmp, { force: true });
      await rm(socketPath, { force: true });
    }
  }

  /**
   * Loads `template` into a QEMU started with `-incoming defer`: asks it to
   * listen on `socketPath`, streams the file in, and waits until the guest
   * runs again.
   */
  async restore(qmp: QmpClient, template: string, socketPath: string): Promise<void> {
    await rm(socketPath, { force: true });
    await qmp.execute('migrate-incoming', { uri: `unix:${socketPath}` });
    for (let i = 0; i < 500 && !(await stat(socketPath).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 10));
    const sock = createConnection(socketPath);
    await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
    await pipeline(createReadStream(template), sock);
    const until = Date.now() + 30_000;
    for (;;) {
      const s = await qmp.execute<{ status: string }>('query-status');
      if (s.status === 'running') break;
      // The template was saved from a stopped guest and the saved run state comes with it: resume it.
      if (s.status === 'paused' || s.status === 'postmigrate') {
        await qmp.execute('cont');
        continue;
      }
      if (s.status === 'internal-error' || s.status === 'shutdown' || Date.now() > until) throw internal(`the VM did not resume from its template (status ${s.status})`);
      await new Promise((r) => setTimeout(r, 10));
    }
    await rm(socketPath, { force: true });
  }
}
